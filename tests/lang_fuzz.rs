//! Fuzz-style robustness tests: no input may panic the parser, the compiler or evaluation
//! (a panic in wasm kills the page). Inputs come from a deterministic PRNG: random token soup,
//! truncations and byte-level mutations of valid queries, deep nesting and long chains.

use eqlite::{Event, Provenance, Query};
use serde_json::json;

/// xorshift64*: small, deterministic, good enough to spread inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "sequence by winlog.computer_name, winlog.event_data.TaskName with maxspan=5m [iam where event.action == \"scheduled-task-created\" and not user.name : \"*$\"] [iam where event.action == \"scheduled-task-deleted\" and not user.name : \"*$\"]",
    "process where length(name) > 3 and between(a, \"[\", \"]\") == \"x\" or cidrMatch(ip, \"10.0.0.0/8\")",
    "any where a in~ (\"x\", \"y*\") and b not in (1, 2.5, null) and c regex~ (\"[a-z]+\", \"x{2,3}\") | tail 3",
    "sequence with maxspan=1h [a where ?x == null] by `k-1` ![b where true] by `k-1` [c where -x % 2 == 1] by `k-1` with runs=2 until [d where true] by `k-1`",
    "file where \"\"\"raw\"\"\" == f and s == \"\\u{1F600}\\t\" and 99999999999999999999 > n // comment",
];

const TOKENS: &[&str] = &[
    "sequence",
    "by",
    "with",
    "maxspan",
    "=",
    "5m",
    "[",
    "]",
    "!",
    "until",
    "any",
    "where",
    "process",
    "and",
    "or",
    "not",
    "in",
    "in~",
    "like",
    "like~",
    "regex",
    "regex~",
    ":",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "(",
    ")",
    ",",
    ".",
    "?",
    "|",
    "head",
    "tail",
    "1",
    "1.5",
    "\"s\"",
    "\"\"\"r\"\"\"",
    "`q`",
    "null",
    "true",
    "false",
    "f",
    "a.b",
    "length",
    "concat",
    "startsWith~",
    "cidrMatch",
    "@",
    "@timestamp",
    "é",
    "😀",
    "\"",
    "\\",
    "'",
    "runs",
    "\n",
    " ",
    "/*",
    "*/",
    "//",
];

fn check(text: &str, events: &[Event]) {
    if std::env::var_os("FUZZ_TRACE").is_some() {
        eprintln!("CASE {text:?}");
    }
    // Errors are fine; panics are not. Exercise Display and every evaluation entry point.
    match Query::new(text) {
        Err(e) => {
            let _ = e.to_string();
            if let Some(span) = e.span() {
                assert!(
                    span.start <= span.end && span.end <= text.len(),
                    "bad span {span:?} for {text:?}"
                );
                let _ = span.line_column(text);
                let _ = span.to_utf16(text);
            }
        }
        Ok(q) => {
            let _ = (
                q.fields(),
                q.required_literals(),
                q.limit(),
                q.syntax().to_string(),
            );
            for stage in q.stages().iter().chain(q.until()) {
                for e in events {
                    let _ = stage.matches(e);
                    let _ = stage.join_keys(e);
                }
            }
        }
    }
}

fn events() -> Vec<Event> {
    [
        json!({"event": {"category": ["iam", "process"]}, "a": [1, "x", null], "name": "cmd.exe", "ip": "10.0.0.1", "n": -9223372036854775807i64}),
        json!({"f": "raw", "s": "😀\t", "x": 1.5, "k-1": [1, 2, 3], "c": [true, false]}),
        json!({}),
    ]
    .into_iter()
    .filter_map(|v| Event::from_value(v, Provenance::default()))
    .collect()
}

#[test]
fn random_token_soup_never_panics() {
    let events = events();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let n = 1 + rng.below(30);
        let text: Vec<&str> = (0..n).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
        check(&text.join(" "), &events);
    }
}

#[test]
fn truncated_and_mutated_queries_never_panic() {
    let events = events();
    let mut rng = Rng(42);
    for seed in SEEDS {
        check(seed, &events);
        // every prefix ending on a char boundary
        for (i, _) in seed.char_indices() {
            check(&seed[..i], &events);
        }
        for _ in 0..400 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len().max(1));
                match rng.below(3) {
                    0 if !bytes.is_empty() => {
                        bytes.remove(at.min(bytes.len() - 1));
                    }
                    1 => bytes.insert(
                        at.min(bytes.len()),
                        b"()[]\"`\\!?=~:|*{}0a\xc3\xa9"[rng.below(20)],
                    ),
                    _ => {
                        if let Some(b) = bytes.get_mut(at) {
                            *b = (rng.next() & 0x7f) as u8;
                        }
                    }
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            check(&text, &events);
        }
    }
}

#[test]
fn deep_nesting_is_a_limit_error_not_a_crash() {
    for (open, close) in [
        ("(", ")"),
        ("not ", ""),
        ("-", ""),
        ("length(", ")"),
        ("concat(\"a\", ", ")"),
    ] {
        for depth in [50usize, 99, 100, 101, 1000, 20_000] {
            let text = format!(
                "any where {}x{} == 1",
                open.repeat(depth),
                close.repeat(depth)
            );
            // must not overflow the stack; deep inputs are rejected with a limit error
            if let Err(e) = Query::new(&text) {
                let _ = e.to_string();
                if depth > 100 {
                    assert!(
                        matches!(
                            e.kind(),
                            eqlite::ErrorKind::Limit | eqlite::ErrorKind::Semantic
                        ),
                        "{open}: {}",
                        e.kind()
                    );
                }
            }
        }
    }
    let deep = format!("any where {}x{} == 1", "(".repeat(1000), ")".repeat(1000));
    assert_eq!(
        Query::new(&deep).unwrap_err().kind(),
        eqlite::ErrorKind::Limit
    );
    let long_arith = format!("any where x{} > 1", " + 1".repeat(5000));
    assert_eq!(
        Query::new(&long_arith).unwrap_err().kind(),
        eqlite::ErrorKind::Limit
    );
}

#[test]
fn long_flat_chains_are_fine() {
    // real rules OR together hundreds of values: n-ary and/or must not count as nesting
    let ors: Vec<String> = (0..2000)
        .map(|i| format!("process.name == \"p{i}.exe\""))
        .collect();
    let q = Query::new(&format!("process where {}", ors.join(" or "))).expect("long or chain");
    let e = Event::from_value(
        json!({"event": {"category": "process"}, "process": {"name": "p1999.exe"}}),
        Provenance::default(),
    )
    .expect("object");
    assert!(q.stages()[0].matches(&e));
    let list: Vec<String> = (0..5000).map(|i| format!("\"v{i}\"")).collect();
    assert!(Query::new(&format!("any where x in ({})", list.join(", "))).is_ok());
}
