-- Platform safeguards (issue 18): what the checks need from each fly.toml an import brought in.
-- `facts` is the JSON of baa_core::safeguards::PlatformConfig: ports, force_https, mounts with
-- their snapshot settings, the NAMES and lines of credential-looking entries, database signs, the
-- file name. It has no field for any [env], [build.args] or [[files]] value, so no secret value
-- is ever stored. `secret_names` is the JSON list of the app's secret names from
-- `fly secrets list` (names only), or NULL when the snapshot did not have them.
-- Rows are never updated: an import that changes an app's files adds a new set with its own
-- `imported_at`, so a past day is checked with the files known by the end of that day.

CREATE TABLE platform_configs (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    file TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    snapshot_sha256 TEXT NOT NULL,
    facts TEXT NOT NULL,
    secret_names TEXT,
    PRIMARY KEY (workspace_id, app, imported_at, file)
);
