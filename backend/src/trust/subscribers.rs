//! Subscribers of a trust page: double opt-in, one-click leave, the notices of changed
//! subcontractors (debounced, sent through the outbox) and the customers legal must tell.

use super::*;

/// A notice sent to subscribers, for the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeEntry {
    /// Id.
    pub id: String,
    /// When.
    pub at: i64,
    /// Vendor names added.
    pub added: Vec<String>,
    /// Vendor names removed.
    pub removed: Vec<String>,
}

/// The notices of a published page, newest first (at most 50).
pub async fn notices(b: &Backend, slug: &str) -> AppResult<Vec<NoticeEntry>> {
    let p = published(b, slug).await?;
    let rows = sqlx::query(
        "SELECT id, created_at, added, removed FROM trust_notices WHERE workspace_id = $1 ORDER BY created_at DESC, id LIMIT 50",
    )
    .bind(&p.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NoticeEntry {
                id: r.try_get("id")?,
                at: r.try_get("created_at")?,
                added: serde_json::from_str(&r.try_get::<String, _>("added")?).unwrap_or_default(),
                removed: serde_json::from_str(&r.try_get::<String, _>("removed")?).unwrap_or_default(),
            })
        })
        .collect()
}

/// Asks to subscribe `email` to the page of `slug`: mails a confirmation link (double opt-in).
/// The answer is the same whether the address was new, pending or confirmed, so the form does
/// not tell who subscribes.
pub async fn subscribe(b: &Backend, slug: &str, email: &str, source: &str) -> AppResult<()> {
    let p = published(b, slug).await?;
    let email = Email::parse(email)?;
    let now = b.clock.now();
    let by_addr = format!("trust-subscribe:addr:{source}");
    let by_email = format!("trust-subscribe:email:{}", email.as_str());
    throttle::reserve_or_refuse(
        &b.db,
        &[(by_addr.as_str(), SUBSCRIBE_ADDRESS), (by_email.as_str(), SUBSCRIBE_EMAIL)],
        now,
        "Too many subscription requests.",
        "",
    )
    .await?;
    let mut tx = b.db.begin_write().await?;
    let existing =
        sqlx::query("SELECT confirmed_at FROM trust_subscribers WHERE workspace_id = $1 AND email = $2")
            .bind(&p.workspace_id)
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(r) = existing {
        if r.try_get::<Option<i64>, _>("confirmed_at")?.is_some() {
            tx.commit().await?;
            return Ok(());
        }
    }
    let t = token();
    sqlx::query("DELETE FROM trust_subscribers WHERE workspace_id = $1 AND email = $2")
        .bind(&p.workspace_id)
        .bind(email.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO trust_subscribers (id, workspace_id, email, token_sha256, confirmed_at, created_at) VALUES ($1, $2, $3, $4, NULL, $5)",
    )
    .bind(new_id())
    .bind(&p.workspace_id)
    .bind(email.as_str())
    .bind(token_digest(&t))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let link = link(b, &format!("/trust/{}/confirm?token={t}", p.settings.slug));
    let mail = mail::render(
        Template::TrustConfirm,
        &format!("Confirm: subcontractor notices from {}", p.settings.company_name),
        &[("company", p.settings.company_name.as_str()), ("link", link.as_str())],
    );
    mail::enqueue(&mut tx, Some(&p.workspace_id), email.as_str(), &mail, now).await?;
    tx.commit().await?;
    Ok(())
}

fn link(b: &Backend, path: &str) -> String {
    format!("{}{}", b.config.public_url.as_str().trim_end_matches('/'), path)
}

/// Confirms a subscription by its mailed token.
pub async fn confirm(b: &Backend, slug: &str, token: &str) -> AppResult<()> {
    let p = published(b, slug).await?;
    let done = sqlx::query(
        "UPDATE trust_subscribers SET confirmed_at = COALESCE(confirmed_at, $1) WHERE workspace_id = $2 AND token_sha256 = $3",
    )
    .bind(b.clock.now())
    .bind(&p.workspace_id)
    .bind(token_digest(token.trim()))
    .execute(&b.db.pool)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::invalid(
            "token",
            "this link is not valid: it was used to unsubscribe, or it is mistyped",
        ))
    }
}

/// Ends a subscription by its token (one click, no sign-in). Unknown tokens are refused; a page
/// unpublished since still lets people leave.
pub async fn unsubscribe(b: &Backend, slug: &str, token: &str) -> AppResult<()> {
    let done = sqlx::query(
        "DELETE FROM trust_subscribers WHERE token_sha256 = $1 AND workspace_id = (SELECT workspace_id FROM trust_pages WHERE slug = $2)",
    )
    .bind(token_digest(token.trim()))
    .bind(slug)
    .execute(&b.db.pool)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::invalid("token", "this link is not valid, or you already unsubscribed"))
    }
}

/// Checks every published page for a changed list of PHI subcontractors and, once a change has
/// been still for [`DEBOUNCE_SECS`], sends one notice for it. Returns the notices sent.
pub async fn sweep(b: &Backend) -> AppResult<usize> {
    let pages = sqlx::query(
        "SELECT t.workspace_id, w.name, t.slug, t.company_name, t.noticed_vendors, t.pending_since FROM trust_pages t \
         JOIN workspaces w ON w.id = t.workspace_id WHERE t.published = 1",
    )
    .fetch_all(&b.db.pool)
    .await?;
    let now = b.clock.now();
    let mut sent = 0;
    for r in &pages {
        let ws: String = r.try_get("workspace_id")?;
        let ws_name: String = r.try_get("name")?;
        let slug: String = r.try_get("slug")?;
        let company: String = r.try_get("company_name")?;
        let noticed: BTreeSet<String> = r
            .try_get::<Option<String>, _>("noticed_vendors")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        let pending: Option<i64> = r.try_get("pending_since")?;
        let (view, vendors) = phi_vendors(b, &ws, &ws_name).await?;
        let w = &view.world;
        let current: BTreeSet<String> = vendors.keys().cloned().collect();
        if current == noticed {
            if pending.is_some() {
                sqlx::query("UPDATE trust_pages SET pending_since = NULL WHERE workspace_id = $1")
                    .bind(&ws)
                    .execute(&b.db.pool)
                    .await?;
            }
            continue;
        }
        let Some(since) = pending else {
            sqlx::query("UPDATE trust_pages SET pending_since = $1 WHERE workspace_id = $2")
                .bind(now)
                .bind(&ws)
                .execute(&b.db.pool)
                .await?;
            continue;
        };
        if now - since < DEBOUNCE_SECS {
            continue;
        }
        let name = |slug: &str| w.catalog.vendor(slug).map_or_else(|| slug.to_owned(), |v| v.name.clone());
        let added: Vec<String> = current.difference(&noticed).map(|s| name(s.as_str())).collect();
        let removed: Vec<String> = noticed.difference(&current).map(|s| name(s.as_str())).collect();
        // A new subcontractor's first day: the earliest creation of its PHI services.
        let starts: Option<NaiveDate> = w
            .services
            .iter()
            .filter(|s| current.contains(&s.vendor) && !noticed.contains(&s.vendor) && !s.phi.valid_no())
            .map(|s| s.created_on)
            .min();
        let today = world::today(b);
        // Customers whose BAA with us names a notice period: legal must tell them that many days
        // before a new subcontractor starts; a start already past (or a removal) is due today.
        let legal: Vec<(String, u32, NaiveDate)> = w
            .agreements
            .iter()
            .filter(|a| a.kind == AgreementKind::Baa && a.standing_on(today) == Standing::Active)
            .filter_map(|a| {
                let other = a.other(US);
                let party = w.parties.iter().find(|p| p.id == other)?;
                let days = a.notice_days?;
                matches!(party.role, Role::Customer { .. }).then(|| {
                    let due = starts
                        .and_then(|s| s.checked_sub_signed(chrono::Duration::days(i64::from(days))))
                        .map_or(today, |d| d.max(today));
                    (party.name.clone(), days, due)
                })
            })
            .collect();
        let mut tx = b.db.begin_write().await?;
        // Claim the change: only one sweep (of several instances) sends it.
        let claimed = sqlx::query(
            "UPDATE trust_pages SET noticed_vendors = $1, last_changed_at = $2, pending_since = NULL \
             WHERE workspace_id = $3 AND pending_since = $4",
        )
        .bind(serde_json::to_string(&current).map_err(|e| AppError::Internal(e.into()))?)
        .bind(now)
        .bind(&ws)
        .bind(since)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let id = new_id();
        let legal_json: Vec<serde_json::Value> =
            legal.iter().map(|(c, d, on)| serde_json::json!([c, d, on.to_string()])).collect();
        sqlx::query("INSERT INTO trust_notices (id, workspace_id, created_at, added, removed, legal) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(&ws)
            .bind(now)
            .bind(serde_json::to_string(&added).map_err(|e| AppError::Internal(e.into()))?)
            .bind(serde_json::to_string(&removed).map_err(|e| AppError::Internal(e.into()))?)
            .bind(serde_json::Value::Array(legal_json).to_string())
            .execute(&mut *tx)
            .await?;
        let mut change = Vec::new();
        if !added.is_empty() {
            change.push(format!("Added: {}.", added.join(", ")));
        }
        if !removed.is_empty() {
            change.push(format!("Removed: {}.", removed.join(", ")));
        }
        let change = change.join(" ");
        let subs = sqlx::query("SELECT id, email FROM trust_subscribers WHERE workspace_id = $1 AND confirmed_at IS NOT NULL ORDER BY email")
            .bind(&ws)
            .fetch_all(&mut *tx)
            .await?;
        for s in &subs {
            // A fresh token per notice: the unsubscribe link works whichever mail it comes from.
            let t = token();
            let sub_id: String = s.try_get("id")?;
            sqlx::query("UPDATE trust_subscribers SET token_sha256 = $1 WHERE id = $2")
                .bind(token_digest(&t))
                .bind(&sub_id)
                .execute(&mut *tx)
                .await?;
            let page = link(b, &format!("/trust/{slug}"));
            let leave = link(b, &format!("/trust/{slug}/unsubscribe?token={t}"));
            let mail = mail::render(
                Template::TrustNotice,
                &format!("{company}: our PHI subcontractors changed"),
                &[
                    ("company", company.as_str()),
                    ("change", change.as_str()),
                    ("page", page.as_str()),
                    ("unsubscribe", leave.as_str()),
                ],
            );
            mail::enqueue_event(
                &mut tx,
                Some(&ws),
                &s.try_get::<String, _>("email")?,
                &mail,
                now,
                &format!("trust:{id}"),
            )
            .await?;
        }
        if !legal.is_empty() {
            // Legal and owners: which customers must be told, and by when.
            let due = legal
                .iter()
                .map(|(c, d, on)| format!("{c} ({d} days' notice): by {on}"))
                .collect::<Vec<_>>()
                .join("; ");
            let body = format!("{change} Customers whose BAA with us names a notice period: {due}.");
            let settings = link(b, "/settings");
            let preferences = link(b, "/notifications");
            let mail = mail::render(
                Template::Notice,
                "Customer notice due: our PHI subcontractors changed",
                &[
                    ("title", "Customers must be told of a subcontractor change"),
                    ("body", body.as_str()),
                    ("next_step", "Send each customer listed its notice by the day shown."),
                    ("link", settings.as_str()),
                    ("workspace", ws_name.as_str()),
                    ("preferences", preferences.as_str()),
                ],
            );
            let staff = sqlx::query(
                "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 \
                 AND m.role IN ('owner', 'legal') ORDER BY u.email",
            )
            .bind(&ws)
            .fetch_all(&mut *tx)
            .await?;
            for r in &staff {
                let to: String = r.try_get("email")?;
                mail::enqueue_event(&mut tx, Some(&ws), &to, &mail, now, &format!("trust-legal:{id}"))
                    .await?;
            }
        }
        Event::new(&ws, &Actor::anonymous("trust-page sweep"), "trust.notice_sent", ("trust-page", &slug, &company)).after(serde_json::json!({"added": added, "removed": removed, "subscribers": subs.len(), "legal": legal.iter().map(|(c, d, on)| serde_json::json!({"customer": c, "notice_days": d, "notice_by": on.to_string()})).collect::<Vec<_>>()})).record(&mut tx, now)
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// Customers to tell about each change, for legal, newest change first: (when noticed,
/// [(customer, notice days, the day notice must go out)]).
pub async fn legal_list(b: &Backend, v: &Viewer) -> AppResult<Vec<(String, LegalRows)>> {
    authorize(v, Permission::Read)?;
    let rows = sqlx::query("SELECT created_at, legal FROM trust_notices WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 20")
        .bind(&v.workspace_id)
        .fetch_all(&b.db.pool)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let list: LegalRows = serde_json::from_str(&r.try_get::<String, _>("legal")?).unwrap_or_default();
        out.push((crate::clock::fmt_ts(r.try_get("created_at")?), list));
    }
    Ok(out)
}
