//! Agreements: kinds, status history, terms and renewals, where they stand on a day, and the
//! required-clause checklist with its evidence.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::scope::Scope;

/// Lifecycle status of an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Being written.
    Draft,
    /// Sent to the other party.
    Sent,
    /// Under negotiation.
    InNegotiation,
    /// Executed by both parties.
    Signed,
    /// Ended early.
    Terminated,
    /// Replaced by a newer agreement.
    Superseded,
}

/// One dated entry of an agreement's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// Day the status took effect.
    pub on: NaiveDate,
    /// The new status.
    pub status: Status,
}

/// What an agreement is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum AgreementKind {
    /// A BAA between us and a vendor, or between a customer and us.
    Baa,
    /// A BAA between a vendor and its subcontractor.
    SubcontractorBaa,
    /// An agreement between a platform and a vendor that extends the platform's BAA to the
    /// vendor's extensions.
    PlatformAgreement {
        /// Catalog slugs of the vendors whose extensions it covers.
        extends_to: Vec<String>,
    },
}

/// A clause of the required-clause checklist (domain section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clause {
    /// A: no use or disclosure beyond the contract or the law.
    A,
    /// B: appropriate safeguards; Security Rule for ePHI.
    B,
    /// C: report unpermitted uses, security incidents and breaches.
    C,
    /// D: bind subcontractors to the same terms.
    D,
    /// E: give access to PHI.
    E,
    /// F: make amendments.
    F,
    /// G: accounting of disclosures.
    G,
    /// H: follow the Privacy Rule where acting for the CE.
    H,
    /// I: books open to HHS.
    I,
    /// J: return or destroy PHI at termination.
    J,
    /// The permitted uses are stated.
    PermittedUses,
    /// The CE may terminate for material breach.
    TerminationForBreach,
}

impl Clause {
    /// Every required clause, in checklist order.
    pub const ALL: [Clause; 12] = [
        Clause::A,
        Clause::B,
        Clause::C,
        Clause::D,
        Clause::E,
        Clause::F,
        Clause::G,
        Clause::H,
        Clause::I,
        Clause::J,
        Clause::PermittedUses,
        Clause::TerminationForBreach,
    ];

    /// Short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            Clause::A => "A (limits on use and disclosure)",
            Clause::B => "B (safeguards)",
            Clause::C => "C (breach reporting)",
            Clause::D => "D (subcontractors bound)",
            Clause::E => "E (access)",
            Clause::F => "F (amendment)",
            Clause::G => "G (accounting of disclosures)",
            Clause::H => "H (Privacy Rule)",
            Clause::I => "I (books open to HHS)",
            Clause::J => "J (return or destroy at termination)",
            Clause::PermittedUses => "permitted uses stated",
            Clause::TerminationForBreach => "termination for material breach",
        }
    }
}

/// An agreement between two parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Stable id.
    pub id: String,
    /// Display title.
    #[serde(default)]
    pub title: String,
    /// The two parties (order does not matter).
    pub parties: [String; 2],
    /// BAA, subcontractor BAA or platform agreement.
    pub kind: AgreementKind,
    /// Status history; the status on a day is the latest entry on or before it.
    pub history: Vec<StatusChange>,
    /// First day in force; when absent, the day it was signed.
    #[serde(default)]
    pub effective: Option<NaiveDate>,
    /// Last day in force; when absent, it does not expire.
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    /// What it covers.
    pub scope: Scope,
    /// Day both parties had signed, when recorded (kept apart from the effective date).
    #[serde(default)]
    pub signed_on: Option<NaiveDate>,
    /// Day the agreement was first recorded in the tracker (filled in by the storage layer), so
    /// a record entered after the day it claims can say so.
    #[serde(default)]
    pub recorded_on: Option<NaiveDate>,
    /// Whether the executed document is uploaded.
    #[serde(default)]
    pub has_executed_document: bool,
    /// Whether the agreement renews itself at the end of each term unless notice is given.
    #[serde(default)]
    pub auto_renews: bool,
    /// Days of notice needed to stop a renewal or to terminate.
    #[serde(default)]
    pub notice_days: Option<u32>,
    /// Free notes from legal.
    #[serde(default)]
    pub notes: String,
    /// The agreement this one renews (which is superseded from this one's effective date).
    #[serde(default)]
    pub supersedes: Option<String>,
    /// Where each confirmed clause is found in the document, and who confirmed it when: the one
    /// source of the checklist (a clause counts as confirmed only with both).
    #[serde(default)]
    pub clause_evidence: std::collections::BTreeMap<Clause, ClauseEvidence>,
}

/// Where a required clause is found in the executed document, and who confirmed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseEvidence {
    /// Section or page ("§ 4.2", "p. 3").
    pub location: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When.
    pub confirmed_on: NaiveDate,
}

impl ClauseEvidence {
    /// Whether it says where the clause is and who confirmed it.
    pub fn is_complete(&self) -> bool {
        !self.location.trim().is_empty() && !self.confirmed_by.trim().is_empty()
    }
}

impl Agreement {
    /// Status on `day`: the latest history entry dated on or before it (later entries in the list
    /// win ties); `None` before the first entry.
    pub fn status_on(&self, day: NaiveDate) -> Option<Status> {
        let mut best: Option<&StatusChange> = None;
        for change in &self.history {
            if change.on <= day && best.is_none_or(|b| change.on >= b.on) {
                best = Some(change);
            }
        }
        best.map(|c| c.status)
    }

    /// First day in force: `effective`, or else the first day it was signed.
    pub fn effective_from(&self) -> Option<NaiveDate> {
        self.effective
            .or_else(|| self.history.iter().filter(|c| c.status == Status::Signed).map(|c| c.on).min())
    }

    /// Last day of the term running on `day`: the expiry, or for an auto-renewing agreement the
    /// end of the renewed term that contains `day`. Renewed terms follow the calendar: a first
    /// term of whole months (2026-01-01 to 2026-12-31) renews for the same number of months
    /// (to 2027-12-31, 2028-12-31: no drift in leap years); any other first term renews for the
    /// same number of days.
    pub fn term_end_on(&self, day: NaiveDate) -> Option<NaiveDate> {
        let expiry = self.expiry?;
        if !self.auto_renews || day <= expiry {
            return Some(expiry);
        }
        let from = self.effective_from()?;
        let next = expiry.succ_opt()?;
        if let Some(months) = whole_months(from, next) {
            let elapsed = u32::try_from(months_between(from, day).max(0)).ok()?;
            let mut k = (elapsed / months).saturating_sub(1).max(1);
            loop {
                let end = add_months(from, k.checked_add(1)?.checked_mul(months)?)?.pred_opt()?;
                if end >= day {
                    return Some(end);
                }
                k += 1;
            }
        }
        let term = (expiry - from).num_days() + 1;
        let periods = ((day - expiry).num_days() + term - 1) / term.max(1);
        expiry.checked_add_signed(chrono::Duration::days(periods * term))
    }

    /// Where the agreement stands on `day`.
    pub fn standing_on(&self, day: NaiveDate) -> Standing {
        match self.status_on(day) {
            None => Standing::NotYetRecorded,
            Some(Status::Terminated) => Standing::Ended(Status::Terminated),
            Some(Status::Superseded) => Standing::Ended(Status::Superseded),
            Some(Status::Signed) => match (self.effective_from(), self.term_end_on(day)) {
                (Some(from), _) if day < from => Standing::NotYetEffective(from),
                (_, Some(until)) if day > until => Standing::Expired(until),
                _ => Standing::Active,
            },
            Some(other) => Standing::Pending(other),
        }
    }

    /// The other party of the agreement, given one of them.
    pub fn other(&self, party: &str) -> &str {
        if self.parties[0] == party {
            &self.parties[1]
        } else {
            &self.parties[0]
        }
    }

    /// Whether a clause is confirmed: recorded with where it is found and who confirmed it.
    pub fn confirms(&self, clause: Clause) -> bool {
        self.clause_evidence.get(&clause).is_some_and(ClauseEvidence::is_complete)
    }

    /// How many of the twelve required clauses are confirmed.
    pub fn confirmed_clauses(&self) -> usize {
        Clause::ALL.iter().filter(|c| self.confirms(**c)).count()
    }

    /// The required clauses not confirmed, in checklist order.
    pub fn unconfirmed_clauses(&self) -> Vec<Clause> {
        Clause::ALL.into_iter().filter(|c| !self.confirms(*c)).collect()
    }

    /// The first day after `day` on which a status change dated later ends the agreement
    /// (a termination or supersession recorded ahead of time), with that status.
    pub fn ends_after(&self, day: NaiveDate) -> Option<(NaiveDate, Status)> {
        self.history
            .iter()
            .filter(|c| c.on > day && matches!(c.status, Status::Terminated | Status::Superseded))
            .map(|c| (c.on, c.status))
            .min_by_key(|(on, _)| *on)
    }
}

/// Whole months from `a` to `b` when `b` is exactly that many calendar months after `a`.
fn whole_months(a: NaiveDate, b: NaiveDate) -> Option<u32> {
    let m = u32::try_from(months_between(a, b)).ok().filter(|m| *m >= 1)?;
    (add_months(a, m)? == b).then_some(m)
}

fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    use chrono::Datelike;
    (i64::from(b.year()) - i64::from(a.year())) * 12 + i64::from(b.month()) - i64::from(a.month())
}

fn add_months(day: NaiveDate, months: u32) -> Option<NaiveDate> {
    day.checked_add_months(chrono::Months::new(months))
}

/// Where an agreement stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "standing", content = "detail")]
pub enum Standing {
    /// Signed, effective and not expired: it counts.
    Active,
    /// Signed but its effective date is later.
    NotYetEffective(NaiveDate),
    /// Signed but past this expiry date.
    Expired(NaiveDate),
    /// Draft, sent or in negotiation.
    Pending(Status),
    /// Terminated or superseded: never counts.
    Ended(Status),
    /// No status entry on or before the day.
    NotYetRecorded,
}
