-- Local edits of the vendor catalog, per workspace. The bundled catalog (catalog/vendors.json)
-- is the default; an edit replaces one vendor's entry from the moment it is recorded. Each edit
-- keeps the bundled entry it started from (`base_data`), so a newer bundled version is shown as
-- a difference to decide on, never applied silently.

CREATE TABLE catalog_edits (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    vendor_slug TEXT NOT NULL,
    seq BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    reverted BIGINT NOT NULL DEFAULT 0,
    base_data TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (workspace_id, vendor_slug, seq)
);
