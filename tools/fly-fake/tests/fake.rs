//! The fake Fly API over HTTP: validation against the schema, generic execution, pagination,
//! authorization, faults and the request log.

use fly_fake::{cursor, FakeFly, FakeWorld, DEFAULT_TOKEN};
use serde_json::{json, Value};

struct Client {
    http: reqwest::Client,
    base: String,
    url: String,
}

impl Client {
    fn new(fake: &FakeFly) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: format!("http://{}", fake.addr()),
            url: fake.graphql_url(),
        }
    }

    async fn post_as(&self, auth: Option<&str>, body: Value) -> (u16, Option<String>, String) {
        let mut req = self.http.post(&self.url).json(&body);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.expect("fake answers");
        let status = resp.status().as_u16();
        let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_owned());
        (status, retry_after, resp.text().await.expect("body"))
    }

    async fn query(&self, query: &str, variables: Value) -> Value {
        let auth = format!("FlyV1 {DEFAULT_TOKEN}");
        let (status, _, body) =
            self.post_as(Some(&auth), json!({ "query": query, "variables": variables })).await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("JSON")
    }
}

async fn start() -> (FakeFly, Client) {
    let fake = FakeFly::start(FakeWorld::acme(), DEFAULT_TOKEN).await.expect("starts");
    let client = Client::new(&fake);
    (fake, client)
}

#[tokio::test]
async fn a_field_the_schema_does_not_have_is_a_validation_error() {
    let (_fake, c) = start().await;
    let v = c.query(r#"{ organization(slug: "acme-health") { id planName } }"#, Value::Null).await;
    assert!(v.get("data").is_none());
    let msg = v["errors"][0]["message"].as_str().expect("message");
    assert!(msg.contains("planName"), "{msg}");
    assert_eq!(v["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");

    let v = c.query(r#"query($s: String!) { organization(slug: $s) { id } }"#, json!({ "s": 42 })).await;
    assert!(v.get("data").is_none() && v["errors"][0]["message"].is_string(), "{v}");
}

#[tokio::test]
async fn any_valid_query_gets_a_schema_shaped_answer_with_aliases_and_fragments() {
    let (_fake, c) = start().await;
    let v = c
        .query(
            r#"query Q($slug: String!) {
                org: organization(slug: $slug) {
                    __typename
                    kind: type
                    redis: addOns(type: upstash_redis) { totalCount nodes { ...AO } }
                    apps(first: 1) { edges { cursor node { name secrets { name } } } }
                }
            }
            fragment AO on AddOn { name plan: addOnPlan { displayName } readRegions }"#,
            json!({ "slug": "acme-health" }),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    let org = &v["data"]["org"];
    assert_eq!(org["__typename"], "Organization");
    assert_eq!(org["kind"], "SHARED");
    assert_eq!(org["redis"]["totalCount"], 1);
    assert_eq!(
        org["redis"]["nodes"][0],
        json!({ "name": "acme-redis-prod", "plan": { "displayName": "Pay-as-you-go" }, "readRegions": ["ord"] })
    );
    assert_eq!(org["apps"]["edges"][0]["cursor"], cursor(0));
    assert_eq!(org["apps"]["edges"][0]["node"]["name"], "acme-api");
}

#[tokio::test]
async fn connections_page_forward_with_opaque_cursors() {
    let (_fake, c) = start().await;
    let q = r#"query($after: String) { organization(slug: "acme-health") {
        addOns(first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { name } } } }"#;
    let mut after = Value::Null;
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let v = c.query(q, json!({ "after": after })).await;
        let conn = &v["data"]["organization"]["addOns"];
        assert_eq!(conn["totalCount"], 13);
        names.extend(
            conn["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["name"].as_str().expect("name").to_owned()),
        );
        pages += 1;
        if conn["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 13);
    let v = c.query(q, json!({ "after": "not-a-cursor" })).await;
    assert!(v["errors"][0]["message"].as_str().expect("message").contains("invalid cursor"), "{v}");
}

#[tokio::test]
async fn the_authorization_header_must_carry_the_token_as_flyctl_sends_it() {
    let (fake, c) = start().await;
    let body = json!({ "query": "{ organization(slug: \"acme-health\") { id } }" });
    let (status, _, text) = c.post_as(None, body.clone()).await;
    assert_eq!(status, 401);
    assert!(text.contains("UNAUTHORIZED"));
    assert_eq!(
        c.post_as(Some(&format!("Bearer {DEFAULT_TOKEN}")), body.clone()).await.0,
        401,
        "a macaroon goes as FlyV1"
    );
    assert_eq!(c.post_as(Some("FlyV1 fm2_other"), body.clone()).await.0, 401);
    assert_eq!(c.post_as(Some(&format!("FlyV1 {DEFAULT_TOKEN}")), body.clone()).await.0, 200);
    let log = fake.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(log.iter().filter(|r| r.authorized).count(), 1);
    assert!(log[0].query.contains("organization"));
}

#[tokio::test]
async fn faults_are_switched_over_http_and_count_down() {
    let (fake, c) = start().await;
    let body = json!({ "query": "{ organization(slug: \"acme-health\") { id } }" });
    let auth = format!("FlyV1 {DEFAULT_TOKEN}");
    let control = format!("{}/_fake/fault", c.base);
    let rule = json!({ "fault": { "kind": "status", "status": 429, "retry_after": "3" }, "times": 2 });
    assert_eq!(c.http.post(&control).json(&rule).send().await.expect("control").status().as_u16(), 204);
    for _ in 0..2 {
        let (status, retry_after, _) = c.post_as(Some(&auth), body.clone()).await;
        assert_eq!((status, retry_after.as_deref()), (429, Some("3")));
    }
    assert_eq!(c.post_as(Some(&auth), body.clone()).await.0, 200, "the fault counted down");

    c.http.post(&control).json(&json!({ "fault": { "kind": "not_json" } })).send().await.expect("control");
    let (status, _, text) = c.post_as(Some(&auth), body.clone()).await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<Value>(&text).is_err());
    c.http.delete(&control).send().await.expect("control");
    assert_eq!(c.post_as(Some(&auth), body.clone()).await.0, 200);

    // Page 2 of apps fails; page 1 is served.
    fake.set_fault(
        fly_fake::Fault::FailOnPage { page: 2, connection: Some("apps".into()), status: 500 },
        None,
    );
    let q = |after: Value| json!({ "query": "query($a: String) { organization(slug: \"acme-health\") { apps(first: 2, after: $a) { nodes { name } } } }", "variables": { "a": after } });
    assert_eq!(c.post_as(Some(&auth), q(Value::Null)).await.0, 200);
    assert_eq!(c.post_as(Some(&auth), q(json!(cursor(1)))).await.0, 500);

    let log: Vec<Value> = c
        .http
        .get(format!("{}/_fake/requests", c.base))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    assert_eq!(log.len(), 7);
}

#[tokio::test]
async fn the_world_can_change_between_requests() {
    let (fake, c) = start().await;
    fake.update_world(|w| {
        let org = w.org_mut("acme-health").expect("org");
        org.add_ons.truncate(1);
    });
    let v = c.query(r#"{ organization(slug: "acme-health") { addOns { totalCount } } }"#, Value::Null).await;
    assert_eq!(v["data"]["organization"]["addOns"]["totalCount"], 1);
}

#[test]
fn the_bundled_data_file_is_the_acme_world() {
    let text = include_str!("../data/acme-health.json");
    let world: FakeWorld = serde_json::from_str(text).expect("data file parses");
    assert_eq!(world, FakeWorld::acme());
}

#[test]
fn the_generated_world_has_the_size_asked_for() {
    let w = FakeWorld::generated(300, 1000);
    let org = w.org("bench-org").expect("org");
    assert_eq!((org.apps.len(), org.add_ons.len()), (300, 1000));
}
