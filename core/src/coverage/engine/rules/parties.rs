//! Rules about parties: customers whose PHI we handle without a BAA, and vendors' PHI
//! subcontractors without a recorded subcontractor BAA.

use std::collections::HashSet;

use super::{simple, Collector, Simple};
use crate::coverage::engine::text::{expired_text, listing, missing_link, party_name};
use crate::coverage::engine::Index;
use crate::coverage::model::{AgreementKind, Downstream, Role};
use crate::coverage::report::{RuleId, Subject, SubjectKind};

impl<'w> Collector<'w> {
    /// `customer-uncovered`.
    pub fn customers(&mut self, ix: &Index<'w>) {
        let us = ix.world.us.as_str();
        for p in &ix.world.parties {
            if !matches!(p.role, Role::Customer { active: true, handles_phi: true }) {
                continue;
            }
            let why = match simple(ix, us, &p.id, |k| *k == AgreementKind::Baa) {
                Simple::Active => continue,
                Simple::Expired(i) => expired_text(ix, i),
                Simple::Absent(others) => missing_link(ix, "BAA", &others, &[], &[]),
            };
            self.push(
                RuleId::CustomerUncovered,
                Subject { kind: SubjectKind::Customer, id: p.id.clone(), name: p.name.clone() },
                format!("We handle PHI of active customer {} without a signed BAA: {why}.", p.name),
                format!(
                    "Sign a BAA between {} and {} (or renew it) before handling more of its PHI.",
                    p.name,
                    party_name(ix, us)
                ),
            );
        }
    }

    /// `downstream-unverified`: from the vendors that see PHI down their listed subcontractors.
    pub fn downstream(&mut self, ix: &Index<'w>, in_use: &HashSet<&'w str>) {
        let mut queue: Vec<(&'w str, bool)> = in_use.iter().map(|id| (*id, true)).collect();
        queue.sort_unstable();
        let mut seen: HashSet<&str> = queue.iter().map(|(id, _)| *id).collect();
        while let Some((id, ours)) = queue.pop() {
            let Some(party) = ix.party(id) else { continue };
            let subject =
                Subject { kind: SubjectKind::Vendor, id: party.id.clone(), name: party.name.clone() };
            match party.role.downstream() {
                None | Some(Downstream::None) => {}
                // Only the vendors we contract with owe us their list; their subcontractors'
                // own lists are theirs to obtain (45 CFR 164.502(e)(1)(ii)).
                Some(Downstream::Unknown) if ours => self.push(
                    RuleId::DownstreamUnverified,
                    subject,
                    format!(
                        "{} handles PHI for us, and nobody has recorded whether it uses subcontractors that do \
                         (unknown is not none).",
                        party.name
                    ),
                    format!(
                        "Ask {} for its list of subcontractors that handle PHI and record it (or that it uses \
                         none), with their BAAs.",
                        party.name
                    ),
                ),
                Some(Downstream::Unknown) => {}
                Some(Downstream::Listed { subcontractors }) => {
                    let mut missing = Vec::new();
                    for sub in subcontractors {
                        match simple(ix, id, sub, |k| *k == AgreementKind::SubcontractorBaa) {
                            Simple::Active => {}
                            Simple::Expired(i) => missing.push(format!(
                                "{} (BAA expired {})",
                                party_name(ix, sub),
                                ix.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
                            )),
                            Simple::Absent(_) => missing.push(party_name(ix, sub).to_owned()),
                        }
                        if seen.insert(sub.as_str()) {
                            queue.push((sub.as_str(), false));
                        }
                    }
                    if !missing.is_empty() {
                        self.push(
                            RuleId::DownstreamUnverified,
                            subject,
                            format!(
                                "{} lists PHI subcontractors without a recorded active subcontractor BAA: {}.",
                                party.name,
                                listing(&missing)
                            ),
                            format!(
                                "Ask {} for its subcontractor BAAs with {} and record them.",
                                party.name,
                                listing(&missing)
                            ),
                        );
                    }
                }
            }
        }
    }
}
