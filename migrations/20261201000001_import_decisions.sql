-- Candidates an engineer rejected (a service found in an app's secrets that is not ours, or an
-- app that does not use one of several org-level resources), so an import does not propose them
-- again. `app` is '' for a rejected service.

CREATE TABLE import_decisions (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    service_id TEXT NOT NULL,
    app TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (workspace_id, service_id, app)
);
