-- Hostile review (issue 12): atomic throttles with backoff, queued password resets, the packet
-- signing key, and the packet queue's anchoring columns. Portable SQL for SQLite and PostgreSQL.

-- One row per throttle key ("login:account:<email>", "login:address:<ip>", "login:2fa:<user>",
-- "reset:..."): attempts since the key was last quiet, and the earliest time of the next one.
-- Reserved with one UPDATE ... WHERE next_at <= now RETURNING, so concurrent attempts queue.
CREATE TABLE throttle (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL
);

-- Replaced by `throttle` (it was counted, then written: check-then-act).
DROP TABLE login_failures;

-- A reset request is queued whatever the address, and turned into a link and a mail in the
-- background, so the answer takes the same time for known and unknown addresses.
CREATE TABLE reset_requests (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX reset_requests_due ON reset_requests (processed_at, created_at);

-- Keys that sign evidence packet manifests (Ed25519). `seed` is kept only for a key the server
-- generated itself; a key from PACKET_SIGNING_KEY is recorded by its public half only.
CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    seed TEXT,
    origin TEXT NOT NULL CHECK (origin IN ('generated', 'environment')),
    created_at BIGINT NOT NULL
);

-- The manifest each bundle carries, and the key that signed it (shown on the packets page and
-- recorded in the audit trail).
ALTER TABLE packets ADD COLUMN manifest_sha256 TEXT;
ALTER TABLE packets ADD COLUMN signing_key_id TEXT;
CREATE INDEX packets_queue ON packets (status, created_at);
