//! Sections 6 to 10: open findings, platform safeguards, corrections recorded later, the
//! audit-trail excerpt and coverage over the period.

use super::*;

// ---------------------------------------------------------------------------------------------
// 6 Findings, 7 Audit

pub(super) fn findings(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "Problems open on the as-of date, most severe first, each with the concrete next step.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.findings.is_empty() {
        l.paragraph("No open findings.", Face::Bold, 9.0, GREEN);
        return;
    }
    let rows: Vec<Row> = data
        .findings
        .iter()
        .map(|x| {
            Row::new(vec![
                Cell::strong(x.severity.label(), severity_color(x.severity)),
                x.rule.clone().into(),
                Cell::strong(x.subject.clone(), INK),
                x.message.clone().into(),
                x.next_step.clone().into(),
            ])
        })
        .collect();
    l.table(
        "Open findings",
        &[
            Col::new("Severity", 0.10),
            Col::new("Rule", 0.19),
            Col::new("Subject", 0.16),
            Col::new("Finding", 0.29),
            Col::new("Next step", 0.26),
        ],
        &rows,
    );
}

pub(super) fn safeguards(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "What Fly.io's healthcare blueprint asks for besides the BAA, checked from each app's fly.toml as \
         imported: credentials kept out of the file, TLS on every public port, databases not publicly \
         reachable, volume snapshots and backups, one file per environment. Each check is passed, passed by \
         an approved exception (with its reason, who approved it and when), failed, or not verifiable from \
         the data, with the file and line it was read from. Secret values are never kept: only names and lines.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.safeguards.is_empty() {
        l.paragraph("No app with a fly.toml or PHI on record.", Face::Bold, 9.0, INK);
        return;
    }
    let rows: Vec<Row> = data
        .safeguards
        .iter()
        .map(|x| {
            let color = match x.state.as_str() {
                "passed" | "passed by exception" => GREEN,
                _ => severity_color(x.severity),
            };
            Row::new(vec![
                Cell::strong(format!("{}{}", x.app, if x.phi { " (PHI)" } else { "" }), INK),
                x.rule.clone().into(),
                Cell::strong(x.state.clone(), color),
                x.at.clone().into(),
                x.detail.clone().into(),
                x.next_step.clone().into(),
            ])
        })
        .collect();
    l.table(
        "Platform safeguards",
        &[
            Col::new("App", 0.13),
            Col::new("Check", 0.15),
            Col::new("Result", 0.11),
            Col::new("File and line", 0.15),
            Col::new("Details", 0.26),
            Col::new("Next step", 0.20),
        ],
        &rows,
    );
}

pub(super) fn corrections(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "The sections above show the record as it stood at the end of the as-of date. These records were \
         entered later but say they held on that date; they are listed here instead of being folded in.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.corrections.is_empty() {
        l.paragraph("No corrections recorded after the as-of date.", Face::Bold, 9.0, GREEN);
        return;
    }
    for (service, was, now) in &data.corrected_verdicts {
        l.paragraph(
            &format!("{service}: {was} as recorded, {now} with the corrections."),
            Face::Bold,
            8.5,
            INK,
        );
    }
    l.gap(4.0);
    let rows: Vec<Row> = data
        .corrections
        .iter()
        .map(|c| {
            Row::new(vec![
                Cell::strong(c.record.clone(), INK),
                c.change.clone().into(),
                c.holds_from.clone().into(),
                c.corrected_on.clone().into(),
                c.by.clone().into(),
                c.why.clone().into(),
            ])
        })
        .collect();
    l.table(
        "Corrections",
        &[
            Col::new("Record", 0.26),
            Col::new("Change", 0.10),
            Col::new("Holds from", 0.12),
            Col::new("Corrected on", 0.18),
            Col::new("By", 0.14),
            Col::new("Why", 0.20),
        ],
        &rows,
    );
}

pub(super) fn period(l: &mut Layout<'_>, p: &PeriodSection) {
    l.paragraph(
        &format!(
            "From {} to {} ({} days). Each day is read as it was recorded by the end of that day: a record \
             entered later does not fill a past gap; it is listed under the corrections.",
            long_date(p.from),
            long_date(p.to),
            p.days
        ),
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(4.0);
    let (headline, color) = if p.covered_every_day {
        ("Covered every day: every service was covered on every day it existed.".to_owned(), GREEN)
    } else if p.days_unrecorded > 0 {
        (
            format!(
                "Not shown as covered every day: nothing was recorded for {} of the days.",
                p.days_unrecorded
            ),
            RED,
        )
    } else {
        ("Not covered every day: see the spans below.".to_owned(), RED)
    };
    l.paragraph(&headline, Face::Bold, 9.5, color);
    l.gap(6.0);
    for s in &p.services {
        l.ensure(44.0);
        l.paragraph(
            &format!(
                "{}: {} days covered, {} no PHI, {} not covered{}",
                s.name,
                s.days_covered,
                s.days_no_phi,
                s.days_uncovered,
                if s.covered_every_day { " (covered every day it existed)" } else { "" }
            ),
            Face::Bold,
            8.5,
            INK,
        );
        // The timeline: one bar across the body width, a segment per span.
        let y = l.y + 2.0;
        let mut x = MARGIN;
        for (_, _, days, state, _) in &s.spans {
            let w = BODY_W * (*days as f32) / (p.days.max(1) as f32);
            let fill = match state.as_str() {
                "covered" => GREEN,
                "not covered" => RED,
                "no PHI" => MUTED,
                _ => RULE,
            };
            l.rect(x, y, w, 10.0, Some(fill), None);
            x += w;
        }
        l.gap(16.0);
        let rows: Vec<Row> = s
            .spans
            .iter()
            .map(|(from, to, days, state, reason)| {
                let color = if state == "not covered" { RED } else { INK };
                Row::new(vec![
                    from.to_string().into(),
                    to.to_string().into(),
                    days.to_string().into(),
                    Cell::strong(state.clone(), color),
                    reason.clone().into(),
                ])
            })
            .collect();
        l.table(
            "Spans",
            &[
                Col::new("From", 0.14),
                Col::new("To", 0.14),
                Col::new("Days", 0.08),
                Col::new("State", 0.16),
                Col::new("Reason or chain", 0.48),
            ],
            &rows,
        );
        l.gap(6.0);
    }
    let rows: Vec<Row> = p
        .agreements
        .iter()
        .map(|(title, with, first, last)| {
            Row::new(vec![
                Cell::strong(title.clone(), INK),
                with.clone().into(),
                first.to_string().into(),
                last.to_string().into(),
            ])
        })
        .collect();
    l.paragraph("Agreements in force on any day of the period", Face::Bold, 9.0, NAVY);
    if rows.is_empty() {
        l.paragraph("None.", Face::Regular, 9.0, RED);
    } else {
        l.table(
            "Agreements in force",
            &[
                Col::new("Agreement", 0.40),
                Col::new("With", 0.24),
                Col::new("From", 0.18),
                Col::new("To", 0.18),
            ],
            &rows,
        );
    }
    l.gap(6.0);
    l.paragraph("Changes recorded during the period", Face::Bold, 9.0, NAVY);
    let rows: Vec<Row> = p
        .changes
        .iter()
        .map(|(when, who, action, subject, why)| {
            Row::new(vec![
                when.clone().into(),
                who.clone().into(),
                action.clone().into(),
                subject.clone().into(),
                why.clone().into(),
            ])
        })
        .collect();
    if rows.is_empty() {
        l.paragraph("None.", Face::Regular, 9.0, INK);
    } else {
        l.table(
            "Changes",
            &[
                Col::new("When", 0.20),
                Col::new("Who", 0.16),
                Col::new("Action", 0.20),
                Col::new("Subject", 0.24),
                Col::new("Why", 0.20),
            ],
            &rows,
        );
    }
    if !p.corrections.is_empty() {
        l.gap(6.0);
        l.paragraph("Corrections recorded after the days they hold on", Face::Bold, 9.0, NAVY);
        let rows: Vec<Row> = p
            .corrections
            .iter()
            .map(|(rec, from, at, by)| {
                Row::new(vec![rec.clone().into(), from.clone().into(), at.clone().into(), by.clone().into()])
            })
            .collect();
        l.table(
            "Corrections in the period",
            &[
                Col::new("Record", 0.40),
                Col::new("Holds from", 0.18),
                Col::new("Recorded", 0.24),
                Col::new("By", 0.18),
            ],
            &rows,
        );
    }
}

pub(super) fn audit(l: &mut Layout<'_>, data: &PacketData) {
    let a = &data.audit;
    let range = match (a.entries.first(), a.entries.last()) {
        (Some(first), Some(last)) => {
            format!("entries {} to {} ({} entries)", first.seq, last.seq, a.entries.len())
        }
        _ => "no entries".to_string(),
    };
    l.paragraph(
        "Every change in the workspace is recorded in a hash chain: each entry holds the SHA-256 of \
         the entry before it and of its own content, so any later edit, insertion or deletion breaks \
         the chain. The bundle holds these entries in full (audit-excerpt.jsonl) for re-checking.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(6.0);
    l.key_values(
        92.0,
        8.5,
        &[("Excerpt", range, Face::Regular), ("Chain head", a.head_hash.clone(), Face::Mono)],
    );
    l.gap(6.0);
    if a.entries.is_empty() {
        return;
    }
    let rows: Vec<Row> = a
        .entries
        .iter()
        .map(|e| {
            Row::new(vec![
                e.seq.to_string().into(),
                stamp(e.at).into(),
                e.actor.clone().into(),
                Cell { text: e.action.clone(), style: Some(Face::Mono), color: None },
                e.subject.clone().into(),
            ])
            .detail("SHA-256", e.hash.clone(), Face::Mono)
            .detail("Previous", e.prev_hash.clone(), Face::Mono)
        })
        .collect();
    l.table(
        "Audit trail excerpt",
        &[
            Col::new("Seq", 0.07).right(),
            Col::new("Time", 0.19),
            Col::new("Actor", 0.20),
            Col::new("Action", 0.22),
            Col::new("Subject", 0.32),
        ],
        &rows,
    );
}
