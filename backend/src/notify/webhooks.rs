//! Webhook delivery: the HTTP client under the instance's target policy, and the webhook outbox
//! delivered by the one outbox pass.

use super::*;

/// What owners see of a failed webhook call, whatever the cause: the remote's answer, a
/// refused address, a closed port and a timeout all read the same, so the delivery list cannot
/// be used to probe a network. The cause is in the server log.
pub const WEBHOOK_FAILED: &str = "The webhook did not accept the call.";

/// The webhook HTTP client with the instance's target policy.
#[derive(Clone)]
pub struct WebhookSender {
    http: reqwest::Client,
    policy: crate::config::WebhookPolicy,
}

impl WebhookSender {
    /// A sender resolving names with the system resolver.
    pub fn new(policy: crate::config::WebhookPolicy) -> anyhow::Result<WebhookSender> {
        WebhookSender::with_lookup(policy, std::sync::Arc::new(crate::net_guard::SystemLookup))
    }

    /// A sender resolving names with `lookup` (tests stage a name that resolves to loopback).
    pub fn with_lookup(
        policy: crate::config::WebhookPolicy,
        lookup: std::sync::Arc<dyn crate::net_guard::Lookup>,
    ) -> anyhow::Result<WebhookSender> {
        Ok(WebhookSender { http: crate::net_guard::client(policy, lookup)?, policy })
    }

    async fn post(&self, raw_url: &str, id: &str, payload: String) -> Result<(), String> {
        // Checked again at every call: a URL stored before a policy change, or by hand, is not
        // trusted either.
        let url = crate::net_guard::WebhookUrl::parse(raw_url, self.policy)
            .map_err(|e| format!("the stored URL is refused ({})", e.public_message()))?;
        let r = self
            .http
            .post(url.expose().clone())
            .header("content-type", "application/json")
            .header("x-baa-tracker-delivery", id)
            .body(payload)
            .send()
            .await
            .map_err(|e| format!("could not reach the webhook ({})", e.without_url()))?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered HTTP {}", r.status().as_u16()))
        }
    }
}

/// The webhook outbox: due calls with the workspace's URL.
const WEBHOOKS: Outbox = Outbox {
    table: "webhook_outbox",
    due: "SELECT o.id, o.payload, o.attempts, o.next_attempt_at, w.url FROM webhook_outbox o JOIN webhooks w ON w.workspace_id = o.workspace_id \
          WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $1 ORDER BY o.created_at, o.id LIMIT 50",
    what: "webhook",
};

/// Posts due webhook calls; returns how many were delivered.
pub async fn deliver_webhooks(db: &Db, clock: &Clock, sender: &WebhookSender) -> anyhow::Result<usize> {
    outbox::deliver_due(db, clock, &WEBHOOKS, |id, row| async move {
        let call = async {
            let url: String = row.try_get("url").map_err(|e| e.to_string())?;
            let payload: String = row.try_get("payload").map_err(|e| e.to_string())?;
            sender.post(&url, &id, payload).await
        };
        match call.await {
            Ok(()) => Attempt::Sent { and_set: None },
            // The URL is a secret (Slack puts its token in it): the error never holds it, and
            // owners see one wording whatever the cause.
            Err(cause) => Attempt::Failed { shown: WEBHOOK_FAILED.to_string(), cause },
        }
    })
    .await
}

/// Runs webhook delivery until shutdown.
pub async fn run_webhooks(
    db: Db,
    clock: Clock,
    policy: crate::config::WebhookPolicy,
    shutdown: mail::tokio_util_shutdown::Shutdown,
) {
    let sender = match WebhookSender::new(policy) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "webhook client could not start");
            return;
        }
    };
    loop {
        if let Err(e) = deliver_webhooks(&db, &clock, &sender).await {
            tracing::error!(error = %format!("{e:#}"), "webhook pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = shutdown.wait() => return,
        }
    }
}
