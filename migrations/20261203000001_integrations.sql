-- Live discovery from the Fly.io API (issue 15): one row per Fly org connected to a workspace.
-- Portable SQL for SQLite and PostgreSQL (TEXT ids, BIGINT unix times, BIGINT 0/1 flags).

-- `token_sealed` is the org's read-only Fly token sealed with ChaCha20-Poly1305 under the key
-- in BAA_SECRET_KEY ("v1:" + base64 of nonce and ciphertext; the row id and workspace are the
-- associated data, so a sealed token cannot be moved to another row). The token itself is
-- never stored.
-- `state`: `new` (never synced), `ok`, `token-refused` (401/403: waits for a new token),
-- `failing` (`error_class`: rate-limited, server, timeout, network, malformed, incomplete,
-- graphql, org-not-found, key, storage, ...), with `error_message` for people (never the token).
-- The lease (`lease_owner`, `lease_expires_at`) is taken with one conditional UPDATE so two
-- instances sharing the database never sync the same org at once.
CREATE TABLE fly_integrations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    org_slug TEXT NOT NULL,
    token_sealed TEXT NOT NULL,
    token_set_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('new', 'ok', 'token-refused', 'failing')),
    error_class TEXT,
    error_message TEXT,
    last_run_at BIGINT,
    last_good_at BIGINT,
    last_plan TEXT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_expires_at BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, org_slug)
);
CREATE INDEX fly_integrations_due ON fly_integrations (next_attempt_at);

-- Records the API no longer shows: kept (never deleted), with the last sync that saw them.
CREATE TABLE integration_not_seen (
    integration_id TEXT NOT NULL REFERENCES fly_integrations (id) ON DELETE CASCADE,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    last_seen_at BIGINT,
    missing_since BIGINT NOT NULL,
    PRIMARY KEY (integration_id, record_kind, record_id)
);

-- Per-workspace integration settings: minutes between scheduled syncs (default 15).
CREATE TABLE integration_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    sync_minutes BIGINT NOT NULL
);
