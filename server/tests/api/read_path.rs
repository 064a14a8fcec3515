//! The read path (issue 14): coverage views reused until something changes, and compressed
//! answers. Figures are measured by scripts/load-test.sh, not here; these tests prove behaviour.

use crate::helpers::TestApp;
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
    let read = || async {
        let r = owner.api_with("coverage_data", &[("as_of", "")]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str::<Value>(&r.body).expect("json")
    };
    let first = read().await;
    assert!(uncovered(&first, "acme-uploads"));
    let held = app.backend.views.len();
    // The same day again is served from the view already built: nothing new is held.
    let again = read().await;
    assert_eq!(again["report"], first["report"]);
    assert_eq!(app.backend.views.len(), held);
    // A write changes the answer at once: the agreement covers the bucket on the next read.
    let mut baa = vec![
        ("title", "Tigris BAA"),
        ("party_a", "us"),
        ("party_b", "vendor:tigris"),
        ("kind", "baa"),
        ("status", "signed"),
        ("effective", "2026-01-01"),
    ];
    baa.extend(crate::helpers::ALL_CLAUSES.iter().copied());
    assert_eq!(owner.post("/actions/agreements/create", &baa).await.location(), "/agreements");
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
    use crate::api_v1::{make_token, Api};
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::new(&app, Some(&make_token(&owner, "seed", "write:inventory").await));
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
    // (Rows are matched by their link text: the page's data for hydration holds every service.)
    assert!(
        first.body.contains("Sentry · svc-00</a>") && !first.body.contains("Sentry · svc-59</a>"),
        "by name"
    );
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
