//! The Fly.io API client against the fake Fly API on loopback (tools/fly-fake), which validates
//! every query against the same schema file the client is compiled against.
//!
//! Run: `cargo test -p baa-backend fly_api`.

mod fly_api {
    use std::time::{Duration, Instant};

    use baa_backend::fly_api::queries::all_operations;
    use baa_backend::fly_api::{
        is_denied, FlyApiConfig, FlyApiError, FlyClient, FlyToken, Listing, OrgDiscovery, OrgKind,
        RetryPolicy,
    };
    use baa_core::fly_import::ExtensionKind;
    use fly_fake::model::FakeOrg;
    use fly_fake::{selected_fields, FakeFly, FakeWorld, Fault, DEFAULT_TOKEN};

    const ORG: &str = "acme-health";

    /// A fake with the acme world, and a client with small pages (so every listing spans several
    /// pages) and short timeouts and backoff (so fault tests are quick).
    async fn setup(world: FakeWorld) -> (FakeFly, FlyClient, FlyToken) {
        let fake = FakeFly::start(world, DEFAULT_TOKEN).await.expect("fake starts");
        let config = FlyApiConfig {
            graphql_url: fake.graphql_url().parse().expect("url"),
            request_timeout: Duration::from_millis(400),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(40),
                budget: Duration::from_secs(2),
            },
            page_size: 2,
            inner_page_size: 1,
            ..FlyApiConfig::default()
        };
        let client = FlyClient::new(config).expect("client");
        // As `fly tokens create readonly` prints it.
        let token = FlyToken::parse(&format!("FlyV1 {DEFAULT_TOKEN}")).expect("token");
        (fake, client, token)
    }

    fn assert_no_token(e: &FlyApiError) {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(DEFAULT_TOKEN), "token in {text}");
            assert!(!text.contains("fake-readonly-token"), "token part in {text}");
        }
    }

    fn app<'a>(d: &'a OrgDiscovery, name: &str) -> &'a baa_backend::fly_api::DiscoveredApp {
        d.apps.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("app {name}"))
    }

    #[tokio::test]
    async fn full_fetch_reads_every_page_of_a_realistic_org() {
        let (fake, client, token) = setup(FakeWorld::acme()).await;
        let d = client.discover(&token, ORG).await.expect("discovery");

        assert_eq!(d.org.slug, ORG);
        assert_eq!(d.org.name, "Acme Health");
        assert_eq!(d.org.kind, OrgKind::Shared);
        assert!(d.org.paid_plan);
        let billing = d.org.billing.as_ref().expect("billing facts");
        assert_eq!(billing.billing_status, "CURRENT");
        assert_eq!(billing.signed_documents.len(), 1);
        assert_eq!(billing.signed_documents[0].document_type, "hipaa_baa");
        assert!(d.notes.is_empty(), "{:?}", d.notes);

        let names: Vec<&str> = d.apps.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["acme-api", "acme-db", "acme-legacy", "acme-web", "acme-worker"]);
        let api = app(&d, "acme-api");
        // Machines in iad, iad, ord and a destroyed one in lhr, read one per page.
        assert_eq!(api.regions, ["iad", "ord"]);
        assert!(api.secret_names.contains(&"SENTRY_DSN".to_owned()));
        assert_eq!(api.secret_names.len(), 8);
        assert_eq!(api.platform_version.as_deref(), Some("machines"));
        let db = app(&d, "acme-db");
        assert_eq!(db.volumes.len(), 1);
        assert_eq!(db.volumes[0].name, "pg_data");
        assert!(db.volumes[0].encrypted);
        let legacy = app(&d, "acme-legacy");
        assert!(!legacy.deployed);
        assert_eq!(legacy.platform_version.as_deref(), Some("nomad"));
        assert_eq!(legacy.regions, ["iad", "ord"]);
        assert_eq!(app(&d, "acme-worker").status, "suspended");

        assert_eq!(d.add_ons.len(), 13);
        let kinds: Vec<ExtensionKind> = d.add_ons.iter().map(|a| a.extension_kind()).collect();
        for k in [
            ExtensionKind::Tigris,
            ExtensionKind::UpstashRedis,
            ExtensionKind::Sentry,
            ExtensionKind::UpstashVector,
            ExtensionKind::Arcjet,
            ExtensionKind::Wafris,
            ExtensionKind::Kubernetes,
            ExtensionKind::Supabase,
            ExtensionKind::Mysql,
            ExtensionKind::UpstashKafka,
            ExtensionKind::Enveloop,
        ] {
            assert!(kinds.contains(&k), "{k:?} missing");
        }
        let redis = d.add_ons.iter().find(|a| a.name.as_deref() == Some("acme-redis-prod")).expect("redis");
        assert_eq!(redis.plan_display_name.as_deref(), Some("Pay-as-you-go"));
        assert_eq!(redis.primary_region.as_deref(), Some("iad"));
        assert_eq!(redis.read_regions, ["ord"]);
        let sentry = d
            .add_ons
            .iter()
            .find(|a| a.name.as_deref() == Some("acme-web") && a.provider.as_deref() == Some("sentry"));
        let sentry = sentry.expect("sentry project");
        assert_eq!(sentry.app.as_deref(), Some("acme-web"));
        assert_eq!(sentry.apps, ["acme-web"]);

        let requests = fake.requests();
        assert!(requests.iter().all(|r| r.authorized && r.scheme.as_deref() == Some("FlyV1")));
        let pages = |op: &str| requests.iter().filter(|r| r.operation_name.as_deref() == Some(op)).count();
        assert_eq!(pages("AppsPageQuery"), 3, "5 apps, 2 per page");
        assert_eq!(pages("AddOnsPageQuery"), 7, "13 add-ons, 2 per page");
        assert!(pages("AppMachinesQuery") >= 3, "machines one per page");
        // The plain struct goes through serde as the planner will store it.
        let json = serde_json::to_string(&d).expect("serialize");
        let back: OrgDiscovery = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, d);
    }

    #[tokio::test]
    async fn no_query_sent_selects_a_secret_field() {
        let (fake, client, token) = setup(FakeWorld::acme()).await;
        client.discover(&token, ORG).await.expect("discovery");
        let requests = fake.requests();
        assert!(!requests.is_empty());
        for r in requests {
            let fields = selected_fields(&r.query).expect("the fake got a valid query");
            let denied: Vec<_> = fields.iter().filter(|f| is_denied(&f.type_name, &f.field)).collect();
            assert!(denied.is_empty(), "{:?} asked for {denied:?}", r.operation_name);
        }
    }

    #[test]
    fn every_query_the_module_can_send_validates_and_selects_no_secret_field() {
        let ops = all_operations();
        assert_eq!(ops.len(), 7);
        for (name, query) in ops {
            let fields =
                selected_fields(&query).unwrap_or_else(|e| panic!("{name} is not valid for the schema: {e}"));
            assert!(!fields.is_empty());
            let denied: Vec<_> = fields.iter().filter(|f| is_denied(&f.type_name, &f.field)).collect();
            assert!(denied.is_empty(), "{name} selects {denied:?}");
        }
    }

    #[test]
    fn the_secret_field_guard_sees_through_aliases_and_fragments() {
        let query = r#"
            query { organization(slug: "x") { addOns { nodes { ...Ao } } apps { nodes { s: secrets { d: digest } } } } }
            fragment Ao on AddOn { name pw: password ... on AddOn { environment } }
        "#;
        let fields = selected_fields(query).expect("valid");
        let denied: Vec<String> = fields
            .iter()
            .filter(|f| is_denied(&f.type_name, &f.field))
            .map(|f| format!("{}.{}", f.type_name, f.field))
            .collect();
        assert_eq!(denied, ["AddOn.environment", "AddOn.password", "Secret.digest"]);
    }

    #[tokio::test]
    async fn check_token_accepts_the_org_and_refuses_what_it_cannot_see() {
        let (fake, client, token) = setup(FakeWorld::acme()).await;
        let org = client.check_token(&token, ORG).await.expect("valid");
        assert_eq!(org.name, "Acme Health");
        let e = client.check_token(&token, "someone-else").await.expect_err("unknown org");
        assert_eq!(e, FlyApiError::OrgNotFound { slug: "someone-else".into() });

        let wrong = FlyToken::parse("FlyV1 fm2_not-the-right-token").expect("token");
        let e = client.check_token(&wrong, ORG).await.expect_err("wrong token");
        assert_eq!(e, FlyApiError::Unauthorized { status: Some(401) });
        assert!(!e.to_string().contains("not-the-right-token"));

        fake.set_token("fm2_rotated");
        let e = client.discover(&token, ORG).await.expect_err("revoked");
        assert!(e.is_unauthorized());
        assert_no_token(&e);
    }

    /// Each fault, persistent, gives its typed error, and nothing partial (an `Err`).
    #[tokio::test]
    async fn each_fault_gives_its_typed_error_and_nothing_partial() {
        let status = |status: u16, retry_after: Option<&str>| Fault::Status {
            status,
            retry_after: retry_after.map(Into::into),
        };
        // (what, the fault, what the error must be)
        type Case = (&'static str, Fault, fn(&FlyApiError) -> bool);
        let cases: Vec<Case> = vec![
            ("401", status(401, None), |e| *e == FlyApiError::Unauthorized { status: Some(401) }),
            ("403", status(403, None), |e| *e == FlyApiError::Unauthorized { status: Some(403) }),
            ("graphql unauthorized", Fault::GraphqlUnauthorized, |e| {
                *e == FlyApiError::Unauthorized { status: None }
            }),
            ("429 longer than the budget", status(429, Some("120")), |e| {
                *e == FlyApiError::RateLimited { retry_after: Some(Duration::from_secs(120)) }
            }),
            ("429 without Retry-After", status(429, None), |e| {
                *e == FlyApiError::RateLimited { retry_after: None }
            }),
            ("500", status(500, None), |e| *e == FlyApiError::Server { status: 500 }),
            ("503", status(503, None), |e| *e == FlyApiError::Server { status: 503 }),
            (
                "slower than the timeout",
                Fault::Delay { millis: 1_500 },
                |e| matches!(e, FlyApiError::Timeout { after } if *after == Duration::from_millis(400)),
            ),
            ("not json", Fault::NotJson, |e| matches!(e, FlyApiError::Malformed { .. })),
            ("wrong shape", Fault::WrongShape, |e| matches!(e, FlyApiError::Malformed { .. })),
            ("404", status(404, None), |e| *e == FlyApiError::UnexpectedStatus { status: 404 }),
            (
                "apps page 2 fails",
                Fault::FailOnPage { page: 2, connection: Some("apps".into()), status: 500 },
                |e| {
                    matches!(e, FlyApiError::Incomplete { listing: Listing::Apps, page: 2, cause }
                    if **cause == FlyApiError::Server { status: 500 })
                },
            ),
            (
                "add-ons page 3 fails",
                Fault::FailOnPage { page: 3, connection: Some("addOns".into()), status: 502 },
                |e| {
                    matches!(e, FlyApiError::Incomplete { listing: Listing::AddOns, page: 3, cause }
                    if **cause == FlyApiError::Server { status: 502 })
                },
            ),
            (
                "add-ons page 2 answers 401",
                Fault::FailOnPage { page: 2, connection: Some("addOns".into()), status: 401 },
                |e| {
                    matches!(e, FlyApiError::Incomplete { listing: Listing::AddOns, page: 2, .. })
                        && e.is_unauthorized()
                },
            ),
        ];
        let (fake, client, token) = setup(FakeWorld::acme()).await;
        for (name, fault, expected) in cases {
            fake.set_fault(fault, None);
            let started = Instant::now();
            let result = client.discover(&token, ORG).await;
            fake.clear_fault();
            let e = match result {
                Ok(d) => panic!("{name}: a discovery came back ({} apps)", d.apps.len()),
                Err(e) => e,
            };
            assert!(expected(&e), "{name}: got {e:?}");
            assert_no_token(&e);
            assert!(started.elapsed() < Duration::from_secs(5), "{name}: retries stay in the budget");
        }
    }

    #[tokio::test]
    async fn transient_faults_are_retried_then_succeed() {
        let (fake, client, token) = setup(FakeWorld::acme()).await;
        for fault in [
            Fault::Status { status: 429, retry_after: Some("0".into()) },
            Fault::Status { status: 500, retry_after: None },
            Fault::Delay { millis: 1_000 },
        ] {
            fake.clear_requests();
            fake.set_fault(fault.clone(), Some(2));
            let d = client.discover(&token, ORG).await.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
            assert_eq!(d.apps.len(), 5);
            assert_eq!(d.add_ons.len(), 13);
            let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).take(3).collect();
            match fault {
                Fault::Status { status, .. } => assert_eq!(statuses, [status, status, 200]),
                _ => assert_eq!(statuses[2], 200),
            }
        }
        // A page fault that clears after one failure: the page is tried again, and all is read.
        fake.set_fault(Fault::FailOnPage { page: 2, connection: Some("apps".into()), status: 503 }, Some(1));
        let d = client.discover(&token, ORG).await.expect("retried page");
        assert_eq!(d.apps.len(), 5);
    }

    #[tokio::test]
    async fn billing_facts_the_token_cannot_see_leave_a_note_not_a_failure() {
        let mut world = FakeWorld::acme();
        let org: &mut FakeOrg = world.org_mut(ORG).expect("org");
        org.billing_hidden = true;
        let (_fake, client, token) = setup(world).await;
        let d = client.discover(&token, ORG).await.expect("discovery");
        assert!(d.org.billing.is_none());
        assert_eq!(d.notes.len(), 1);
        assert!(d.notes[0].contains("record the org's plan by hand"), "{}", d.notes[0]);
        assert_eq!(d.apps.len(), 5);
    }

    #[tokio::test]
    async fn a_server_that_is_down_is_a_network_error_without_the_token() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let client = FlyClient::new(FlyApiConfig {
            graphql_url: format!("http://{addr}/graphql").parse().expect("url"),
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(5),
                ..RetryPolicy::default()
            },
            ..FlyApiConfig::default()
        })
        .expect("client");
        let token = FlyToken::parse(DEFAULT_TOKEN).expect("token");
        let e = client.check_token(&token, ORG).await.expect_err("down");
        assert!(matches!(e, FlyApiError::Network { .. }), "{e:?}");
        assert!(e.is_transient());
        assert_no_token(&e);
        assert!(!e.to_string().contains(&addr.to_string()), "no URL in {e}");
    }

    #[tokio::test]
    async fn an_org_deleted_on_fly_is_org_not_found() {
        // The fake answers an unknown org with a GraphQL field error ("Could not find
        // Organization"), as graphql-ruby does.
        let (fake, client, token) = setup(FakeWorld::acme()).await;
        fake.update_world(|w| w.organizations.retain(|o| o.slug != ORG));
        let e = client.discover(&token, ORG).await.expect_err("gone");
        assert_eq!(e, FlyApiError::OrgNotFound { slug: ORG.into() });
        assert_no_token(&e);
    }
}
