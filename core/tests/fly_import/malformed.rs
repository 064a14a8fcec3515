//! Malformed inputs fail with file, line and a clear message; unknown files are notes; secret
//! values are never kept.

use super::*;

#[test]
fn malformed_inputs_fail_with_file_line_and_a_clear_message() {
    let cur = |lines: &[&str]| lines.join("\n") + "\n";
    let cases: Vec<(&str, Vec<u8>, Option<usize>, &str)> = vec![
        (
            "apps-list.json",
            b"[\n  {\"Name\": \"a\" \"Status\": \"deployed\"}\n]\n".to_vec(),
            Some(2),
            "not valid JSON",
        ),
        ("apps-list.json", b"[\n  {\"Name\": \"a\",\n".to_vec(), Some(3), "not valid JSON"),
        ("orgs-list.json", b"{\n  \"acme\": 5\n}\n".to_vec(), Some(2), "JSON of the wrong shape"),
        ("secrets-list--a.json", b"[\n  {\"digest\": \"00\"}\n]\n".to_vec(), Some(2), "missing field `name`"),
        (
            "apps-list.json",
            b"[\n  {\"Name\": \"a\", \"Organization\": null}\n]\n".to_vec(),
            Some(2),
            "no valid org slug",
        ),
        ("storage-list.txt", b"NAME    ORG\nb1      o1\n".to_vec(), Some(1), "not a table header"),
        (
            "storage-list.txt",
            cur(&[" BUCKET │ ORG ", " b      │ o1  "]).into_bytes(),
            Some(1),
            "no NAME column",
        ),
        ("ext-vector-list.txt", cur(&[" name │ org ", " v    │ o1  "]).into_bytes(), Some(1), "upper-case"),
        (
            "redis-list.txt",
            cur(&[" NAME │ ORG │ PLAN ", " r    │ o1 ", " s    │ o1  │ Free "]).into_bytes(),
            Some(2),
            "the row has 2 cells but the header on line 1 has 3 columns",
        ),
        ("ext-sentry-list.txt", cur(&[" NAME │ ORG ", "a\to1\t"]).into_bytes(), Some(2), "tab-separated row"),
        ("storage-list.legacy.txt", b"NAME\tORG \nb1\to1\tx\t\n".to_vec(), Some(2), "has 3 cells"),
        (
            "redis-list.txt",
            cur(&[" NAME │ ORG │ PRIMARY REGION ", " r    │ o1  │ Frankfurt "]).into_bytes(),
            Some(2),
            "`Frankfurt` is not a Fly region code",
        ),
        (
            "apps-list.txt",
            cur(&[" NAME │ OWNER │ STATUS ", " a │ o │ deployed ", " a │ o │ pending "]).into_bytes(),
            Some(3),
            "listed twice (first on line 2)",
        ),
        (
            "apps-list.txt",
            b" NAME \xe2\x94\x82 OWNER \xe2\x94\x82 STATUS \n \xff \xe2\x94\x82 o\n".to_vec(),
            Some(2),
            "not UTF-8",
        ),
        ("storage-list.txt", b"\n\n".to_vec(), None, "the file is empty"),
        ("orgs-list.txt", b"Slug Name\nx y\n".to_vec(), Some(1), "not the output of `fly orgs list`"),
        (
            "redis-status--r.txt",
            cur(&["Redis", " Name     │ r ", " ProdPack │ Maybe "]).into_bytes(),
            Some(3),
            "ProdPack is `Maybe`",
        ),
        ("redis-status--r.txt", cur(&["Redis", " Name │ other "]).into_bytes(), Some(2), "named for `r`"),
        (
            "redis-status--r.txt",
            cur(&["Redis", " Name │ r ", " garbage"]).into_bytes(),
            Some(3),
            "expected `Key │ Value`",
        ),
        ("fly-toml/fly.toml", b"app = \"a\"\n[env]\nX = a.b\n".to_vec(), Some(3), "not a valid fly.toml"),
        ("fly-toml/fly.toml", b"app = \"a\"\nprimary_region = 5\n".to_vec(), Some(2), "not a valid fly.toml"),
        (
            "fly-toml/fly.toml",
            b"app = \"a\"\nprimary_region = \"Frankfurt\"\n".to_vec(),
            Some(2),
            "not a Fly region",
        ),
        ("fly.staging.toml", b"app = \"Not An App\"\n".to_vec(), Some(1), "not a Fly app name"),
    ];
    for (file, bytes, line, message) in cases {
        let ImportErrors(errors) = errors(&[SnapshotFile::new(file, bytes)]);
        assert_eq!(errors.len(), 1, "{file} ({message}): {errors:?}");
        let e = &errors[0];
        assert_eq!((e.file.as_str(), e.line), (file, line), "{message}: {e}");
        assert!(e.message.contains(message), "{file}: `{}` should contain `{message}`", e.message);
    }
}

#[test]
fn every_error_of_every_file_is_reported_and_nothing_partial_comes_out() {
    let files = [
        fixture("orgs-list.json"),
        SnapshotFile::new("apps-list.json", "[}"),
        SnapshotFile::new("storage-list.txt", " NAME │ ORG \n a │ o │ x \n b │ o \n c \n"),
        SnapshotFile::new("fly-toml/fly.toml", "app = \n"),
    ];
    let ImportErrors(errors) = errors(&files);
    let at: Vec<(&str, Option<usize>)> = errors.iter().map(|e| (e.file.as_str(), e.line)).collect();
    assert_eq!(
        at,
        [
            ("apps-list.json", Some(1)),
            ("fly-toml/fly.toml", Some(1)),
            ("storage-list.txt", Some(2)),
            ("storage-list.txt", Some(4))
        ]
    );
    let text = ImportErrors(errors).to_string();
    assert!(text.starts_with("the snapshot cannot be imported: 4 errors\napps-list.json line 1: "), "{text}");
}

#[test]
fn unknown_and_unreadable_files_are_notes_not_errors() {
    let s = parse(&[
        SnapshotFile::new("notes.md", "hello"),
        SnapshotFile::new("Cargo.toml", "[package]"),
        SnapshotFile::new("storage-list.json", "[]"),
        SnapshotFile::new("./snap/ext-wafris-list.txt", fixture("ext-wafris-list.txt").bytes),
    ]);
    let notes: Vec<(&str, Option<usize>)> = s.unmapped.iter().map(|u| (u.file.as_str(), u.line)).collect();
    assert_eq!(
        notes,
        [
            ("Cargo.toml", None),
            ("notes.md", None),
            ("snap/ext-wafris-list.txt", Some(3)),
            ("storage-list.json", None)
        ]
    );
    assert!(s.unmapped[2].reason.contains("no list command for Wafris"), "{}", s.unmapped[2].reason);
    assert!(s.listed.is_empty(), "help text is not a list");
}

#[test]
fn secret_values_digests_and_redis_passwords_are_never_kept() {
    let snapshot = parse(&acme(Layout::Json));
    let plan = plan_import(&fly_baa_world(), &snapshot);
    let text =
        format!("{} {}", serde_json::to_string(&snapshot).unwrap(), serde_json::to_string(&plan).unwrap());
    for secret in [
        "3e3474848c2c040e",
        "f1def7c34b15d5e5",
        "3f9c1e7a5b2d4c80a1e6f7b9d0c2e4a1",
        "redis://",
        "aaV829vaMVQGbi5",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the snapshot or plan");
    }
    assert!(snapshot.secrets.iter().any(|a| a.get("SENTRY_DSN").is_some()));
}
