//! Peak memory of the upload PDF check on hostile input (see docs/benchmarks.md):
//! `pdf_check_memory make bomb|array|numbers FILE`, then, under `/usr/bin/time -v`,
//! `pdf_check_memory check FILE` (the app's check) or `pdf_check_memory lopdf FILE` (lopdf's
//! defaults, as before the fix).

use std::io::Write;

fn pdf(objects: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

fn make(kind: &str) -> Vec<u8> {
    let head =
        vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(), b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec()];
    let mut objs = head;
    match kind {
        // An object stream that inflates to 240 MiB of numbers (under lopdf's default cap).
        "bomb" => {
            let inner = format!("4 0 [{}]", "0 ".repeat(120 * 1024 * 1024));
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(inner.as_bytes()).expect("deflate");
            let packed = z.finish().expect("deflate");
            objs.push(
                [
                    format!(
                        "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
                        packed.len()
                    )
                    .into_bytes(),
                    packed,
                    b"\nendstream".to_vec(),
                ]
                .concat(),
            );
        }
        // 24 MB of bare numbers in one array: no compression at all.
        "array" => objs.push(format!("[{}]", "0 ".repeat(12 * 1024 * 1024)).into_bytes()),
        // Forty object streams, each inflating to just under the per-stream limit.
        "streams" => {
            let inner = format!("{} 0 [{}]", 100, "0 ".repeat(500_000));
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(inner.as_bytes()).expect("deflate");
            let packed = z.finish().expect("deflate");
            for n in 0..40 {
                let inner_first = format!("{} 0 ", 100 + n).len();
                let _ = inner_first;
                objs.push(
                    [
                        format!(
                            "<< /Type /ObjStm /N 1 /First 6 /Filter /FlateDecode /Length {} >>\nstream\n",
                            packed.len()
                        )
                        .into_bytes(),
                        packed.clone(),
                        b"\nendstream".to_vec(),
                    ]
                    .concat(),
                );
            }
        }
        // Just under the token limit.
        _ => objs.push(format!("[{}]", "0 ".repeat(195_000)).into_bytes()),
    }
    pdf(objs)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("make") => std::fs::write(&args[3], make(&args[2])).expect("write"),
        Some(mode) => {
            let file = std::fs::read(&args[2]).expect("read");
            let t = std::time::Instant::now();
            let result = if mode == "lopdf" {
                lopdf::Document::load_mem(&file).map(|_| ()).map_err(|e| e.to_string())
            } else {
                baa_backend::documents::check_pdf(&file).map_err(|e| e.to_string())
            };
            println!("{} bytes: {result:?} in {:?}", file.len(), t.elapsed());
        }
        None => eprintln!("usage: pdf_check_memory make KIND FILE | check FILE | lopdf FILE"),
    }
}
