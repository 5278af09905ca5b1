//! The evtx crate's own JSON serialisation rate, for scripts/bench.sh's EVTX row:
//! `cargo run --release --example evtx-json -- FILE_OR_DIR...` reads every `.evtx` file given
//! (directories: their `.evtx` files) with `EvtxParser::records_json` and prints
//! `records=N bytes=B seconds=S`.

// A measuring tool, not library code: it may stop on a bad path.
#![allow(clippy::expect_used)]

use evtx::EvtxParser;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut files: Vec<PathBuf> = Vec::new();
    for arg in std::env::args_os().skip(1) {
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(&path)
                .expect("readable directory")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("evtx"))
                })
                .collect();
            inner.sort();
            files.extend(inner);
        } else {
            files.push(path);
        }
    }
    let start = Instant::now();
    let (mut records, mut bytes) = (0u64, 0u64);
    for file in &files {
        let mut parser = EvtxParser::from_path(file).expect("an .evtx file");
        for record in parser.records_json().flatten() {
            records += 1;
            bytes += record.data.len() as u64;
        }
    }
    println!(
        "records={records} bytes={bytes} seconds={:.4}",
        start.elapsed().as_secs_f64()
    );
}
