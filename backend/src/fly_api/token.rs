//! The Fly.io API token: neither `Serialize` nor plainly `Debug`, never in a URL, an error or a
//! log line.

use std::fmt;

use crate::error::{AppError, AppResult};

use reqwest::header::HeaderValue;

/// A Fly.io API token as `fly tokens create readonly -o ORG` prints it (`FlyV1 fm2_...`), or
/// any token flyctl accepts (a macaroon `fm1r_`/`fm1a_`/`fm2_`, several comma-separated, or an
/// OAuth user token).
///
/// It is sent the way flyctl sends it to the GraphQL API: `Authorization: FlyV1 <tokens>` when
/// any part is a macaroon, else `Authorization: Bearer <token>`.
#[derive(Clone, PartialEq, Eq)]
pub struct FlyToken {
    /// Without any scheme; the comma-separated parts trimmed.
    token: String,
    macaroon: bool,
}

/// A pasted token that is empty, or only a scheme (the message never says what was pasted).
pub const EMPTY: &str =
    "the Fly.io token is empty: paste the whole output of `fly tokens create readonly -o ORG`";
/// A pasted token with spaces, control or non-ASCII characters inside.
pub const BAD_CHARACTERS: &str =
    "the Fly.io token has characters a token cannot have: paste it again, on one line";

impl FlyToken {
    /// Reads a token as pasted: surrounding space and any `FlyV1 ` / `Bearer ` scheme removed
    /// (as flyctl does), parts split on commas.
    pub fn parse(raw: &str) -> AppResult<FlyToken> {
        let mut t = raw.trim();
        while let Some((scheme, rest)) = t.split_once(char::is_whitespace) {
            if scheme.eq_ignore_ascii_case("flyv1") || scheme.eq_ignore_ascii_case("bearer") {
                t = rest.trim_start();
            } else {
                break;
            }
        }
        if t.eq_ignore_ascii_case("flyv1") || t.eq_ignore_ascii_case("bearer") {
            return Err(AppError::invalid("token", EMPTY));
        }
        let parts: Vec<&str> = t.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            return Err(AppError::invalid("token", EMPTY));
        }
        if parts.iter().any(|p| !p.bytes().all(|b| b.is_ascii_graphic() && b != b',')) {
            return Err(AppError::invalid("token", BAD_CHARACTERS));
        }
        let macaroon = parts.iter().any(|p| ["fm1r_", "fm1a_", "fm2_"].iter().any(|pfx| p.starts_with(pfx)));
        Ok(FlyToken { token: parts.join(","), macaroon })
    }

    /// `FlyV1` for macaroon tokens, `Bearer` otherwise.
    pub fn scheme(&self) -> &'static str {
        if self.macaroon {
            "FlyV1"
        } else {
            "Bearer"
        }
    }

    /// The `Authorization` header value, marked sensitive (so hyper and reqwest never print it).
    pub(crate) fn header(&self) -> HeaderValue {
        // parse() allows only visible ASCII, which is always a valid header value.
        let mut v = HeaderValue::from_str(&format!("{} {}", self.scheme(), self.token))
            .unwrap_or_else(|_| HeaderValue::from_static("invalid"));
        v.set_sensitive(true);
        v
    }

    /// The token itself (what to encrypt at rest): call only where it is stored.
    pub fn expose(&self) -> &str {
        &self.token
    }

    /// `text` with every part of the token (and the whole) replaced by `[redacted]`, for any
    /// text that came from the server.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.token, "[redacted]");
        for part in self.token.split(',') {
            // Very short parts cannot be a real secret and would shred ordinary words.
            if part.len() >= 8 {
                out = out.replace(part, "[redacted]");
            }
        }
        out
    }
}

impl fmt::Debug for FlyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlyToken({} [redacted])", self.scheme())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readonly_token_output_is_sent_as_flyctl_sends_it() {
        let t = FlyToken::parse("FlyV1 fm2_lJPECAAAAAAAAA,fm2_lJPEEOMzzz\n").expect("token");
        assert_eq!(t.scheme(), "FlyV1");
        assert_eq!(t.header().to_str().expect("ascii"), "FlyV1 fm2_lJPECAAAAAAAAA,fm2_lJPEEOMzzz");
        assert!(t.header().is_sensitive());
    }

    #[test]
    fn bare_and_oauth_tokens() {
        assert_eq!(FlyToken::parse("fm2_abc").expect("t").scheme(), "FlyV1");
        assert_eq!(FlyToken::parse("fm1r_abc").expect("t").scheme(), "FlyV1");
        let oauth = FlyToken::parse("Bearer fo1_somethinglong").expect("t");
        assert_eq!(oauth.scheme(), "Bearer");
        assert_eq!(oauth.header().to_str().expect("ascii"), "Bearer fo1_somethinglong");
    }

    #[test]
    fn empty_or_broken_tokens_are_refused_without_echoing_them() {
        let message = |raw: &str| FlyToken::parse(raw).expect_err("refused").public_message();
        assert_eq!(message("  "), EMPTY);
        assert_eq!(message("FlyV1 "), EMPTY);
        let e = message("fm2_abc\u{7}def");
        assert_eq!(e, BAD_CHARACTERS);
        assert!(!e.contains("abc"));
        assert!(FlyToken::parse("fm2_abc def").is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = FlyToken::parse("FlyV1 fm2_supersecretvalue").expect("t");
        let d = format!("{t:?}");
        assert!(!d.contains("supersecret"), "{d}");
        assert_eq!(t.redact("echo fm2_supersecretvalue back"), "echo [redacted] back");
    }
}
