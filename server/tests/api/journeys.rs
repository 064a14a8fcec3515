//! Journeys that respect the user (issue 17): every save says what it did to coverage (computed
//! from the report before and after; a save that leaves something uncovered is a warning with a
//! link and a next step, never a success), empty states offer the next action, a future day
//! reads "as planned", and small controls meet WCAG AA contrast.

use crate::helpers::{Client, TestApp};
use crate::seed::{Form, Seed};
use baa_core::account::Role;
use serde_json::Value;

/// The pending confirmation's effect (tone, headline, details, link, next step), and its text.
async fn effect(c: &Client) -> (Value, String) {
    let r = c.api("public/page_ctx").await;
    let v: Value = serde_json::from_str(&r.body).expect("json");
    (v["flash"]["effect"].clone(), v["flash"]["message"].as_str().unwrap_or_default().to_string())
}

fn agreement<'c>(c: &'c Client, title: &str, party: &str) -> Form<'c> {
    Seed::new(c).baa(party, title).expiry("2027-12-31").all_clauses()
}

#[tokio::test]
async fn saves_state_their_effect_on_coverage_and_gaps_are_warnings() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;

    // Empty states are neutral and offer the next action.
    let (_, page) = eng.page("/inventory").await;
    assert!(page.body.contains("No services are recorded yet."), "{}", page.body);
    assert!(page.body.contains("href=\"/import\""), "the engineer is offered the import");
    let (_, page) = eng.page("/").await;
    assert!(page.body.contains("Nothing to evaluate yet") && !page.body.contains("No findings."));
    let (_, page) = owner.page("/agreements").await;
    assert!(
        page.body.contains("No agreements are recorded yet.")
            && page.body.contains("href=\"#record-agreement\"")
    );
    let (_, page) = auditor.page("/inventory").await;
    assert!(page.body.contains("No services are recorded yet.") && !page.body.contains("href=\"/import\""));

    let s = Seed::new(&eng);
    s.acme_production().await;

    // A service that ends uncovered: an alert naming it, with a link and one next step.
    let r = s.acme_uploads().send().await;
    assert_eq!(r.location(), "/inventory");
    let (_, page) = eng.page("/inventory").await;
    let at = page.body.find("<div role=\"alert\" class=\"flash warning\">").expect("a warning alert");
    let banner = &page.body[at..];
    let banner = &banner[..banner.find("</div>").expect("end")];
    assert!(banner.contains("acme-uploads is saved but not covered."), "{banner}");
    assert!(banner.contains("href=\"/services/") && banner.contains("Next step: "), "{banner}");
    assert!(!page.body.contains("class=\"flash ok\""), "never a green banner for a gap");

    s.service("acme-errors", "sentry|team").apps("acme-api").on("2026-02-01").send().await;
    let (e, _) = effect(&eng).await;
    assert_eq!(e["tone"], "warning", "{e}");

    // The Fly.io BAA covers Fly's own compute, and says what it leaves out.
    agreement(&owner, "Fly.io BAA", "vendor:fly").send().await;
    let (e, text) = effect(&owner).await;
    assert_eq!(e["tone"], "warning", "{e}");
    assert!(text.starts_with("Agreement recorded. Fly.io BAA now covers 1 service"), "{text}");
    assert!(
        text.contains("acme-uploads") && text.contains("Tigris"),
        "the platform gap is explained: {text}"
    );
    assert!(e["link"][0].as_str().is_some_and(|l| l.starts_with("/services/")), "{e}");

    // A Sentry BAA that covers nothing explains the near miss: Sentry signs on Business, the
    // service is on Team.
    agreement(&owner, "Sentry BAA", "vendor:sentry").send().await;
    let (e, text) = effect(&owner).await;
    assert_eq!(e["tone"], "warning", "{e}");
    assert!(text.starts_with("Agreement recorded. Sentry BAA covers 0 services"), "{text}");
    assert!(text.contains("acme-errors") && text.contains("Team") && text.contains("Business"), "{text}");
    assert_eq!(e["link"][1], "acme-errors", "{e}");
    assert!(e["next_step"].as_str().is_some_and(|s| s.contains("Business")), "{e}");

    // The engineer moves Sentry to Business: now covered, a plain confirmation.
    let id = s.service_id("acme-errors").await;
    s.service_edit(&id, "acme-errors", "sentry|business").apps("acme-api").send().await;
    let (_, page) = eng.page("/inventory").await;
    assert!(
        page.body.contains("<div role=\"status\" class=\"flash ok\">")
            && page.body.contains("acme-errors is now covered by Sentry BAA."),
        "{}",
        page.body
    );

    // An agreement with a vendor nobody uses is neutral, not a success.
    agreement(&owner, "Upstash BAA", "vendor:upstash-redis").send().await;
    let (e, text) = effect(&owner).await;
    assert_eq!(e["tone"], "neutral", "{e}");
    assert!(text.contains("Upstash BAA covers 0 services: no service in the inventory"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn a_future_day_reads_as_planned_not_as_it_was() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.service("acme-errors", "sentry|business").on("2026-02-01").save().await;
    let id = s.service_id("acme-errors").await;
    let future = (app.backend.clock.now_utc().date_naive() + chrono::Days::new(200)).to_string();
    let (_, page) = owner.page(&format!("/services/{id}?as_of={future}")).await;
    assert!(page.body.contains(&format!("Not covered as planned for {future}")), "{}", page.body);
    let (_, page) = owner.page(&format!("/?as_of={future}")).await;
    assert!(page.body.contains(&format!("Showing the record as planned for {future}.")));
    let (_, page) = owner.page("/services/{id}?as_of=2026-03-01".replace("{id}", &id).as_str()).await;
    assert!(page.body.contains("This service did not exist on 2026-03-01."), "{}", page.body);
    app.stop().await;
}

/// Relative luminance of `#rrggbb` (WCAG 2).
fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

/// The value of `property` for `selector` in the stylesheet (the last rule that sets it), with
/// `var(--x)` resolved from `:root`.
fn css_value(css: &str, selector: &str, property: &str) -> Option<String> {
    let rules: Vec<(String, String)> = css
        .split('}')
        .filter_map(|r| r.split_once('{'))
        .map(|(s, b)| (s.rsplit("*/").next().unwrap_or(s).trim().to_string(), b.to_string()))
        .collect();
    let get = |sel: &str, prop: &str| {
        rules
            .iter()
            .rev()
            .filter(|(s, _)| s.split(',').any(|x| x.trim() == sel))
            .filter_map(|(_, body)| {
                body.split(';').find_map(|d| {
                    let (k, v) = d.split_once(':')?;
                    (k.trim() == prop).then(|| v.trim().to_string())
                })
            })
            .next()
    };
    let v = get(selector, property)?;
    match v.strip_prefix("var(").and_then(|x| x.strip_suffix(')')) {
        Some(name) => get(":root", name.trim()),
        None => Some(v),
    }
}

#[test]
fn mark_as_read_meets_wcag_aa_contrast_on_a_notice() {
    let css =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../style/main.css")).expect("css");
    let fg = css_value(&css, ".notice button.link-button", "color")
        .or_else(|| css_value(&css, "button.link-button", "color"))
        .expect("a colour");
    let bg = css_value(&css, ".notice", "background").expect("a background");
    let (a, b) = (luminance(&fg), luminance(&bg));
    let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
    assert!(ratio >= 4.5, "Mark as read is {fg} on {bg}: {ratio:.2}:1, below 4.5:1");
}
