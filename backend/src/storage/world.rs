//! The engine's `World` for a workspace and a day, rebuilt from the versioned records, and the
//! coverage views built on it.
//!
//! A day before today is read as it was recorded by the end of that day; versions recorded later
//! that hold on it are *corrections*: the view lists them, with the verdicts they change, instead
//! of folding them in silently.

pub use super::catalog_edits::catalog;
use super::records::{self, current, end_of_day, Correction, Kind};
use crate::error::AppResult;
use crate::Backend;
use baa_core::coverage::{Agreement, Downstream, Party, Policy, Report, Role, World};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;

/// Id of our own party in every workspace.
pub const US: &str = "us";

/// Party id of a catalog vendor.
pub fn vendor_party(slug: &str) -> String {
    format!("vendor:{slug}")
}

/// The catalog vendor a vendor party id names.
pub fn vendor_of_party(id: &str) -> Option<&str> {
    id.strip_prefix("vendor:")
}

/// Today in the application clock (UTC).
pub fn today(b: &Backend) -> NaiveDate {
    b.clock.now_utc().date_naive()
}

/// The moment a day is read as of: the end of that day for a past day (as recorded then),
/// everything recorded so far for today or a planned day.
pub fn known_at(b: &Backend, as_of: NaiveDate) -> i64 {
    if as_of < today(b) {
        end_of_day(as_of)
    } else {
        i64::MAX
    }
}

/// The workspace's policy as of a day (the default until an owner sets one).
pub async fn policy(b: &Backend, ws: &str, as_of: NaiveDate, known_at: i64) -> AppResult<Policy> {
    policy_in(&b.db.pool, ws, as_of, known_at).await
}

/// [`policy`] through any executor (a transaction's connection inside a write).
pub async fn policy_in<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: &str,
    as_of: NaiveDate,
    known_at: i64,
) -> AppResult<Policy> {
    Ok(current::<Policy, _>(exec, ws, Kind::Policy, as_of, known_at)
        .await?
        .remove("policy")
        .unwrap_or_default())
}

/// Subcontractor parties are stored with the vendor they serve encoded in their id
/// (`sub:<vendor>:<id>`), so the vendor's list can be rebuilt for any day.
pub fn subcontractor_of(p: &Party) -> Option<&str> {
    p.id.strip_prefix("sub:").and_then(|rest| rest.split(':').next())
}

/// Rebuilds the world of workspace `ws` (named `ws_name`) as it held on `as_of`, as recorded by
/// `known_at`.
pub async fn load(b: &Backend, ws: &str, ws_name: &str, as_of: NaiveDate, known_at: i64) -> AppResult<World> {
    let mut conn = b.db.pool.acquire().await?;
    load_in(&mut conn, ws, ws_name, as_of, known_at).await
}

/// [`load`] on one connection: a transaction's, so that reads inside a write see what the
/// transaction sees and never wait for another connection.
pub async fn load_in(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    ws_name: &str,
    as_of: NaiveDate,
    known_at: i64,
) -> AppResult<World> {
    let doc_until = known_at.min(end_of_day(as_of));
    let cat = super::catalog_edits::effective(&mut *conn, ws, doc_until).await?;
    let stored: BTreeMap<String, Party> = current(&mut *conn, ws, Kind::Party, as_of, known_at).await?;
    let mut parties =
        vec![Party { id: US.into(), name: ws_name.to_owned(), role: Role::Us, contact: String::new() }];
    for vendor in &cat.vendors {
        let id = vendor_party(&vendor.slug);
        let subs: Vec<String> = stored
            .values()
            .filter(|p| {
                matches!(p.role, Role::Subcontractor { .. })
                    && subcontractor_of(p) == Some(vendor.slug.as_str())
            })
            .map(|p| p.id.clone())
            .collect();
        let recorded = stored.get(&id);
        // Recorded subcontractors are facts: they make the list known whatever else was said.
        let downstream = if subs.is_empty() {
            match recorded.map(|p| &p.role) {
                Some(Role::Vendor { downstream: Downstream::None, .. }) => Downstream::None,
                _ => Downstream::Unknown,
            }
        } else {
            Downstream::Listed { subcontractors: subs }
        };
        parties.push(Party {
            id,
            name: vendor.name.clone(),
            role: Role::Vendor { vendor: vendor.slug.clone(), downstream },
            contact: recorded.map(|p| p.contact.clone()).unwrap_or_default(),
        });
    }
    parties.extend(stored.into_values().filter(|p| !matches!(p.role, Role::Vendor { .. })));
    let with_docs = agreements_with_documents(&mut *conn, ws, doc_until).await?;
    let recorded_on = records::first_recorded(&mut *conn, ws, Kind::Agreement).await?;
    let agreements = current::<Agreement, _>(&mut *conn, ws, Kind::Agreement, as_of, known_at)
        .await?
        .into_values()
        .map(|mut a| {
            a.has_executed_document = with_docs.contains(&a.id);
            a.recorded_on = recorded_on.get(&a.id).copied();
            a
        })
        .collect();
    Ok(World {
        us: US.into(),
        parties,
        catalog: cat,
        orgs: current(&mut *conn, ws, Kind::Org, as_of, known_at).await?.into_values().collect(),
        apps: current(&mut *conn, ws, Kind::App, as_of, known_at).await?.into_values().collect(),
        services: current(&mut *conn, ws, Kind::Service, as_of, known_at).await?.into_values().collect(),
        agreements,
    })
}

/// A verdict that a correction recorded later changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectedVerdict {
    /// Service id.
    pub service: String,
    /// Service name.
    pub name: String,
    /// As recorded by the end of the day.
    pub recorded: String,
    /// With every later correction.
    pub corrected: String,
}

/// Coverage of one day: the world and report as recorded then, and what was corrected later.
#[derive(Debug, Clone)]
pub struct CoverageView {
    /// The world as recorded (by the end of the day, for a past day).
    pub world: World,
    /// Its report.
    pub report: Report,
    /// The policy in force.
    pub policy: Policy,
    /// The platform safeguard checks of the apps whose fly.toml was imported (as known by the
    /// end of a past day).
    pub safeguards: baa_core::safeguards::SafeguardReport,
    /// Versions recorded after the day that hold on it.
    pub corrections: Vec<Correction>,
    /// Verdicts those corrections change.
    pub corrected_verdicts: Vec<CorrectedVerdict>,
    /// What readers derived from this view (built once, dropped with it).
    pub derived: super::cache::Derived,
}

impl super::cache::Weight for CoverageView {
    fn weight(&self) -> u64 {
        let w = &self.world;
        1 + (w.services.len() + w.apps.len() + w.agreements.len() + w.orgs.len()) as u64
    }
}

fn verdict_text(v: &baa_core::coverage::Verdict) -> &'static str {
    match v {
        baa_core::coverage::Verdict::Covered { .. } => "covered",
        baa_core::coverage::Verdict::CoveredNoPhi { .. } => "no PHI",
        baa_core::coverage::Verdict::Uncovered { .. } => "not covered",
    }
}

/// Coverage of `as_of` for workspace `ws`: as recorded by the end of a past day, with the later
/// corrections and the verdicts they change. Shared with the cache: a reader that needs only a
/// part copies that part, not the whole view.
pub async fn coverage_view(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    as_of: NaiveDate,
) -> AppResult<std::sync::Arc<CoverageView>> {
    let known = known_at(b, as_of);
    let revision = super::cache::revision(&b.db.pool, ws).await?;
    if let Some(view) = b.views.get(ws, ws_name, as_of, known, revision) {
        return Ok(view);
    }
    let view = std::sync::Arc::new(build_view(b, ws, ws_name, as_of, known).await?);
    b.views.put(ws, ws_name, as_of, known, revision, view.clone());
    Ok(view)
}

/// Builds the view of `as_of` as recorded by `known` (see [`coverage_view`]).
async fn build_view(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    as_of: NaiveDate,
    known: i64,
) -> AppResult<CoverageView> {
    let world = load(b, ws, ws_name, as_of, known).await?;
    let policy = policy(b, ws, as_of, known).await?;
    let report = baa_core::coverage::evaluate(&world, as_of, &policy);
    let facts = super::platform_facts::facts(&b.db.pool, ws, known).await?;
    let safeguards = baa_core::safeguards::check_world(&world, &facts, &policy.safeguards, as_of);
    let (corrections, corrected_verdicts) = if known == i64::MAX {
        (Vec::new(), Vec::new())
    } else {
        let corrections = records::corrections(&b.db, ws, as_of, known).await?;
        let mut changed = Vec::new();
        if !corrections.is_empty() {
            let now = load(b, ws, ws_name, as_of, i64::MAX).await?;
            let now_policy = self::policy(b, ws, as_of, i64::MAX).await?;
            let corrected = baa_core::coverage::evaluate(&now, as_of, &now_policy);
            let before: BTreeMap<&str, &str> =
                report.services.iter().map(|s| (s.service.as_str(), verdict_text(&s.verdict))).collect();
            for s in &corrected.services {
                let was = before.get(s.service.as_str()).copied().unwrap_or("not recorded");
                let is = verdict_text(&s.verdict);
                if was != is {
                    changed.push(CorrectedVerdict {
                        service: s.service.clone(),
                        name: s.name.clone(),
                        recorded: was.to_owned(),
                        corrected: is.to_owned(),
                    });
                }
            }
            let after: std::collections::BTreeSet<&str> =
                corrected.services.iter().map(|s| s.service.as_str()).collect();
            for s in report.services.iter().filter(|s| !after.contains(s.service.as_str())) {
                changed.push(CorrectedVerdict {
                    service: s.service.clone(),
                    name: s.name.clone(),
                    recorded: verdict_text(&s.verdict).to_owned(),
                    corrected: "not in the corrected record".to_owned(),
                });
            }
        }
        (corrections, changed)
    };
    Ok(CoverageView {
        world,
        report,
        policy,
        safeguards,
        corrections,
        corrected_verdicts,
        derived: Default::default(),
    })
}

/// Ids of agreements with an executed document uploaded at or before `until` (unix seconds).
async fn agreements_with_documents<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: &str,
    until: i64,
) -> AppResult<std::collections::HashSet<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT agreement_id FROM documents WHERE workspace_id = $1 AND uploaded_at <= $2",
    )
    .bind(ws)
    .bind(until)
    .fetch_all(exec)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("agreement_id")?)).collect()
}
