//! Rendering a large evidence packet: 500 agreements (each with one executed document and 8
//! clauses), 500 coverage rows, 500 audit entries and a graph of ~370 parties; then bundling
//! and verifying it. Target: render under 2 s, peak memory under 200 MB (measured with
//! `/usr/bin/time -v` on the `packet_sample` example). Figures go to docs/benchmarks.md.
#![expect(clippy::unwrap_used, reason = "benchmark fixtures fail loudly")]

#[path = "../tests/packet_fixture/mod.rs"]
mod packet_fixture;

use std::hint::black_box;
use std::io::Cursor;

use baa_backend::packet::{build_bundle, render_pdf, verify_bundle, PacketMeta};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let fx = packet_fixture::fixture(500, 8, 500, 500);
    let pdf = render_pdf(&fx.data).unwrap();
    let zip = build_bundle(
        &pdf,
        &fx.documents,
        &fx.audit_jsonl,
        &PacketMeta::of(&fx.data),
        &baa_backend::packet::PacketKey::generate(),
    )
    .unwrap();
    eprintln!("packet: {} bytes of PDF, bundle {} bytes", pdf.len(), zip.len());

    let mut group = c.benchmark_group("packet");
    group.sample_size(10);
    group
        .bench_function("render_pdf/500_agreements", |b| b.iter(|| render_pdf(black_box(&fx.data)).unwrap()));
    group.bench_function("build_bundle/500_documents", |b| {
        b.iter(|| {
            build_bundle(
                black_box(&pdf),
                &fx.documents,
                &fx.audit_jsonl,
                &PacketMeta::of(&fx.data),
                &baa_backend::packet::PacketKey::generate(),
            )
            .unwrap()
        })
    });
    group.bench_function("verify_bundle/500_documents", |b| {
        b.iter(|| assert!(verify_bundle(Cursor::new(black_box(&zip))).is_ok()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
