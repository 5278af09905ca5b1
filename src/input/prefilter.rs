//! A sound pre-filter that skips NDJSON lines which cannot match any stage of the query, before
//! they are parsed.
//!
//! A stage's required literals are strings every matching event's JSON must contain. A line is
//! skipped only when, for every stage, one of its literals is missing from the raw bytes. The
//! search is over the JSON-escaped form of each literal, ASCII case-insensitively (so `:` and
//! `==` are both covered); lines holding `\u` or `\/` escapes, which could spell a literal in a
//! way the byte search cannot see, are never skipped. The filter is only used when the line is
//! the document (`--format ndjson`): formats whose normaliser derives fields (e.g. `event.action`
//! from an event code) would make a raw-byte test unsound.

use memchr::memmem;

/// Per-stage literal sets, pre-escaped and lower-cased.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    stages: Vec<Vec<Vec<u8>>>,
}

fn json_escaped_lower(lit: &str) -> Vec<u8> {
    let quoted = serde_json::to_string(lit).unwrap_or_default();
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
    inner.to_ascii_lowercase().into_bytes()
}

impl Prefilter {
    /// `None` when some stage has no literal (then nothing can be skipped).
    pub fn new(stages: &[Vec<String>]) -> Option<Self> {
        if stages.is_empty() || stages.iter().any(|s| s.iter().all(|l| l.is_empty())) {
            return None;
        }
        let stages = stages
            .iter()
            .map(|s| {
                s.iter()
                    .filter(|l| !l.is_empty())
                    .map(|l| json_escaped_lower(l))
                    .collect()
            })
            .collect();
        Some(Self { stages })
    }

    /// Whether the raw line provably cannot match any stage.
    pub fn skips(&self, line: &[u8]) -> bool {
        if memmem::find(line, b"\\u").is_some() || memmem::find(line, b"\\/").is_some() {
            return false;
        }
        let lower = line.to_ascii_lowercase();
        self.stages
            .iter()
            .all(|lits| lits.iter().any(|lit| memmem::find(&lower, lit).is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_only_when_provable() {
        let f = Prefilter::new(&[
            vec!["scheduled-task-created".into()],
            vec!["scheduled-task-deleted".into()],
        ])
        .unwrap();
        assert!(f.skips(br#"{"event":{"action":"logged-in"}}"#));
        assert!(!f.skips(br#"{"event":{"action":"Scheduled-Task-Created"}}"#));
        assert!(!f.skips(br#"{"event":{"action":"scheduled-task-deleted"}}"#));
        assert!(!f.skips(br#"{"event":{"action":"scheduled\u002dtask-created"}}"#));
        let g = Prefilter::new(&[vec!["\\test1".into()]]).unwrap();
        assert!(!g.skips(br#"{"TaskName":"\\test1"}"#));
        assert!(Prefilter::new(&[vec![], vec!["x".into()]]).is_none());
    }
}
