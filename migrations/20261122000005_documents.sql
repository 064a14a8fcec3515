-- Executed documents of agreements. The bytes live in the object store, content-addressed by
-- SHA-256 (`sha256/<hex>`); each upload is a new version row, earlier versions are kept.

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agreement_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_by_name TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    UNIQUE (workspace_id, agreement_id, version)
);
CREATE INDEX documents_sha ON documents (sha256);
