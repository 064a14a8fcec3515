//! Agreements: record them (parties, kind, dates, scope, the clause checklist with where each
//! clause is found), change their status with a date and a reason, renew and amend them.

use crate::accounts::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::inventory::{current, date, last_day, list, load_world, regions, today_for, Kind};
use crate::storage::records::append;
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::coverage::{
    Agreement, AgreementKind, Clause, ClauseEvidence, Party, Role, Scope, Status, StatusChange, World,
};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

fn today(b: &Backend) -> NaiveDate {
    today_for(b)
}

/// "signed", "terminated", ... for messages.
pub fn status_label(st: Status) -> &'static str {
    match st {
        Status::Draft => "a draft",
        Status::Sent => "sent",
        Status::InNegotiation => "in negotiation",
        Status::Signed => "signed",
        Status::Terminated => "terminated",
        Status::Superseded => "superseded",
    }
}

/// Appends one version in a transaction of its own.
async fn append_one(
    b: &Backend,
    v: &Viewer,
    id: &str,
    on: NaiveDate,
    a: &Agreement,
    reason: Option<&str>,
) -> AppResult<()> {
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, Kind::Agreement, id, on, a, false, reason, b.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// An agreement as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AgreementInput {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Party ids (`us`, `vendor:sentry`, `cust:...`, `sub:...`).
    #[serde(default)]
    pub party_a: String,
    /// The other party.
    #[serde(default)]
    pub party_b: String,
    /// baa, subcontractor-baa, platform-agreement.
    #[serde(default)]
    pub kind: String,
    /// For a platform agreement: comma-separated vendor slugs it extends to.
    #[serde(default)]
    pub extends_to: String,
    /// draft, sent, in-negotiation, signed.
    #[serde(default)]
    pub status: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub effective: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub expiry: String,
    /// Comma-separated product slugs (empty: all).
    #[serde(default)]
    pub products: String,
    /// Comma-separated plan slugs (empty: all).
    #[serde(default)]
    pub plans: String,
    /// Comma-separated regions (empty: all).
    #[serde(default)]
    pub regions: String,
    /// Comma-separated vendor accounts it covers (AWS account ids, Sentry organization slugs,
    /// Fly org slugs; empty: not limited to accounts).
    #[serde(default)]
    pub accounts: String,
    /// Day both parties had signed (YYYY-MM-DD; empty: not recorded).
    #[serde(default)]
    pub signed_on: String,
    /// Confirmed clauses: (clause id, where it is found). A clause without a location is refused.
    #[serde(skip)]
    pub clause_evidence: Vec<(String, String)>,
    /// "on" when the agreement renews itself at the end of each term.
    #[serde(default)]
    pub auto_renews: String,
    /// Days of notice to stop a renewal or terminate (empty: not stated).
    #[serde(default)]
    pub notice_days: String,
    /// Free notes.
    #[serde(default)]
    pub notes: String,
}

fn status(s: &str) -> AppResult<Status> {
    match s {
        "draft" | "" => Ok(Status::Draft),
        "sent" => Ok(Status::Sent),
        "in-negotiation" => Ok(Status::InNegotiation),
        "signed" => Ok(Status::Signed),
        "terminated" => Ok(Status::Terminated),
        "superseded" => Ok(Status::Superseded),
        _ => Err(AppError::invalid(
            "status",
            "choose draft, sent, in negotiation, signed, terminated or superseded",
        )),
    }
}

/// Clause evidence from (clause id, location) pairs: every clause needs where it is found;
/// `old` keeps the original confirmer of an unchanged entry. All missing locations are named
/// at once.
fn clause_evidence(
    confirmed: &[(String, String)],
    old: &BTreeMap<Clause, ClauseEvidence>,
    who: &str,
    on: NaiveDate,
) -> AppResult<BTreeMap<Clause, ClauseEvidence>> {
    let mut evidence = BTreeMap::new();
    let mut missing = Vec::new();
    for (c, location) in confirmed {
        let clause: Clause = serde_json::from_value(serde_json::Value::String(c.trim().to_lowercase()))
            .map_err(|_| AppError::invalid("clauses", format!("{c} is not a clause of the checklist")))?;
        let location = location.trim();
        if location.is_empty() || location.chars().count() > 200 || location.chars().any(char::is_control) {
            missing.push(clause.label());
            continue;
        }
        let keep = old.get(&clause).filter(|e| e.location == location).cloned();
        evidence.insert(
            clause,
            keep.unwrap_or_else(|| ClauseEvidence {
                location: location.to_string(),
                confirmed_by: who.to_owned(),
                confirmed_on: on,
            }),
        );
    }
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "clauses",
            format!("say where each ticked clause is found (section or page): {}", missing.join("; ")),
        ));
    }
    Ok(evidence)
}

fn title(s: &str) -> AppResult<String> {
    let t = s.trim();
    if t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(AppError::invalid("title", "keep the title on one line, under 200 characters"));
    }
    Ok(t.to_owned())
}

/// An agreement's fields, validated.
struct ValidAgreement {
    a: Party,
    b: Party,
    kind: AgreementKind,
    effective: Option<NaiveDate>,
    expiry: Option<NaiveDate>,
    scope: Scope,
    status: Status,
    signed_on: Option<NaiveDate>,
    auto_renews: bool,
    notice_days: Option<u32>,
    notes: String,
}

/// Checks an agreement form against the world: parties exist and differ, the kind fits, the
/// expiry follows the effective date, and the scope names the vendor's own products and plans.
fn validate_agreement(world: &World, input: &AgreementInput) -> AppResult<ValidAgreement> {
    let party = |field: &str, id: &str| -> AppResult<Party> {
        world
            .parties
            .iter()
            .find(|p| p.id == id.trim())
            .cloned()
            .ok_or_else(|| AppError::invalid(field, "choose a party that exists"))
    };
    let a = party("party_a", &input.party_a)?;
    let bp = party("party_b", &input.party_b)?;
    if a.id == bp.id {
        return Err(AppError::invalid("party_b", "an agreement needs two different parties"));
    }
    let vendor_of = |p: &Party| match &p.role {
        Role::Vendor { vendor, .. } => Some(vendor.clone()),
        _ => None,
    };
    let kind = match input.kind.as_str() {
        "baa" => AgreementKind::Baa,
        "subcontractor-baa" => AgreementKind::SubcontractorBaa,
        "platform-agreement" => {
            // It counts only between the platform and the vendor it extends to.
            let platform =
                [&a, &bp].into_iter().find(|p| vendor_of(p).as_deref() == Some(baa_core::catalog::FLY));
            let other =
                [&a, &bp].into_iter().find(|p| vendor_of(p).is_some_and(|x| x != baa_core::catalog::FLY));
            let (Some(_), Some(other)) = (platform, other) else {
                return Err(AppError::invalid(
                    "party_b",
                    "a platform agreement is between Fly.io and the extension vendor it covers",
                ));
            };
            let vendor = vendor_of(other).unwrap_or_default();
            let extends_to = list("extends_to", &input.extends_to, 64)?;
            if extends_to.iter().any(|x| *x != vendor) {
                return Err(AppError::invalid(
                    "extends_to",
                    format!(
                        "an agreement with {} can only extend Fly.io's BAA to {} extensions",
                        other.name, other.name
                    ),
                ));
            }
            AgreementKind::PlatformAgreement { extends_to: vec![vendor] }
        }
        _ => return Err(AppError::invalid("kind", "choose BAA, subcontractor BAA or platform agreement")),
    };
    let effective = date("effective", &input.effective)?;
    let expiry = date("expiry", &input.expiry)?;
    if let (Some(e), Some(x)) = (effective, expiry) {
        if x <= e {
            return Err(AppError::invalid("expiry", "the expiry date must be after the effective date"));
        }
    }
    let signed_on = date("signed_on", &input.signed_on)?;
    let products = list("products", &input.products, 64)?;
    let plans = list("plans", &input.plans, 64)?;
    let accounts = list("accounts", &input.accounts, 128)?;
    // Scope must match the vendor's products and plans.
    let vendor_slug = [&a, &bp].iter().find_map(|p| match &p.role {
        Role::Vendor { vendor, .. } => Some(vendor.clone()),
        _ => None,
    });
    if let Some(vs) = &vendor_slug {
        if let Some(vendor) = world.catalog.vendor(vs) {
            for p in &products {
                if vendor.product(p).is_none() {
                    return Err(AppError::invalid("products", format!("{} has no product {p}", vendor.name)));
                }
            }
            for p in &plans {
                if vendor.plan(p).is_none() {
                    return Err(AppError::invalid("plans", format!("{} has no plan {p}", vendor.name)));
                }
            }
            // Fly.io's own products, and other vendors' plans, are what "plans" names; Fly.io's
            // BAA is checked against the org's plan.
        }
    }
    let regions = regions("regions", &input.regions)?;
    let scope = if products.is_empty() && plans.is_empty() && regions.is_empty() && accounts.is_empty() {
        Scope::All
    } else {
        Scope::Limited { products, plans, regions, accounts }
    };
    let st = status(&input.status)?;
    if matches!(st, Status::Terminated | Status::Superseded) {
        return Err(AppError::invalid(
            "status",
            "a new agreement starts as draft, sent, in negotiation or signed",
        ));
    }
    let auto_renews = input.auto_renews == "on";
    if auto_renews && expiry.is_none() {
        return Err(AppError::invalid(
            "expiry",
            "an auto-renewing agreement needs the end date of its first term",
        ));
    }
    let notice_days = match input.notice_days.trim() {
        "" => None,
        n => Some(n.parse::<u32>().ok().filter(|d| *d <= 3650).ok_or_else(|| {
            AppError::invalid("notice_days", "enter the notice period in days, such as 60")
        })?),
    };
    let notes = input.notes.trim().to_string();
    if notes.chars().count() > 5000 {
        return Err(AppError::invalid("notes", "keep notes under 5,000 characters"));
    }
    Ok(ValidAgreement {
        a,
        b: bp,
        kind,
        effective,
        expiry,
        scope,
        status: st,
        signed_on,
        auto_renews,
        notice_days,
        notes,
    })
}

/// Records a new agreement; returns its id.
pub async fn create_agreement(b: &Backend, v: &Viewer, input: &AgreementInput) -> AppResult<String> {
    authorize(v, Permission::EditAgreements)?;
    let world = load_world(b, v, today(b)).await?;
    let ValidAgreement {
        a,
        b: bp,
        kind,
        effective,
        expiry,
        scope,
        status: st,
        signed_on,
        auto_renews,
        notice_days,
        notes,
    } = validate_agreement(&world, input)?;
    let on = today(b);
    if signed_on.is_some_and(|d| d > on) {
        return Err(AppError::invalid("signed_on", "the signing date cannot be in the future"));
    }
    if signed_on.is_some() && st != Status::Signed {
        return Err(AppError::invalid("signed_on", "a signing date belongs to a signed agreement"));
    }
    let clause_evidence = clause_evidence(&input.clause_evidence, &BTreeMap::new(), &v.name, on)?;
    let title = match title(&input.title)? {
        t if t.is_empty() => format!("{} – {}", a.name, bp.name),
        t => t,
    };
    let id = new_id();
    let agreement = Agreement {
        id: id.clone(),
        title,
        parties: [a.id, bp.id],
        kind,
        // The signed status holds from the signing day (or the effective day), never later
        // than today: a record entered late still says when the agreement was signed.
        history: vec![StatusChange {
            on: signed_on.or(effective).filter(|_| st == Status::Signed).unwrap_or(on).min(on),
            status: st,
        }],
        effective,
        expiry,
        scope,
        signed_on,
        recorded_on: None,
        has_executed_document: false,
        auto_renews,
        notice_days,
        notes,
        supersedes: None,
        clause_evidence,
    };
    let mut tx = b.db.begin_write().await?;
    append(
        &mut tx,
        v,
        Kind::Agreement,
        &id,
        on.min(agreement.history[0].on),
        &agreement,
        false,
        None,
        b.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes an agreement's status from a day on, with a reason.
pub async fn set_agreement_status(
    b: &Backend,
    v: &Viewer,
    id: &str,
    new_status: &str,
    on: &str,
    reason: &str,
) -> AppResult<()> {
    authorize(v, Permission::EditAgreements)?;
    let st = status(new_status)?;
    let on = date("on", on)?.unwrap_or_else(|| today(b));
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let mut a = all.get(id).cloned().ok_or(AppError::NotFound)?;
    if a.history.last().map(|h| h.status) == Some(st) {
        return Err(AppError::invalid("status", format!("the agreement is already {}", status_label(st))));
    }
    let reason = reason.trim();
    if reason.chars().count() < 3
        || reason.chars().count() > 500
        || reason.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(AppError::invalid("reason", "say why the status changes (3 to 500 characters)"));
    }
    if let Some(last) = a.history.last() {
        if on < last.on {
            return Err(AppError::invalid(
                "on",
                format!("the status history already has an entry on {}", last.on),
            ));
        }
    }
    a.history.push(StatusChange { on, status: st });
    append_one(b, v, id, on, &a, Some(reason)).await?;
    Ok(())
}

/// Changes an agreement's title, dates, scope and clause checklist (not its parties, kind or
/// status: a different party is a different agreement; status has its own dated history).
pub async fn update_agreement(
    b: &Backend,
    v: &Viewer,
    id: &str,
    input: &AgreementInput,
    reason: &str,
) -> AppResult<()> {
    authorize(v, Permission::EditAgreements)?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let old = all.get(id).cloned().ok_or(AppError::NotFound)?;
    if reason.trim().chars().count() < 3 {
        return Err(AppError::invalid("reason", "say why the agreement record changes"));
    }
    let world = load_world(b, v, last_day()).await?;
    let mut input = input.clone();
    input.signed_on = old.signed_on.map(|d| d.to_string()).unwrap_or_default();
    input.party_a = old.parties[0].clone();
    input.party_b = old.parties[1].clone();
    input.kind = match &old.kind {
        AgreementKind::Baa => "baa".into(),
        AgreementKind::SubcontractorBaa => "subcontractor-baa".into(),
        AgreementKind::PlatformAgreement { extends_to } => {
            if input.extends_to.trim().is_empty() {
                input.extends_to = extends_to.join(",");
            }
            "platform-agreement".into()
        }
    };
    input.status = "draft".into();
    let valid = validate_agreement(&world, &input)?;
    let mut a = old.clone();
    let new_title = title(&input.title)?;
    if !new_title.is_empty() {
        a.title = new_title;
    }
    a.kind = valid.kind;
    a.effective = valid.effective;
    a.expiry = valid.expiry;
    a.scope = valid.scope;
    a.auto_renews = valid.auto_renews;
    a.notice_days = valid.notice_days;
    a.notes = valid.notes;
    if a == old {
        return Err(AppError::invalid("reason", "nothing changed"));
    }
    append_one(b, v, id, today(b), &a, Some(reason)).await?;
    Ok(())
}

/// A renewal as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RenewInput {
    /// The agreement being renewed.
    #[serde(default)]
    pub id: String,
    /// First day of the new agreement.
    #[serde(default)]
    pub effective: String,
    /// Last day of the new agreement (empty: none).
    #[serde(default)]
    pub expiry: String,
    /// Why (e.g. "renewed for 2027, signed 2026-12-01").
    #[serde(default)]
    pub reason: String,
}

/// Renews a signed agreement: records a new signed agreement with the same parties, kind, scope
/// and checklist, and marks the old one superseded from the new one's effective date, in one
/// transaction, so coverage never has a gap. Returns the new agreement's id.
pub async fn renew_agreement(b: &Backend, v: &Viewer, input: &RenewInput) -> AppResult<String> {
    authorize(v, Permission::EditAgreements)?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let old = all.get(input.id.trim()).cloned().ok_or(AppError::NotFound)?;
    if old.history.last().map(|h| h.status) != Some(Status::Signed) {
        return Err(AppError::invalid(
            "effective",
            "only a signed agreement can be renewed; record the new agreement instead",
        ));
    }
    let effective = date("effective", &input.effective)?
        .ok_or_else(|| AppError::invalid("effective", "enter the first day of the renewed agreement"))?;
    let expiry = date("expiry", &input.expiry)?;
    if expiry.is_some_and(|x| x <= effective) {
        return Err(AppError::invalid("expiry", "the expiry date must be after the effective date"));
    }
    if old.effective_from().is_some_and(|f| effective <= f)
        || old.history.last().is_some_and(|h| effective < h.on)
    {
        return Err(AppError::invalid("effective", "the renewal must start after the agreement it renews"));
    }
    let reason = input.reason.trim();
    if reason.chars().count() < 3 {
        return Err(AppError::invalid("reason", "say why (for example when the renewal was signed)"));
    }
    let id = new_id();
    let mut renewed = old.clone();
    renewed.id = id.clone();
    renewed.history = vec![StatusChange { on: effective, status: Status::Signed }];
    renewed.effective = Some(effective);
    renewed.expiry = expiry;
    renewed.has_executed_document = false;
    renewed.signed_on = None;
    renewed.recorded_on = None;
    renewed.supersedes = Some(old.id.clone());
    let mut superseded = old.clone();
    superseded.history.push(StatusChange { on: effective, status: Status::Superseded });
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, Kind::Agreement, &id, effective.min(today(b)), &renewed, false, Some(reason), now)
        .await?;
    append(&mut tx, v, Kind::Agreement, &old.id, effective, &superseded, false, Some(reason), now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records where each clause is found in the document (clause id -> location; a clause left
/// out is not confirmed). Confirmation keeps who confirmed it and when; unchanged entries keep
/// their original confirmer.
pub async fn confirm_clauses(
    b: &Backend,
    v: &Viewer,
    id: &str,
    confirmed: &[(String, String)],
) -> AppResult<()> {
    authorize(v, Permission::EditAgreements)?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let old = all.get(id.trim()).cloned().ok_or(AppError::NotFound)?;
    let mut a = old.clone();
    a.clause_evidence = clause_evidence(confirmed, &old.clause_evidence, &v.name, today(b))?;
    if a == old {
        return Err(AppError::invalid("clauses", "nothing changed"));
    }
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, Kind::Agreement, &a.id, today(b), &a, false, Some("clause checklist"), b.clock.now())
        .await?;
    tx.commit().await?;
    Ok(())
}
