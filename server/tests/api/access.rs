//! The role matrix: every role (and nobody) against every route that exists, plus records of
//! another workspace, which answer 404.

use crate::helpers::{Client, TestApp};
use baa_core::account::Role;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    As(Role),
}

fn expected_page(who: Who) -> u16 {
    match who {
        Who::Anonymous => 303,
        Who::As(_) => 200,
    }
}

#[tokio::test]
async fn every_role_against_every_route() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let legal = app.member(&owner, Role::Legal, "legal@acme-health.example").await;
    let engineer = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let anon = app.client();
    let clients: Vec<(Who, Client)> = vec![
        (Who::Anonymous, anon),
        (Who::As(Role::Owner), owner.clone()),
        (Who::As(Role::Legal), legal),
        (Who::As(Role::Engineer), engineer),
        (Who::As(Role::Auditor), auditor),
    ];
    let target = owner.member_id("eng@acme-health.example").await;

    for (who, c) in &clients {
        for page in ["/", "/members", "/settings", "/account"] {
            let r = c.get(page).await;
            assert_eq!(r.status, expected_page(*who), "{who:?} GET {page}");
            if *who == Who::Anonymous {
                assert!(r.location().starts_with("/login"), "{who:?} GET {page} -> {}", r.location());
            }
        }
        for f in ["members_page", "overview_page", "settings_page", "account_page"] {
            let r = c.api(f).await;
            let want = if *who == Who::Anonymous { 401 } else { 200 };
            assert_eq!(r.status, want, "{who:?} server fn {f}: {}", r.body);
        }
        for p in ["/login", "/setup", "/forgot", "/healthz"] {
            assert_eq!(c.get(p).await.status, 200, "{who:?} public {p}");
        }
        // Owner-only changes. Each is tried by everyone; only the owner gets through.
        let owner_only: [(&str, Vec<(&str, &str)>); 3] = [
            ("/actions/members/invite", vec![("email", "new@acme-health.example"), ("role", "engineer")]),
            ("/actions/settings", vec![("name", "Acme Health"), ("require_2fa", "")]),
            ("/actions/members/role", vec![("user_id", target.as_str()), ("role", "engineer")]),
        ];
        for (path, form) in owner_only {
            let r = c.post(path, &form).await;
            match who {
                Who::Anonymous => {
                    assert_eq!((r.status, r.location().as_str()), (303, "/login"), "{who:?} POST {path}")
                }
                Who::As(Role::Owner) => {
                    assert_eq!(r.status, 303, "{who:?} POST {path}");
                    assert!(!c.flash().await.is_empty());
                }
                Who::As(_) => assert_eq!(r.status, 403, "{who:?} POST {path}: {}", r.body),
            }
        }
    }
    // Nothing the non-owners tried stuck: one invitation (the owner's), settings unchanged.
    assert_eq!(app.count("memberships").await, 4);
    app.stop().await;
}

#[tokio::test]
async fn another_workspaces_records_answer_not_found() {
    // Bob, an engineer here, may start a workspace of his own on this instance.
    let app = TestApp::spawn_with(&[("WORKSPACE_CREATORS", "anyone")]).await;
    let owner_a = app.owner().await;
    let bob = app.member(&owner_a, Role::Engineer, "bob@acme-health.example").await;
    // Bob starts workspace B and invites Carol there.
    let r = bob.post("/actions/workspaces/create", &[("workspace", "Other Clinic")]).await;
    assert_eq!(r.location(), "/");
    let carol = app.member(&bob, Role::Legal, "carol@other-clinic.example").await;
    let carol_id = bob.member_id("carol@other-clinic.example").await;
    bob.post("/actions/members/invite", &[("email", "dave@other-clinic.example"), ("role", "auditor")]).await;
    let dave_inv = bob.invitation_id("dave@other-clinic.example").await;
    let ws_b = {
        let ctx: serde_json::Value =
            serde_json::from_str(&bob.api("public/page_ctx").await.body).expect("json");
        ctx["viewer"]["workspace_id"].as_str().expect("ws").to_string()
    };

    // The owner of A cannot reach any of it.
    let r = owner_a.post("/actions/members/remove", &[("user_id", &carol_id)]).await;
    assert_eq!(r.status, 404);
    let r = owner_a.post("/actions/members/role", &[("user_id", &carol_id), ("role", "owner")]).await;
    assert_eq!(r.status, 404);
    let r = owner_a.post("/actions/invitations/revoke", &[("id", &dave_inv)]).await;
    assert_eq!(r.status, 404);
    let r = owner_a.post("/actions/workspace/switch", &[("workspace_id", &ws_b)]).await;
    assert_eq!(r.status, 404);
    // A's member list never shows B's people.
    let a_page = owner_a.api("members_page").await.body;
    assert!(!a_page.contains("carol@other-clinic.example"));
    assert!(!a_page.contains("dave@other-clinic.example"));
    // Carol sees only B.
    let c_ctx = carol.api("public/page_ctx").await.body;
    assert!(c_ctx.contains("Other Clinic") && !c_ctx.contains("Acme Health"), "{c_ctx}");
    // Bob can switch between both.
    let ctx: serde_json::Value = serde_json::from_str(&bob.api("public/page_ctx").await.body).expect("json");
    assert_eq!(ctx["viewer"]["workspaces"].as_array().expect("ws").len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn unknown_pages_answer_404() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let r = owner.get("/no-such-page").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Not found"));
    app.stop().await;
}
