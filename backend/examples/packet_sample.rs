//! Renders a generated evidence packet and its bundle, to look at and to measure.
//!
//! `cargo run --release -p baa-backend --example packet_sample -- OUT_DIR [AGREEMENTS CLAUSES COVERAGE AUDIT]`
//! writes OUT_DIR/packet.pdf and OUT_DIR/bundle.zip and prints sizes and times. Defaults: a
//! small packet (4 agreements, 12 clauses, 30 coverage rows, 12 audit entries).
#![expect(clippy::unwrap_used, reason = "a development tool: fail loudly")]

#[path = "../tests/packet_fixture/mod.rs"]
mod packet_fixture;

use std::time::Instant;

use baa_backend::packet::{build_bundle, render_pdf, verify_bundle, PacketMeta};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(args.first().map_or("target/packet-sample", String::as_str));
    let n = |i: usize, default: usize| args.get(i).map_or(default, |s| s.parse().unwrap());
    let fx = packet_fixture::fixture(n(1, 4), n(2, 12), n(3, 30), n(4, 12));
    std::fs::create_dir_all(&out).unwrap();

    let t = Instant::now();
    let pdf = render_pdf(&fx.data).unwrap();
    let render = t.elapsed();
    std::fs::write(out.join("packet.pdf"), &pdf).unwrap();

    let t = Instant::now();
    let zip = build_bundle(
        &pdf,
        &fx.documents,
        &fx.audit_jsonl,
        &PacketMeta::of(&fx.data),
        &baa_backend::packet::PacketKey::generate(),
    )
    .unwrap();
    let bundle = t.elapsed();
    std::fs::write(out.join("bundle.zip"), &zip).unwrap();

    let t = Instant::now();
    let report = verify_bundle(std::io::Cursor::new(&zip));
    let verify = t.elapsed();
    assert!(report.is_ok());
    println!(
        "pdf {} bytes in {:.0} ms; bundle {} bytes in {:.0} ms; verified in {:.0} ms",
        pdf.len(),
        render.as_secs_f64() * 1000.0,
        zip.len(),
        bundle.as_secs_f64() * 1000.0,
        verify.as_secs_f64() * 1000.0
    );
}
