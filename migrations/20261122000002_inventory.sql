-- Inventory and agreements as versioned records: every change appends a version, so the world
-- can be rebuilt as of any past day (see docs/architecture.md, "History").
-- `effective_on` is the day (YYYY-MM-DD, compared as text) from which the version holds.

CREATE TABLE records (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('party', 'org', 'app', 'service', 'agreement', 'policy')),
    entity_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    effective_on TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    reason TEXT,
    deleted BIGINT NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    UNIQUE (workspace_id, kind, entity_id, seq)
);
CREATE INDEX records_lookup ON records (workspace_id, kind, effective_on);
