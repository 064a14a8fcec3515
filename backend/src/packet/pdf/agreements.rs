//! Section 5: one sub-section per agreement (parties, dates, scope, clauses, documents).

use super::*;

// ---------------------------------------------------------------------------------------------
// 5 Agreements

fn status_color(status: &str) -> Rgb {
    match status.to_ascii_lowercase().as_str() {
        "signed" | "active" | "in force" => GREEN,
        "expired" | "terminated" | "none" | "missing" => RED,
        _ => AMBER,
    }
}

pub(super) fn agreements(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "Each agreement in effect on the as-of date or relied on by a chain: its parties, dates, \
         status history, the required-clause checklist (45 CFR 164.504(e)(2), 164.314(a)(2)) with \
         where each clause is found, and the SHA-256 of every executed document version.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(4.0);
    if data.agreements.is_empty() {
        l.paragraph("No agreements are recorded.", Face::Regular, 9.0, MUTED);
    }
    for (i, a) in data.agreements.iter().enumerate() {
        agreement(l, &format!("5.{}", i + 1), a);
    }
}

fn agreement(l: &mut Layout<'_>, num: &str, a: &AgreementSection) {
    let f = l.f;
    l.ensure(150.0);
    l.y += 10.0;
    // Title with a status badge on the right.
    let badge = a.status.to_uppercase();
    let badge_w = f.width(Face::Bold, 7.0, &badge) + 10.0;
    let title_w = BODY_W - badge_w - 40.0;
    let lines = wrap(f, &a.title, Face::Bold, 11.5, title_w);
    let top = l.y;
    l.text(MARGIN, l.y + 11.5, 11.5, Face::Bold, NAVY, num);
    for line in &lines {
        l.text(MARGIN + 34.0, l.y + 11.5, 11.5, Face::Bold, NAVY, line.clone());
        l.y += 15.0;
    }
    let c = status_color(&a.status);
    l.rect(MARGIN + BODY_W - badge_w, top + 1.0, badge_w, 12.0, None, Some((c, 0.8)));
    l.text(MARGIN + BODY_W - badge_w + 5.0, top + 9.6, 7.0, Face::Bold, c, badge);
    l.y += 3.0;
    l.hline(MARGIN, MARGIN + BODY_W, l.y, RULE, 0.6);
    l.y += 6.0;

    l.key_values(
        92.0,
        8.5,
        &[
            ("Parties", a.parties.join("  ·  "), Face::Regular),
            ("Kind", a.kind.clone(), Face::Regular),
            ("Status", format!("{} on the as-of date", a.status), Face::Regular),
            ("Signed", opt_date(a.signed_on, "date not recorded"), Face::Regular),
            ("Effective", opt_date(a.effective, "not recorded"), Face::Regular),
            (
                "Recorded",
                match (a.recorded_on, a.effective) {
                    (Some(r), Some(e)) if r > e => format!("{r} (entered after its effective date {e})"),
                    (Some(r), _) => r.to_string(),
                    (None, _) => "not recorded".to_string(),
                },
                Face::Regular,
            ),
            ("Expiry", opt_date(a.expiry, "does not expire"), Face::Regular),
            ("Agreement id", a.id.clone(), Face::Mono),
        ],
    );
    l.y += 2.0;

    subheading(l, "Status history", 30.0);
    if a.history.is_empty() {
        l.paragraph("No status history recorded.", Face::Regular, 8.5, MUTED);
    } else {
        let rows: Vec<Row> = a
            .history
            .iter()
            .map(|h| {
                Row::new(vec![
                    Cell::strong(h.status.clone(), status_color(&h.status)),
                    long_date(h.when).into(),
                    h.who.clone().into(),
                    h.why.clone().into(),
                ])
            })
            .collect();
        l.table(
            &format!("{num} status history"),
            &[
                Col::new("Status", 0.16),
                Col::new("Date", 0.16),
                Col::new("Recorded by", 0.22),
                Col::new("Reason", 0.46),
            ],
            &rows,
        );
    }

    let confirmed = a.clauses.iter().filter(|c| c.confirmed).count();
    subheading(l, &format!("Required clauses: {confirmed} of {} confirmed", a.clauses.len()), 30.0);
    if a.clauses.is_empty() {
        l.paragraph("No clause checklist recorded.", Face::Regular, 8.5, MUTED);
    } else {
        let rows: Vec<Row> = a
            .clauses
            .iter()
            .map(|c| {
                let by = match (&c.confirmed_by, c.confirmed_on) {
                    (b, Some(d)) if !b.is_empty() => format!("{b}, {}", d.format("%Y-%m-%d")),
                    (b, _) => b.clone(),
                };
                Row::new(vec![
                    c.clause.clone().into(),
                    if c.confirmed { Cell::strong("Yes", GREEN) } else { Cell::strong("No", RED) },
                    c.location.clone().into(),
                    by.into(),
                ])
            })
            .collect();
        l.table(
            &format!("{num} required clauses"),
            &[
                Col::new("Clause", 0.40),
                Col::new("Confirmed", 0.12),
                Col::new("Location", 0.20),
                Col::new("Confirmed by", 0.28),
            ],
            &rows,
        );
    }

    subheading(l, "Executed documents", 30.0);
    if a.documents.is_empty() {
        l.paragraph("No executed document uploaded.", Face::Bold, 8.5, RED);
    } else {
        let rows: Vec<Row> = a
            .documents
            .iter()
            .map(|d| {
                Row::new(vec![
                    format!("v{}", d.version).into(),
                    Cell::strong(d.file_name.clone(), INK),
                    d.uploaded_by.clone().into(),
                    stamp(d.uploaded_at).into(),
                    format!("{} ({} bytes)", file_size(d.size), thousands(d.size)).into(),
                ])
                .detail("SHA-256", d.sha256.clone(), Face::Mono)
            })
            .collect();
        l.table(
            &format!("{num} executed documents"),
            &[
                Col::new("Version", 0.09),
                Col::new("File", 0.33),
                Col::new("Uploaded by", 0.19),
                Col::new("Uploaded", 0.18),
                Col::new("Size", 0.21).right(),
            ],
            &rows,
        );
    }
    l.y += 8.0;
}
