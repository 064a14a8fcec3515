//! Mail: templates, a transactional outbox and its delivery worker.
//!
//! A notice is written to `outbox` in the same transaction as the change that causes it; the
//! worker delivers due rows with retries and backoff. Each row has a stable `Message-ID`, so a
//! re-delivery after a crash is recognisable by the receiving side. Bodies of security mail
//! (invitation and reset links) are erased once sent, so tokens do not linger in the database.

use crate::clock::Clock;
use crate::db::{new_id, Db};
use crate::storage::outbox::{self, Attempt, Outbox};
use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{Any, Row, Transaction};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Notify;

/// A mail template: subject plus text and HTML bodies with `{{name}}` placeholders.
#[derive(Clone, Copy, Debug)]
pub enum Template {
    /// Workspace invitation with its single-use link.
    Invitation,
    /// Password reset link.
    PasswordReset,
    /// Notice that the password changed.
    PasswordChanged,
    /// A notification (see [`crate::notify`]).
    Notice,
    /// Confirmation of a trust page subscription (double opt-in).
    TrustConfirm,
    /// A change of PHI subcontractors, to trust page subscribers.
    TrustNotice,
}

impl Template {
    fn parts(self) -> (&'static str, &'static str, &'static str, bool) {
        match self {
            Template::Invitation => (
                "invitation",
                include_str!("../templates/mail/invitation.txt"),
                include_str!("../templates/mail/invitation.html"),
                true,
            ),
            Template::PasswordReset => (
                "password_reset",
                include_str!("../templates/mail/password_reset.txt"),
                include_str!("../templates/mail/password_reset.html"),
                true,
            ),
            Template::PasswordChanged => (
                "password_changed",
                include_str!("../templates/mail/password_changed.txt"),
                include_str!("../templates/mail/password_changed.html"),
                false,
            ),
            Template::Notice => (
                "notice",
                include_str!("../templates/mail/notice.txt"),
                include_str!("../templates/mail/notice.html"),
                false,
            ),
            // Both carry a link that confirms or ends a subscription: erased once sent.
            Template::TrustConfirm => (
                "trust_confirm",
                include_str!("../templates/mail/trust_confirm.txt"),
                include_str!("../templates/mail/trust_confirm.html"),
                true,
            ),
            Template::TrustNotice => (
                "trust_notice",
                include_str!("../templates/mail/trust_notice.txt"),
                include_str!("../templates/mail/trust_notice.html"),
                true,
            ),
        }
    }
}

/// A rendered mail ready for the outbox.
#[derive(Clone)]
pub struct Rendered {
    kind: &'static str,
    subject: String,
    text: String,
    html: String,
    sensitive: bool,
}

/// Fills a template. Values are HTML-escaped in the HTML body.
pub fn render(t: Template, subject: &str, vars: &[(&str, &str)]) -> Rendered {
    let (kind, text, html, sensitive) = t.parts();
    let mut text = text.to_string();
    let mut html_body = html.to_string();
    for (k, v) in vars {
        let key = format!("{{{{{k}}}}}");
        text = text.replace(&key, v);
        html_body = html_body.replace(&key, &html_escape::encode_double_quoted_attribute(v));
    }
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1b2430\">{html_body}</body></html>"
    );
    Rendered { kind, subject: subject.to_string(), text, html, sensitive }
}

/// Puts a mail in the outbox inside the caller's transaction.
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    workspace_id: Option<&str>,
    to: &str,
    mail: &Rendered,
    now: i64,
) -> sqlx::Result<String> {
    insert(tx, workspace_id, to, mail, now, None).await
}

/// Puts a notification mail in the outbox, tied to the event that caused it.
pub async fn enqueue_event(
    tx: &mut Transaction<'static, Any>,
    workspace_id: Option<&str>,
    to: &str,
    mail: &Rendered,
    now: i64,
    event_key: &str,
) -> sqlx::Result<String> {
    insert(tx, workspace_id, to, mail, now, Some(event_key)).await
}

async fn insert(
    tx: &mut Transaction<'static, Any>,
    workspace_id: Option<&str>,
    to: &str,
    mail: &Rendered,
    now: i64,
    event_key: Option<&str>,
) -> sqlx::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO outbox (id, workspace_id, kind, recipient, subject, body_text, body_html, sensitive, message_id, created_at, attempts, next_attempt_at, event_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $10, $11)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(mail.kind)
    .bind(to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(i64::from(mail.sensitive))
    .bind(format!("<{id}@baa-tracker>"))
    .bind(now)
    .bind(event_key)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    /// A real SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder (the embedded default, with no mail server).
    Files(PathBuf),
}

/// The mail outbox: due rows with what a message needs.
const MAIL: Outbox = Outbox {
    table: "outbox",
    due: "SELECT id, recipient, subject, body_text, body_html, sensitive, message_id, attempts, next_attempt_at \
          FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY created_at, id LIMIT 50",
    what: "mail",
};

/// What a sensitive mail's body becomes once delivered.
const ERASE_BODY: &str = "body_text = '[erased after delivery]', body_html = '[erased after delivery]'";

/// Sends outbox rows.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Wakes the worker when a mail was enqueued.
    pub wake: Arc<Notify>,
}

impl Mailer {
    /// Builds the transport from configuration.
    pub fn new(smtp_url: Option<&str>, from: &str, data_dir: &std::path::Path) -> anyhow::Result<Mailer> {
        let transport = match smtp_url {
            Some(u) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(u)
                    .context("SMTP_URL")?
                    .timeout(Some(std::time::Duration::from_secs(15)))
                    .build(),
            ),
            None => Transport::Files(data_dir.join("mail")),
        };
        Ok(Mailer { transport, from: from.parse().context("MAIL_FROM")?, wake: Arc::new(Notify::new()) })
    }

    async fn send(
        &self,
        id: &str,
        message_id: &str,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> anyhow::Result<()> {
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to.parse().context("recipient address")?)
            .subject(subject)
            .message_id(Some(message_id.to_string()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text.to_string()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.to_string())),
            )
            .context("building the message")?;
        match &self.transport {
            Transport::Smtp(t) => {
                t.send(msg).await.context("sending through SMTP")?;
            }
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir).await.context("creating the mail folder")?;
                let path = dir.join(format!("{id}.eml"));
                tokio::fs::write(&path, msg.formatted()).await.context("writing the mail file")?;
                tracing::info!(path = %path.display(), subject, "mail written to file (no SMTP_URL set)");
            }
        }
        Ok(())
    }

    /// Delivers every due outbox row once; returns how many were sent.
    pub async fn deliver_due(&self, db: &Db, clock: &Clock) -> anyhow::Result<usize> {
        outbox::deliver_due(db, clock, &MAIL, |id, row| async move {
            match self.send_row(&id, &row).await {
                // A sensitive body (a sign-in or reset link) is not kept once delivered.
                Ok(sensitive) => Attempt::Sent { and_set: sensitive.then_some(ERASE_BODY) },
                Err(e) => {
                    // The SMTP answer is what owners need to see, and what the log keeps.
                    let cause = format!("{e:#}");
                    Attempt::Failed { shown: cause.clone(), cause }
                }
            }
        })
        .await
    }

    /// Sends one outbox row; says whether its body is sensitive.
    async fn send_row(&self, id: &str, row: &sqlx::any::AnyRow) -> anyhow::Result<bool> {
        let text = |c: &str| row.try_get::<String, _>(c);
        self.send(
            id,
            &text("message_id")?,
            &text("recipient")?,
            &text("subject")?,
            &text("body_text")?,
            &text("body_html")?,
        )
        .await?;
        Ok(crate::db::flag(row, "sensitive")?)
    }

    /// Runs until `shutdown` fires: delivers due mail when woken and every few seconds.
    pub async fn run(self, db: Db, clock: Clock, shutdown: tokio_util_shutdown::Shutdown) {
        loop {
            if let Err(e) = self.deliver_due(&db, &clock).await {
                tracing::error!(error = %format!("{e:#}"), "outbox pass failed");
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                _ = shutdown.wait() => return,
            }
        }
    }
}

/// A tiny shutdown signal shared by background workers.
pub mod tokio_util_shutdown {
    use tokio::sync::watch;

    /// Resolves when the app shuts down.
    #[derive(Clone)]
    pub struct Shutdown(watch::Receiver<bool>);

    /// Fires the shutdown.
    pub struct Trigger(watch::Sender<bool>);

    /// A new trigger and its signal.
    pub fn channel() -> (Trigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (Trigger(tx), Shutdown(rx))
    }

    impl Trigger {
        /// Tells every worker to stop.
        pub fn fire(&self) {
            let _ = self.0.send(true);
        }
    }

    impl Shutdown {
        /// Waits for the shutdown.
        pub async fn wait(&self) {
            let mut rx = self.0.clone();
            while !*rx.borrow() {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}
