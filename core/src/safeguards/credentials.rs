//! Does a configuration entry look like a credential? Judged from its name and its value; the
//! answer is a reason in words that never quotes the value, so it can be stored and shown.

/// Last words of a name that make it a credential when it has a value (`DB_PASSWORD`, `JWT_SECRET`).
const SECRET_LAST_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "PASSPHRASE",
];

/// Words that make a name a credential wherever they stand (`SECRET_KEY_BASE`, `PASSWORD_PEPPER`).
const SECRET_WORDS: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "PASSPHRASE", "CREDENTIALS"];

/// Names that are credentials although their words alone do not say so.
const WELL_KNOWN: &[&str] = &[
    "PGPASSWORD",
    "MYSQL_PWD",
    "AWS_ACCESS_KEY_ID",
    "SECRET_KEY_BASE",
    "RAILS_MASTER_KEY",
    "SENTRY_AUTH_TOKEN",
    "SLACK_WEBHOOK_URL",
    "DISCORD_WEBHOOK_URL",
    "FLY_API_TOKEN",
    "NPM_TOKEN",
    "GH_TOKEN",
    "GITHUB_TOKEN",
];

/// Last words that make a name describe a credential rather than hold one (`PASSWORD_MIN_LENGTH`,
/// `TOKEN_TTL`, `SSL_KEY_FILE`).
const DESCRIPTIVE_LAST_WORDS: &[&str] = &[
    "FILE",
    "PATH",
    "DIR",
    "NAME",
    "LENGTH",
    "LEN",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "LIFETIME",
    "TIMEOUT",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "ENABLED",
    "REQUIRED",
    "POLICY",
    "ROTATION",
    "URL",
    "HOST",
    "PORT",
    "MODE",
    "FORMAT",
    "ALGORITHM",
    "ALG",
    "VERSION",
    "COUNT",
    "HEADER",
    "PREFIX",
    "ID",
    "TYPE",
    "ISSUER",
    "AUDIENCE",
];

/// Words that mark a key meant to be public (`STRIPE_PUBLISHABLE_KEY`, `VAPID_PUBLIC_KEY`).
const PUBLIC_WORDS: &[&str] = &["PUBLIC", "PUBLISHABLE", "PUB", "ANON"];

/// Query parameters of a URL that carry a credential.
const SECRET_QUERY_KEYS: &[&str] = &[
    "password",
    "pass",
    "pwd",
    "token",
    "access_token",
    "auth_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "sig",
    "signature",
];

/// Why the entry `name = value` looks like a credential, or `None`. The reason names the rule
/// that matched, never any part of the value.
pub(super) fn judge(name: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).unwrap_or_default();
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> =
        upper.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let public = words.iter().any(|w| PUBLIC_WORDS.contains(w));
    // Public client keys (Supabase's anon key) are JWTs by design; any other token shape under
    // a "public" name is still a secret put in the wrong place.
    if !(public && is_jwt(value)) {
        if let Some(why) = value_shape(value) {
            return Some(why);
        }
    }
    if !holds_a_value(value) {
        return None;
    }
    if WELL_KNOWN.contains(&upper.as_str()) {
        return Some(format!("`{name}` is a well-known credential name and it has a value"));
    }
    let last = words.last()?;
    if DESCRIPTIVE_LAST_WORDS.contains(last) || public {
        return None;
    }
    if SECRET_LAST_WORDS.contains(last) {
        return Some(format!("the name ends in `_{last}` and it has a value"));
    }
    if let Some(word) = words.iter().find(|w| SECRET_WORDS.contains(w)) {
        return Some(format!("the name contains `{word}` and it has a value"));
    }
    None
}

/// A value that could be a credential: not empty, not a flag, not a file path and not a
/// reference to another variable (fly.toml does not expand `$NAME`, but nobody writes a secret
/// that way either).
fn holds_a_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !(value.is_empty()
        || matches!(lower.as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "none" | "null")
        || value.starts_with('$')
        || (value.starts_with('/') && !value.contains(char::is_whitespace))
        || (value.starts_with('<') && value.ends_with('>')))
}

/// Values that are credentials whatever their name: URLs with a password or a token, private
/// keys, and tokens whose format their issuer documents.
fn value_shape(value: &str) -> Option<String> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("the value is a private key (PEM)".into());
    }
    if let Some(why) = url_credential(value) {
        return Some(why);
    }
    let token = |prefix: &str, min_len: usize| value.starts_with(prefix) && value.len() >= min_len;
    let kind = if token("ghp_", 20)
        || token("gho_", 20)
        || token("ghu_", 20)
        || token("ghs_", 20)
        || token("ghr_", 20)
        || token("github_pat_", 20)
    {
        "a GitHub token"
    } else if (token("AKIA", 20) || token("ASIA", 20))
        && value.len() == 20
        && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        "an AWS access key id"
    } else if ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"].iter().any(|p| token(p, 15)) {
        "a Slack token"
    } else if ["sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"].iter().any(|p| token(p, 16)) {
        "a Stripe secret key"
    } else if token("AIza", 39) {
        "a Google API key"
    } else if token("SG.", 40) {
        "a SendGrid API key"
    } else if token("sk-", 24) && !value.contains(char::is_whitespace) {
        "an API secret key (OpenAI, Anthropic and others use `sk-`)"
    } else if token("FlyV1 ", 20) || token("fm1_", 20) || token("fm2_", 20) {
        "a Fly.io access token"
    } else if token("npm_", 30) {
        "an npm token"
    } else if token("glpat-", 20) {
        "a GitLab token"
    } else if is_jwt(value) {
        "a signed token (JWT)"
    } else {
        return None;
    };
    Some(format!("the value has the shape of {kind}"))
}

/// `scheme://user:password@host/...`, or a URL whose query carries a token or key.
fn url_credential(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("https://hooks.slack.com/")
        || lower.starts_with("https://discord.com/api/webhooks/")
        || lower.starts_with("https://discordapp.com/api/webhooks/")
    {
        return Some("the value is a webhook URL, which works as a password".into());
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if let Some((userinfo, _host)) = authority.rsplit_once('@') {
        if let Some((_user, password)) = userinfo.split_once(':') {
            if holds_a_value(password) && password != "*" && !password.chars().all(|c| c == '*') {
                return Some("the value is a URL with a user name and password".into());
            }
        }
    }
    let query = rest.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or_default())?;
    for pair in query.split('&') {
        let (key, val) = pair.split_once('=').unwrap_or((pair, ""));
        if SECRET_QUERY_KEYS.contains(&key.to_ascii_lowercase().as_str()) && holds_a_value(val) {
            return Some(format!("the value is a URL whose `{key}` parameter carries a credential"));
        }
    }
    None
}

/// Three base64url parts, the first two JSON objects (`eyJ` is `{"` encoded).
fn is_jwt(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts
            .iter()
            .all(|p| p.len() >= 4 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// A `[[files]]` entry with inline content (`raw_value`) that is a credential: by content, or
/// by a guest path that names one (`/etc/ssl/private/key.pem`, `.../credentials.json`).
pub(super) fn judge_file(guest_path: &str, raw_value: &str) -> Option<String> {
    if let Some(why) = value_shape(raw_value.trim()) {
        return Some(why.replacen("the value", "the inline content (`raw_value`)", 1));
    }
    if raw_value.trim().is_empty() {
        return None;
    }
    let lower = guest_path.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or_default();
    let named = [".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"].iter().any(|e| base.ends_with(e))
        || [
            "secret",
            "password",
            "passwd",
            "token",
            "credential",
            "id_rsa",
            "id_ed25519",
            "id_ecdsa",
            ".netrc",
            ".npmrc",
            ".pgpass",
        ]
        .iter()
        .any(|w| lower.contains(w));
    named.then(|| "its path names a credential and its content is written inline (`raw_value`)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_values_are_credentials_and_descriptions_are_not() {
        for (name, value, yes) in [
            ("DB_PASSWORD", "x", true),
            ("JWT_SECRET", "abc", true),
            ("API_TOKEN", "abc", true),
            ("ENCRYPTION_KEY", "abc", true),
            ("SECRET_KEY_BASE", "abc", true),
            ("PGPASSWORD", "abc", true),
            ("AWS_ACCESS_KEY_ID", "abc", true),
            ("password", "abc", true),
            ("DB_PASSWORD", "", false),
            ("DB_PASSWORD", "$DB_PASSWORD", false),
            ("SSL_KEY", "/etc/ssl/key.pem", false),
            ("SSL_KEY_FILE", "key.pem", false),
            ("TOKEN_TTL", "3600", false),
            ("PASSWORD_MIN_LENGTH", "12", false),
            ("STRIPE_PUBLISHABLE_KEY", "pk_live_x", false),
            ("VAPID_PUBLIC_KEY", "BEl6", false),
            ("FEATURE_KEY", "true", false),
            ("PORT", "8080", false),
            ("DATABASE_PATH", "/litefs/packages.sqlite", false),
            ("POSTGRES_USER", "boluo", false),
            ("PASSWORD_RESET_URL", "https://example.com/reset", false),
        ] {
            assert_eq!(judge(name, Some(value)).is_some(), yes, "{name} = {value}");
        }
    }

    #[test]
    fn values_are_credentials_whatever_the_name() {
        for (value, yes) in [
            ("postgres://app:hunter2@db.internal:5432/app", true),
            ("redis://default:s3cr3t@fly-redis.upstash.io:6379", true),
            ("postgres://app@db.internal/app", false),
            ("postgres://app:@db.internal/app", false),
            ("https://api.example.com/v1?api_key=abcdef", true),
            ("https://example.com/?page=2", false),
            ("https://hooks.slack.com/services/T000/B000/XXXX", true),
            ("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true),
            ("AKIAIOSFODNN7EXAMPLE", true),
            ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----", true),
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", true),
            ("https://diggai.de,https://www.diggai.de", false),
            ("app.settings.staging", false),
        ] {
            assert_eq!(judge("SOMETHING", Some(value)).is_some(), yes, "{value}");
        }
    }

    #[test]
    fn the_reason_never_quotes_the_value() {
        let secret = "hunter2-correct-horse";
        for (name, value) in [
            ("DB_PASSWORD", secret.to_owned()),
            ("DATABASE_URL", format!("postgres://u:{secret}@h/db")),
            ("X", format!("https://h/?token={secret}")),
        ] {
            let why = judge(name, Some(&value)).expect("a credential");
            assert!(!why.contains(secret), "{why}");
        }
    }
}
