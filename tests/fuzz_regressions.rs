//! Every input a fuzzer found (a crash, a timeout, an out-of-memory or a broken invariant),
//! minimised, run through the very check of the target that found it: fuzz/src/lib.rs is
//! included here, so a regression fails `make test` without nightly or libFuzzer.
//! Inputs live in tests/data/fuzz/<target>/; docs/fuzzing.md lists what each one was.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn every_minimised_fuzz_finding_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut ran = 0;
    for (target, check) in checks::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails again", file.display());
            // libFuzzer's -timeout=10 in a release build; a debug build gets more room.
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{target}: {} took {:?}",
                file.display(),
                started.elapsed()
            );
            ran += 1;
        }
    }
    assert!(ran > 0, "no fuzz findings found under {}", root.display());
}
