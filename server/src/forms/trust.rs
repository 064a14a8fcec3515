//! The public trust page over HTTP (`/trust/<slug>`, its JSON form and Atom feed, subscribe,
//! confirm, unsubscribe: no sign-in, no JavaScript) and the owner's settings actions (save,
//! preview, publish, unpublish).
//!
//! The page is a small hand-written HTML document rendered from [`trust::PublicPage`] only, so
//! nothing the page does not list can reach it; the preview renders the same function.

use crate::client_addr::client_addr;
use crate::forms::{answer, done, failed, SignedIn};
use crate::AppState;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use baa_backend::error::AppError;
use baa_backend::trust::{self, PublicPage, TrustInput};
use baa_backend::Backend;
use serde::Deserialize;
use tower_sessions::Session;

const BACK: &str = "/settings";

/// Routes of the trust page and its settings.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trust/{slug}", get(page))
        .route("/trust/{slug}/feed.json", get(json))
        .route("/trust/{slug}/feed.atom", get(atom))
        .route("/trust/{slug}/subscribe", post(subscribe))
        .route("/trust/{slug}/confirm", get(confirm))
        .route("/trust/{slug}/unsubscribe", get(unsubscribe).post(unsubscribe))
        .route("/settings/trust/preview", get(preview))
        .route("/actions/trust/save", post(save))
        .route("/actions/trust/publish", post(publish))
        .route("/actions/trust/unpublish", post(unpublish))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/pkg/baa-tracker.css\"></head><body><main class=\"public trust\" id=\"main\">{body}</main></body></html>",
        esc(title)
    )
}

/// The page body, from the public data alone. `slug` is `None` in the preview (no forms).
pub fn render(p: &PublicPage, slug: Option<&str>) -> String {
    let mut rows = String::new();
    for s in &p.subcontractors {
        let regions = if s.regions.is_empty() { "not recorded".to_owned() } else { s.regions.join(", ") };
        let since = s.baa_since.map_or_else(|| "not in place".to_owned(), |d| d.to_string());
        let services = if s.services.is_empty() {
            String::new()
        } else {
            format!("<td>{}</td>", esc(&s.services.join(", ")))
        };
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td>{services}</tr>",
            esc(&s.vendor),
            esc(&s.does),
            esc(&regions),
            esc(&since)
        ));
    }
    let with_services = p.subcontractors.iter().any(|s| !s.services.is_empty());
    let services_head = if with_services { "<th scope=\"col\">Our services</th>" } else { "" };
    let table = if p.subcontractors.is_empty() {
        "<p>No subcontractor handles PHI for us.</p>".to_owned()
    } else {
        format!(
            "<table><caption>Subcontractors that handle PHI</caption><thead><tr><th scope=\"col\">Vendor</th><th scope=\"col\">What it does</th>\
             <th scope=\"col\">Regions</th><th scope=\"col\">BAA in place since</th>{services_head}</tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let changed = p.last_changed.map_or_else(|| "not yet".to_owned(), |d| d.to_string());
    let forms = match slug {
        Some(slug) => format!(
            "<section aria-labelledby=\"sub-h\"><h2 id=\"sub-h\">Get notified of changes</h2>\
             <form method=\"post\" action=\"/trust/{s}/subscribe\"><label for=\"sub-email\">E-mail address</label> \
             <input id=\"sub-email\" name=\"email\" type=\"email\" required autocomplete=\"email\"> <button type=\"submit\">Subscribe</button></form>\
             <p>We send a link to confirm first; every notice has a one-click unsubscribe link.</p>\
             <p><a href=\"/trust/{s}/feed.atom\">Atom feed</a> · <a href=\"/trust/{s}/feed.json\">JSON</a></p></section>",
            s = esc(slug)
        ),
        None => String::new(),
    };
    format!(
        "<h1>{company}: subcontractors that handle PHI</h1>{table}<p>Last changed: <time>{changed}</time></p>\
         <p>Contact: <a href=\"mailto:{contact}\">{contact}</a></p>{forms}",
        company = esc(&p.company),
        contact = esc(&p.contact),
    )
}

/// The public page's own refusal: its look, not the app's (visitors are not signed in).
fn error_page(e: AppError) -> Response {
    let retry = e.retry_after();
    let body = format!("<h1>Trust page</h1><p role=\"alert\">{}</p>", esc(&e.public_message()));
    let mut res = (e.status(), Html(document("Trust page", &body))).into_response();
    baa_backend::error::with_retry_after(&mut res, retry);
    res
}

async fn page(State(b): State<Backend>, Path(slug): Path<String>) -> Response {
    match trust::public(&b, &slug).await {
        Ok(p) => Html(document(&format!("{}: subcontractors", p.company), &render(&p, Some(&slug))))
            .into_response(),
        Err(e) => error_page(e),
    }
}

async fn json(State(b): State<Backend>, Path(slug): Path<String>) -> Response {
    match trust::public(&b, &slug).await {
        Ok(p) => Json(p).into_response(),
        Err(e) => error_page(e),
    }
}

async fn atom(State(b): State<Backend>, Path(slug): Path<String>) -> Response {
    let (p, notices) = match (trust::public(&b, &slug).await, trust::notices(&b, &slug).await) {
        (Ok(p), Ok(n)) => (p, n),
        (Err(e), _) | (_, Err(e)) => return error_page(e),
    };
    let base = b.config.public_url.as_str().trim_end_matches('/').to_owned();
    let link = format!("{base}/trust/{}", esc(&slug));
    let ts = |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|d| d.to_rfc3339()).unwrap_or_default();
    let updated = notices.first().map_or_else(
        || {
            p.last_changed
                .map(|d| format!("{d}T00:00:00+00:00"))
                .unwrap_or_else(|| "1970-01-01T00:00:00+00:00".into())
        },
        |n| ts(n.at),
    );
    let mut entries = String::new();
    for n in &notices {
        let mut text = Vec::new();
        if !n.added.is_empty() {
            text.push(format!("Added: {}.", n.added.join(", ")));
        }
        if !n.removed.is_empty() {
            text.push(format!("Removed: {}.", n.removed.join(", ")));
        }
        entries.push_str(&format!(
            "<entry><id>urn:baa-tracker:trust-notice:{}</id><title>Subcontractors changed</title><updated>{}</updated><link href=\"{link}\"/><summary>{}</summary></entry>",
            esc(&n.id),
            ts(n.at),
            esc(&text.join(" "))
        ));
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>{link}</id><title>{}: subcontractors that handle PHI</title>\
         <updated>{updated}</updated><link href=\"{link}\"/><author><name>{}</name><email>{}</email></author>{entries}</feed>",
        esc(&p.company),
        esc(&p.company),
        esc(&p.contact)
    );
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response()
}

#[derive(Deserialize)]
struct SubscribeForm {
    #[serde(default)]
    email: String,
}

async fn subscribe(State(b): State<Backend>, Path(slug): Path<String>, req: Request) -> Response {
    let source = client_addr(&b, &req);
    let email =
        Form::<SubscribeForm>::from_request(req, &()).await.map(|Form(f)| f.email).unwrap_or_default();
    match trust::subscribe(&b, &slug, &email, &source).await {
        Ok(()) => Html(document(
            "Check your inbox",
            "<h1>Check your inbox</h1><p>If the address can receive mail, a link to confirm is on its way. Nothing is sent until you confirm.</p>",
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn confirm(
    State(b): State<Backend>,
    Path(slug): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Response {
    match trust::confirm(&b, &slug, &q.token).await {
        Ok(()) => Html(document(
            "Subscribed",
            &format!("<h1>Subscribed</h1><p>You will get one mail per change. <a href=\"/trust/{}\">Back to the page</a></p>", esc(&slug)),
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

async fn unsubscribe(
    State(b): State<Backend>,
    Path(slug): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Response {
    match trust::unsubscribe(&b, &slug, &q.token).await {
        Ok(()) => Html(document(
            "Unsubscribed",
            "<h1>Unsubscribed</h1><p>You will get no more mail from this page.</p>",
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

async fn preview(State(b): State<Backend>, SignedIn(v): SignedIn) -> Response {
    match trust::preview(&b, &v).await {
        Ok(p) => Html(document(
            "Preview of the trust page",
            &format!(
                "<p class=\"flash\" role=\"status\"><strong>Preview.</strong> This is exactly what the public page shows (plus the subscribe form). <a href=\"/settings\">Back to settings</a></p>{}",
                render(&p, None)
            ),
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

async fn save(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<TrustInput>,
) -> Response {
    match trust::save(&b, &v, &f).await {
        Ok(()) => done(&session, BACK, "Trust page settings saved. Preview it before publishing.").await,
        Err(e) => {
            let show = f.show_services.clone().unwrap_or_default();
            failed(
                &session,
                BACK,
                "trust",
                e,
                &[
                    ("slug", &f.slug),
                    ("company_name", &f.company_name),
                    ("contact", &f.contact),
                    ("show_services", &show),
                ],
            )
            .await
        }
    }
}

async fn publish(State(b): State<Backend>, SignedIn(v): SignedIn, session: Session) -> Response {
    let outcome = trust::set_published(&b, &v, true).await.map(|()| "The trust page is public.");
    answer(&session, BACK, "trust", outcome, &[]).await
}

async fn unpublish(State(b): State<Backend>, SignedIn(v): SignedIn, session: Session) -> Response {
    let outcome = trust::set_published(&b, &v, false).await.map(|()| "The trust page is no longer public.");
    answer(&session, BACK, "trust", outcome, &[]).await
}
