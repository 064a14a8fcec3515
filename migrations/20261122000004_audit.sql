-- The audit trail: append-only, hash-chained per workspace (workspace_id '' holds events with no
-- workspace, such as failed sign-ins for unknown addresses). Each entry stores the SHA-256 of
-- the previous entry of its chain and of its own canonical content; `audit_heads` holds each
-- chain's last sequence number and hash and is locked (UPDATE) while an entry is appended, so
-- concurrent writers queue instead of forking the chain.

CREATE TABLE audit_log (
    workspace_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    source TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX audit_log_at ON audit_log (workspace_id, at);

CREATE TABLE audit_heads (
    workspace_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
