//! The session end to end, bytes in and results out: input in any format, auto-detected and
//! pushed in chunks, under the built-in rule, or under the query on a first line `Q:<query>`;
//! with simulate and explain on, so correlation, the schedule replay and near misses all run
//! on whatever the reader makes of the bytes. Seeds are the readers' seeds as they are.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.strip_prefix(b"Q:") {
        Some(rest) => {
            let at = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            rest.split_at(at)
        }
        None => (&data[..0], data),
    };
    let Ok(head) = std::str::from_utf8(head) else { return };
    let mut options = eqlite::SessionOptions {
        simulate: true,
        explain: Some(5),
        ..eqlite::SessionOptions::default()
    };
    if !head.trim().is_empty() {
        options.source = eqlite::RuleSource::Query(head.to_string());
    }
    let Ok(mut session) = eqlite::Session::new(options) else { return };
    let mut out = Vec::new();
    let _ = session.start_file("fuzz", &mut out);
    for piece in body.chunks(4096) {
        if session.push(piece, &mut out).is_err() {
            return;
        }
    }
    if session.finish(&mut out).is_err() {
        return;
    }
    for m in &out {
        let _ = session.view(m);
    }
    let _ = session.summary();
    let _ = session.explain();
    let _ = session.simulate(None, &eqlite::simulate::Phase { phases: 3, ..Default::default() });
});
