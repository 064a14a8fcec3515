//! The read path (issue 14): coverage views reused until something changes, and compressed
//! answers. Figures are measured by scripts/load-test.sh, not here; these tests prove behaviour.

use crate::helpers::TestApp;
use crate::seed::{coverage, Seed};
use serde_json::Value;

fn uncovered(v: &Value, name: &str) -> bool {
    v["report"]["findings"].as_array().expect("findings").iter().any(|f| {
        f["rule"] == "uncovered-service" && f["subject"]["name"].as_str().is_some_and(|n| n.ends_with(name))
    })
}

#[tokio::test]
async fn a_view_is_reused_until_a_write_and_never_outlives_one() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let _ = crate::notifications::add_tigris(&owner).await;
    let read = || coverage(&owner, "");
    let first = read().await;
    assert!(uncovered(&first, "acme-uploads"));
    let held = app.backend.views.len();
    // The same day again is served from the view already built: nothing new is held.
    let again = read().await;
    assert_eq!(again["report"], first["report"]);
    assert_eq!(app.backend.views.len(), held);
    // A write changes the answer at once: the agreement covers the bucket on the next read.
    Seed::new(&owner).baa("vendor:tigris", "Tigris BAA").all_clauses().save().await;
    assert!(!uncovered(&read().await, "acme-uploads"), "a cached view outlived a write");
    app.stop().await;
}

#[tokio::test]
async fn pages_and_json_go_out_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for (path, encoding) in [("/", "br"), ("/inventory", "gzip"), ("/api/v1/openapi.json", "br")] {
        let r = owner
            .http
            .get(format!("{}{path}", app.base))
            .header("accept-encoding", encoding)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers().get("content-encoding").and_then(|h| h.to_str().ok()),
            Some(encoding),
            "{path}"
        );
        // Without Accept-Encoding the same answer is plain.
        let plain = owner.http.get(format!("{}{path}", app.base)).send().await.expect("get");
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        let compressed = r.bytes().await.expect("body").len();
        let full = plain.bytes().await.expect("body").len();
        assert!(compressed * 2 < full, "{path}: {compressed} of {full} bytes");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_inventory_lists_fifty_services_a_page_with_search_and_links_that_keep_the_filters() {
    use crate::api_v1::Api;
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::with_new_token(&app, &owner, "seed", "write:inventory").await;
    for i in 0..60 {
        let r = api
            .post(
                "/services",
                serde_json::json!({"name": format!("svc-{i:02}"), "vendor": "sentry", "plan": "team"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let rows = |body: &str| body.matches("href=\"/services/").count();
    let first = owner.get("/inventory").await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains("Showing 1–50 of 60"), "first page");
    assert_eq!(rows(&first.body), 50);
    assert!(
        first.body.contains("Sentry · svc-00</a>") && !first.body.contains("Sentry · svc-59</a>"),
        "by name"
    );
    // Islands: the page ships what it shows, not the data behind it (no serialized resources
    // holding every service for a hydration).
    assert!(!first.body.contains("svc-59"), "a service of page 2 is nowhere in page 1");
    assert!(first.body.contains("<leptos-island"), "the interactive parts are islands");
    assert!(first.body.contains("href=\"/inventory?page=2#services-h\""), "a link to page 2");
    let second = owner.get("/inventory?page=2").await;
    assert!(second.body.contains("Showing 51–60 of 60"));
    assert_eq!(rows(&second.body), 10);
    assert!(second.body.contains("Sentry · svc-59</a>") && second.body.contains("rel=\"prev\""));
    // A page past the end shows the last one.
    assert!(owner.get("/inventory?page=9").await.body.contains("Showing 51–60 of 60"));
    // Search narrows by name; the page links keep the search and the filters.
    let found = owner.get("/inventory?q=SVC-0&verdict=uncovered").await;
    assert!(found.body.contains("Showing 1–10 of 10"), "ten names start with svc-0");
    assert_eq!(rows(&found.body), 10);
    let sorted = owner.get("/inventory?q=svc&verdict=uncovered&sort=name").await;
    assert!(sorted
        .body
        .contains("href=\"/inventory?verdict=uncovered&amp;q=svc&amp;sort=name&amp;page=2#services-h\""));
    app.stop().await;
}

/// `prefix`, 16 hex digits, `suffix`, as the page names it.
fn named(body: &str, prefix: &str, suffix: &str) -> String {
    body.match_indices(prefix)
        .find_map(|(i, _)| {
            let hash = body.get(i + prefix.len()..i + prefix.len() + 16)?;
            let tail = &body[i + prefix.len() + 16..];
            (hash.bytes().all(|b| b.is_ascii_hexdigit()) && tail.starts_with(suffix))
                .then(|| format!("{prefix}{hash}{suffix}"))
        })
        .unwrap_or_else(|| panic!("{prefix}<hash>{suffix} in the page"))
}

#[tokio::test]
async fn browser_files_have_content_hashed_names_cached_for_a_year_and_a_new_build_gets_new_names() {
    let site = tempfile::tempdir().expect("site");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg");
    let write = |js: &str| {
        std::fs::write(pkg.join("baa-tracker.js"), js).expect("js");
        std::fs::write(pkg.join("baa-tracker_bg.wasm"), b"\0asm-fake").expect("wasm");
        std::fs::write(pkg.join("baa-tracker.css"), "body{}").expect("css");
        std::fs::write(pkg.join("upload.js"), "// upload").expect("upload");
    };
    write("export default function init() {}");
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(&[("SITE_ROOT", root.as_str())]).await;
    let c = app.client();
    let page = c.get("/login").await.body;
    let js = named(&page, "/pkg/baa-tracker.", ".js");
    let wasm = format!("{}_bg.wasm", js.trim_end_matches(".js"));
    assert!(page.contains(&wasm), "{wasm}");
    let css = named(&page, "/pkg/baa-tracker.", ".css");
    let upload = named(&page, "/pkg/upload.", ".js");
    for (path, body) in [
        (&js, "export default function init() {}"),
        (&css, "body{}"),
        (&upload, "// upload"),
        (&wasm, "\0asm-fake"),
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, body, "{path}");
        assert_eq!(
            r.headers.get("cache-control").and_then(|v| v.to_str().ok()),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
    }
    // A name from another build is not answered with this build's file; plain names are not cached.
    assert_eq!(c.get("/pkg/baa-tracker.0123456789abcdef.js").await.status, 404);
    let plain = c.get("/pkg/baa-tracker.css").await;
    assert_eq!(
        (plain.status, plain.headers.get("cache-control").and_then(|v| v.to_str().ok())),
        (200, Some("no-cache"))
    );
    assert_eq!(c.get("/pkg/..%2Fsecret").await.status, 404);
    app.stop().await;
    // A new bundle: new names, and the old one is gone.
    write("export default function init() { /* v2 */ }");
    let app = TestApp::spawn_with(&[("SITE_ROOT", root.as_str())]).await;
    let c = app.client();
    let page = c.get("/login").await.body;
    let js2 = named(&page, "/pkg/baa-tracker.", ".js");
    assert_ne!(js, js2);
    assert_eq!(c.get(&js).await.status, 404);
    assert_eq!(named(&page, "/pkg/baa-tracker.", ".css"), css, "the stylesheet did not change");
    app.stop().await;
}

#[tokio::test]
async fn agreements_are_listed_fifty_a_page() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for i in 0..55 {
        let title = format!("BAA {i:02}");
        // Distinct accounts, so none is an identical duplicate of another.
        let account = format!("acct-{i:02}");
        let s = Seed::new(&owner);
        s.baa("vendor:sentry", &title).without("effective").with("accounts", &account).save().await;
    }
    let rows = |body: &str| body.matches("aria-label=\"Change status of BAA").count();
    let first = owner.get("/agreements").await;
    assert!(first.body.contains("Showing 1–50 of 55"), "first page");
    assert_eq!(rows(&first.body), 50);
    assert!(first.body.contains("href=\"/agreements?page=2#ag-h\""), "a link to page 2");
    let second = owner.get("/agreements?page=2").await;
    assert!(second.body.contains("Showing 51–55 of 55"));
    assert_eq!(rows(&second.body), 5);
    // A page past the end shows the last one.
    assert!(owner.get("/agreements?page=9").await.body.contains("Showing 51–55 of 55"));
    app.stop().await;
}

/// The WASM bundle and the other browser files go out as build-site.sh compressed them (br or
/// gzip, as the browser accepts), and plain to a client that accepts neither.
#[tokio::test]
async fn browser_files_go_out_in_the_copies_compressed_at_build_time() {
    let site = tempfile::tempdir().expect("site");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg");
    for (name, body) in [
        ("baa-tracker.js", "export default function init() {}"),
        ("baa-tracker_bg.wasm", "\0asm-plain"),
        ("baa-tracker_bg.wasm.br", "br-copy"),
        ("baa-tracker_bg.wasm.gz", "gzip-copy"),
        ("baa-tracker.css", "body{}"),
        ("upload.js", "// upload"),
    ] {
        std::fs::write(pkg.join(name), body).expect("write");
    }
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(&[("SITE_ROOT", root.as_str())]).await;
    let page = app.client().get("/login").await.body;
    let wasm = format!("{}_bg.wasm", named(&page, "/pkg/baa-tracker.", ".js").trim_end_matches(".js"));
    let http = reqwest::Client::new();
    for (accept, encoding, body) in [
        ("br, gzip", Some("br"), "br-copy"),
        ("gzip", Some("gzip"), "gzip-copy"),
        ("identity", None, "\0asm-plain"),
    ] {
        let r = http
            .get(format!("{}{wasm}", app.base))
            .header("accept-encoding", accept)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{accept}");
        assert_eq!(r.headers().get("content-encoding").and_then(|h| h.to_str().ok()), encoding, "{accept}");
        assert_eq!(r.bytes().await.expect("body").as_ref(), body.as_bytes(), "{accept}");
    }
    app.stop().await;
}
