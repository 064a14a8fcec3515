-- API tokens and fly import drafts (issue 7). Portable SQL for SQLite and PostgreSQL.

-- Scoped API tokens per workspace. Only the SHA-256 of a token is stored; the token itself is
-- shown once when it is made. `prefix` (the first characters) lets owners tell tokens apart.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write:inventory')),
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id);
-- One active token per name and workspace, so the audit trail's "token: NAME" is unambiguous.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (workspace_id, name) WHERE revoked_at IS NULL;

-- A snapshot uploaded in the UI, kept between the preview and the apply (expires after an hour).
-- `files` is JSON: [{"name": "...", "base64": "..."}]. The plan is not stored: every preview and
-- the apply re-plan against the world of that moment, and the apply form carries the SHA-256 of
-- the plan the person reviewed, so a plan that changed meanwhile is refused, not applied.
CREATE TABLE import_drafts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    snapshot_hash TEXT NOT NULL,
    files TEXT NOT NULL
);
CREATE INDEX import_drafts_workspace ON import_drafts (workspace_id);
