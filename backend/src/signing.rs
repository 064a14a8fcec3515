//! The server's packet signing key: from `PACKET_SIGNING_KEY` when set, else generated once
//! and kept in the database (`signing_keys`), so every instance and every restart signs with
//! the same key. Every key ever used is kept (public half only for keys from the environment),
//! so bundles signed before a key change still verify against the published list.

use crate::db::Db;
use crate::packet::{PacketKey, PublicKey};
use crate::secret::Secret;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub use crate::packet::seed_from_base64;

/// A key as published at `/.well-known/baa-tracker-packet-keys.json` and on the packets page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKey {
    /// `ed25519:` and 16 hex digits.
    pub key_id: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The public key, base64 (what `verify-packet --public-key` takes).
    pub public_key: String,
    /// Whether new packets are signed with it.
    pub current: bool,
    /// `environment` or `generated`.
    pub origin: String,
}

/// Loads (or makes) the signing key at start.
pub async fn load(db: &Db, from_env: Option<&Secret>, now: i64) -> anyhow::Result<PacketKey> {
    if let Some(k) = from_env {
        let seed = seed_from_base64(k.expose()).context("PACKET_SIGNING_KEY is not 32 bytes of base64")?;
        let key = PacketKey::from_seed(&seed);
        let PublicKey { key_id, public_key } = key.public();
        sqlx::query(
            "INSERT INTO signing_keys (key_id, public_key, seed, origin, created_at) VALUES ($1, $2, NULL, 'environment', $3) \
             ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(&key_id)
        .bind(&public_key)
        .bind(now)
        .execute(&db.pool)
        .await
        .context("recording the public packet signing key")?;
        return Ok(key);
    }
    if let Some(key) = stored(db).await? {
        return Ok(key);
    }
    let fresh = PacketKey::generate();
    let PublicKey { key_id, public_key } = fresh.public();
    sqlx::query(
        "INSERT INTO signing_keys (key_id, public_key, seed, origin, created_at) VALUES ($1, $2, $3, 'generated', $4) \
         ON CONFLICT (key_id) DO NOTHING",
    )
    .bind(&key_id)
    .bind(&public_key)
    .bind(fresh.seed_base64().expose())
    .bind(now)
    .execute(&db.pool)
    .await
    .context("storing the generated packet signing key")?;
    tracing::info!(key = %key_id, "generated the packet signing key (set PACKET_SIGNING_KEY to choose one)");
    // Two instances starting at once both insert; both then use the oldest.
    stored(db).await?.context("reading back the generated packet signing key")
}

async fn stored(db: &Db) -> anyhow::Result<Option<PacketKey>> {
    let row = sqlx::query(
        "SELECT seed FROM signing_keys WHERE origin = 'generated' AND seed IS NOT NULL ORDER BY created_at, key_id LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await
    .context("reading the packet signing key")?;
    let Some(row) = row else { return Ok(None) };
    let seed = Secret::new(row.try_get::<String, _>("seed")?);
    let seed = seed_from_base64(seed.expose()).context("the stored packet signing key is damaged")?;
    Ok(Some(PacketKey::from_seed(&seed)))
}

/// Every key packets were signed with, the current one first.
pub async fn published(db: &Db, current: &PacketKey) -> anyhow::Result<Vec<PublishedKey>> {
    let rows =
        sqlx::query("SELECT key_id, public_key, origin FROM signing_keys ORDER BY created_at DESC, key_id")
            .fetch_all(&db.pool)
            .await?;
    let mut out = Vec::new();
    for r in &rows {
        let key_id: String = r.try_get("key_id")?;
        out.push(PublishedKey {
            current: key_id == current.key_id(),
            key_id,
            algorithm: "Ed25519".into(),
            public_key: r.try_get("public_key")?,
            origin: r.try_get("origin")?,
        });
    }
    out.sort_by_key(|k| !k.current);
    Ok(out)
}
