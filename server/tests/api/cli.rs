use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baa-tracker"));
    c.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    c
}

#[test]
fn bad_configuration_stops_the_start_and_names_the_variable() {
    for (var, value) in [
        ("BIND_ADDR", "nowhere"),
        ("DATABASE_URL", "mysql://x"),
        ("SESSION_IDLE_MINUTES", "-5"),
        ("PUBLIC_URL", "ftp://x"),
    ] {
        let out = bin().env(var, value).arg("serve").output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(var), "{var}: {err}");
    }
}

#[tokio::test]
async fn create_owner_sets_up_a_scripted_install_once() {
    let dir = tempfile::tempdir().expect("t");
    let db = crate::helpers::fresh_database(dir.path()).await;
    let run = |email: &str| {
        bin()
            .env("DATA_DIR", dir.path())
            .env("DATABASE_URL", &db)
            .env("BAA_OWNER_PASSWORD", "scripted setup passphrase")
            .args(["create-owner", "--email", email, "--name", "Ops Bot", "--workspace", "Acme Health"])
            .output()
            .expect("run")
    };
    let first = run("ops@acme-health.example");
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let second = run("other@acme-health.example");
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already done"));
    // The password never appears in the output.
    for o in [&first, &second] {
        let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(!all.contains("scripted setup passphrase"));
    }
}
