//! `fly-fake`: the fake Fly.io GraphQL API as a process, for Playwright journeys and benchmarks.
//!
//! ```text
//! fly-fake [--port 4010] [--data world.json | --generate APPS,ADDONS] [--dump]
//! ```
//!
//! The accepted token comes from `FLY_FAKE_TOKEN` (default `fm2_fake-readonly-token-for-tests`),
//! not from an argument, so it is not in the process list. Without `--data` or `--generate` it
//! answers from the built-in `acme-health` world. `--dump` prints the world as JSON and exits
//! (to write a data file to edit). Faults: `POST /_fake/fault` with
//! `{"fault": {"kind": "status", "status": 429, "retry_after": "2"}, "times": 1}`; requests seen:
//! `GET /_fake/requests`.

use std::net::SocketAddr;

use anyhow::{bail, Context};
use fly_fake::{FakeFly, FakeWorld, DEFAULT_TOKEN};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut port: u16 = 4010;
    let mut world: Option<FakeWorld> = None;
    let mut dump = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port =
                    args.next().context("--port needs a number")?.parse().context("--port needs a number")?;
            }
            "--data" => {
                let path = args.next().context("--data needs a file")?;
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
                world = Some(
                    serde_json::from_str(&text).with_context(|| format!("{path} is not a fake Fly world"))?,
                );
            }
            "--generate" => {
                let spec = args.next().context("--generate needs APPS,ADDONS")?;
                let (a, b) = spec.split_once(',').context("--generate needs APPS,ADDONS")?;
                world = Some(FakeWorld::generated(
                    a.trim().parse().context("--generate APPS must be a number")?,
                    b.trim().parse().context("--generate ADDONS must be a number")?,
                ));
            }
            "--dump" => dump = true,
            "-h" | "--help" => {
                println!("fly-fake [--port 4010] [--data world.json | --generate APPS,ADDONS] [--dump]");
                return Ok(());
            }
            other => bail!("unknown argument {other} (try --help)"),
        }
    }
    let world = world.unwrap_or_else(FakeWorld::acme);
    if dump {
        println!("{}", serde_json::to_string_pretty(&world)?);
        return Ok(());
    }
    let token = std::env::var("FLY_FAKE_TOKEN").unwrap_or_else(|_| DEFAULT_TOKEN.to_owned());
    let fake = FakeFly::start_on(SocketAddr::from(([127, 0, 0, 1], port)), world, &token).await?;
    println!("fake Fly API listening on {}", fake.graphql_url());
    tokio::signal::ctrl_c().await?;
    drop(fake);
    Ok(())
}
