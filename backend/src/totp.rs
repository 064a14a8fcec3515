//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) and recovery codes.

use crate::secret::Secret;
use rand::Rng;
use totp_rs::{Algorithm, Secret as TotpSecret, TOTP};

const STEP: u64 = 30;

fn totp(secret_b32: &str, account: &str) -> anyhow::Result<TOTP> {
    let bytes = TotpSecret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("decoding a TOTP secret: {e:?}"))?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP, bytes, Some("BAA Tracker".into()), account.to_string())
        .map_err(|e| anyhow::anyhow!("building a TOTP: {e}"))
}

/// A new random base32 secret.
pub fn new_secret() -> Secret {
    Secret::new(TotpSecret::generate_secret().to_encoded().to_string())
}

/// The `otpauth://` URL authenticator apps read from the QR code.
pub fn otpauth_url(secret_b32: &Secret, account: &str) -> anyhow::Result<Secret> {
    Ok(Secret::new(totp(secret_b32.expose(), account)?.get_url()))
}

/// The QR code of the `otpauth://` URL as an SVG document.
pub fn qr_svg(url: &Secret) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(url.expose().as_bytes()).map_err(|e| anyhow::anyhow!("QR: {e}"))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// The code for unix time `now` (used by tests and by nothing else in production).
pub fn code_at(secret_b32: &str, now: i64) -> anyhow::Result<String> {
    Ok(totp(secret_b32, "x")?.generate(u64::try_from(now).unwrap_or_default()))
}

/// Checks a code at `now`, allowing one step of clock skew either way, and refusing a step at or
/// before `last_step` (replay). Returns the matched step on success.
pub fn verify(secret_b32: &str, code: &str, now: i64, last_step: Option<i64>) -> anyhow::Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret_b32, "x")?;
    let now_step = now / STEP as i64;
    for step in [now_step - 1, now_step, now_step + 1] {
        if last_step.is_some_and(|l| step <= l) {
            continue;
        }
        let at = u64::try_from(step * STEP as i64).unwrap_or_default();
        if t.generate(at) == code {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// Ten new recovery codes like `k3xq-9fwp-2hmd`.
pub fn new_recovery_codes() -> Vec<Secret> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| {
            let groups: Vec<String> = (0..3)
                .map(|_| (0..4).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect())
                .collect();
            Secret::new(groups.join("-"))
        })
        .collect()
}

/// Normalises a typed recovery code (case, spaces) before hashing.
pub fn normalise_recovery_code(s: &str) -> String {
    s.trim().to_lowercase().replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_verify_within_one_step_and_not_twice() {
        let s = new_secret();
        let now = 1_790_000_000;
        let code = code_at(s.expose(), now).expect("code");
        let step = verify(s.expose(), &code, now, None).expect("verify").expect("matches");
        assert_eq!(verify(s.expose(), &code, now + 30, None).expect("v"), Some(step), "skew ok");
        assert_eq!(verify(s.expose(), &code, now, Some(step)).expect("v"), None, "replay refused");
        assert_eq!(verify(s.expose(), &code, now + 95, None).expect("v"), None, "too old");
        assert_eq!(verify(s.expose(), "12345", now, None).expect("v"), None);
    }

    #[test]
    fn recovery_codes_are_distinct() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let set: std::collections::HashSet<_> = codes.iter().map(|c| c.expose().to_string()).collect();
        assert_eq!(set.len(), 10);
        assert_eq!(codes[0].expose().len(), 14);
    }
}
