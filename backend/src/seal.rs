//! Sealing integration tokens at rest: ChaCha20-Poly1305 (RustCrypto `chacha20poly1305`) under
//! the 32-byte key of `BAA_SECRET_KEY`, a random 96-bit nonce per seal, and the row it belongs
//! to as associated data (a sealed token copied to another row or workspace does not open).
//!
//! A leaf: the configuration parses the key with it, the integrations seal and open with it.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::fmt;

const PREFIX: &str = "v1:";

/// The key that seals tokens (never `Debug`-printed, never serialized).
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// What a sync says when a sealed token cannot be opened (wrong key, or a tampered or moved row).
pub const CANNOT_OPEN: &str =
    "the stored Fly.io token cannot be opened with BAA_SECRET_KEY (was the key changed?): connect the org again";

impl SecretKey {
    /// Reads `BAA_SECRET_KEY`: base64 (standard, padded or not) of exactly 32 bytes.
    pub fn parse(s: &str) -> Option<SecretKey> {
        let s = s.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
            .ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(SecretKey(key))
    }

    /// Seals `plain` for the row `aad` names.
    pub fn seal(&self, plain: &str, aad: &str) -> String {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce size cannot fail.
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: aad.as_bytes() })
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ct);
        format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Opens what [`SecretKey::seal`] sealed for the same `aad`; `None` when it cannot (another
    /// key, another row, or a changed text: there is nothing more to say about why).
    pub fn open(&self, sealed: &str, aad: &str) -> Option<String> {
        let raw = sealed.strip_prefix(PREFIX)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(raw).ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let plain =
            cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: aad.as_bytes() }).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SecretKey {
        SecretKey::parse(&base64::engine::general_purpose::STANDARD.encode([b; 32])).expect("key")
    }

    #[test]
    fn seals_and_opens_only_for_the_same_row_and_key() {
        let k = key(7);
        let sealed = k.seal("fm2_secret-token-value", "row-1|ws-1");
        assert!(!sealed.contains("fm2_secret"));
        assert_eq!(k.open(&sealed, "row-1|ws-1").expect("open"), "fm2_secret-token-value");
        assert_eq!(k.open(&sealed, "row-2|ws-1"), None);
        assert_eq!(key(8).open(&sealed, "row-1|ws-1"), None);
        assert_ne!(sealed, k.seal("fm2_secret-token-value", "row-1|ws-1"), "fresh nonce per seal");
        assert!(!format!("{k:?}").contains('7'));
    }

    #[test]
    fn key_must_be_32_bytes_of_base64() {
        assert!(SecretKey::parse("not base64!").is_none());
        assert!(SecretKey::parse(&base64::engine::general_purpose::STANDARD.encode([1u8; 16])).is_none());
        assert!(SecretKey::parse(&base64::engine::general_purpose::STANDARD.encode([1u8; 32])).is_some());
    }
}
