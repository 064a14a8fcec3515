//! Ed25519 signatures over a bundle's `manifest.json`, so a bundle whose files and manifest
//! were both rewritten no longer verifies: the manifest lists every file's SHA-256, and the
//! signature (in `manifest.sig`, beside it) covers the manifest's exact bytes.
//!
//! Pure: keys are bytes here; where the server's key comes from is `crate::signing`.

use base64::Engine;
use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// Name of the signature file in the ZIP (not listed in the manifest it signs).
pub const SIGNATURE_NAME: &str = "manifest.sig";
/// Value of the signature file's `format` field.
pub const SIGNATURE_FORMAT: &str = "baa-tracker-manifest-signature/1";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The 32-byte seed of a key given as base64, if it is one.
pub fn seed_from_base64(s: &str) -> Option<[u8; 32]> {
    let bytes = b64().decode(s.trim()).ok()?;
    <[u8; 32]>::try_from(bytes.as_slice()).ok()
}

/// The short name of a public key: `ed25519:` and the first 16 hex digits of its SHA-256.
pub fn key_id(public: &[u8; 32]) -> String {
    let digest = hex::encode(Sha256::digest(public));
    format!("ed25519:{}", &digest[..16])
}

/// A private signing key. Neither `Serialize` nor plainly `Debug`: only its id is shown.
pub struct PacketKey {
    key: ed25519_dalek::SigningKey,
    id: String,
}

impl fmt::Debug for PacketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PacketKey({}, [redacted])", self.id)
    }
}

impl PacketKey {
    /// The key with this seed.
    pub fn from_seed(seed: &[u8; 32]) -> PacketKey {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let id = key_id(key.verifying_key().as_bytes());
        PacketKey { key, id }
    }

    /// A new random key.
    pub fn generate() -> PacketKey {
        use rand::RngCore;
        let mut seed = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        PacketKey::from_seed(&seed)
    }

    /// The seed as base64, for storing; a secret.
    pub fn seed_base64(&self) -> crate::secret::Secret {
        crate::secret::Secret::new(b64().encode(self.key.to_bytes()))
    }

    /// Its short name.
    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey { key_id: self.id.clone(), public_key: b64().encode(self.key.verifying_key().as_bytes()) }
    }

    /// The signature file for these manifest bytes.
    pub fn sign_manifest(&self, manifest: &[u8]) -> ManifestSignature {
        let PublicKey { key_id, public_key } = self.public();
        ManifestSignature {
            format: SIGNATURE_FORMAT.to_string(),
            algorithm: "Ed25519".to_string(),
            key_id,
            public_key,
            signature: b64().encode(self.key.sign(manifest).to_bytes()),
        }
    }
}

/// A public key as published (`/.well-known/baa-tracker-packet-keys.json`) and as carried in a
/// signature file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    /// `ed25519:` and 16 hex digits.
    pub key_id: String,
    /// The 32 bytes, base64.
    pub public_key: String,
}

impl PublicKey {
    /// Reads a base64 public key (as printed on the packets page).
    pub fn parse(base64_key: &str) -> Option<PublicKey> {
        let bytes = <[u8; 32]>::try_from(b64().decode(base64_key.trim()).ok()?.as_slice()).ok()?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()?;
        Some(PublicKey { key_id: key_id(&bytes), public_key: b64().encode(bytes) })
    }
}

/// `manifest.sig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSignature {
    /// Always [`SIGNATURE_FORMAT`].
    pub format: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The signing key's short name.
    pub key_id: String,
    /// The signing key, base64 (check it against the published one: anyone can sign).
    pub public_key: String,
    /// The signature over the bytes of `manifest.json`, base64.
    pub signature: String,
}

impl ManifestSignature {
    /// Checks the signature over `manifest`; returns the key that made it, or why not.
    pub fn check(&self, manifest: &[u8]) -> Result<PublicKey, String> {
        if self.format != SIGNATURE_FORMAT || self.algorithm != "Ed25519" {
            return Err(format!("unknown signature format {:?} / {:?}", self.format, self.algorithm));
        }
        let public = PublicKey::parse(&self.public_key).ok_or("the public key is not an Ed25519 key")?;
        if public.key_id != self.key_id {
            return Err(format!("the key id {} does not belong to the public key", self.key_id));
        }
        let bytes = b64().decode(&self.public_key).map_err(|e| e.to_string())?;
        let vk = <[u8; 32]>::try_from(bytes.as_slice())
            .ok()
            .and_then(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
            .ok_or("the public key is not an Ed25519 key")?;
        let sig = b64()
            .decode(&self.signature)
            .ok()
            .and_then(|s| ed25519_dalek::Signature::from_slice(&s).ok())
            .ok_or("the signature is not an Ed25519 signature")?;
        vk.verify_strict(manifest, &sig).map_err(|_| {
            "the signature does not match manifest.json (it was changed after signing)".to_string()
        })?;
        Ok(public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_only_for_the_exact_bytes_and_names_its_key() {
        let key = PacketKey::generate();
        let sig = key.sign_manifest(b"{\"files\":[]}");
        assert_eq!(sig.check(b"{\"files\":[]}").expect("valid").key_id, key.key_id());
        assert!(sig.check(b"{\"files\":[1]}").is_err());
        let other = PacketKey::generate().sign_manifest(b"{\"files\":[]}");
        let forged = ManifestSignature { key_id: sig.key_id.clone(), ..other };
        assert!(forged.check(b"{\"files\":[]}").is_err(), "a key id that is not the key's is refused");
        assert!(!format!("{key:?}").contains(&key.seed_base64().expose().to_string()));
        let seed = seed_from_base64(key.seed_base64().expose()).expect("seed");
        assert_eq!(PacketKey::from_seed(&seed).key_id(), key.key_id());
        assert_eq!(PublicKey::parse(&key.public().public_key), Some(key.public()));
    }
}
