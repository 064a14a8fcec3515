//! Long lists (issue 14): apps, agreements, notices and the audit trail can be searched and put
//! in order from the page's own GET form, without JavaScript, and their links keep the choice.

use crate::helpers::TestApp;
use crate::seed::Seed;
use baa_core::account::Role;

/// Where `needle` first appears in `body` (panics when it does not).
fn at(body: &str, needle: &str) -> usize {
    body.find(needle).unwrap_or_else(|| panic!("{needle:?} is not on the page"))
}

/// Whether the `needles` appear in `body` in this order.
fn in_order(body: &str, needles: &[&str]) -> bool {
    needles.windows(2).all(|w| at(body, w[0]) < at(body, w[1]))
}

#[tokio::test]
async fn agreements_are_searched_by_title_or_party_and_sorted_by_title_or_expiry() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.baa("vendor:sentry", "Zeta BAA").expiry("2027-03-01").save().await;
    s.baa("vendor:tigris", "Alpha BAA").expiry("2026-12-31").save().await;
    s.baa("vendor:fly", "Mid BAA").save().await;
    let (zeta, alpha, mid) = ("Zeta BAA</a>", "Alpha BAA</a>", "Mid BAA</a>");

    let all = owner.get("/agreements").await;
    assert!(in_order(&all.body, &[alpha, mid, zeta]), "by title by default");
    assert!(all.body.contains("aria-label=\"Search and sort agreements\""), "the form is there");

    // By the counterparty's name, whatever the case.
    let tigris = owner.get("/agreements?q=TIGRIS").await;
    assert!(tigris.body.contains(alpha) && !tigris.body.contains(zeta) && !tigris.body.contains(mid));
    assert!(tigris.body.contains("Showing 1–1 of 1"), "says how many match");
    assert!(tigris.body.contains("value=\"TIGRIS\""), "the box keeps what was typed");
    // By the title.
    let by_title = owner.get("/agreements?q=zeta").await;
    assert!(by_title.body.contains(zeta) && !by_title.body.contains(alpha));

    let status = owner.get("/agreements?sort=status").await;
    assert!(status.body.contains("<option value=\"status\" selected"), "the order chosen is shown");
    // Soonest expiry first; one that never expires last.
    let expiry = owner.get("/agreements?sort=expiry").await;
    assert!(in_order(&expiry.body, &[alpha, zeta, mid]), "by expiry");

    let none = owner.get("/agreements?q=no-such-agreement").await;
    assert!(none.body.contains("No agreements match."), "an empty search says so");
    assert!(none.body.contains("href=\"/agreements\">Clear</a>"), "and offers the way back");
    app.stop().await;
}

#[tokio::test]
async fn apps_show_their_services_not_covered_and_sort_the_worst_first() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.org("acme").save().await;
    for name in ["api", "billing", "web"] {
        s.app(name, "acme").regions("iad").save().await;
    }
    // Without any BAA nothing is covered: each app's Fly.io machines, and Tigris buckets, two
    // in billing and one in web. So billing has 3 not covered, web 2 and api 1.
    for (service, app_name) in [("b1", "billing"), ("b2", "billing"), ("w1", "web")] {
        s.service(service, "tigris|standard").apps(app_name).org("acme").regions("iad").save().await;
    }
    let row = |name: &str| format!("<tr><td>{name}</td><td>acme</td>");

    let by_name = owner.get("/inventory").await;
    assert!(in_order(&by_name.body, &[&row("api"), &row("billing"), &row("web")]), "by name");
    assert!(
        by_name.body.contains("href=\"/inventory?app=billing&amp;verdict=uncovered#services-h\">3</a>"),
        "billing's three services not covered, linked to the list of them"
    );

    let worst = owner.get("/inventory?apps_sort=uncovered").await;
    assert!(in_order(&worst.body, &[&row("billing"), &row("web"), &row("api")]), "most not covered first");

    let found = owner.get("/inventory?apps_q=BILL&verdict=uncovered").await;
    assert!(found.body.contains(&row("billing")) && !found.body.contains(&row("web")));
    assert!(found.body.contains("Showing 1–1 of 1"), "the apps pager counts the matches");
    // Each list's form keeps the other list's choices.
    assert!(found.body.contains("<input type=\"hidden\" name=\"verdict\" value=\"uncovered\""));
    assert!(found.body.contains("<input type=\"hidden\" name=\"apps_q\" value=\"BILL\""));
    app.stop().await;
}

#[tokio::test]
async fn notices_are_searched_and_shown_newest_or_oldest_first() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let s = Seed::new(&eng);
    s.service("bucket-alpha", "tigris|standard").save().await;
    app.advance(60);
    s.service("bucket-beta", "tigris|standard").save().await;
    let (alpha, beta) = ("bucket-alpha is not covered", "bucket-beta is not covered");

    let newest = owner.get("/notifications").await;
    assert!(in_order(&newest.body, &[beta, alpha]), "newest first by default");
    let oldest = owner.get("/notifications?sort=oldest").await;
    assert!(in_order(&oldest.body, &[alpha, beta]), "oldest first");

    let found = owner.get("/notifications?q=ALPHA").await;
    // The owner's delivery list further down names every mail: only the inbox is searched.
    let inbox = &found.body[at(&found.body, "id=\"inbox-h\"")..at(&found.body, "id=\"prefs-h\"")];
    assert!(inbox.contains(alpha) && !inbox.contains(beta), "{inbox}");
    assert!(inbox.contains("Showing 1–1 of 1"));
    app.stop().await;
}

#[tokio::test]
async fn the_audit_trail_can_be_read_in_the_chains_order() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.org("acme").save().await;
    s.app("api", "acme").save().await;
    let (first, second) = ("<span class=\"audit-seq\">#1</span>", "<span class=\"audit-seq\">#2</span>");

    let newest = owner.get("/audit").await;
    assert!(in_order(&newest.body, &[second, first]), "newest first by default");
    let oldest = owner.get("/audit?order=oldest").await;
    assert!(in_order(&oldest.body, &[first, second]), "the chain's order");
    assert!(oldest.body.contains("<option value=\"oldest\" selected"), "the order chosen is shown");
    app.stop().await;
}
