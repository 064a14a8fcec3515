//! A fake Fly.io GraphQL API on loopback, for tests and benchmarks of the tracker's Fly client.
//!
//! - Every query is parsed and validated against Fly's real schema
//!   (`backend/graphql/fly-schema.graphql`, the same file the client is typed against) with
//!   apollo-compiler; an invalid one gets the GraphQL validation errors, as from the real API.
//! - Valid queries are executed against an in-memory [`FakeWorld`] (JSON on disk, or
//!   [`FakeWorld::acme`] / [`FakeWorld::generated`]), by apollo-compiler's executor with our field
//!   resolvers: aliases, fragments, variables, `slug`/`name`/`id` arguments and forward
//!   pagination (`first`/`after`, opaque cursors) all work, for any query over what it models.
//! - The `Authorization` header must carry the configured token the way flyctl sends it
//!   (`FlyV1 fm2_...` for macaroon tokens, `Bearer ...` for others); otherwise 401.
//! - Faults are switched at run time, from Rust ([`FakeFly::set_fault`]) or over HTTP
//!   (`POST /_fake/fault`): see [`Fault`].
//! - Every request is recorded ([`FakeFly::requests`], `GET /_fake/requests`) so tests can check
//!   what was asked; [`selected_fields`] lists every (type, field) a query selects.

mod exec;
pub mod model;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::resolvers::Execution;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use exec::{cursor, MAX_PAGE_SIZE};
pub use model::{FakeWorld, DEFAULT_TOKEN};

/// Fly's GraphQL schema, the file the tracker's client is compiled against.
pub const SCHEMA_SDL: &str = include_str!("../../../backend/graphql/fly-schema.graphql");

/// The schema, parsed and validated once.
pub fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| match Schema::parse_and_validate(SCHEMA_SDL, "fly-schema.graphql") {
        Ok(s) => s,
        Err(e) => panic!("backend/graphql/fly-schema.graphql does not validate: {}", e.errors),
    })
}

/// A fault the fake injects instead of (or before) its normal answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer with this HTTP status (401, 403, 429, 500, 502...) and a small JSON body;
    /// `retry_after` sets the `Retry-After` header (seconds or an HTTP date).
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` header value.
        #[serde(default)]
        retry_after: Option<String>,
    },
    /// Wait this long, then answer normally (to exceed a client's timeout).
    Delay {
        /// Milliseconds.
        millis: u64,
    },
    /// 200 with a body that is not JSON.
    NotJson,
    /// 200 with JSON that is not the shape the query asks for.
    WrongShape,
    /// 200 with a GraphQL error whose code is `UNAUTHORIZED` (how the API reports a token it
    /// does not accept for what is asked).
    GraphqlUnauthorized,
    /// Serve the page normally until a connection is asked for page `page` (1-based, counted
    /// from the `after` cursor and `first`), then answer that request with HTTP `status`.
    /// `connection` limits it to one connection field (`apps`, `addOns`, ...).
    FailOnPage {
        /// 1-based page number.
        page: u32,
        /// Connection field name; none for any.
        #[serde(default)]
        connection: Option<String>,
        /// HTTP status of the failing answer.
        #[serde(default = "default_500")]
        status: u16,
    },
}

fn default_500() -> u16 {
    500
}

/// A fault with how many requests it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Requests it applies to before clearing itself (counted per request it changed); none:
    /// until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The query text (empty when the body was not a GraphQL request).
    pub query: String,
    /// `operationName`.
    pub operation_name: Option<String>,
    /// `variables`.
    pub variables: Value,
    /// Whether the Authorization header carried the configured token.
    pub authorized: bool,
    /// Whether the header used the scheme flyctl uses for this token (`FlyV1` or `Bearer`).
    pub scheme: Option<String>,
    /// HTTP status answered.
    pub status: u16,
}

struct Inner {
    world: Arc<FakeWorld>,
    token: String,
    fault: Option<FaultRule>,
    requests: Vec<RecordedRequest>,
}

#[derive(Clone)]
struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic in another handler leaves the data as it was; keep serving.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running fake. Stops when dropped.
pub struct FakeFly {
    addr: SocketAddr,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeFly {
    /// Starts on `127.0.0.1` on a free port, answering from `world`, accepting `token`.
    pub async fn start(world: FakeWorld, token: &str) -> anyhow::Result<FakeFly> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), world, token).await
    }

    /// Starts on `addr` (the binary's `--port`).
    pub async fn start_on(addr: SocketAddr, world: FakeWorld, token: &str) -> anyhow::Result<FakeFly> {
        schema();
        let shared = Shared(Arc::new(Mutex::new(Inner {
            world: Arc::new(world),
            token: strip_scheme(token).to_owned(),
            fault: None,
            requests: Vec::new(),
        })));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = served.await {
                tracing::warn!(error = %e, "fake Fly API stopped");
            }
        });
        Ok(FakeFly { addr, shared, stop: Some(stop) })
    }

    /// `http://127.0.0.1:PORT/graphql`, to use as `FLY_API_URL`.
    pub fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Injects `fault` for the next `times` requests (none: until cleared).
    pub fn set_fault(&self, fault: Fault, times: Option<u32>) {
        self.shared.lock().fault = Some(FaultRule { fault, times });
    }

    /// Back to normal answers.
    pub fn clear_fault(&self) {
        self.shared.lock().fault = None;
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Changes the world between requests (an add-on created, an app deleted...).
    pub fn update_world(&self, change: impl FnOnce(&mut FakeWorld)) {
        let mut inner = self.shared.lock();
        let mut world = (*inner.world).clone();
        change(&mut world);
        inner.world = Arc::new(world);
    }

    /// Replaces the accepted token (the old one is then refused, as after a revocation).
    pub fn set_token(&self, token: &str) {
        self.shared.lock().token = strip_scheme(token).to_owned();
    }
}

impl Drop for FakeFly {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/graphql", post(graphql))
        .route("/_fake/fault", post(set_fault_http).delete(clear_fault_http))
        .route("/_fake/requests", get(requests_http).delete(clear_requests_http))
        .route("/_fake/world", get(world_http).put(put_world_http))
        .with_state(shared)
}

async fn set_fault_http(State(shared): State<Shared>, Json(rule): Json<FaultRule>) -> StatusCode {
    shared.lock().fault = Some(rule);
    StatusCode::NO_CONTENT
}

async fn clear_fault_http(State(shared): State<Shared>) -> StatusCode {
    shared.lock().fault = None;
    StatusCode::NO_CONTENT
}

async fn requests_http(State(shared): State<Shared>) -> Json<Vec<RecordedRequest>> {
    Json(shared.lock().requests.clone())
}

async fn clear_requests_http(State(shared): State<Shared>) -> StatusCode {
    shared.lock().requests.clear();
    StatusCode::NO_CONTENT
}

async fn world_http(State(shared): State<Shared>) -> Json<FakeWorld> {
    Json((*shared.lock().world).clone())
}

async fn put_world_http(State(shared): State<Shared>, Json(world): Json<FakeWorld>) -> StatusCode {
    shared.lock().world = Arc::new(world);
    StatusCode::NO_CONTENT
}

/// Strips any `FlyV1`/`Bearer` schemes, as flyctl does when it reads a token.
fn strip_scheme(token: &str) -> &str {
    let mut t = token.trim();
    loop {
        match t.split_once(' ') {
            Some((pfx, rest)) if pfx.eq_ignore_ascii_case("bearer") || pfx.eq_ignore_ascii_case("flyv1") => {
                t = rest.trim();
            }
            _ => return t,
        }
    }
}

/// The scheme flyctl puts before this token: `FlyV1` when any comma-separated part is a
/// macaroon (`fm1r_`, `fm1a_`, `fm2_`), else `Bearer`.
fn expected_scheme(token: &str) -> &'static str {
    let macaroon = token.split(',').any(|p| {
        let p = p.trim();
        p.starts_with("fm1r_") || p.starts_with("fm1a_") || p.starts_with("fm2_")
    });
    if macaroon {
        "FlyV1"
    } else {
        "Bearer"
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphqlRequest {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
}

fn gql_error(message: &str, code: Option<&str>) -> Value {
    match code {
        Some(code) => json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
        None => json!({ "errors": [{ "message": message }] }),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string())
        .into_response()
}

/// Takes the current fault, counting one use of it.
fn take_fault(inner: &mut Inner) -> Option<Fault> {
    let rule = inner.fault.as_mut()?;
    let fault = rule.fault.clone();
    if let Some(n) = rule.times.as_mut() {
        if *n == 0 {
            inner.fault = None;
            return None;
        }
        *n -= 1;
        if *n == 0 {
            inner.fault = None;
        }
    }
    Some(fault)
}

async fn graphql(State(shared): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let parsed: Result<GraphqlRequest, _> = serde_json::from_slice(&body);
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (scheme, presented) = match auth.split_once(' ') {
        Some((s, rest)) => (Some(s.to_owned()), rest.trim()),
        None => (None, ""),
    };
    let (world, token, fault) = {
        let mut inner = shared.lock();
        let fault = match inner.fault.as_ref().map(|r| &r.fault) {
            // Page faults are decided during execution; they count only when they fire.
            Some(Fault::FailOnPage { .. }) => None,
            _ => take_fault(&mut inner),
        };
        (inner.world.clone(), inner.token.clone(), fault)
    };
    let authorized = !presented.is_empty()
        && presented == token
        && scheme.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(expected_scheme(&token)));

    let (status, response) = answer(&shared, parsed.as_ref().ok(), authorized, &world, fault).await;
    let record = RecordedRequest {
        query: parsed.as_ref().map(|r| r.query.clone()).unwrap_or_default(),
        operation_name: parsed.as_ref().ok().and_then(|r| r.operation_name.clone()),
        variables: parsed.as_ref().ok().and_then(|r| r.variables.clone()).unwrap_or(Value::Null),
        authorized,
        scheme,
        status,
    };
    shared.lock().requests.push(record);
    response
}

async fn answer(
    shared: &Shared,
    req: Option<&GraphqlRequest>,
    authorized: bool,
    world: &FakeWorld,
    fault: Option<Fault>,
) -> (u16, Response) {
    match fault {
        Some(Fault::Status { status, retry_after }) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp =
                json_response(code, &json!({ "error": code.canonical_reason().unwrap_or("error") }));
            if let Some(ra) = retry_after.and_then(|r| HeaderValue::from_str(&r).ok()) {
                resp.headers_mut().insert(header::RETRY_AFTER, ra);
            }
            return (status, resp);
        }
        Some(Fault::Delay { millis }) => tokio::time::sleep(Duration::from_millis(millis)).await,
        Some(Fault::NotJson) => {
            return (200, (StatusCode::OK, "<html><body>502 Bad Gateway</body></html>").into_response());
        }
        Some(Fault::WrongShape) => {
            return (200, json_response(StatusCode::OK, &json!({ "data": { "organization": [1, 2, 3] } })));
        }
        Some(Fault::GraphqlUnauthorized) => {
            let body = gql_error("You must be authenticated to view this.", Some("UNAUTHORIZED"));
            return (200, json_response(StatusCode::OK, &body));
        }
        Some(Fault::FailOnPage { .. }) | None => {}
    }
    if !authorized {
        let body = gql_error("You must be authenticated to view this.", Some("UNAUTHORIZED"));
        return (401, json_response(StatusCode::UNAUTHORIZED, &body));
    }
    let Some(req) = req else {
        return (
            400,
            json_response(StatusCode::BAD_REQUEST, &gql_error("the body is not a GraphQL request", None)),
        );
    };
    let doc = match ExecutableDocument::parse_and_validate(schema(), req.query.as_str(), "query.graphql") {
        Ok(doc) => doc,
        Err(e) => {
            let errors: Vec<Value> = e
                .errors
                .iter()
                .map(|d| {
                    let mut v = serde_json::to_value(d.to_json()).unwrap_or(Value::Null);
                    v["extensions"] = json!({ "code": "GRAPHQL_VALIDATION_FAILED" });
                    v
                })
                .collect();
            return (200, json_response(StatusCode::OK, &json!({ "errors": errors })));
        }
    };
    let fail_page = match shared.lock().fault.as_ref().map(|r| &r.fault) {
        Some(Fault::FailOnPage { page, connection, status }) => Some((*page, connection.clone(), *status)),
        _ => None,
    };
    let ctx = exec::Ctx {
        world,
        fail_page: fail_page.as_ref().map(|(p, c, _)| (*p, c.clone())),
        tripped: std::cell::Cell::new(false),
    };
    let variables = match req.variables.clone().unwrap_or(Value::Null) {
        Value::Null => serde_json_bytes::Map::new(),
        v => match serde_json_bytes::Value::from(v) {
            serde_json_bytes::Value::Object(m) => m,
            _ => {
                return (200, json_response(StatusCode::OK, &gql_error("variables must be an object", None)))
            }
        },
    };
    let result = Execution::new(schema(), &doc)
        .operation_name(req.operation_name.as_deref())
        .and_then(|e| e.raw_variable_values(&variables).execute_sync(&exec::Obj::Query(&ctx)));
    if ctx.tripped.get() {
        if let Some((_, _, status)) = fail_page {
            {
                let mut inner = shared.lock();
                take_fault(&mut inner);
            }
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, json_response(code, &json!({ "error": "page failed (fault injected)" })));
        }
    }
    match result {
        Ok(mut resp) => {
            // apollo-compiler prefixes resolver messages; Fly's API sends them as they are.
            for e in &mut resp.errors {
                if let Some(m) = e.message.strip_prefix("resolver error: ") {
                    e.message = m.to_owned();
                }
            }
            (200, json_response(StatusCode::OK, &serde_json::to_value(&resp).unwrap_or(Value::Null)))
        }
        Err(e) => {
            let err = serde_json::to_value(e.to_graphql_error(&doc.sources)).unwrap_or(Value::Null);
            (200, json_response(StatusCode::OK, &json!({ "errors": [err] })))
        }
    }
}

/// A field selected by a query: the type it is selected on and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SelectedField {
    /// The object or interface type the field belongs to (`AddOn`).
    pub type_name: String,
    /// The field name (`password`), not its alias.
    pub field: String,
}

/// Every (type, field) that `query` selects, through fragments and aliases, once validated
/// against the schema. An invalid query is an error with the validation messages.
pub fn selected_fields(query: &str) -> Result<Vec<SelectedField>, String> {
    let doc = ExecutableDocument::parse_and_validate(schema(), query, "query.graphql")
        .map_err(|e| e.errors.to_string())?;
    let mut out = Vec::new();
    let mut seen_fragments = Vec::new();
    for op in doc.operations.iter() {
        walk(&doc, &op.selection_set, &mut out, &mut seen_fragments);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(doc: &ExecutableDocument, set: &SelectionSet, out: &mut Vec<SelectedField>, seen: &mut Vec<String>) {
    for sel in &set.selections {
        match sel {
            Selection::Field(f) => {
                out.push(SelectedField { type_name: set.ty.to_string(), field: f.name.to_string() });
                walk(doc, &f.selection_set, out, seen);
            }
            Selection::FragmentSpread(s) => {
                let name = s.fragment_name.to_string();
                if !seen.contains(&name) {
                    seen.push(name);
                    if let Some(frag) = doc.fragments.get(&s.fragment_name) {
                        walk(doc, &frag.selection_set, out, seen);
                    }
                }
            }
            Selection::InlineFragment(f) => walk(doc, &f.selection_set, out, seen),
        }
    }
}
