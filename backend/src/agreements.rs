//! Agreements: record them (parties, kind, dates, scope, the clause checklist with where each
//! clause is found), change their status with a date and a reason, renew and amend them.

use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult, Problems};
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
    /// Set by a deliberate second submit: record it even though an identical agreement exists.
    #[serde(skip)]
    pub record_anyway: bool,
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
/// `old` keeps the original confirmer of an unchanged entry. Every missing location is named at
/// once, each on its own row (`where:<clause>`).
fn clause_evidence(
    confirmed: &[(String, String)],
    old: &BTreeMap<Clause, ClauseEvidence>,
    who: &str,
    on: NaiveDate,
) -> AppResult<BTreeMap<Clause, ClauseEvidence>> {
    let mut evidence = BTreeMap::new();
    let mut p = Problems::new();
    for (c, location) in confirmed {
        let Ok(clause) = serde_json::from_value::<Clause>(serde_json::Value::String(c.trim().to_lowercase()))
        else {
            p.invalid("clauses", format!("{c} is not a clause of the checklist"));
            continue;
        };
        let location = location.trim();
        if location.is_empty() || location.chars().count() > 200 || location.chars().any(char::is_control) {
            p.invalid(
                &format!("where:{c}"),
                format!("say where \"{}\" is found (section or page, one line)", clause.label()),
            );
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
    p.finish()?;
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
/// Every problem is reported at once (see [`Problems`]).
fn validate_agreement(world: &World, input: &AgreementInput) -> AppResult<ValidAgreement> {
    let mut p = Problems::new();
    let party = |field: &str, id: &str| -> AppResult<Party> {
        world
            .parties
            .iter()
            .find(|p| p.id == id.trim())
            .cloned()
            .ok_or_else(|| AppError::invalid(field, "choose a party that exists"))
    };
    let a = p.check(party("party_a", &input.party_a));
    let bp = p.check(party("party_b", &input.party_b));
    if let (Some(a), Some(bp)) = (&a, &bp) {
        if a.id == bp.id {
            p.invalid("party_b", "an agreement needs two different parties");
        }
    }
    let vendor_of = |p: &Party| match &p.role {
        Role::Vendor { vendor, .. } => Some(vendor.clone()),
        _ => None,
    };
    let parties: Vec<&Party> = [&a, &bp].into_iter().flatten().collect();
    let kind = match input.kind.as_str() {
        "baa" => Some(AgreementKind::Baa),
        "subcontractor-baa" => Some(AgreementKind::SubcontractorBaa),
        "platform-agreement" => {
            // It counts only between the platform and the vendor it extends to.
            let platform = parties.iter().find(|p| vendor_of(p).as_deref() == Some(baa_core::catalog::FLY));
            let other = parties.iter().find(|p| vendor_of(p).is_some_and(|x| x != baa_core::catalog::FLY));
            let extends_to = p.check(list("extends_to", &input.extends_to, 64));
            match (platform, other) {
                (Some(_), Some(other)) => {
                    let vendor = vendor_of(other).unwrap_or_default();
                    if extends_to.is_some_and(|e| e.iter().any(|x| *x != vendor)) {
                        p.invalid(
                            "extends_to",
                            format!(
                                "an agreement with {} can only extend Fly.io's BAA to {} extensions",
                                other.name, other.name
                            ),
                        );
                    }
                    Some(AgreementKind::PlatformAgreement { extends_to: vec![vendor] })
                }
                _ => {
                    if a.is_some() && bp.is_some() {
                        p.invalid(
                            "party_b",
                            "a platform agreement is between Fly.io and the extension vendor it covers",
                        );
                    }
                    None
                }
            }
        }
        _ => {
            p.invalid("kind", "choose BAA, subcontractor BAA or platform agreement");
            None
        }
    };
    let effective = p.check(date("effective", &input.effective)).flatten();
    let expiry = p.check(date("expiry", &input.expiry));
    if let (Some(e), Some(Some(x))) = (effective, expiry) {
        if x <= e {
            p.invalid("expiry", "the expiry date must be after the effective date");
        }
    }
    let signed_on = p.check(date("signed_on", &input.signed_on)).flatten();
    let products = p.check(list("products", &input.products, 64)).unwrap_or_default();
    let plans = p.check(plan_list(world, &parties, &input.plans)).unwrap_or_default();
    let accounts = p.check(list("accounts", &input.accounts, 128)).unwrap_or_default();
    // Scope must match the vendor's products.
    let vendor_slug = parties.iter().find_map(|p| vendor_of(p));
    if let Some(vendor) = vendor_slug.as_deref().and_then(|vs| world.catalog.vendor(vs)) {
        if let Some(x) = products.iter().find(|x| vendor.product(x).is_none()) {
            p.invalid("products", format!("{} has no product {x}", vendor.name));
        }
    }
    let regions = p.check(regions("regions", &input.regions)).unwrap_or_default();
    let st = p.check(status(&input.status));
    if matches!(st, Some(Status::Terminated | Status::Superseded)) {
        p.invalid("status", "a new agreement starts as draft, sent, in negotiation or signed");
    }
    let auto_renews = input.auto_renews == "on";
    if auto_renews && matches!(expiry, Some(None)) {
        p.invalid("expiry", "an auto-renewing agreement needs the end date of its first term");
    }
    let notice_days = match input.notice_days.trim() {
        "" => None,
        n => {
            let d = n.parse::<u32>().ok().filter(|d| *d <= 3650);
            if d.is_none() {
                p.invalid("notice_days", "enter the notice period in days, such as 60");
            }
            d
        }
    };
    let notes = input.notes.trim().to_string();
    if notes.chars().count() > 5000 {
        p.invalid("notes", "keep notes under 5,000 characters");
    }
    p.finish()?;
    let (Some(a), Some(bp), Some(kind), Some(expiry), Some(st)) = (a, bp, kind, expiry, st) else {
        return Err(AppError::invalid("party_b", "choose the parties of the agreement"));
    };
    let scope = if products.is_empty() && plans.is_empty() && regions.is_empty() && accounts.is_empty() {
        Scope::All
    } else {
        Scope::Limited { products, plans, regions, accounts }
    };
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

/// The plans an agreement covers, as the vendor's plan slugs. The form sends them as ticked
/// boxes (`vendor|plan`, several) or typed (comma-separated slugs or names as shown, such as
/// "Business"); plans of another vendor than the agreement's are refused.
fn plan_list(world: &World, parties: &[&Party], raw: &str) -> AppResult<Vec<String>> {
    let vendor = parties.iter().find_map(|p| match &p.role {
        Role::Vendor { vendor, .. } => world.catalog.vendor(vendor),
        _ => None,
    });
    let mut out: Vec<String> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let (of, plan) = match item.split_once('|') {
            Some((v, p)) => (Some(v.trim()), p.trim()),
            None => (None, item),
        };
        let Some(vendor) = vendor else {
            return Err(AppError::invalid(
                "plans",
                "plans can only be limited for an agreement with a vendor",
            ));
        };
        if of.is_some_and(|v| v != vendor.slug) {
            return Err(AppError::invalid(
                "plans",
                format!("tick only {}'s plans: the agreement is with {}", vendor.name, vendor.name),
            ));
        }
        let Some(found) = vendor.find_plan(plan) else {
            return Err(AppError::invalid("plans", format!("{} has no plan {plan}", vendor.name)));
        };
        if !out.contains(&found.slug) {
            out.push(found.slug.clone());
        }
    }
    if out.len() > 64 {
        return Err(AppError::invalid("plans", "name at most 64 plans"));
    }
    Ok(out)
}

/// Whether two terms (first day, last day; `None`: open) share a day: a renewal that starts after
/// the old agreement ended is a successor, not a duplicate.
fn overlaps(a: (Option<NaiveDate>, Option<NaiveDate>), b: (Option<NaiveDate>, Option<NaiveDate>)) -> bool {
    let starts_before_end = |s: Option<NaiveDate>, e: Option<NaiveDate>| match (s, e) {
        (Some(s), Some(e)) => s <= e,
        _ => true,
    };
    starts_before_end(b.0, a.1) && starts_before_end(a.0, b.1)
}

/// Records a new agreement; returns its id.
pub async fn create_agreement(b: &Backend, v: &Viewer, input: &AgreementInput) -> AppResult<String> {
    authorize(v, Permission::EditAgreements)?;
    let world = load_world(b, v, today(b)).await?;
    let on = today(b);
    // Every problem of the form at once: the agreement's fields, the signing date, the
    // checklist and the title.
    let mut p = Problems::new();
    let valid = p.check(validate_agreement(&world, input));
    if let Some(Some(d)) = p.check(date("signed_on", &input.signed_on)) {
        if d > on {
            p.invalid("signed_on", "the signing date cannot be in the future");
        } else if status(&input.status).ok() != Some(Status::Signed) {
            p.invalid("signed_on", "a signing date belongs to a signed agreement");
        }
    }
    let clause_evidence = p.check(clause_evidence(&input.clause_evidence, &BTreeMap::new(), &v.name, on));
    let title = p.check(title(&input.title));
    p.finish()?;
    let (
        Some(ValidAgreement {
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
        }),
        Some(clause_evidence),
        Some(title),
    ) = (valid, clause_evidence, title)
    else {
        return Err(AppError::Internal(anyhow::anyhow!("agreement validation passed without a value")));
    };
    let title = if title.is_empty() { format!("{} – {}", a.name, bp.name) } else { title };
    // An identical agreement (same parties, kind and scope) still in force is most likely a
    // second click: warn, and record it only when asked to deliberately.
    if !input.record_anyway {
        let all: BTreeMap<String, Agreement> =
            current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
        let same = all.values().find(|x| {
            let parties = [x.parties[0].as_str(), x.parties[1].as_str()];
            (parties == [a.id.as_str(), bp.id.as_str()] || parties == [bp.id.as_str(), a.id.as_str()])
                && x.kind == kind
                && x.scope == scope
                && !matches!(
                    x.history.last().map(|h| h.status),
                    Some(Status::Terminated | Status::Superseded)
                )
                && overlaps((x.effective.or(x.signed_on), x.expiry), (effective.or(signed_on), expiry))
        });
        if let Some(x) = same {
            return Err(AppError::Conflict {
                field: "duplicate".into(),
                message: format!(
                    "An agreement with the same parties, kind and scope already exists: \"{}\" ({}). Record this one anyway only if it is a separate agreement.",
                    x.title,
                    status_label(x.history.last().map(|h| h.status).unwrap_or(Status::Draft))
                ),
            });
        }
    }
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

/// A status change, checked and ready to be confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChangePlan {
    /// The agreement's title.
    pub title: String,
    /// Its status now.
    pub from: Status,
    /// The status it will have.
    pub to: Status,
    /// From which day.
    pub on: NaiveDate,
    /// Why.
    pub reason: String,
}

/// Checks a status change without recording it (the confirmation step shows what it will do).
/// A change to the status the agreement already has is refused: nothing would change. Every
/// problem is reported at once.
pub async fn plan_agreement_status(
    b: &Backend,
    v: &Viewer,
    id: &str,
    new_status: &str,
    on: &str,
    reason: &str,
) -> AppResult<StatusChangePlan> {
    authorize(v, Permission::EditAgreements)?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let a = all.get(id.trim()).cloned().ok_or(AppError::NotFound)?;
    let from = a.history.last().map(|h| h.status).unwrap_or(Status::Draft);
    let mut p = Problems::new();
    let st = p.check(status(new_status));
    if st == Some(from) {
        p.invalid(
            "status",
            format!(
                "the agreement is already {}: choose another status, or leave it as it is",
                status_label(from)
            ),
        );
    }
    let on = p.check(date("on", on)).map(|d| d.unwrap_or_else(|| today(b)));
    if let (Some(on), Some(last)) = (on, a.history.last()) {
        if on < last.on {
            p.invalid(
                "on",
                format!("the status history already has an entry on {}: choose that day or later", last.on),
            );
        }
    }
    let reason = reason.trim();
    if reason.chars().count() < 3
        || reason.chars().count() > 500
        || reason.chars().any(|c| c.is_control() && c != '\n')
    {
        p.invalid("reason", "say why the status changes (3 to 500 characters)");
    }
    p.finish()?;
    let (Some(to), Some(on)) = (st, on) else {
        return Err(AppError::Internal(anyhow::anyhow!("status validation passed without a value")));
    };
    Ok(StatusChangePlan { title: a.title, from, to, on, reason: reason.to_string() })
}

/// Changes an agreement's status from a day on, with a reason (checked as
/// [`plan_agreement_status`] does).
pub async fn set_agreement_status(
    b: &Backend,
    v: &Viewer,
    id: &str,
    new_status: &str,
    on: &str,
    reason: &str,
) -> AppResult<()> {
    let plan = plan_agreement_status(b, v, id, new_status, on, reason).await?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let mut a = all.get(id.trim()).cloned().ok_or(AppError::NotFound)?;
    a.history.push(StatusChange { on: plan.on, status: plan.to });
    append_one(b, v, id.trim(), plan.on, &a, Some(&plan.reason)).await?;
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
