-- Public trust page (issue 16): off until an owner publishes it; its subscribers (double opt-in);
-- the published list of PHI subcontractors, to notice additions and removals once per change.
CREATE TABLE trust_pages (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    published BIGINT NOT NULL DEFAULT 0,
    company_name TEXT NOT NULL,
    contact TEXT NOT NULL,
    show_services BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    updated_by_name TEXT NOT NULL,
    -- JSON list of vendor slugs last noticed, when it last changed, and since when the current
    -- list differs from it (the debounce: one notice once the list has been still for a while).
    noticed_vendors TEXT,
    last_changed_at BIGINT,
    pending_since BIGINT
);

CREATE TABLE trust_subscribers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    -- SHA-256 of the token mailed for confirming and unsubscribing; the token itself is not kept.
    token_sha256 TEXT NOT NULL UNIQUE,
    confirmed_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, email)
);

CREATE TABLE trust_notices (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    added TEXT NOT NULL,
    removed TEXT NOT NULL,
    -- JSON list of [customer, notice days, date notice must go out] for legal.
    legal TEXT NOT NULL
);
CREATE INDEX trust_notices_workspace ON trust_notices (workspace_id, created_at);
