//! The REST API under `/api/v1`, for scripts and CI, with its OpenAPI 3.1 document at
//! `/api/v1/openapi.json` (built by hand in [`crate::openapi`], checked by a schemathesis run).
//!
//! Authentication is a bearer token only (`Authorization: Bearer baa_...`), never the session
//! cookie, which is why these routes are exempt from the cross-site (Origin) check: a browser
//! cannot attach the token on its own. [`guard`] runs inside the access layer and denies every
//! path but the OpenAPI document without a valid, unrevoked token. Handlers are short adapters
//! over the backend; every error is JSON `{"error": {"code", "message", ...}}` with a 4xx status
//! for anything the caller can fix, and bad input never reaches a 500.

use crate::access::client_addr;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use baa_backend::api_inventory as inv;
use baa_backend::error::AppError;
use baa_backend::imports::{self, ImportFailure};
use baa_backend::inventory::{self, AppInput, OrgInput, ServiceInput};
use baa_backend::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::coverage::{Agreement, AgreementKind, Phi, Service, ServiceProvisioning, SubjectKind, Verdict};
use baa_core::fly_import::SnapshotFile;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Prefix of every API route.
pub const PREFIX: &str = "/api/v1";

/// Whether `path` belongs to the REST API (bearer tokens, not sessions).
pub fn is_api(path: &str) -> bool {
    path == PREFIX || path.starts_with("/api/v1/")
}

/// The token's viewer, set by [`guard`].
#[derive(Clone, Debug)]
pub struct ApiViewer(pub Viewer);

/// An API error response: status, stable code, message, and optional field or details.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    details: Option<Value>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, details: None, retry_after: None }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError {
            status,
            code: e.code(),
            field: e.field().map(str::to_string),
            message: e.public_message(),
            details: None,
            retry_after: e.retry_after(),
        }
    }
}

impl From<ImportFailure> for ApiError {
    fn from(e: ImportFailure) -> Self {
        match e {
            ImportFailure::App(e) => e.into(),
            ImportFailure::Malformed(errors) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_snapshot",
                message: errors.to_string(),
                field: Some("files".into()),
                details: serde_json::to_value(&errors.0).ok(),
                retry_after: None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(f) = self.field {
            error["field"] = json!(f);
        }
        if let Some(d) = self.details {
            error["details"] = d;
        }
        let mut res = (self.status, Json(json!({ "error": error }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let Some(v) = self.retry_after.and_then(|s| header::HeaderValue::from_str(&s.to_string()).ok()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn json_rejection(r: JsonRejection) -> ApiError {
    let (status, code) = match &r {
        JsonRejection::MissingJsonContentType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        JsonRejection::BytesRejection(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        _ => (StatusCode::BAD_REQUEST, "bad_request"),
    };
    ApiError::new(status, code, r.body_text())
}

fn path_rejection(r: PathRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", r.body_text())
}

fn query_rejection(r: QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", r.body_text())
}

/// Access for API paths (called by the access layer): the OpenAPI document is public, anything
/// else needs a valid bearer token; the token's viewer is stored for the handlers.
pub async fn guard(b: &Backend, mut req: Request, next: Next) -> Response {
    if req.uri().path() == "/api/v1/openapi.json" {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .map(str::to_string);
    let Some(token) = bearer else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send an API token as `Authorization: Bearer baa_...` (owners make tokens on the API tokens page).",
        )
        .into_response();
    };
    let source = client_addr(b, &req);
    match baa_backend::api_tokens::authenticate(b, &token, &source).await {
        Ok(v) => {
            // Every API change is an inventory change: a read token is refused before its body
            // (an import can be megabytes) is read.
            let writes = !matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD);
            if writes {
                if let Err(e) = need_write(&v) {
                    return e.into_response();
                }
            }
            req.extensions_mut().insert(ApiViewer(v));
            next.run(req).await
        }
        Err(AppError::Unauthenticated) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "This API token is not valid: it is unknown or was revoked.",
        )
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn need_write(v: &Viewer) -> ApiResult<()> {
    if v.can(Permission::EditInventory) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "This token has the read scope; changes need a token with the write:inventory scope.",
        ))
    }
}

/// The API routes (nested under [`PREFIX`]).
pub fn routes() -> Router<AppState> {
    let api = Router::new()
        .route("/openapi.json", get(openapi))
        .route("/orgs", get(list_orgs).post(create_org))
        .route("/orgs/{slug}", get(get_org).put(update_org).delete(delete_org))
        .route("/apps", get(list_apps).post(create_app))
        .route("/apps/{name}", get(get_app).put(update_app).delete(delete_app))
        .route("/services", get(list_services).post(create_service))
        .route("/services/{id}", get(get_service).put(update_service).delete(delete_service))
        .route("/agreements", get(list_agreements))
        .route("/agreements/{id}", get(get_agreement))
        .route(
            "/imports/preview",
            post(preview_import).layer(axum::extract::DefaultBodyLimit::max(IMPORT_BODY_MAX)),
        )
        .route("/imports", post(apply_import).layer(axum::extract::DefaultBodyLimit::max(IMPORT_BODY_MAX)))
        .route("/coverage", get(coverage))
        .route("/coverage/period", get(coverage_period))
        .route("/coverage/diff", get(coverage_diff))
        .route("/integrations", get(list_integrations))
        .route("/integrations/{id}/sync", post(sync_integration))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new().nest(PREFIX, api)
}

/// Largest import request body (files as JSON, base64 included).
const IMPORT_BODY_MAX: usize = 48 * 1024 * 1024;

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API route.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not take this method.",
    )
}

async fn openapi(State(b): State<Backend>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        Json(crate::openapi::document(b.config.public_url.as_str())),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Orgs

/// An org as the API reads and writes it.
#[derive(Debug, Default, Deserialize)]
struct OrgBody {
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    packages: Vec<String>,
    #[serde(default)]
    allowed_regions: Option<Vec<String>>,
    #[serde(default)]
    effective_on: Option<String>,
}

fn org_input(body: OrgBody, slug: Option<&str>) -> ApiResult<OrgInput> {
    let slug = match slug {
        Some(s) => s.to_string(),
        None => body.slug.ok_or_else(|| AppError::invalid("slug", "give the org's Fly slug"))?,
    };
    Ok(OrgInput {
        slug,
        name: body.name.unwrap_or_default(),
        environment: body.environment.unwrap_or_else(|| "production".into()),
        plan: body.plan.ok_or_else(|| AppError::invalid("plan", "give the org's Fly.io plan slug"))?,
        packages: body.packages.join(","),
        allowed_regions: body.allowed_regions.unwrap_or_default().join(","),
        effective_on: body.effective_on.unwrap_or_default(),
    })
}

/// `limit` and `cursor` of the list routes.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

/// Items per page of a list route unless `limit` says otherwise, and the most it may say.
const PAGE_DEFAULT: usize = 100;
const PAGE_MAX: usize = 1000;
/// Marks a cursor as ours (and its version), inside the opaque encoding.
const CURSOR_PREFIX: &str = "v1:";

fn bad_page(field: &str, message: &str) -> ApiError {
    let mut e = ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message);
    e.field = Some(field.to_string());
    e
}

/// One page of `items` under `list_key`, ordered by their `key` field: the items after the
/// cursor, at most `limit` of them, and `next_cursor` (null on the last page). The cursor is
/// opaque to callers (base64 of the last key), so the order can change without breaking them.
fn page_of(
    list_key: &str,
    items: Vec<Value>,
    key: &str,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Response> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Query(q) = q.map_err(query_rejection)?;
    let limit = match q.limit.as_deref() {
        None | Some("") => PAGE_DEFAULT,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=PAGE_MAX).contains(n))
            .ok_or_else(|| bad_page("limit", "limit must be a whole number from 1 to 1000"))?,
    };
    let after: Option<String> = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            engine
                .decode(c)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|t| t.strip_prefix(CURSOR_PREFIX).map(str::to_owned))
                .ok_or_else(|| {
                    bad_page(
                        "cursor",
                        "cursor is not one this API gave out: pass next_cursor from the page before",
                    )
                })?,
        ),
    };
    let key_of = |v: &Value| v[key].as_str().unwrap_or_default().to_owned();
    let mut items: Vec<(String, Value)> = items.into_iter().map(|v| (key_of(&v), v)).collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rest = items.into_iter().filter(|(k, _)| after.as_ref().is_none_or(|a| k > a)).peekable();
    let mut shown = Vec::with_capacity(limit.min(PAGE_MAX));
    let mut last = None;
    while shown.len() < limit {
        let Some((k, v)) = rest.next() else { break };
        last = Some(k);
        shown.push(v);
    }
    let next =
        if rest.peek().is_some() { last.map(|k| engine.encode(format!("{CURSOR_PREFIX}{k}"))) } else { None };
    Ok(Json(json!({ list_key: shown, "next_cursor": next })).into_response())
}

fn values<T: serde::Serialize>(items: &[T]) -> Result<Vec<Value>, AppError> {
    items.iter().map(|i| serde_json::to_value(i).map_err(|e| AppError::Internal(e.into()))).collect()
}

async fn list_orgs(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Response> {
    page_of("orgs", values(&inv::orgs(&b, &v).await?)?, "slug", q)
}

async fn create_org(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    body: Result<Json<OrgBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Json(body) = body.map_err(json_rejection)?;
    let org = inv::create_org(&b, &v, &org_input(body, None)?).await?;
    Ok((StatusCode::CREATED, Json(org)).into_response())
}

async fn get_org(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    slug: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(slug) = slug.map_err(path_rejection)?;
    Ok(Json(inv::org(&b, &v, &slug).await?).into_response())
}

async fn update_org(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    slug: Result<Path<String>, PathRejection>,
    body: Result<Json<OrgBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Path(slug) = slug.map_err(path_rejection)?;
    let Json(body) = body.map_err(json_rejection)?;
    Ok(Json(inv::update_org(&b, &v, &slug, &org_input(body, Some(&slug))?).await?).into_response())
}

async fn delete_org(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    slug: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Path(slug) = slug.map_err(path_rejection)?;
    inv::remove_org(&b, &v, &slug).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Apps

#[derive(Debug, Default, Deserialize)]
struct AppBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    effective_on: Option<String>,
}

fn app_input(body: AppBody, name: Option<&str>) -> ApiResult<AppInput> {
    let name = match name {
        Some(n) => n.to_string(),
        None => body.name.ok_or_else(|| AppError::invalid("name", "give the Fly app name"))?,
    };
    Ok(AppInput {
        name,
        org: body.org.ok_or_else(|| AppError::invalid("org", "give the slug of the app's org"))?,
        regions: body.regions.join(","),
        environment: body.environment.unwrap_or_default(),
        effective_on: body.effective_on.unwrap_or_default(),
    })
}

async fn list_apps(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Response> {
    page_of("apps", values(&inv::apps(&b, &v).await?)?, "name", q)
}

async fn create_app(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    body: Result<Json<AppBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Json(body) = body.map_err(json_rejection)?;
    let app = inv::create_app(&b, &v, &app_input(body, None)?).await?;
    Ok((StatusCode::CREATED, Json(app)).into_response())
}

async fn get_app(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    name: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(name) = name.map_err(path_rejection)?;
    Ok(Json(inv::app(&b, &v, &name).await?).into_response())
}

async fn update_app(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    name: Result<Path<String>, PathRejection>,
    body: Result<Json<AppBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Path(name) = name.map_err(path_rejection)?;
    let Json(body) = body.map_err(json_rejection)?;
    Ok(Json(inv::update_app(&b, &v, &name, &app_input(body, Some(&name))?).await?).into_response())
}

async fn delete_app(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    name: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Path(name) = name.map_err(path_rejection)?;
    inv::remove_app(&b, &v, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Services

#[derive(Debug, Default, Deserialize)]
struct ServiceBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    add_ons: Vec<String>,
    #[serde(default)]
    apps: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    phi: Option<String>,
    #[serde(default)]
    phi_basis: Option<String>,
    #[serde(default)]
    phi_reason: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    effective_on: Option<String>,
}

fn service_input(body: ServiceBody, id: Option<&str>) -> ServiceInput {
    ServiceInput {
        id: id.unwrap_or_default().to_string(),
        name: body.name.unwrap_or_default(),
        vendor: body.vendor.unwrap_or_default(),
        vendor_plan: String::new(),
        product: body.product.unwrap_or_default(),
        plan: body.plan.unwrap_or_default(),
        add_ons: body.add_ons.join(","),
        apps: body.apps.join(","),
        regions: body.regions.join(","),
        org: body.org.unwrap_or_default(),
        phi: body.phi.unwrap_or_else(|| "unknown".into()),
        phi_basis: body.phi_basis.unwrap_or_default(),
        phi_reason: body.phi_reason.unwrap_or_default(),
        account: body.account.unwrap_or_default(),
        effective_on: body.effective_on.unwrap_or_default(),
    }
}

/// A service as the API shows it: the same fields it takes.
fn service_json(s: &Service) -> Value {
    let (phi, basis, reason) = match &s.phi {
        Phi::Yes => ("yes", None, None),
        Phi::No { basis, reason, .. } => ("no", Some(basis.as_str()), Some(reason.clone())),
        Phi::Unknown => ("unknown", None, None),
    };
    json!({
        "id": s.id,
        "name": s.name,
        "vendor": s.vendor,
        "product": s.product,
        "plan": s.plan,
        "add_ons": s.add_ons,
        "apps": s.apps,
        "regions": s.regions,
        "org": match &s.provisioning { ServiceProvisioning::Platform { org } => Some(org.clone()), ServiceProvisioning::Direct => None },
        "phi": phi,
        "phi_basis": basis,
        "phi_reason": reason,
        "account": s.account,
        "candidate_apps": s.candidate_apps,
        "unconfirmed": s.unconfirmed,
        "attestations": s.attestations.iter().map(|a| json!({
            "item": a.item, "confirmed_by": a.confirmed_by, "confirmed_on": a.confirmed_on.to_string(),
            "review_on": a.review_on.to_string(), "note": a.note,
        })).collect::<Vec<_>>(),
        "created_on": s.created_on.to_string(),
        "removed_on": s.removed_on.map(|d| d.to_string()),
    })
}

async fn list_services(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Response> {
    page_of("services", inv::services(&b, &v).await?.iter().map(service_json).collect(), "id", q)
}

async fn create_service(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    body: Result<Json<ServiceBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Json(body) = body.map_err(json_rejection)?;
    let id = inventory::save_service(&b, &v, &service_input(body, None)).await?;
    let s = inv::service(&b, &v, &id).await?;
    Ok((StatusCode::CREATED, Json(service_json(&s))).into_response())
}

async fn get_service(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(id) = id.map_err(path_rejection)?;
    Ok(Json(service_json(&inv::service(&b, &v, &id).await?)).into_response())
}

async fn update_service(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<ServiceBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Path(id) = id.map_err(path_rejection)?;
    let Json(body) = body.map_err(json_rejection)?;
    // 404 before validation, so an unknown id never reads as a field error.
    inv::service(&b, &v, &id).await?;
    let id = inventory::save_service(&b, &v, &service_input(body, Some(&id))).await?;
    Ok(Json(service_json(&inv::service(&b, &v, &id).await?)).into_response())
}

async fn delete_service(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Path(id) = id.map_err(path_rejection)?;
    inventory::remove_service(&b, &v, &id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Agreements (read only)

fn agreement_json(a: &Agreement) -> Value {
    let (kind, extends_to) = match &a.kind {
        AgreementKind::Baa => ("baa", Vec::new()),
        AgreementKind::SubcontractorBaa => ("subcontractor-baa", Vec::new()),
        AgreementKind::PlatformAgreement { extends_to } => ("platform-agreement", extends_to.clone()),
    };
    json!({
        "id": a.id,
        "title": a.title,
        "parties": a.parties,
        "kind": kind,
        "extends_to": extends_to,
        "status": a.history.last().map(|h| h.status),
        "history": a.history,
        "effective": a.effective.map(|d| d.to_string()),
        "expiry": a.expiry.map(|d| d.to_string()),
        "scope": a.scope,
        "signed_on": a.signed_on.map(|d| d.to_string()),
        "recorded_on": a.recorded_on.map(|d| d.to_string()),
        // One rule for the checklist everywhere: a clause counts only with where it is found
        // and who confirmed it.
        "clauses": baa_core::coverage::Clause::ALL.iter().filter(|c| a.confirms(**c)).collect::<Vec<_>>(),
        "clauses_confirmed": a.confirmed_clauses(),
        "clause_evidence": a.clause_evidence,
        "has_executed_document": a.has_executed_document,
        "auto_renews": a.auto_renews,
        "notice_days": a.notice_days,
        "supersedes": a.supersedes,
    })
}

async fn list_agreements(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Response> {
    page_of("agreements", inv::agreements(&b, &v).await?.iter().map(agreement_json).collect(), "id", q)
}

async fn get_agreement(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(id) = id.map_err(path_rejection)?;
    Ok(Json(agreement_json(&inv::agreement(&b, &v, &id).await?)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Imports

#[derive(Debug, Default, Deserialize)]
struct ImportFileBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ImportBody {
    #[serde(default)]
    files: Vec<ImportFileBody>,
    #[serde(default)]
    zip_base64: Option<String>,
    #[serde(default)]
    plan_hash: Option<String>,
}

fn import_files(body: &ImportBody) -> ApiResult<Vec<SnapshotFile>> {
    use base64::Engine;
    let b64 = |field: &str, s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|_| ApiError::from(AppError::invalid(field, "not valid base64")))
    };
    let mut files = Vec::new();
    if let Some(z) = &body.zip_base64 {
        let bytes = b64("zip_base64", z)?;
        files.extend(imports::files_from_zip("snapshot.zip", &bytes)?);
    }
    for f in &body.files {
        let name = f.name.trim();
        if name.is_empty() || name.chars().count() > 300 || name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "files",
                "every file needs a name (relative path, at most 300 characters)",
            )
            .into());
        }
        let bytes = match (&f.content, &f.content_base64) {
            (Some(text), None) => text.clone().into_bytes(),
            (None, Some(b)) => b64("content_base64", b)?,
            _ => {
                return Err(AppError::invalid(
                    "files",
                    format!("{name}: give either content or content_base64"),
                )
                .into())
            }
        };
        files.push(SnapshotFile::new(name, bytes));
    }
    Ok(files)
}

async fn preview_import(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    body: Result<Json<ImportBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Json(body) = body.map_err(json_rejection)?;
    let files = import_files(&body)?;
    Ok(Json(imports::preview(&b, &v, &files).await?).into_response())
}

async fn apply_import(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    body: Result<Json<ImportBody>, JsonRejection>,
) -> ApiResult<Response> {
    need_write(&v)?;
    let Json(body) = body.map_err(json_rejection)?;
    let files = import_files(&body)?;
    let hash = body.plan_hash.as_deref().map(str::trim).filter(|h| !h.is_empty());
    Ok(Json(imports::apply(&b, &v, &files, hash).await?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Coverage

#[derive(Debug, Default, Deserialize)]
struct CoverageQuery {
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    app: Option<String>,
}

/// The coverage report as JSON, for the workspace or one app (its services, the app, its org and
/// the agreements its chains rely on).
pub async fn coverage_report(
    b: &Backend,
    v: &Viewer,
    as_of: &str,
    app: Option<&str>,
) -> Result<Value, AppError> {
    let day = inventory::date("as_of", as_of)?.unwrap_or_else(|| inventory::today_for(b));
    let view = inventory::coverage_view(b, v, day).await?;
    let (world, report) = (&view.world, &view.report);
    let app = match app.map(str::trim).filter(|a| !a.is_empty()) {
        Some(name) => Some(world.apps.iter().find(|a| a.name == name).cloned().ok_or(AppError::NotFound)?),
        None => None,
    };
    let uses = |s: &str| {
        app.as_ref().is_none_or(|a| world.services.iter().any(|x| x.id == s && x.apps.contains(&a.name)))
    };
    let title =
        |id: &str| world.agreements.iter().find(|a| a.id == id).map(|a| a.title.clone()).unwrap_or_default();
    let mut chains: BTreeSet<String> = BTreeSet::new();
    let mut services = Vec::new();
    for s in report.services.iter().filter(|s| uses(&s.service)) {
        let (verdict, chain, why) = match &s.verdict {
            Verdict::Covered { chain } => ("covered", chain.clone(), None),
            Verdict::CoveredNoPhi { reason } => ("covered-no-phi", Vec::new(), Some(reason.clone())),
            Verdict::Uncovered { why } => ("uncovered", Vec::new(), Some(why.clone())),
        };
        chains.extend(chain.iter().cloned());
        let svc = world.services.iter().find(|x| x.id == s.service);
        services.push(json!({
            "id": s.service,
            "name": s.name,
            "vendor": svc.map(|x| x.vendor.clone()),
            "plan": svc.map(|x| x.plan.clone()),
            "apps": svc.map(|x| x.apps.clone()).unwrap_or_default(),
            "phi": s.phi,
            "verdict": verdict,
            "covered": s.verdict.is_covered(),
            "chain": chain.iter().map(|id| json!({"id": id, "title": title(id)})).collect::<Vec<_>>(),
            "why": why,
        }));
    }
    let service_ids: BTreeSet<&str> =
        services.iter().filter_map(|s| s.get("id").and_then(Value::as_str)).collect();
    let findings: Vec<&baa_core::coverage::Finding> = report
        .findings
        .iter()
        .filter(|f| match &app {
            None => true,
            Some(a) => match f.subject.kind {
                SubjectKind::Service => service_ids.contains(f.subject.id.as_str()),
                SubjectKind::App => f.subject.id == a.name,
                SubjectKind::Org => f.subject.id == a.org,
                SubjectKind::Agreement => chains.contains(&f.subject.id),
                SubjectKind::Customer | SubjectKind::Vendor => false,
            },
        })
        .collect();
    let count = |sev: baa_core::coverage::Severity| findings.iter().filter(|f| f.severity == sev).count();
    use baa_core::coverage::Severity;
    let phi: Vec<&Value> = services.iter().filter(|s| s["phi"] == json!(true)).collect();
    Ok(json!({
        "as_of": day.to_string(),
        "app": app.as_ref().map(|a| a.name.clone()),
        "summary": {
            "services": services.len(),
            "phi_services": phi.len(),
            "covered_phi": phi.iter().filter(|s| s["covered"] == json!(true)).count(),
            "uncovered_phi": phi.iter().filter(|s| s["covered"] != json!(true)).count(),
            "findings": {
                "critical": count(Severity::Critical),
                "high": count(Severity::High),
                "medium": count(Severity::Medium),
                "warning": count(Severity::Warning),
                "low": count(Severity::Low),
            },
        },
        "services": services,
        "findings": findings,
        // Platform safeguard checks of the imported fly.toml files (of the app, when scoped).
        "safeguards": view
            .safeguards
            .results
            .iter()
            .filter(|r| app.as_ref().is_none_or(|a| r.app.as_deref() == Some(a.name.as_str())))
            .collect::<Vec<_>>(),
    }))
}

async fn coverage(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    q: Result<Query<CoverageQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q.map_err(query_rejection)?;
    Ok(Json(coverage_report(&b, &v, q.as_of.as_deref().unwrap_or(""), q.app.as_deref()).await?)
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// The two days of a period query, both required.
fn period_of(q: &PeriodQuery) -> Result<(chrono::NaiveDate, chrono::NaiveDate), AppError> {
    let day = |field: &str, value: &Option<String>| {
        inventory::date(field, value.as_deref().unwrap_or(""))?
            .ok_or_else(|| AppError::invalid(field, format!("give {field}=YYYY-MM-DD")))
    };
    Ok((day("from", &q.from)?, day("to", &q.to)?))
}

async fn coverage_period(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q.map_err(query_rejection)?;
    let (from, to) = period_of(&q)?;
    let view = inventory::coverage_period(&b, &v, from, to).await?;
    Ok(Json(serde_json::to_value(&view).map_err(|e| AppError::Internal(e.into()))?).into_response())
}

async fn coverage_diff(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q.map_err(query_rejection)?;
    let (from, to) = period_of(&q)?;
    let view = inventory::coverage_diff(&b, &v, from, to).await?;
    Ok(Json(serde_json::to_value(&view).map_err(|e| AppError::Internal(e.into()))?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Integrations

async fn list_integrations(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
) -> ApiResult<Response> {
    let list = baa_backend::integrations::overview(&b, &v).await?;
    Ok(Json(json!({ "integrations": list })).into_response())
}

/// Runs a sync of one integration now: 200 with the outcome (`applied`, or `failed` with the
/// integration's state saying why: nothing of the plan is written then), 409 while another
/// sync of the org runs.
async fn sync_integration(
    Extension(ApiViewer(v)): Extension<ApiViewer>,
    State(b): State<Backend>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    use baa_backend::integrations::SyncOutcome;
    need_write(&v)?;
    let Path(id) = id.map_err(path_rejection)?;
    let (outcome, view) = baa_backend::integrations::sync_now(&b, &v, &id).await?;
    let outcome = match outcome {
        SyncOutcome::Applied(_) => "applied",
        SyncOutcome::Failed { .. } => "failed",
        SyncOutcome::Busy => {
            return Err(AppError::Conflict {
                field: "id".into(),
                message: "A sync of this org is already running; its result will show shortly.".into(),
            }
            .into())
        }
    };
    Ok(Json(json!({ "outcome": outcome, "integration": view })).into_response())
}
