//! `/services`: every outside service the apps use, with its vendor, plan and PHI answer.

use super::extract::{created, gone, ok, page_of, Body, Id, PageQuery, Params, Reader, Writer};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baa_backend::api_inventory as inv;
use baa_backend::error::AppResult;
use baa_backend::inventory::{self, ServiceInput};
use baa_backend::Backend;
use baa_core::coverage::{Phi, Service, ServiceProvisioning};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list).post(create))
        .route("/services/{id}", get(read).put(update).delete(remove))
}

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

fn input(body: ServiceBody, id: Option<&str>) -> ServiceInput {
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
fn as_json(s: &Service) -> Value {
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

/// Services in force today, from today's view (the same page is kept with the view until the
/// next write, see `answers`).
async fn list(
    Reader(v): Reader,
    State(b): State<Backend>,
    headers: HeaderMap,
    Params(q): Params<PageQuery>,
) -> AppResult<Response> {
    let view = inventory::coverage_view(&b, &v, inventory::today_for(&b)).await?;
    let key = format!("services {}", q.key());
    super::answers::json_of_view(&view, &key, &headers, || {
        page_of("services", &view.world.services, |s| &s.id, |s| Ok(as_json(s)), q)
    })
}

async fn create(
    Writer(v): Writer,
    State(b): State<Backend>,
    Body(body): Body<ServiceBody>,
) -> AppResult<Response> {
    // The service as stored: reading it back would rebuild the view the write just outdated.
    Ok(created(as_json(&inventory::save_service(&b, &v, &input(body, None)).await?)))
}

async fn read(Reader(v): Reader, State(b): State<Backend>, Id(id): Id<String>) -> AppResult<Response> {
    ok(as_json(&inv::service(&b, &v, &id).await?))
}

async fn update(
    Writer(v): Writer,
    State(b): State<Backend>,
    Id(id): Id<String>,
    Body(body): Body<ServiceBody>,
) -> AppResult<Response> {
    // 404 before validation, so an unknown id never reads as a field error.
    inv::service(&b, &v, &id).await?;
    ok(as_json(&inventory::save_service(&b, &v, &input(body, Some(&id))).await?))
}

async fn remove(Writer(v): Writer, State(b): State<Backend>, Id(id): Id<String>) -> AppResult<Response> {
    inventory::remove_service(&b, &v, &id, None).await?;
    gone()
}
