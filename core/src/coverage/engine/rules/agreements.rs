//! Rules about agreements: expired ones chains still rely on, missing documents, unconfirmed
//! clauses, and the deadlines (expiry, termination, supersession, renewal notice).

use super::{agreement_subject, Collector};
use crate::coverage::engine::text::{agreement_name, listing, party_name};
use crate::coverage::engine::Index;
use crate::coverage::model::{AgreementKind, Clause, Policy, Standing, Status};
use crate::coverage::report::{Deadline, DeadlineKind, RuleId};

impl<'w> Collector<'w> {
    /// One `agreement-expired` per expired agreement some chain still relies on.
    pub fn expired(&mut self, ix: &Index<'w>) {
        let users = std::mem::take(&mut self.expired_users);
        for (i, mut names) in users {
            names.sort_unstable();
            names.dedup();
            let a = ix.agreement(i);
            let us = ix.world.us.as_str();
            let other = if a.parties.iter().any(|p| p == us) {
                party_name(ix, a.other(us))
            } else {
                party_name(ix, &a.parties[1])
            };
            let expiry = a.expiry.map_or_else(String::new, |d| d.to_string());
            let name = agreement_name(ix, i);
            self.push(
                RuleId::AgreementExpired,
                agreement_subject(ix, i),
                format!("{name} expired on {expiry} and was not renewed; {} relies on it.", listing(&names)),
                format!(
                    "Renew {name} with {other} and record the new agreement; until then keep PHI out of {}.",
                    listing(&names)
                ),
            );
        }
    }

    /// Per-agreement rules and the deadlines list.
    pub fn agreements(&mut self, ix: &Index<'w>, policy: &Policy) -> Vec<Deadline> {
        let mut deadlines = Vec::new();
        let max_window = policy.reminder_windows.iter().copied().max();
        let us = ix.world.us.as_str();
        for (i, a) in ix.world.agreements.iter().enumerate() {
            let ours = a.parties.iter().any(|p| p == us);
            let platform = matches!(a.kind, AgreementKind::PlatformAgreement { .. });
            let other = if ours { party_name(ix, a.other(us)) } else { party_name(ix, &a.parties[1]) };
            let name = agreement_name(ix, i);
            let signed = a.status_on(ix.as_of) == Some(Status::Signed);
            if signed && (ours || platform) && !a.has_executed_document {
                let (what, step) = if ours {
                    (
                        "no executed document is uploaded",
                        format!("Upload the executed copy of {name} with {other}."),
                    )
                } else {
                    (
                        "no written confirmation from the platform is uploaded",
                        format!(
                            "Upload Fly.io's written confirmation or amendment that extends its BAA ({name}); \
                             until then the record rests on our word alone."
                        ),
                    )
                };
                self.push(
                    RuleId::DocumentMissing,
                    agreement_subject(ix, i),
                    format!("{name} with {other} is marked signed but {what}."),
                    step,
                );
            }
            let missing: Vec<&str> = if signed && ours {
                a.unconfirmed_clauses().into_iter().map(Clause::label).collect()
            } else {
                Vec::new()
            };
            if !missing.is_empty() {
                self.push(
                    RuleId::ClausesIncomplete,
                    agreement_subject(ix, i),
                    format!(
                        "{name} with {other} has {} of 12 required clauses confirmed; unconfirmed: {}.",
                        12 - missing.len(),
                        missing.join(", ")
                    ),
                    format!(
                        "Find {} in {name}, record where each is and confirm it, or ask {other} for an amendment.",
                        missing.join(", ")
                    ),
                );
            }
            let (Standing::Active, Some(max)) = (ix.standing(i), max_window) else { continue };
            for (kind, on) in self.agreement_deadlines(ix, i) {
                let days_left = (on - ix.as_of).num_days();
                if days_left < 0 || days_left > i64::from(max) {
                    continue;
                }
                let window = policy
                    .reminder_windows
                    .iter()
                    .copied()
                    .filter(|w| i64::from(*w) >= days_left)
                    .min()
                    .unwrap_or(max);
                let (rule, explanation, step) = match kind {
                    DeadlineKind::Expiry => (
                        RuleId::AgreementExpiring,
                        format!(
                            "{name} with {other} expires on {on}, in {days_left} days (the {window}-day reminder)."
                        ),
                        format!("Start renewing {name} with {other} before {on}."),
                    ),
                    DeadlineKind::Termination => (
                        RuleId::AgreementEnding,
                        format!("{name} with {other} is terminated from {on}, in {days_left} days."),
                        format!(
                            "Sign a replacement with {other} or another vendor before {on}, or move PHI off the \
                             services that rely on {name}."
                        ),
                    ),
                    DeadlineKind::SupersededWithoutSuccessor => (
                        RuleId::AgreementEnding,
                        format!(
                            "{name} with {other} is superseded from {on}, in {days_left} days, but no agreement that \
                             replaces it is recorded."
                        ),
                        format!("Record the agreement that replaces {name} (renew it), or correct its status."),
                    ),
                    DeadlineKind::RenewalNotice => (
                        RuleId::RenewalNoticeDue,
                        format!(
                            "{name} with {other} renews itself unless notice is given by {on}, in {days_left} days \
                             ({} days before the term ends).",
                            a.notice_days.unwrap_or(0)
                        ),
                        format!("Decide by {on} whether {name} should renew; give {other} notice by then if not."),
                    ),
                };
                self.push(rule, agreement_subject(ix, i), explanation, step);
                deadlines.push(Deadline {
                    agreement: a.id.clone(),
                    name: name.to_owned(),
                    kind,
                    on,
                    days_left,
                    window,
                });
            }
        }
        deadlines
            .sort_by(|x, y| (x.days_left, &x.agreement, x.kind).cmp(&(y.days_left, &y.agreement, y.kind)));
        deadlines
    }

    /// The deadlines of an agreement active on the day.
    fn agreement_deadlines(&self, ix: &Index<'w>, i: usize) -> Vec<(DeadlineKind, chrono::NaiveDate)> {
        let a = ix.agreement(i);
        let mut out = Vec::new();
        if let (Some(expiry), false) = (a.expiry, a.auto_renews) {
            out.push((DeadlineKind::Expiry, expiry));
        }
        match a.ends_after(ix.as_of) {
            Some((on, Status::Terminated)) => out.push((DeadlineKind::Termination, on)),
            Some((on, _)) if !ix.is_succeeded(&a.id) => {
                out.push((DeadlineKind::SupersededWithoutSuccessor, on))
            }
            _ => {}
        }
        if let (true, Some(days), Some(end)) = (a.auto_renews, a.notice_days, a.term_end_on(ix.as_of)) {
            if let Some(by) = end.checked_sub_days(chrono::Days::new(u64::from(days))) {
                out.push((DeadlineKind::RenewalNotice, by));
            }
        }
        out
    }
}
