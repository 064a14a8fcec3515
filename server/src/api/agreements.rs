//! `/agreements`: the recorded agreements, read only (legal records them in the app).

use super::extract::{ok, page_of, Id, PageQuery, Params, Reader};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baa_backend::api_inventory as inv;
use baa_backend::error::AppResult;
use baa_backend::Backend;
use baa_core::coverage::{Agreement, AgreementKind};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/agreements", get(list)).route("/agreements/{id}", get(read))
}

fn as_json(a: &Agreement) -> Value {
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

async fn list(
    Reader(v): Reader,
    State(b): State<Backend>,
    Params(q): Params<PageQuery>,
) -> AppResult<Response> {
    ok(page_of("agreements", &inv::agreements(&b, &v).await?, |a| &a.id, |a| Ok(as_json(a)), q)?)
}

async fn read(Reader(v): Reader, State(b): State<Backend>, Id(id): Id<String>) -> AppResult<Response> {
    ok(as_json(&inv::agreement(&b, &v, &id).await?))
}
