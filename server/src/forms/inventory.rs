//! Form actions for inventory (orgs, apps, services) and agreements: short adapters over
//! `baa_backend::inventory`, answered with post/redirect/get like every other form.

use crate::forms::{answer, coverage_now, done, done_effect, failed, refused, Posted, SignedIn};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use baa_backend::agreements::{self, AgreementInput};
use baa_backend::inventory::{
    self, AppInput, AttestInput, CandidateDecision, OrgInput, PartyInput, ServiceInput, VendorFactsInput,
};
use baa_backend::{documents, Backend};
use baa_core::coverage::effect;
use tower_sessions::Session;

/// The inventory and agreement routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/orgs/save", post(save_org))
        .route("/actions/apps/save", post(save_app))
        .route("/actions/services/save", post(save_service))
        .route("/actions/services/remove", post(remove_service))
        .route("/actions/services/attest", post(attest))
        .route("/actions/services/confirm", post(confirm_candidate))
        .route("/actions/services/reject", post(reject_candidate))
        .route("/actions/vendors/facts", post(vendor_facts))
        .route("/actions/parties/save", post(save_party))
        .route("/actions/agreements/create", post(create_agreement))
        .route("/actions/agreements/status", post(agreement_status))
        .route("/actions/agreements/update", post(update_agreement))
        .route("/actions/agreements/renew", post(renew_agreement))
        .route("/actions/agreements/clauses", post(confirm_clauses))
        .route("/actions/vendors/edit", post(edit_vendor))
        .route("/actions/policy", post(save_policy))
        .route("/actions/policy/exceptions/add", post(add_exception))
        .route("/actions/policy/exceptions/remove", post(remove_exception))
        .route("/actions/vendors/take-bundled", post(take_bundled))
        .route("/actions/vendors/keep-local", post(keep_local))
}

/// Plan eligibilities arrive as `plan:<slug>` fields, so the form is read as pairs.
async fn edit_vendor(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let input = baa_backend::catalog_store::VendorEditInput {
        slug: get("slug"),
        baa_terms: get("baa_terms"),
        checked: get("checked"),
        reason: get("reason"),
        plans: pairs
            .iter()
            .filter_map(|(k, val)| k.strip_prefix("plan:").map(|p| (p.to_string(), val.clone())))
            .collect(),
    };
    let back = format!("/vendors#{}", input.slug);
    match baa_backend::catalog_store::edit_vendor(&b, &v, &input).await {
        Ok(()) => done(&session, &back, "Catalog entry updated for this workspace.").await,
        Err(e) => {
            failed(&session, &back, &format!("vendor-{}", input.slug), e, &[("reason", &input.reason)]).await
        }
    }
}

#[derive(serde::Deserialize)]
struct VendorDecision {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    reason: String,
}

async fn take_bundled(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<VendorDecision>,
) -> Response {
    let outcome = baa_backend::catalog_store::take_bundled(&b, &v, &f.slug, &f.reason)
        .await
        .map(|()| "The catalog's entry applies again.");
    answer(&session, "/vendors", &format!("vendor-{}", f.slug), outcome, &[]).await
}

async fn keep_local(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<VendorDecision>,
) -> Response {
    let outcome = baa_backend::catalog_store::keep_local(&b, &v, &f.slug, &f.reason)
        .await
        .map(|()| "Your edit stays; the catalog difference is marked as reviewed.");
    answer(&session, "/vendors", &format!("vendor-{}", f.slug), outcome, &[]).await
}

async fn save_org(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Posted { input: f, pairs }: Posted<OrgInput>,
) -> Response {
    let outcome = inventory::save_org(&b, &v, &f).await.map(|slug| format!("Org {slug} saved."));
    answer(&session, "/inventory", "org", outcome, &pairs).await
}

async fn save_app(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Posted { input: f, pairs }: Posted<AppInput>,
) -> Response {
    let outcome = inventory::save_app(&b, &v, &f).await.map(|name| format!("App {name} saved."));
    answer(&session, "/inventory", "app", outcome, &pairs).await
}

/// A service is added on the inventory page and changed on its own page: the answer, and a
/// refused form with its values and errors, go back to the page the form was on.
async fn save_service(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Posted { input: f, pairs }: Posted<ServiceInput>,
) -> Response {
    let (back, form) = match f.id.trim() {
        "" => ("/inventory".to_string(), "service"),
        id => (service_page(id), "service-edit"),
    };
    let before = coverage_now(&b, &v).await;
    match inventory::save_service(&b, &v, &f).await {
        Ok(service) => {
            // Tell the person at once what the service's coverage is now.
            let effect = match (before, coverage_now(&b, &v).await) {
                (Some((_, before)), Some((world, after))) => {
                    effect::of_service(&world, &before, &after, &service.id)
                }
                _ => effect::unknown("Service saved."),
            };
            done_effect(&session, &back, effect).await
        }
        Err(e) => refused(&session, &back, form, e, &pairs).await,
    }
}

#[derive(serde::Deserialize)]
struct RemoveForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    on: String,
}

async fn remove_service(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<RemoveForm>,
) -> Response {
    // A refusal goes back to the confirmation it came from.
    let back = format!(
        "/inventory?remove={}#confirm-remove",
        url::form_urlencoded::byte_serialize(f.id.as_bytes()).collect::<String>()
    );
    let on = match inventory::date("on", &f.on) {
        Ok(d) => d,
        Err(e) => return failed(&session, &back, "remove", e, &[("on", &f.on)]).await,
    };
    match inventory::remove_service(&b, &v, &f.id, on).await {
        Ok(()) => done(&session, "/inventory", "Service removed (its history is kept).").await,
        Err(e) => failed(&session, &back, "remove", e, &[("on", &f.on)]).await,
    }
}

/// Back to the service's page.
fn service_page(id: &str) -> String {
    format!("/services/{}", url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>())
}

async fn attest(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<AttestInput>,
) -> Response {
    let back = service_page(&f.id);
    let message = if f.withdraw == "on" { "Confirmation withdrawn." } else { "Configuration confirmed." };
    match inventory::attest(&b, &v, &f).await {
        Ok(()) => done(&session, &back, message).await,
        Err(e) => {
            failed(&session, &back, "attest", e, &[("review_on", &f.review_on), ("note", &f.note)]).await
        }
    }
}

async fn confirm_candidate(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<CandidateDecision>,
) -> Response {
    let back = service_page(&f.id);
    let message = if f.app.trim().is_empty() {
        "Confirmed: the service is recorded as a fact.".to_string()
    } else {
        format!("Confirmed: {} uses this service.", f.app.trim())
    };
    let outcome = inventory::confirm_candidate(&b, &v, &f).await.map(|()| message);
    answer(&session, &back, "candidate", outcome, &[]).await
}

async fn reject_candidate(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<CandidateDecision>,
) -> Response {
    let (back, message) = if f.app.trim().is_empty() {
        (
            "/inventory".to_string(),
            "Rejected: the candidate service is removed and will not be imported again.".to_string(),
        )
    } else {
        (service_page(&f.id), format!("Rejected: {} does not use this service.", f.app.trim()))
    };
    match inventory::reject_candidate(&b, &v, &f).await {
        Ok(()) => done(&session, &back, message).await,
        Err(e) => failed(&session, &service_page(&f.id), "candidate", e, &[("reason", &f.reason)]).await,
    }
}

async fn vendor_facts(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<VendorFactsInput>,
) -> Response {
    let back = format!("/vendors#{}", f.vendor);
    match inventory::save_vendor_facts(&b, &v, &f).await {
        Ok(()) => done(&session, &back, "Vendor facts saved.").await,
        Err(e) => {
            failed(
                &session,
                &back,
                &format!("facts-{}", f.vendor),
                e,
                &[("contact", &f.contact), ("reason", &f.reason)],
            )
            .await
        }
    }
}

async fn save_party(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<PartyInput>,
) -> Response {
    match inventory::save_party(&b, &v, &f).await {
        Ok(_) => done(&session, "/agreements", format!("{} added.", f.name.trim())).await,
        Err(e) => failed(&session, "/agreements", "party", e, &[("party_name", &f.name)]).await,
    }
}

/// Ticked clauses arrive as `clause=<id>`, each with its location in `where:<id>`.
fn clause_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    pairs
        .iter()
        .filter(|(k, _)| k == "clause")
        .map(|(_, c)| (c.clone(), get(&format!("where:{c}"))))
        .collect()
}

/// Agreement forms send one `clause` value per ticked box, so they are read as pairs.
fn agreement_input(pairs: &[(String, String)]) -> AgreementInput {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    AgreementInput {
        title: get("title"),
        party_a: get("party_a"),
        party_b: get("party_b"),
        kind: get("kind"),
        extends_to: get("extends_to"),
        status: get("status"),
        effective: get("effective"),
        expiry: get("expiry"),
        products: get("products"),
        // Ticked plan boxes (`vendor|plan`, several) or a typed list.
        plans: pairs
            .iter()
            .filter(|(k, _)| k == "plans")
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(","),
        regions: get("regions"),
        accounts: get("accounts"),
        signed_on: get("signed_on"),
        auto_renews: get("auto_renews"),
        notice_days: get("notice_days"),
        notes: get("notes"),
        clause_evidence: clause_pairs(pairs),
        record_anyway: get("record_anyway") == "yes",
    }
}

async fn create_agreement(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let input = agreement_input(&pairs);
    let before = coverage_now(&b, &v).await;
    match agreements::create_agreement(&b, &v, &input).await {
        Ok(id) => {
            let effect = match (before, coverage_now(&b, &v).await) {
                (Some((_, before)), Some((world, after))) => {
                    let mut e = effect::of_agreement(&world, &before, &after, &id);
                    e.headline = format!("Agreement recorded. {}", e.headline);
                    e
                }
                _ => effect::unknown("Agreement recorded."),
            };
            done_effect(&session, "/agreements", effect).await
        }
        // The whole form comes back as sent: parties, kind, status, ticked boxes and all.
        Err(e) => refused(&session, "/agreements", "agreement", e, &pairs).await,
    }
}

#[derive(serde::Deserialize)]
struct StatusForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
    /// "yes" once the person has seen and confirmed the change.
    #[serde(default)]
    confirmed: String,
}

/// A status change takes two steps, both plain forms: the first is checked and comes back to
/// the agreement's page as a confirmation ("from signed to terminated on ..., because ...");
/// only the confirmed second submit records it.
async fn agreement_status(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Posted { input: f, pairs }: Posted<StatusForm>,
) -> Response {
    let back = agreement_page(&f.id);
    if f.confirmed != "yes" {
        return match agreements::plan_agreement_status(&b, &v, &f.id, &f.status, &f.on, &f.reason).await {
            Ok(plan) => {
                let message = format!(
                    "Confirm the change: \"{}\" goes from {} to {} on {}, because: {}",
                    plan.title,
                    agreements::status_label(plan.from),
                    agreements::status_label(plan.to),
                    plan.on,
                    plan.reason
                );
                let values = vec![
                    ("status".to_string(), f.status.clone()),
                    ("on".to_string(), plan.on.to_string()),
                    ("reason".to_string(), plan.reason.clone()),
                ];
                crate::forms::to_confirm(&session, &format!("{back}#st-h"), "status-confirm", message, values)
                    .await
            }
            Err(e) => refused(&session, &format!("{back}#st-h"), "status", e, &pairs).await,
        };
    }
    match agreements::set_agreement_status(&b, &v, &f.id, &f.status, &f.on, &f.reason).await {
        Ok(()) => done(&session, &back, "Status changed.").await,
        Err(e) => refused(&session, &format!("{back}#st-h"), "status", e, &pairs).await,
    }
}

/// An agreement's page.
fn agreement_page(id: &str) -> String {
    format!("/agreements/{}", url::form_urlencoded::byte_serialize(id.trim().as_bytes()).collect::<String>())
}

#[derive(serde::Deserialize)]
struct PolicyForm {
    #[serde(default)]
    allowed_regions: String,
    #[serde(default)]
    reminder_windows: String,
    #[serde(default)]
    snapshot_retention_days: String,
}

async fn save_policy(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<PolicyForm>,
) -> Response {
    let outcome =
        inventory::save_policy(&b, &v, &f.allowed_regions, &f.reminder_windows, &f.snapshot_retention_days)
            .await
            .map(|_| "Coverage policy saved.");
    answer(&session, "/settings", "policy", outcome, &[]).await
}

async fn add_exception(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<baa_backend::safeguards::ExceptionInput>,
) -> Response {
    match baa_backend::safeguards::add_exception(&b, &v, &f).await {
        Ok(e) => {
            done(
                &session,
                "/settings#safeguards-h",
                format!("Exception for {} on {} approved.", e.rule, e.app),
            )
            .await
        }
        Err(e) => {
            failed(
                &session,
                "/settings#safeguards-h",
                "exception",
                e,
                &[("rule", &f.rule), ("app", &f.app), ("reason", &f.reason), ("expires_on", &f.expires_on)],
            )
            .await
        }
    }
}

#[derive(serde::Deserialize)]
struct ExceptionKey {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    app: String,
}

async fn remove_exception(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<ExceptionKey>,
) -> Response {
    let outcome = baa_backend::safeguards::remove_exception(&b, &v, &f.rule, &f.app)
        .await
        .map(|()| "Exception removed.");
    answer(&session, "/settings#safeguards-h", "exception", outcome, &[]).await
}

async fn update_agreement(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let input = agreement_input(&pairs);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let id = get("id");
    let back =
        format!("/agreements/{}", url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>());
    match agreements::update_agreement(&b, &v, &id, &input, &get("reason")).await {
        Ok(()) => done(&session, &back, "Agreement updated.").await,
        Err(e) => {
            failed(
                &session,
                &back,
                "agreement-edit",
                e,
                &[("effective", &input.effective), ("expiry", &input.expiry), ("reason", &get("reason"))],
            )
            .await
        }
    }
}

async fn renew_agreement(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<agreements::RenewInput>,
) -> Response {
    let back =
        format!("/agreements/{}", url::form_urlencoded::byte_serialize(f.id.as_bytes()).collect::<String>());
    match agreements::renew_agreement(&b, &v, &f).await {
        Ok(id) => done(&session, &format!("/agreements/{id}"), "Renewed: this agreement supersedes the previous one from its effective date. Upload the signed renewal.").await,
        Err(e) => failed(&session, &back, "renew", e, &[("effective", &f.effective), ("expiry", &f.expiry), ("reason", &f.reason)]).await,
    }
}

/// Each ticked clause arrives as `clause=<id>` with its location in `where:<id>`.
async fn confirm_clauses(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let id = pairs.iter().find(|(k, _)| k == "id").map(|(_, v)| v.clone()).unwrap_or_default();
    let back =
        format!("/agreements/{}", url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>());
    let confirmed: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k == "clause")
        .map(|(_, c)| {
            let location = pairs
                .iter()
                .find(|(k, _)| *k == format!("where:{c}"))
                .map(|(_, l)| l.clone())
                .unwrap_or_default();
            (c.clone(), location)
        })
        .collect();
    let outcome =
        agreements::confirm_clauses(&b, &v, &id, &confirmed).await.map(|()| "Clause checklist saved.");
    answer(&session, &back, "clauses", outcome, &pairs).await
}

/// Routes for executed documents (upload has its own body limit).
pub fn document_routes(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/actions/agreements/documents",
            post(upload_document).layer(axum::extract::DefaultBodyLimit::max(max_bytes + 64 * 1024)),
        )
        .route("/documents/{id}", axum::routing::get(download_document))
}

/// A multipart upload (`id`, `file`): the file is hashed and size-checked chunk by chunk as it
/// streams in ([`documents::Incoming`]), then handed to the backend.
async fn upload_document(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    headers: axum::http::HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let xhr = headers.get("x-upload").is_some_and(|v| v == "xhr");
    let mut id = String::new();
    let mut file: Option<(String, documents::Received)> = None;
    let mut refused: Option<baa_backend::error::AppError> = None;
    let interrupted = || {
        baa_backend::error::AppError::invalid(
            "file",
            format!(
                "the upload did not arrive whole (it is over the {} MB limit, or it was interrupted); nothing was stored",
                b.documents.max_bytes / (1024 * 1024)
            ),
        )
    };
    'fields: loop {
        match form.next_field().await {
            Ok(Some(mut field)) => match field.name() {
                Some("id") => id = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    let mut incoming = documents::Incoming::new(b.documents.max_bytes);
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) => {
                                if let Err(e) = incoming.push(&chunk) {
                                    refused = Some(e);
                                    break 'fields;
                                }
                            }
                            Ok(None) => break,
                            Err(_) => {
                                refused = Some(interrupted());
                                break 'fields;
                            }
                        }
                    }
                    file = Some((name, incoming.finish()));
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                refused = Some(interrupted());
                break;
            }
        }
    }
    let back =
        format!("/agreements/{}", url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>());
    let result = match (refused, file) {
        (Some(e), _) => Err(e),
        (None, None) => Err(baa_backend::error::AppError::invalid("file", "choose the signed PDF to upload")),
        (None, Some((name, received))) => {
            documents::upload(&b, &v, &id, &name, received).await.map(|d| d.version)
        }
    };
    let res = match result {
        Ok(version) => {
            done(&session, &back, format!("Version {version} of the executed document is stored.")).await
        }
        Err(e) => failed(&session, &back, "document", e, &[]).await,
    };
    if xhr {
        for_script(res)
    } else {
        res
    }
}

/// For the upload script (`x-upload: xhr`): a redirect becomes 200 with `{"location": ...}`, so
/// the script, not the XHR, follows it and the flash message shows on that page.
fn for_script(res: Response) -> Response {
    use axum::response::IntoResponse;
    if !res.status().is_redirection() {
        return res;
    }
    let location = res
        .headers()
        .get(axum::http::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or("/")
        .to_string();
    axum::Json(serde_json::json!({ "location": location })).into_response()
}

async fn download_document(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    use axum::response::IntoResponse;
    match baa_backend::documents::download(&b, &v, &id).await {
        Ok((doc, bytes)) => {
            let safe: String = doc
                .file_name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' })
                .collect();
            (
                [
                    (axum::http::header::CONTENT_TYPE, "application/pdf".to_string()),
                    (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\"")),
                    (axum::http::header::HeaderName::from_static("x-content-sha256"), doc.sha256.clone()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => e.into_text(),
    }
}
