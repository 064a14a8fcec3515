//! Notifications: what happened that someone must act on, told in the app, by mail and to the
//! workspace webhook.
//!
//! A cause (a service that ends uncovered, a plan change that makes one ineligible, an agreement
//! entering an expiry window, a document uploaded) is an *event* with a key. [`emit`] runs in
//! the transaction of the change that causes it: it records the event (a key already recorded
//! is skipped, which makes the daily expiry pass idempotent), writes one in-app notice per
//! recipient, puts the mail in the outbox (delivered by [`crate::mail::Mailer`] with retries and
//! a stable `Message-ID`) and the webhook call in its own outbox. Nothing is sent from inside a
//! request: a mail server or webhook that is down delays notices and loses none.

use crate::audit::Event;
use crate::authz::authorize;
use crate::clock::Clock;
use crate::db::{new_id, Db};
use crate::error::{AppError, AppResult};
use crate::mail::{self, Template};
use crate::storage::outbox::{self, Attempt, Outbox};
use crate::Backend;
use baa_core::account::{Permission, Role, Viewer};
use baa_core::coverage::{evaluate, Policy, Report, RuleId, Verdict, World};
pub use baa_core::notice::{DeliveryView, Kind, NoticeView, PreferenceView};
use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

mod inbox;
mod webhooks;

pub use inbox::*;
pub use webhooks::{deliver_webhooks, run_webhooks, WebhookSender, WEBHOOK_FAILED};

pub use crate::storage::outbox::{backoff, MAX_ATTEMPTS};

/// One notice to emit.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Its kind.
    pub kind: Kind,
    /// Idempotency key of the cause within the workspace.
    pub event_key: String,
    /// One line.
    pub title: String,
    /// What happened.
    pub body: String,
    /// What to do next.
    pub next_step: String,
    /// Path in the app (`/services/...`).
    pub link: String,
}

/// Who gets a notice: members with these roles, plus one person (the one who made the change).
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// Roles whose members receive it.
    pub roles: Vec<Role>,
    /// A user who also receives it (the actor), whatever their role.
    pub plus: Option<String>,
}

struct Recipient {
    user_id: String,
    email: String,
}

async fn recipients(
    tx: &mut Transaction<'static, Any>,
    ws: &str,
    audience: &Audience,
) -> AppResult<Vec<Recipient>> {
    let rows = sqlx::query(
        "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email",
    )
    .bind(ws)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let user_id: String = r.try_get("id")?;
        let role: String = r.try_get("role")?;
        let by_role = audience.roles.iter().any(|x| x.as_str() == role);
        if by_role || audience.plus.as_deref() == Some(user_id.as_str()) {
            out.push(Recipient { user_id, email: r.try_get("email")? });
        }
    }
    Ok(out)
}

/// A person's choice for one kind: (in the app, by mail). Default: both.
async fn preference(
    tx: &mut Transaction<'static, Any>,
    ws: &str,
    user: &str,
    kind: Kind,
) -> AppResult<(bool, bool)> {
    let row = sqlx::query(
        "SELECT in_app, email FROM notice_preferences WHERE workspace_id = $1 AND user_id = $2 AND kind = $3",
    )
    .bind(ws)
    .bind(user)
    .bind(kind.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => (crate::db::flag(&r, "in_app")?, crate::db::flag(&r, "email")?),
        None => (true, true),
    })
}

/// Records the event and fans the notice out, inside the caller's transaction. Returns false
/// (and does nothing) when the event was already recorded.
pub async fn emit(
    tx: &mut Transaction<'static, Any>,
    b: &Backend,
    ws: &str,
    notice: &Notice,
    audience: &Audience,
    now: i64,
) -> AppResult<bool> {
    Ok(emit_all(tx, b, ws, std::slice::from_ref(notice), audience, None, now).await? == 1)
}

/// What a change that causes several notices at once is called in its digest ("the import of
/// acme-health"), and where the list of what it left uncovered is.
#[derive(Debug, Clone)]
pub struct DigestOf {
    /// What caused it, for the subject line.
    pub cause: String,
    /// Path in the app of the filtered list.
    pub link: String,
}

/// Records the events not yet recorded and fans their notices out, inside the caller's
/// transaction: one in-app notice per notice and person, but one mail per person and one webhook
/// call for the lot when `digest` is given and more than one notice is new (an import must not
/// send a mail per service). Returns how many notices were new.
pub async fn emit_all(
    tx: &mut Transaction<'static, Any>,
    b: &Backend,
    ws: &str,
    notices: &[Notice],
    audience: &Audience,
    digest: Option<&DigestOf>,
    now: i64,
) -> AppResult<usize> {
    let mut fresh: Vec<&Notice> = Vec::new();
    for notice in notices {
        let inserted = sqlx::query(
            "INSERT INTO notice_events (workspace_id, event_key, kind, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(ws)
        .bind(&notice.event_key)
        .bind(notice.kind.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 1 {
            fresh.push(notice);
        }
    }
    if fresh.is_empty() {
        return Ok(0);
    }
    let workspace: String = sqlx::query("SELECT name FROM workspaces WHERE id = $1")
        .bind(ws)
        .fetch_one(&mut **tx)
        .await?
        .try_get("name")?;
    let digest = digest.filter(|_| fresh.len() > 1);
    let prefs_link = b.config.link("/notifications");
    for r in recipients(tx, ws, audience).await? {
        let mut by_mail: Vec<&Notice> = Vec::new();
        for notice in &fresh {
            let (in_app, email) = preference(tx, ws, &r.user_id, notice.kind).await?;
            if in_app {
                sqlx::query(
                    "INSERT INTO notices (id, workspace_id, user_id, event_key, kind, title, body, next_step, link, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(new_id())
                .bind(ws)
                .bind(&r.user_id)
                .bind(&notice.event_key)
                .bind(notice.kind.as_str())
                .bind(&notice.title)
                .bind(&notice.body)
                .bind(&notice.next_step)
                .bind(&notice.link)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            }
            if email {
                by_mail.push(notice);
            }
        }
        let parts: Vec<Notice> = match (digest, by_mail.as_slice()) {
            (_, []) => Vec::new(),
            (Some(d), many) if many.len() > 1 => vec![digest_notice(d, many)],
            (_, some) => some.iter().map(|n| (*n).clone()).collect(),
        };
        for notice in parts {
            let subject = &notice.title;
            let link = b.config.link(&notice.link);
            let m = mail::render(
                Template::Notice,
                &format!("[{workspace}] {subject}"),
                &[
                    ("workspace", &workspace),
                    ("title", &notice.title),
                    ("body", &notice.body),
                    ("next_step", &notice.next_step),
                    ("link", &link),
                    ("preferences", &prefs_link),
                ],
            );
            mail::enqueue_event(tx, Some(ws), &r.email, &m, now, &notice.event_key).await?;
        }
    }
    let hook = sqlx::query("SELECT url FROM webhooks WHERE workspace_id = $1")
        .bind(ws)
        .fetch_optional(&mut **tx)
        .await?;
    if hook.is_some() {
        let calls: Vec<Notice> = match digest {
            Some(d) => vec![digest_notice(d, &fresh)],
            None => fresh.iter().map(|n| (*n).clone()).collect(),
        };
        for notice in &calls {
            queue_webhook(tx, b, ws, &workspace, notice, now).await?;
        }
    }
    Ok(fresh.len())
}

/// Services listed by name in a digest; the rest are counted.
const DIGEST_LISTED: usize = 20;

/// One notice standing for several: a headline with the count, the first few titles, and the
/// link to the filtered list.
fn digest_notice(d: &DigestOf, notices: &[&Notice]) -> Notice {
    let mut body: Vec<String> =
        notices.iter().take(DIGEST_LISTED).map(|n| format!("- {}", n.title)).collect();
    if notices.len() > DIGEST_LISTED {
        body.push(format!("- and {} more", notices.len() - DIGEST_LISTED));
    }
    let kind = notices[0].kind;
    Notice {
        kind,
        event_key: format!("digest:{}", new_id()),
        title: format!("{}: {} services need a BAA or a decision", d.cause, notices.len()),
        body: body.join("\n"),
        next_step: "Open the list of services that are not covered and follow each one's next step.".into(),
        link: d.link.clone(),
    }
}

async fn queue_webhook(
    tx: &mut Transaction<'static, Any>,
    b: &Backend,
    ws: &str,
    workspace: &str,
    notice: &Notice,
    now: i64,
) -> AppResult<()> {
    let link = b.config.link(&notice.link);
    let payload = serde_json::json!({
        "text": format!(
            "*{}* ({})\n{}\nNext step: {}\n<{link}>",
            slack_escape(&notice.title),
            slack_escape(workspace),
            slack_escape(&notice.body),
            slack_escape(&notice.next_step)
        ),
        "baa_tracker": {
            "kind": notice.kind.as_str(),
            "workspace": workspace,
            "title": notice.title,
            "body": notice.body,
            "next_step": notice.next_step,
            "link": link,
        }
    });
    sqlx::query(
        "INSERT INTO webhook_outbox (id, workspace_id, event_key, kind, payload, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6)",
    )
    .bind(new_id())
    .bind(ws)
    .bind(&notice.event_key)
    .bind(notice.kind.as_str())
    .bind(payload.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Text for a Slack-compatible `text` field: `&`, `<` and `>` escaped (so a title cannot carry
/// link syntax such as `<https://evil.example|Click here>` or a mention like `<!channel>`), and
/// control characters (CR, LF, tabs) turned into spaces so a value stays on its line.
pub fn slack_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Legal and owners, plus the person who made the change.
pub fn change_audience(actor: &Viewer) -> Audience {
    Audience {
        roles: vec![Role::Owner, Role::Legal],
        plus: (!actor.user_id.is_empty() && !actor.user_id.starts_with("token:"))
            .then(|| actor.user_id.clone()),
    }
}

/// Notices for services after an inventory change, from the world before and after it.
///
/// A service in `changed` that ends uncovered gets a notice; so does a service that was covered
/// before and is not after (an org's plan changed, an add-on was dropped). The kind is
/// [`Kind::PlanIneligible`] when a covered service became uncovered through a plan rule,
/// [`Kind::UncoveredService`] otherwise.
pub fn service_notices(change: &ServiceChange<'_>) -> Vec<Notice> {
    let ServiceChange { before, after, as_of, policy, changed } = *change;
    let was = evaluate(before, as_of, policy);
    let now = evaluate(after, as_of, policy);
    let covered_before: HashMap<&str, bool> =
        was.services.iter().map(|s| (s.service.as_str(), s.verdict.is_covered())).collect();
    let mut out = Vec::new();
    for s in &now.services {
        let Verdict::Uncovered { why } = &s.verdict else { continue };
        let before = covered_before.get(s.service.as_str()).copied();
        let directly = changed.iter().any(|c| c == &s.service);
        if !directly && before != Some(true) {
            continue;
        }
        let rules = [RuleId::PlanIneligible, RuleId::PlatformPlanIneligible, RuleId::UncoveredService];
        let finding = rules
            .iter()
            .find_map(|rule| now.findings.iter().find(|f| f.rule == *rule && f.subject.id == s.service));
        let plan_rule = finding.is_some_and(|f| f.rule != RuleId::UncoveredService);
        let kind =
            if before == Some(true) && plan_rule { Kind::PlanIneligible } else { Kind::UncoveredService };
        let title = match kind {
            Kind::PlanIneligible => format!("{} is no longer covered: its plan is not BAA-eligible", s.label),
            _ => format!("{} is not covered by a BAA", s.label),
        };
        out.push(Notice {
            kind,
            event_key: format!("service:{}:{}:{}", s.service, kind.as_str(), new_id()),
            title,
            body: finding.map_or_else(|| why.clone(), |f| f.explanation.clone()),
            next_step: finding.map_or_else(
                || "Open the service and follow its findings.".to_string(),
                |f| f.next_step.clone(),
            ),
            link: format!("/services/{}", s.service),
        });
    }
    out
}

/// An inventory change as notifications see it.
#[derive(Debug, Clone, Copy)]
pub struct ServiceChange<'a> {
    /// The world before the change.
    pub before: &'a World,
    /// The world after it.
    pub after: &'a World,
    /// The day the change takes effect.
    pub as_of: NaiveDate,
    /// The workspace policy on that day.
    pub policy: &'a Policy,
    /// Ids of services changed directly (added, edited, imported).
    pub changed: &'a [String],
}

/// Emits the service notices of an inventory change in the caller's transaction; `digest`
/// names a change that may leave many services uncovered at once (an import, a sync, an org's
/// plan), so each person gets one mail for it.
pub async fn inventory_changed(
    tx: &mut Transaction<'static, Any>,
    b: &Backend,
    actor: &Viewer,
    change: &ServiceChange<'_>,
    digest: Option<&DigestOf>,
) -> AppResult<usize> {
    let notices = service_notices(change);
    emit_service_notices(tx, b, actor, &notices, digest).await
}

/// Emits, inside `tx`, notices [`service_notices`] computed beforehand: a writer evaluates
/// the change before it takes the write lock, so the lock is held only for the inserts.
pub async fn emit_service_notices(
    tx: &mut Transaction<'static, Any>,
    b: &Backend,
    actor: &Viewer,
    notices: &[Notice],
    digest: Option<&DigestOf>,
) -> AppResult<usize> {
    let audience = change_audience(actor);
    emit_all(tx, b, &actor.workspace_id, notices, &audience, digest, b.clock.now()).await
}

/// The deadline notices due on `today`: one per reminder window, one on the day itself, for
/// every deadline of an active agreement (expiry, a dated termination, a supersession with no
/// successor, an auto-renewal's notice deadline).
pub fn expiry_notices(report: &Report) -> Vec<Notice> {
    use baa_core::coverage::DeadlineKind;
    report
        .deadlines
        .iter()
        .map(|e| {
            let (what, body, next_step) = match e.kind {
                DeadlineKind::Expiry => (
                    "expires",
                    format!("{} ends on {}. Services that rely on it lose their coverage after that day unless it is renewed.", e.name, e.on),
                    "Start the renewal now: record the renewed agreement (Renew on the agreement page) and upload the signed copy.",
                ),
                DeadlineKind::Termination => (
                    "is terminated from",
                    format!("{} is terminated from {}. Services that rely on it lose their coverage that day.", e.name, e.on),
                    "Sign a replacement before that day, or move PHI off the services that rely on it.",
                ),
                DeadlineKind::SupersededWithoutSuccessor => (
                    "is superseded, with no successor, from",
                    format!("{} is marked superseded from {} but no agreement that replaces it is recorded.", e.name, e.on),
                    "Record the agreement that replaces it (Renew on the agreement page), or correct its status.",
                ),
                DeadlineKind::RenewalNotice => (
                    "renews itself unless notice is given by",
                    format!("{} renews automatically; notice not to renew must be given by {}.", e.name, e.on),
                    "Decide whether it should renew, and give the other party notice by that day if not.",
                ),
            };
            let (slot, title) = if e.days_left <= 0 {
                ("today".to_string(), format!("{} {what} today ({})", e.name, e.on))
            } else {
                (format!("{}d", e.window), format!("{} {what} {} (in {} days)", e.name, e.on, e.days_left))
            };
            let key = match e.kind {
                DeadlineKind::Expiry => format!("expiry:{}:{}:{slot}", e.agreement, e.on),
                kind => format!("{}:{}:{}:{slot}", kind.as_str(), e.agreement, e.on),
            };
            Notice {
                kind: Kind::AgreementExpiry,
                event_key: key,
                title,
                body,
                next_step: next_step.into(),
                link: format!("/agreements/{}", e.agreement),
            }
        })
        .collect()
}

/// One pass of the daily scheduler over every workspace; returns the notices emitted.
/// Running it twice on the same day emits nothing the second time.
pub async fn expiry_pass(b: &Backend) -> AppResult<usize> {
    let today = crate::storage::world::today(b);
    let workspaces = sqlx::query("SELECT id, name FROM workspaces ORDER BY id").fetch_all(&b.db.pool).await?;
    let mut total = 0;
    for w in workspaces {
        let ws: String = w.try_get("id")?;
        let name: String = w.try_get("name")?;
        // The scheduler reads as the system, not as a member: no role check applies.
        let view = crate::storage::world::coverage_view(b, &ws, &name, today).await?;
        let notices = expiry_notices(&view.report);
        if notices.is_empty() {
            continue;
        }
        let audience = Audience { roles: vec![Role::Owner, Role::Legal], plus: None };
        let mut tx = b.db.begin_write().await?;
        for n in &notices {
            if emit(&mut tx, b, &ws, n, &audience, b.clock.now()).await? {
                total += 1;
            }
        }
        tx.commit().await?;
    }
    if total > 0 {
        b.mailer.wake.notify_one();
    }
    Ok(total)
}

/// Runs the expiry pass at start and then whenever the app's day changes, until shutdown.
pub async fn run_scheduler(b: Backend, shutdown: mail::tokio_util_shutdown::Shutdown) {
    let mut last: Option<NaiveDate> = None;
    loop {
        let today = crate::storage::world::today(&b);
        if last != Some(today) {
            match expiry_pass(&b).await {
                Ok(n) => {
                    last = Some(today);
                    if n > 0 {
                        tracing::info!(notices = n, %today, "expiry reminders emitted");
                    }
                }
                Err(e) => tracing::error!(error = %e, "expiry pass failed; will retry"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = shutdown.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn slack_text_cannot_carry_links_mentions_or_new_lines() {
        assert_eq!(
            slack_escape("Renew <https://evil.example/login|Click to re-authenticate> & <!channel>\r\nsecond"),
            "Renew &lt;https://evil.example/login|Click to re-authenticate&gt; &amp; &lt;!channel&gt;  second"
        );
    }
}
