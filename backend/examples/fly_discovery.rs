//! One discovery of a Fly org, timed, for `/usr/bin/time -v` (peak memory of the client alone).
//!
//! ```text
//! target/release/fly-fake --generate 300,1000 --port 4010 &
//! FLY_API_URL=http://127.0.0.1:4010/graphql FLY_API_TOKEN=fm2_fake-readonly-token-for-tests \
//!   /usr/bin/time -v target/release/examples/fly_discovery bench-org
//! ```
//!
//! Prints the counts and the wall time; exits 1 on any fault (with the typed error, which never
//! holds the token).

use std::time::Instant;

use baa_backend::fly_api::{FlyApiConfig, FlyClient, FlyToken};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let org = std::env::args().nth(1).unwrap_or_else(|| "bench-org".into());
    let mut config = FlyApiConfig::default();
    if let Ok(url) = std::env::var("FLY_API_URL") {
        config.graphql_url = url.parse()?;
    }
    let token = FlyToken::parse(&std::env::var("FLY_API_TOKEN").unwrap_or_default())?;
    let client = FlyClient::new(config)?;
    let started = Instant::now();
    let found = client.discover(&token, &org).await?;
    let secrets: usize = found.apps.iter().map(|a| a.secret_names.len()).sum();
    println!(
        "{}: {} apps ({} secret names), {} add-ons in {} ms; JSON {} bytes",
        found.org.slug,
        found.apps.len(),
        secrets,
        found.add_ons.len(),
        started.elapsed().as_millis(),
        serde_json::to_vec(&found)?.len()
    );
    Ok(())
}
