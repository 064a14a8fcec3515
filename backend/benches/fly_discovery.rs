//! Discovering a large Fly org from the fake Fly API on loopback: 300 apps (two to four machines,
//! four to eight secrets each, one in five with a volume) and 1,000 add-ons of every kind, with
//! the default page sizes (50 apps or add-ons a page), so 6 + 20 pages plus the org queries.
//! The fake runs in the same process here; peak memory of the client alone is measured with
//! `/usr/bin/time -v` on the `fly_discovery` example against the `fly-fake` binary. Target for
//! the whole sync: under 5 s and 100 MB. Figures go to docs/benchmarks.md.
#![expect(clippy::unwrap_used, reason = "benchmark fixtures fail loudly")]

use baa_backend::fly_api::{FlyApiConfig, FlyClient, FlyToken};
use criterion::{criterion_group, criterion_main, Criterion};
use fly_fake::{FakeFly, FakeWorld, DEFAULT_TOKEN};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fake = rt.block_on(FakeFly::start(FakeWorld::generated(300, 1000), DEFAULT_TOKEN)).unwrap();
    let client = FlyClient::new(FlyApiConfig {
        graphql_url: fake.graphql_url().parse().unwrap(),
        ..FlyApiConfig::default()
    })
    .unwrap();
    let token = FlyToken::parse(DEFAULT_TOKEN).unwrap();
    let found = rt.block_on(client.discover(&token, "bench-org")).unwrap();
    assert_eq!((found.apps.len(), found.add_ons.len()), (300, 1000));
    eprintln!("fly discovery: {} requests per discovery", fake.requests().len());

    let mut group = c.benchmark_group("fly_discovery");
    group.sample_size(10);
    group.bench_function("discover/300_apps_1000_add_ons", |b| {
        b.iter(|| {
            fake.clear_requests();
            rt.block_on(client.discover(&token, "bench-org")).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
