//! Fly extension kinds and how they map onto catalog vendors, products and plans.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A kind of Fly extension, as named by the `fly` command that lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtensionKind {
    /// `fly ext sentry list`.
    Sentry,
    /// `fly storage list` (same as `fly ext tigris list`).
    Tigris,
    /// `fly redis list`.
    UpstashRedis,
    /// `fly ext vector list`.
    UpstashVector,
    /// `fly ext kubernetes list` (FKS).
    Kubernetes,
    /// `fly ext arcjet list`.
    Arcjet,
    /// `fly ext wafris` (which has no `list`).
    Wafris,
    /// `fly ext supabase list` (removed extension).
    Supabase,
    /// `fly ext mysql list` (removed extension).
    Mysql,
    /// `fly ext kafka list` (Upstash Kafka, removed extension).
    UpstashKafka,
    /// `fly ext planetscale list` (removed extension).
    Planetscale,
    /// `fly ext enveloop list` (removed extension).
    Enveloop,
    /// An `ext-NAME-list` file for an extension this import does not know.
    Other(String),
}

impl ExtensionKind {
    /// The kind named in an `ext-NAME-list` file name (the `fly ext NAME` command, or an alias).
    pub fn from_command(name: &str) -> Self {
        match name {
            "sentry" => Self::Sentry,
            "tigris" | "storage" => Self::Tigris,
            "redis" | "upstash-redis" => Self::UpstashRedis,
            "vector" => Self::UpstashVector,
            "kubernetes" | "fks" | "k8s" => Self::Kubernetes,
            "arcjet" => Self::Arcjet,
            "wafris" | "waf" => Self::Wafris,
            "supabase" => Self::Supabase,
            "mysql" => Self::Mysql,
            "kafka" => Self::UpstashKafka,
            "planetscale" => Self::Planetscale,
            "enveloop" => Self::Enveloop,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Catalog vendor slug and product slug of services of this kind, when the catalog models it.
    pub fn catalog_slugs(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Self::Sentry => ("sentry", "errors"),
            Self::Tigris => ("tigris", "object-storage"),
            Self::UpstashRedis => ("upstash-redis", "redis"),
            Self::UpstashVector => ("upstash-vector", "vector"),
            // FKS is Fly.io's own product, under the Fly.io BAA (not a separate vendor).
            Self::Kubernetes => ("fly", "kubernetes"),
            Self::Arcjet => ("arcjet", "shield"),
            Self::Wafris => ("wafris", "firewall"),
            Self::Supabase => ("supabase", "postgres"),
            Self::Mysql => ("mysql", "mysql"),
            Self::UpstashKafka => ("upstash-kafka", "kafka"),
            Self::Planetscale => ("planetscale", "mysql"),
            Self::Enveloop => ("enveloop", "messaging"),
            Self::Other(_) => return None,
        })
    }

    /// The command that lists this kind, for messages.
    pub fn list_command(&self) -> String {
        match self {
            Self::Tigris => "fly storage list".to_owned(),
            Self::UpstashRedis => "fly redis list".to_owned(),
            other => format!("fly ext {} list", other.command_name()),
        }
    }

    fn command_name(&self) -> &str {
        match self {
            Self::Sentry => "sentry",
            Self::Tigris => "tigris",
            Self::UpstashRedis => "redis",
            Self::UpstashVector => "vector",
            Self::Kubernetes => "kubernetes",
            Self::Arcjet => "arcjet",
            Self::Wafris => "wafris",
            Self::Supabase => "supabase",
            Self::Mysql => "mysql",
            Self::UpstashKafka => "kafka",
            Self::Planetscale => "planetscale",
            Self::Enveloop => "enveloop",
            Self::Other(name) => name,
        }
    }

    /// Vendor and product slugs for an extension of a kind the catalog does not model: the
    /// kind's own name, so the service is recorded as uncatalogued (and fails closed).
    pub fn uncatalogued_slugs(&self) -> String {
        let slug = slugify(self.command_name());
        if slug.is_empty() {
            "unknown-extension".to_owned()
        } else {
            slug
        }
    }

    /// Whether `fly` names extensions of this kind after the app they were created for (Sentry
    /// does by design; Arcjet sites in practice), so the name ties them to an app.
    pub fn named_after_app(&self) -> bool {
        matches!(self, Self::Sentry | Self::Arcjet)
    }
}

impl fmt::Display for ExtensionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sentry => "Sentry",
            Self::Tigris => "Tigris",
            Self::UpstashRedis => "Upstash Redis",
            Self::UpstashVector => "Upstash Vector",
            Self::Kubernetes => "Fly Kubernetes",
            Self::Arcjet => "Arcjet",
            Self::Wafris => "Wafris",
            Self::Supabase => "Supabase",
            Self::Mysql => "MySQL",
            Self::UpstashKafka => "Upstash Kafka",
            Self::Planetscale => "PlanetScale",
            Self::Enveloop => "Enveloop",
            Self::Other(name) => name,
        })
    }
}

/// A plan display name as a slug: lower case, runs of other characters become one dash
/// ("Pay-as-you-go" → `pay-as-you-go`, "Pro 2k" → `pro-2k`).
pub(super) fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Catalog plan slug of an Upstash Redis plan display name as `fly redis list` prints it:
/// `Fixed 250MB`, `Fixed 1GB`, ... are all the `fixed` plan; the others by their slug.
pub(super) fn redis_plan(display: &str) -> String {
    let slug = slugify(display);
    if slug.starts_with("fixed") {
        "fixed".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_names_become_slugs() {
        assert_eq!(redis_plan("Pay-as-you-go"), "pay-as-you-go");
        assert_eq!(redis_plan("Fixed 1GB"), "fixed");
        assert_eq!(redis_plan("Pro 2k"), "pro-2k");
        assert_eq!(slugify("  Team (legacy) "), "team-legacy");
    }
}
