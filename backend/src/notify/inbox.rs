//! What people see and change: their notices, what they are told of, the delivery list, a
//! retry, and the workspace webhook.

use super::*;

/// The viewer's notices, newest first (at most 200).
pub async fn list(b: &Backend, v: &Viewer) -> AppResult<Vec<NoticeView>> {
    authorize(v, Permission::Read)?;
    let rows = sqlx::query(
        "SELECT id, kind, title, body, next_step, link, created_at, read_at FROM notices \
         WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT 200",
    )
    .bind(&v.workspace_id)
    .bind(&v.user_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NoticeView {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                next_step: r.try_get("next_step")?,
                link: r.try_get("link")?,
                at: crate::clock::fmt_ts(r.try_get("created_at")?),
                read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
            })
        })
        .collect()
}

/// How many of the viewer's notices are unread.
pub async fn unread(b: &Backend, v: &Viewer) -> AppResult<i64> {
    Ok(sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM notices WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL",
    )
    .bind(&v.workspace_id)
    .bind(&v.user_id)
    .fetch_one(&b.db.pool)
    .await?
    .try_get("n")?)
}

/// Marks one notice (or, with `None`, all) of the viewer as read.
pub async fn mark_read(b: &Backend, v: &Viewer, id: Option<&str>) -> AppResult<u64> {
    authorize(v, Permission::Read)?;
    let now = b.clock.now();
    let done = match id {
        Some(id) => sqlx::query(
            "UPDATE notices SET read_at = $1 WHERE id = $2 AND workspace_id = $3 AND user_id = $4 AND read_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(&v.workspace_id)
        .bind(&v.user_id)
        .execute(&b.db.pool)
        .await?,
        None => sqlx::query(
            "UPDATE notices SET read_at = $1 WHERE workspace_id = $2 AND user_id = $3 AND read_at IS NULL",
        )
        .bind(now)
        .bind(&v.workspace_id)
        .bind(&v.user_id)
        .execute(&b.db.pool)
        .await?,
    };
    Ok(done.rows_affected())
}

/// The viewer's preferences for every kind.
pub async fn preferences(b: &Backend, v: &Viewer) -> AppResult<Vec<PreferenceView>> {
    let rows = sqlx::query(
        "SELECT kind, in_app, email FROM notice_preferences WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(&v.workspace_id)
    .bind(&v.user_id)
    .fetch_all(&b.db.pool)
    .await?;
    let mut set: HashMap<String, (bool, bool)> = HashMap::new();
    for r in &rows {
        set.insert(r.try_get("kind")?, (crate::db::flag(r, "in_app")?, crate::db::flag(r, "email")?));
    }
    Ok(Kind::ALL
        .into_iter()
        .map(|k| {
            let (in_app, email) = set.get(k.as_str()).copied().unwrap_or((true, true));
            PreferenceView { kind: k.as_str().into(), label: k.label().into(), in_app, email }
        })
        .collect())
}

/// Saves the viewer's preferences: `on` holds `KIND:app` and `KIND:email` for what is wanted.
/// Security mail (invitations, resets, password changes) is not a kind and always goes.
pub async fn save_preferences(b: &Backend, v: &Viewer, on: &[String]) -> AppResult<()> {
    authorize(v, Permission::Read)?;
    if on.len() > 2 * Kind::ALL.len() {
        return Err(AppError::invalid("preferences", "unknown notification choice"));
    }
    for item in on {
        let known = item
            .split_once(':')
            .is_some_and(|(k, ch)| Kind::parse(k).is_some() && matches!(ch, "app" | "email"));
        if !known {
            return Err(AppError::invalid("preferences", "unknown notification choice"));
        }
    }
    let mut tx = b.db.begin_write().await?;
    for k in Kind::ALL {
        let want = |ch: &str| on.iter().any(|i| i == &format!("{}:{ch}", k.as_str()));
        sqlx::query("DELETE FROM notice_preferences WHERE workspace_id = $1 AND user_id = $2 AND kind = $3")
            .bind(&v.workspace_id)
            .bind(&v.user_id)
            .bind(k.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO notice_preferences (workspace_id, user_id, kind, in_app, email) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&v.workspace_id)
        .bind(&v.user_id)
        .bind(k.as_str())
        .bind(i64::from(want("app")))
        .bind(i64::from(want("email")))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn state(r: &sqlx::any::AnyRow) -> AppResult<String> {
    Ok(if r.try_get::<Option<i64>, _>("sent_at")?.is_some() {
        "sent"
    } else if r.try_get::<Option<i64>, _>("failed_at")?.is_some() {
        "failed"
    } else {
        "pending"
    }
    .into())
}

/// The workspace's recent deliveries, newest first (owners).
pub async fn deliveries(b: &Backend, v: &Viewer) -> AppResult<Vec<DeliveryView>> {
    authorize(v, Permission::ManageSettings)?;
    let mut out = Vec::new();
    let mail_rows = sqlx::query(
        "SELECT id, kind, recipient, subject, sent_at, failed_at, attempts, last_error, created_at FROM outbox \
         WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100",
    )
    .bind(&v.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    for r in &mail_rows {
        out.push((
            r.try_get::<i64, _>("created_at")?,
            DeliveryView {
                id: r.try_get("id")?,
                channel: "mail".into(),
                kind: r.try_get("kind")?,
                to: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                state: state(r)?,
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                at: crate::clock::fmt_ts(r.try_get("created_at")?),
            },
        ));
    }
    let hook_rows = sqlx::query(
        "SELECT id, kind, sent_at, failed_at, attempts, last_error, created_at FROM webhook_outbox \
         WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100",
    )
    .bind(&v.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    for r in &hook_rows {
        let kind: String = r.try_get("kind")?;
        out.push((
            r.try_get::<i64, _>("created_at")?,
            DeliveryView {
                id: r.try_get("id")?,
                channel: "webhook".into(),
                subject: kind.clone(),
                kind,
                to: "workspace webhook".into(),
                state: state(r)?,
                attempts: r.try_get("attempts")?,
                // Never the remote's answer (rows written before this rule included).
                last_error: r.try_get::<Option<String>, _>("last_error")?.map(|_| WEBHOOK_FAILED.to_string()),
                at: crate::clock::fmt_ts(r.try_get("created_at")?),
            },
        ));
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.id.cmp(&a.1.id)));
    Ok(out.into_iter().map(|(_, d)| d).take(100).collect())
}

/// Puts a failed delivery back in the queue (owners); recorded in the audit trail.
pub async fn retry(b: &Backend, v: &Viewer, id: &str) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    let mut done = 0;
    for table in ["outbox", "webhook_outbox"] {
        done += sqlx::query(&format!(
            "UPDATE {table} SET failed_at = NULL, attempts = 0, next_attempt_at = $1 WHERE id = $2 AND workspace_id = $3 AND failed_at IS NOT NULL"
        ))
        .bind(now)
        .bind(id)
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    if done == 0 {
        return Err(AppError::Conflict {
            field: "retry".into(),
            message: "Only a failed delivery of this workspace can be retried.".into(),
        });
    }
    Event::by(v, "notification.retried", ("delivery", id, id))
        .before(serde_json::json!({"state": "failed"}))
        .after(serde_json::json!({"state": "pending"}))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    b.mailer.wake.notify_one();
    Ok(())
}

/// Whether the workspace has a webhook (the URL itself is a secret and is never shown again).
pub async fn webhook_host(b: &Backend, v: &Viewer) -> AppResult<Option<String>> {
    authorize(v, Permission::ManageSettings)?;
    let row = sqlx::query("SELECT url FROM webhooks WHERE workspace_id = $1")
        .bind(&v.workspace_id)
        .fetch_optional(&b.db.pool)
        .await?;
    Ok(match row {
        Some(r) => {
            let url: String = r.try_get("url")?;
            Some(
                url::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default(),
            )
        }
        None => None,
    })
}

/// Sets (or, with an empty URL, removes) the workspace webhook (owners); audited without the URL.
pub async fn save_webhook(b: &Backend, v: &Viewer, raw: &str) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let raw = raw.trim();
    let url = if raw.is_empty() {
        None
    } else {
        Some(crate::net_guard::WebhookUrl::parse(raw, b.config.webhook_policy)?)
    };
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    sqlx::query("DELETE FROM webhooks WHERE workspace_id = $1")
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    if let Some(u) = &url {
        sqlx::query("INSERT INTO webhooks (workspace_id, url, updated_at) VALUES ($1, $2, $3)")
            .bind(&v.workspace_id)
            .bind(u.expose().as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    Event::by(
        v,
        if url.is_some() { "webhook.set" } else { "webhook.removed" },
        ("workspace", &v.workspace_id, &v.workspace_name),
    )
    .after(serde_json::json!({"host": url.as_ref().map(|u| u.host())}))
    .record(&mut tx, now)
    .await?;
    tx.commit().await?;
    Ok(())
}
