//! The HTTP side: one POST per operation, faults mapped to [`FlyApiError`], retries with
//! backoff inside a bounded budget, and pagination that either reads every page or fails.

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use cynic::{Operation, QueryBuilder};
use rand::Rng;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use serde::Serialize;

use super::error::{FlyApiError, GraphQlProblem, Listing};
use super::model::{
    BillingFacts, DiscoveredAddOn, DiscoveredApp, DiscoveredVolume, OrgDiscovery, OrgFacts, OrgKind,
    SignedDocument,
};
use super::queries::{self, PageInfo, Sendable};
use super::token::FlyToken;

/// Default GraphQL endpoint (`FLY_API_URL`).
pub const DEFAULT_GRAPHQL_URL: &str = "https://api.fly.io/graphql";
/// Default Machines API (`FLY_MACHINES_API_URL`).
pub const DEFAULT_MACHINES_URL: &str = "https://api.machines.dev";

/// Most pages one listing may have before the answer is called malformed (a server that
/// always says "there is more" must not keep a sync running for ever).
const MAX_PAGES: u32 = 10_000;

/// How retries of transient faults (429, 5xx, timeouts, connection failures) are spaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries of one request in all (1 means no retry).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled each time, with ±25% jitter.
    pub base_delay: Duration,
    /// Longest wait between two tries.
    pub max_delay: Duration,
    /// Most time spent waiting between tries of one request, all retries together. A
    /// `Retry-After` longer than what is left ends the retries at once.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            budget: Duration::from_secs(30),
        }
    }
}

/// Where and how the client talks to Fly.io.
#[derive(Debug, Clone, PartialEq)]
pub struct FlyApiConfig {
    /// The GraphQL endpoint (`FLY_API_URL`).
    pub graphql_url: url::Url,
    /// The Machines API (`FLY_MACHINES_API_URL`). Not used yet: the GraphQL API has everything
    /// the discovery reads (machines' regions included).
    pub machines_url: url::Url,
    /// Time allowed for one request, answer body included.
    pub request_timeout: Duration,
    /// Retries of transient faults.
    pub retry: RetryPolicy,
    /// Items per page of apps and add-ons (the API caps pages at 100).
    pub page_size: u32,
    /// Items per page of the connections inside each item (machines, volumes, add-on apps).
    pub inner_page_size: u32,
    /// Largest answer body accepted.
    pub max_response_bytes: usize,
}

impl Default for FlyApiConfig {
    fn default() -> Self {
        FlyApiConfig {
            graphql_url: url::Url::parse(DEFAULT_GRAPHQL_URL).expect("the default URL parses"),
            machines_url: url::Url::parse(DEFAULT_MACHINES_URL).expect("the default URL parses"),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            page_size: 50,
            inner_page_size: 50,
            max_response_bytes: 32 * 1024 * 1024,
        }
    }
}

impl FlyApiConfig {
    /// The defaults with the endpoints of the app's configuration.
    pub fn from_config(config: &crate::config::Config) -> FlyApiConfig {
        let d = FlyApiConfig::default();
        FlyApiConfig {
            graphql_url: config.fly_api_url.clone(),
            machines_url: config.fly_machines_api_url.clone(),
            request_timeout: Duration::from_millis(config.fly_api_timeout_ms),
            retry: RetryPolicy { max_attempts: config.fly_api_attempts, ..d.retry },
            page_size: config.fly_api_page_size,
            inner_page_size: config.fly_api_page_size,
            ..d
        }
    }
}

/// A client of the Fly.io GraphQL API. Cheap to clone; holds no token (each call takes one).
#[derive(Debug, Clone)]
pub struct FlyClient {
    http: reqwest::Client,
    config: FlyApiConfig,
}

impl FlyClient {
    /// A client with its own connection pool.
    pub fn new(config: FlyApiConfig) -> Result<FlyClient, FlyApiError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("baa-tracker/", env!("CARGO_PKG_VERSION"), " (fly discovery)"))
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            // A redirect could carry the Authorization header somewhere else: never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FlyApiError::Client { reason: error_chain(&e) })?;
        Ok(FlyClient { http, config })
    }

    /// The configuration in use.
    pub fn config(&self) -> &FlyApiConfig {
        &self.config
    }

    /// Whether `token` can read org `slug`: the org's basic facts, or why not
    /// ([`FlyApiError::Unauthorized`], [`FlyApiError::OrgNotFound`], a transient fault...).
    /// One cheap query; run it before saving a token.
    #[tracing::instrument(skip(self, token), fields(org = %slug))]
    pub async fn check_token(&self, token: &FlyToken, slug: &str) -> Result<OrgFacts, FlyApiError> {
        let op = queries::OrgQuery::build(queries::OrgVariables { slug: slug.to_owned() });
        let answer = self.send(token, op).await.map_err(|e| org_not_found(e, slug))?;
        let org = answer.organization.ok_or_else(|| FlyApiError::OrgNotFound { slug: slug.to_owned() })?;
        Ok(OrgFacts {
            id: org.id.into_inner(),
            slug: org.slug,
            raw_slug: org.raw_slug,
            name: org.name,
            kind: match org.kind {
                queries::OrganizationType::Personal => OrgKind::Personal,
                queries::OrganizationType::Shared => OrgKind::Shared,
                queries::OrganizationType::Other(s) => OrgKind::Other(s),
            },
            paid_plan: org.paid_plan,
            billable: org.billable,
            billing: None,
        })
    }

    /// Reads the whole org: its facts, every app (with regions, volumes and secret names) and
    /// every add-on, following every page. Any page that fails fails the whole discovery:
    /// nothing partial is returned.
    #[tracing::instrument(skip(self, token), fields(org = %slug))]
    pub async fn discover(&self, token: &FlyToken, slug: &str) -> Result<OrgDiscovery, FlyApiError> {
        let started = Instant::now();
        let mut notes = Vec::new();
        let mut org = self.check_token(token, slug).await?;
        org.billing = self.billing(token, slug, &mut notes).await?;
        // The two listings are independent: read them side by side (half the wall time on a
        // real network). The first to fail cancels the other; nothing partial comes back.
        let (apps, add_ons) = tokio::try_join!(self.apps(token, slug), self.add_ons(token, slug))?;
        tracing::info!(
            apps = apps.len(),
            add_ons = add_ons.len(),
            ms = started.elapsed().as_millis() as u64,
            "read the Fly org"
        );
        Ok(OrgDiscovery { org, apps, add_ons, notes })
    }

    async fn billing(
        &self,
        token: &FlyToken,
        slug: &str,
        notes: &mut Vec<String>,
    ) -> Result<Option<BillingFacts>, FlyApiError> {
        let op = queries::OrgBillingQuery::build(queries::OrgVariables { slug: slug.to_owned() });
        match self.send(token, op).await {
            Ok(answer) => {
                let Some(b) = answer.organization else {
                    return Err(FlyApiError::OrgNotFound { slug: slug.to_owned() });
                };
                let mut signed_documents: Vec<SignedDocument> = present(b.signed_documents.nodes)
                    .into_iter()
                    .map(|d| SignedDocument { document_type: d.document_type, signed: d.signed })
                    .collect();
                signed_documents.sort_by(|a, b| a.document_type.cmp(&b.document_type));
                if b.signed_documents.page_info.has_next_page {
                    notes.push(
                        "the org has more than 100 signed documents: only the first 100 were read".into(),
                    );
                }
                Ok(Some(BillingFacts {
                    billing_status: b.billing_status.as_schema_name(),
                    settings: b.settings,
                    signed_documents,
                }))
            }
            // A read-only token may not see billing: keep the rest, say so.
            Err(FlyApiError::GraphQl { errors }) => {
                let why = errors.first().map(|e| e.message.clone()).unwrap_or_default();
                notes.push(format!(
                    "billing status, settings and signed documents could not be read with this token ({why}): record the org's plan by hand"
                ));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn apps(&self, token: &FlyToken, slug: &str) -> Result<Vec<DiscoveredApp>, FlyApiError> {
        let (first, inner_first) = self.page_sizes();
        let nodes = paginate(Listing::Apps, None, 1, |after| async move {
            let op = queries::AppsPageQuery::build(queries::OrgPageVariables {
                slug: slug.to_owned(),
                first,
                after,
                inner_first,
            });
            let org = self.send(token, op).await?.organization;
            let apps = org.ok_or_else(|| FlyApiError::OrgNotFound { slug: slug.to_owned() })?.apps;
            Ok((entries(apps.nodes, "apps")?, apps.page_info))
        })
        .await?;
        let mut apps = Vec::with_capacity(nodes.len());
        for a in nodes {
            let mut machines = entries(a.machines.nodes, "machines")?;
            machines.extend(self.more_machines(token, &a.name, a.machines.page_info).await?);
            let mut volumes = entries(a.volumes.nodes, "volumes")?;
            volumes.extend(self.more_volumes(token, &a.name, a.volumes.page_info).await?);
            let mut regions: Vec<String> = a.regions.into_iter().map(|r| r.code).collect();
            regions.extend(
                machines
                    .into_iter()
                    .filter(|m| !matches!(m.state.as_str(), "destroyed" | "destroying"))
                    .map(|m| m.region),
            );
            regions.sort();
            regions.dedup();
            let mut secret_names: Vec<String> = a.secrets.into_iter().map(|s| s.name).collect();
            secret_names.sort();
            secret_names.dedup();
            apps.push(DiscoveredApp {
                id: a.id.into_inner(),
                name: a.name,
                status: a.status,
                deployed: a.deployed,
                platform_version: a.platform_version.map(|p| p.as_schema_name()),
                created_at: a.created_at,
                regions,
                volumes: volumes
                    .into_iter()
                    .map(|v| DiscoveredVolume {
                        id: v.id.into_inner(),
                        name: v.name,
                        region: v.region,
                        encrypted: v.encrypted,
                        state: v.state,
                    })
                    .collect(),
                secret_names,
            });
        }
        apps.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(apps)
    }

    async fn more_machines(
        &self,
        token: &FlyToken,
        app: &str,
        info: PageInfo,
    ) -> Result<Vec<queries::MachineNode>, FlyApiError> {
        let Some(start) = next_cursor(&info, Listing::Machines)? else { return Ok(Vec::new()) };
        let first = self.page_sizes().1;
        paginate(Listing::Machines, Some(start), 2, |after| async move {
            let op = queries::AppMachinesQuery::build(queries::AppPageVariables {
                name: app.to_owned(),
                first,
                after,
            });
            let found = self.send(token, op).await?.app;
            let m = found
                .ok_or_else(|| FlyApiError::Malformed {
                    reason: format!("app {app} vanished while its machines were read"),
                })?
                .machines;
            Ok((entries(m.nodes, "machines")?, m.page_info))
        })
        .await
    }

    async fn more_volumes(
        &self,
        token: &FlyToken,
        app: &str,
        info: PageInfo,
    ) -> Result<Vec<queries::VolumeNode>, FlyApiError> {
        let Some(start) = next_cursor(&info, Listing::Volumes)? else { return Ok(Vec::new()) };
        let first = self.page_sizes().1;
        paginate(Listing::Volumes, Some(start), 2, |after| async move {
            let op = queries::AppVolumesQuery::build(queries::AppPageVariables {
                name: app.to_owned(),
                first,
                after,
            });
            let found = self.send(token, op).await?.app;
            let v = found
                .ok_or_else(|| FlyApiError::Malformed {
                    reason: format!("app {app} vanished while its volumes were read"),
                })?
                .volumes;
            Ok((entries(v.nodes, "volumes")?, v.page_info))
        })
        .await
    }

    async fn add_ons(&self, token: &FlyToken, slug: &str) -> Result<Vec<DiscoveredAddOn>, FlyApiError> {
        let (first, inner_first) = self.page_sizes();
        let nodes = paginate(Listing::AddOns, None, 1, |after| async move {
            let op = queries::AddOnsPageQuery::build(queries::OrgPageVariables {
                slug: slug.to_owned(),
                first,
                after,
                inner_first,
            });
            let org = self.send(token, op).await?.organization;
            let add_ons = org.ok_or_else(|| FlyApiError::OrgNotFound { slug: slug.to_owned() })?.add_ons;
            Ok((entries(add_ons.nodes, "add-ons")?, add_ons.page_info))
        })
        .await?;
        let mut add_ons = Vec::with_capacity(nodes.len());
        for x in nodes {
            let mut apps: Vec<String> = Vec::new();
            if let Some(conn) = x.apps {
                apps.extend(entries(conn.nodes, "add-on apps")?.into_iter().map(|a| a.name));
                apps.extend(self.more_add_on_apps(token, &x.id, conn.page_info).await?);
            }
            let app = x.app.map(|a| a.name);
            apps.extend(app.clone());
            apps.sort();
            apps.dedup();
            let (plan, plan_display) = match x.add_on_plan {
                Some(p) => (p.name, p.display_name.or(x.add_on_plan_name)),
                None => (None, x.add_on_plan_name),
            };
            add_ons.push(DiscoveredAddOn {
                id: x.id.into_inner(),
                name: x.name,
                provider: x.add_on_provider.as_ref().and_then(|p| p.name.clone()),
                provider_display_name: x.add_on_provider.and_then(|p| p.display_name),
                plan,
                plan_display_name: plan_display,
                primary_region: x.primary_region,
                read_regions: x.read_regions.unwrap_or_default(),
                app,
                apps,
                status: x.status,
                created_at: x.created_at,
            });
        }
        add_ons.sort_by(|a, b| (&a.provider, &a.name, &a.id).cmp(&(&b.provider, &b.name, &b.id)));
        Ok(add_ons)
    }

    async fn more_add_on_apps(
        &self,
        token: &FlyToken,
        id: &cynic::Id,
        info: PageInfo,
    ) -> Result<Vec<String>, FlyApiError> {
        let Some(start) = next_cursor(&info, Listing::AddOnApps)? else { return Ok(Vec::new()) };
        let first = self.page_sizes().1;
        paginate(Listing::AddOnApps, Some(start), 2, |after| async move {
            let op =
                queries::AddOnAppsQuery::build(queries::AddOnPageVariables { id: id.clone(), first, after });
            let found = self.send(token, op).await?.add_on;
            let conn = found.and_then(|a| a.apps).ok_or_else(|| FlyApiError::Malformed {
                reason: "an add-on vanished while its apps were read".into(),
            })?;
            Ok((entries(conn.nodes, "add-on apps")?.into_iter().map(|a| a.name).collect(), conn.page_info))
        })
        .await
    }

    fn page_sizes(&self) -> (i32, i32) {
        let clamp = |n: u32| i32::try_from(n.clamp(1, 100)).unwrap_or(100);
        (clamp(self.config.page_size), clamp(self.config.inner_page_size))
    }

    /// Sends one operation, retrying transient faults within the policy's budget.
    async fn send<Q: Sendable, V: Serialize>(
        &self,
        token: &FlyToken,
        op: Operation<Q, V>,
    ) -> Result<Q, FlyApiError> {
        let policy = &self.config.retry;
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let err = match self.attempt(token, &op).await {
                Ok(q) => return Ok(q),
                Err(e) => e,
            };
            if !err.is_transient() || attempt >= policy.max_attempts.max(1) {
                return Err(err);
            }
            let backoff = {
                let exp = policy.base_delay.saturating_mul(1 << (attempt - 1).min(16));
                let jitter = rand::thread_rng().gen_range(0.75..1.25);
                exp.min(policy.max_delay).mul_f64(jitter)
            };
            let delay = match err.retry_after() {
                Some(ra) => ra.max(backoff.min(policy.max_delay)),
                None => backoff,
            };
            if waited + delay > policy.budget {
                return Err(err);
            }
            tracing::debug!(query = Q::NAME, attempt, delay_ms = delay.as_millis() as u64, error = %err, "retrying the Fly.io API");
            tokio::time::sleep(delay).await;
            waited += delay;
            attempt += 1;
        }
    }

    async fn attempt<Q: Sendable, V: Serialize>(
        &self,
        token: &FlyToken,
        op: &Operation<Q, V>,
    ) -> Result<Q, FlyApiError> {
        let timeout = self.config.request_timeout;
        let map = |e: reqwest::Error| map_reqwest(e, timeout, token);
        let resp = self
            .http
            .post(self.config.graphql_url.clone())
            .header(AUTHORIZATION, token.header())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .timeout(timeout)
            .body(serde_json::to_vec(op).map_err(|e| FlyApiError::Client { reason: e.to_string() })?)
            .send()
            .await
            .map_err(map)?;
        let status = resp.status().as_u16();
        match status {
            200 => {}
            401 | 403 => return Err(FlyApiError::Unauthorized { status: Some(status) }),
            429 => {
                return Err(FlyApiError::RateLimited {
                    retry_after: retry_after(resp.headers().get(RETRY_AFTER)),
                })
            }
            500..=599 => return Err(FlyApiError::Server { status }),
            400 | 422 => {
                // A GraphQL server may answer a query it refuses with 400 and GraphQL errors.
                let body = read_body(resp, self.config.max_response_bytes).await.map_err(map)?;
                return Err(match decode::<Q>(body.as_deref().unwrap_or_default(), token) {
                    Err(e @ (FlyApiError::GraphQl { .. } | FlyApiError::Unauthorized { .. })) => e,
                    _ => FlyApiError::UnexpectedStatus { status },
                });
            }
            _ => return Err(FlyApiError::UnexpectedStatus { status }),
        }
        let body = read_body(resp, self.config.max_response_bytes).await.map_err(map)?;
        let body = body.ok_or_else(|| FlyApiError::Malformed {
            reason: format!("the answer is larger than {} bytes", self.config.max_response_bytes),
        })?;
        decode::<Q>(&body, token)
    }
}

/// The body, or none when it exceeds `max` bytes.
async fn read_body(mut resp: reqwest::Response, max: usize) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > max {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

/// Reads a GraphQL answer: errors first (an answer with errors is never used, even with
/// partial data), then the data in the query's shape.
fn decode<Q: Sendable>(body: &[u8], token: &FlyToken) -> Result<Q, FlyApiError> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| FlyApiError::Malformed { reason: format!("the answer to {} is not JSON", Q::NAME) })?;
    let obj = v.as_object().ok_or_else(|| FlyApiError::Malformed {
        reason: format!("the answer to {} is not a GraphQL response object", Q::NAME),
    })?;
    if let Some(errors) = obj.get("errors").filter(|e| !e.is_null()) {
        let list = errors.as_array().ok_or_else(|| FlyApiError::Malformed {
            reason: format!("the errors of the answer to {} are not a list", Q::NAME),
        })?;
        if !list.is_empty() {
            let problems: Vec<GraphQlProblem> = list.iter().map(|e| problem(e, token)).collect();
            let unauthorized = problems
                .iter()
                .any(|p| matches!(p.code.as_deref(), Some("UNAUTHORIZED" | "UNAUTHENTICATED")));
            if unauthorized {
                return Err(FlyApiError::Unauthorized { status: None });
            }
            return Err(FlyApiError::GraphQl { errors: problems });
        }
    }
    let data = obj.get("data").filter(|d| !d.is_null()).ok_or_else(|| FlyApiError::Malformed {
        reason: format!("the answer to {} has neither data nor errors", Q::NAME),
    })?;
    Q::deserialize(data).map_err(|e| FlyApiError::Malformed {
        reason: format!(
            "the answer to {} is not in the shape asked for ({})",
            Q::NAME,
            short(&token.redact(&e.to_string()))
        ),
    })
}

fn problem(e: &serde_json::Value, token: &FlyToken) -> GraphQlProblem {
    let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("(no message)");
    let code = e
        .get("extensions")
        .and_then(|x| x.get("code"))
        .and_then(|c| c.as_str())
        .map(|c| short(&token.redact(c)));
    let path = e.get("path").and_then(|p| p.as_array()).map(|p| {
        p.iter()
            .map(|s| match s {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    });
    GraphQlProblem {
        message: short(&token.redact(message)),
        code,
        path: path.map(|p| short(&token.redact(&p))),
    }
}

/// At most 300 characters.
fn short(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(299).collect();
        t.push('…');
        t
    }
}

/// An org the API says it cannot find becomes [`FlyApiError::OrgNotFound`].
fn org_not_found(e: FlyApiError, slug: &str) -> FlyApiError {
    match &e {
        FlyApiError::GraphQl { errors }
            if errors.iter().all(|p| {
                p.code.as_deref() == Some("NOT_FOUND") || p.message.contains("Could not find Organization")
            }) =>
        {
            FlyApiError::OrgNotFound { slug: slug.to_owned() }
        }
        _ => e,
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(v: Option<&HeaderValue>) -> Option<Duration> {
    let s = v?.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(s).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn map_reqwest(e: reqwest::Error, timeout: Duration, token: &FlyToken) -> FlyApiError {
    if e.is_timeout() {
        return FlyApiError::Timeout { after: timeout };
    }
    FlyApiError::Network { reason: short(&token.redact(&error_chain(&e.without_url()))) }
}

/// An error and its sources, joined (reqwest's own message says little).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// The items of a page: every entry must be there (a null entry would hide a record).
fn entries<T>(nodes: Option<Vec<Option<T>>>, what: &str) -> Result<Vec<T>, FlyApiError> {
    let nodes =
        nodes.ok_or_else(|| FlyApiError::Malformed { reason: format!("a page of {what} has no nodes") })?;
    nodes
        .into_iter()
        .map(|n| {
            n.ok_or_else(|| FlyApiError::Malformed { reason: format!("a page of {what} has an empty entry") })
        })
        .collect()
}

/// The entries that are there (for lists where a hidden entry loses nothing the tracker needs).
fn present<T>(nodes: Option<Vec<Option<T>>>) -> Vec<T> {
    nodes.unwrap_or_default().into_iter().flatten().collect()
}

fn next_cursor(info: &PageInfo, listing: Listing) -> Result<Option<String>, FlyApiError> {
    match (info.has_next_page, &info.end_cursor) {
        (false, _) => Ok(None),
        (true, Some(c)) => Ok(Some(c.clone())),
        (true, None) => Err(FlyApiError::Malformed {
            reason: format!("a page of {listing} says there is more but gives no cursor"),
        }),
    }
}

/// Reads every page of a listing from `start` (page number `page`), in order. A failure of
/// page 2 or later is wrapped in [`FlyApiError::Incomplete`]; nothing partial is returned.
async fn paginate<T, F, Fut>(
    listing: Listing,
    start: Option<String>,
    mut page: u32,
    mut fetch: F,
) -> Result<Vec<T>, FlyApiError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, PageInfo), FlyApiError>>,
{
    let wrap = |page: u32, e: FlyApiError| {
        if page > 1 {
            FlyApiError::Incomplete { listing, page, cause: Box::new(e) }
        } else {
            e
        }
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut after = start;
    if let Some(c) = &after {
        seen.insert(c.clone());
    }
    loop {
        let (items, info) = fetch(after.clone()).await.map_err(|e| wrap(page, e))?;
        tracing::debug!(%listing, page, items = items.len(), "read a page");
        out.extend(items);
        let Some(next) = next_cursor(&info, listing).map_err(|e| wrap(page + 1, e))? else {
            return Ok(out);
        };
        if !seen.insert(next.clone()) {
            return Err(wrap(
                page + 1,
                FlyApiError::Malformed {
                    reason: format!("the {listing} cursor repeats: pagination would not end"),
                },
            ));
        }
        if page >= MAX_PAGES {
            return Err(wrap(
                page + 1,
                FlyApiError::Malformed { reason: format!("more than {MAX_PAGES} pages of {listing}") },
            ));
        }
        after = Some(next);
        page += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(Some(&HeaderValue::from_static("7"))), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(Some(&HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"))),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(Some(&HeaderValue::from_static("soon"))), None);
        assert_eq!(retry_after(None), None);
    }
}
