-- Evidence packets: one row per requested packet. The PDF and the ZIP bundle live in the
-- document object store under `packets/<id>.pdf` and `packets/<id>.zip`; their SHA-256 is kept
-- here and re-checked on every download.

CREATE TABLE packets (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    as_of TEXT NOT NULL,
    status TEXT NOT NULL,
    progress BIGINT NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    pdf_sha256 TEXT,
    bundle_sha256 TEXT,
    bundle_size BIGINT,
    error TEXT
);
CREATE INDEX packets_workspace ON packets (workspace_id, created_at);
