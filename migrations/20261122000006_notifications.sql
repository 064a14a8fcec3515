-- Notifications: events (one per cause, the idempotency key), notices (one per person, in the
-- app), per-person preferences, the workspace webhook and its outbox, and failure state for mail.

-- One row per cause ("service X uncovered at version N", "agreement Y, 30-day window"): a cause
-- already recorded is never notified again, which makes the daily scheduler idempotent.
CREATE TABLE notice_events (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, event_key)
);

CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    next_step TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    UNIQUE (workspace_id, user_id, event_key)
);
CREATE INDEX notices_user ON notices (user_id, workspace_id, created_at);

-- A missing row means the default: in the app and by mail.
CREATE TABLE notice_preferences (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    in_app BIGINT NOT NULL,
    email BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id, kind)
);

CREATE TABLE webhooks (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhook_outbox (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    failed_at BIGINT,
    last_error TEXT,
    UNIQUE (workspace_id, event_key)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (sent_at, next_attempt_at);

-- Mail that failed every attempt stops retrying and waits for an owner to retry it.
ALTER TABLE outbox ADD COLUMN failed_at BIGINT;
ALTER TABLE outbox ADD COLUMN event_key TEXT;
