//! A sound pre-filter that skips NDJSON lines which cannot match any stage of the query, before
//! they are parsed (parsing is most of the cost of reading NDJSON).
//!
//! A stage's required literals (`Query::required_literals`) are strings every matching event's
//! JSON must contain. A line is skipped only when, for every stage, one of its literals provably
//! cannot be in the normalised document:
//!
//! - the literal's JSON-escaped form is absent from the raw line (ASCII case-insensitively, so
//!   `:` and `==` are both covered); a line with a `\uXXXX` or `\/` escape that decodes to a
//!   character some literal uses, or with XML character references
//!   (`&#...;`, which Splunk `_raw` / Sentinel `EventData` XML inside a JSON string could use),
//!   is never skipped, since the escape could spell part of a literal the byte search cannot see;
//! - and no normaliser can introduce it. With `--format ndjson` the document is the line, so
//!   nothing is introduced. Otherwise the mappers add fixed vocabulary (`scheduled-task-created`,
//!   `iam`, `Audit Success`, `Security`, key names, ...) and rewrite timestamps, keyword masks and
//!   XML text: a literal that is part of that vocabulary, looks like a timestamp or hex number,
//!   or holds `_`, braces (a provider GUID gets them), XML-special or non-ASCII characters is
//!   not used; the scheduled-task vocabulary is only introduced for lines that mention a code
//!   4697-4702 or `ScheduledTask`, so for other lines those literals still count.
//!
//! The first record of a stream is always parsed, so the format is still detected.

use super::blockscan::{self, Blocks};
use memchr::memmem;

/// Vocabulary the normalisers add whatever the event (values and key names).
const GENERIC: &[&str] = &[
    "event",
    "information",
    "critical",
    "error",
    "warning",
    "verbose",
    "info",
    "audit success",
    "audit failure",
    "success",
    "failure",
    "security",
    "system",
    "application",
    "microsoft-windows-sysmon/operational",
    "microsoft-windows-taskscheduler/operational",
    "microsoft-windows-security-auditing",
    "other object access events",
    "microsoft defender for endpoint",
    "@timestamp",
    "kind",
    "outcome",
    "provider",
    "code",
    "winlog",
    "event_data",
    "user_data",
    "computer_name",
    "record_id",
    "channel",
    "event_id",
    "provider_name",
    "provider_guid",
    "activity_id",
    "keywords",
    "opcode",
    "task",
    "version",
    "process",
    "pid",
    "thread",
    "log",
    "level",
    "mde",
    "param",
    "binary",
    "true",
    "false",
    "subjectusername",
    "subjectdomainname",
    "subjectusersid",
    "subjectlogonid",
    "taskname",
    "taskcontent",
];

/// Vocabulary the security pipeline / Defender mapping add for scheduled-task events.
const TASK: &[&str] = &[
    "scheduled-task-created",
    "scheduled-task-deleted",
    "scheduled-task-enabled",
    "scheduled-task-disabled",
    "scheduled-task-updated",
    "service-installed",
    "iam",
    "configuration",
    "creation",
    "deletion",
    "change",
    "admin",
    "user",
    "name",
    "domain",
    "id",
    "related",
    "logon",
    "type",
    "uri",
    "author",
    "description",
    "actions",
    "command",
    "arguments",
    "working_directory",
    "class_id",
    "data",
    "context",
    "exec",
    "principals",
    "identifier",
    "group",
    "run_level",
    "triggers",
    "repetition",
    "settings",
    "enabled",
    "hidden",
    "time",
];

/// Text that must be in a line for the scheduled-task vocabulary to be introduced: an event code
/// 4697-4702 (found as `469`/`470` + the last digit) or Defender's `ScheduledTask...`.
const TRIGGER_PREFIXES: &[(&[u8], std::ops::RangeInclusive<u8>)] =
    &[(b"469", b'7'..=b'9'), (b"470", b'0'..=b'2')];

#[derive(Debug, Clone)]
struct Lit {
    /// Index of the searcher for the JSON-escaped, lower-cased literal in
    /// `Prefilter::finders` (a literal several stages share is searched for once a line).
    finder: usize,
    /// A normaliser could introduce it, but only for lines holding a trigger.
    needs_trigger: bool,
}

/// Searchers for the fixed needles every line is checked for (built once: building a searcher
/// per line was a measurable share of a pre-filtered run).
#[derive(Debug, Clone)]
struct Needles {
    unicode_escape: memmem::Finder<'static>,
    slash_escape: memmem::Finder<'static>,
    char_reference: memmem::Finder<'static>,
    triggers: Vec<(memmem::Finder<'static>, std::ops::RangeInclusive<u8>)>,
    scheduled_task: memmem::Finder<'static>,
}

impl Needles {
    fn new() -> Self {
        let finder = |n: &[u8]| memmem::Finder::new(n).into_owned();
        Self {
            unicode_escape: finder(b"\\u"),
            slash_escape: finder(b"\\/"),
            char_reference: finder(b"&#"),
            triggers: TRIGGER_PREFIXES
                .iter()
                .map(|(prefix, last)| (finder(prefix), last.clone()))
                .collect(),
            scheduled_task: finder(b"scheduledtask"),
        }
    }
}

/// Per-stage literal sets.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    stages: Vec<Vec<Lit>>,
    /// One searcher per distinct literal.
    finders: Vec<memmem::Finder<'static>>,
    needles: Needles,
    /// Every character of every literal, both ASCII cases.
    chars: Vec<char>,
    /// Some literal has a non-ASCII character.
    non_ascii: bool,
    /// Built for documents that are the lines themselves (`--format ndjson`).
    exact: bool,
}

fn json_escaped_lower(lit: &str) -> Vec<u8> {
    let quoted = serde_json::to_string(lit).unwrap_or_default();
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
    inner.to_ascii_lowercase().into_bytes()
}

fn part_of(lit: &str, vocabulary: &[&str]) -> bool {
    vocabulary.iter().any(|v| v.contains(lit))
}

/// Whether a literal can be used in mapped (non-identity) mode, and whether it needs a trigger.
fn classify(lit: &str) -> Option<bool> {
    let lower = lit.to_ascii_lowercase();
    let special = lit.chars().any(|c| {
        !c.is_ascii() || matches!(c, '_' | '&' | '<' | '>' | '"' | '\'' | '\\' | '{' | '}')
    });
    let timestamp_or_number = lit
        .chars()
        .all(|c| c.is_ascii_hexdigit() || "-:.TZtz+ xX".contains(c));
    if lit.is_empty() || special || timestamp_or_number || part_of(&lower, GENERIC) {
        return None;
    }
    Some(part_of(&lower, TASK))
}

impl Prefilter {
    /// `exact`: documents are the lines themselves (`--format ndjson`). `None` when some stage
    /// has no usable literal (then nothing can be skipped).
    pub fn new(stages: &[Vec<String>], exact: bool) -> Option<Self> {
        let mut out = Vec::new();
        let mut finders: Vec<memmem::Finder<'static>> = Vec::new();
        for stage in stages {
            let mut lits: Vec<Lit> = stage
                .iter()
                .filter(|l| !l.is_empty())
                .filter_map(|l| {
                    let needs_trigger = if exact { false } else { classify(l)? };
                    let needle = json_escaped_lower(l);
                    let finder = match finders.iter().position(|f| f.needle() == needle) {
                        Some(i) => i,
                        None => {
                            finders.push(memmem::Finder::new(&needle).into_owned());
                            finders.len() - 1
                        }
                    };
                    Some(Lit {
                        finder,
                        needs_trigger,
                    })
                })
                .collect();
            if lits.is_empty() {
                return None;
            }
            // Literals that need no trigger first: their absence alone settles the stage.
            lits.sort_by_key(|l| l.needs_trigger);
            out.push(lits);
        }
        let mut chars: Vec<char> = stages
            .iter()
            .flatten()
            .flat_map(|l| {
                l.chars()
                    .flat_map(|c| [c.to_ascii_lowercase(), c.to_ascii_uppercase()])
            })
            .collect();
        chars.sort_unstable();
        chars.dedup();
        let non_ascii = chars.iter().any(|c| !c.is_ascii());
        (!out.is_empty()).then_some(Self {
            stages: out,
            finders,
            needles: Needles::new(),
            chars,
            non_ascii,
            exact,
        })
    }

    /// Whether it was built for documents that are the lines themselves.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Whether a JSON escape in the line could stand for a character of some literal. Only
    /// `\u` and `\/` can stand for a literal's character (other escapes are for `"`, `\` and
    /// control characters, which the JSON-escaped literal spells the same way); a backslash
    /// counts as an escape only after an even run of backslashes (`\\u` is a backslash + `u`).
    fn escapes_may_hide(&self, line: &[u8]) -> bool {
        let escaped = |pos: usize| {
            super::util::before(line, pos)
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count()
                % 2
                == 0
        };
        let slash =
            self.chars.contains(&'/') && self.needles.slash_escape.find_iter(line).any(escaped);
        slash
            || self
                .needles
                .unicode_escape
                .find_iter(line)
                .filter(|&p| escaped(p))
                .any(|pos| {
                    let hex = line
                        .get(pos + 2..pos + 6)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    match hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                        Some(code) if code >= 0x80 => self.non_ascii,
                        Some(code) => char::from_u32(code).is_some_and(|c| self.chars.contains(&c)),
                        None => true,
                    }
                })
    }

    /// Whether the raw line provably cannot match any stage (for a line not known to be valid
    /// JSON: escapes and character references are searched for).
    pub fn skips(&self, line: &[u8], scratch: &mut Vec<u8>) -> bool {
        // Escapes only matter when they could turn a skip into a wrong one.
        self.absent(line, scratch)
            && self.needles.char_reference.find(line).is_none()
            && !self.escapes_may_hide(line)
    }

    /// Whether `line` is certainly valid JSON (`jsonvalid`) that provably cannot match any
    /// stage: what the reader skips unparsed. The validity walk also reports the escapes and
    /// character references the decision needs, so they are not searched for separately.
    pub fn skips_valid(&self, line: &[u8], blocks: &mut Blocks) -> bool {
        blockscan::scan(line, blocks);
        if !self.absent_lower(&blocks.lower, Some(&blocks.fours)) {
            return false;
        }
        match super::jsonvalid::checked(line, blocks) {
            None => false,
            Some(seen) => {
                !seen.char_reference
                    && !((seen.unicode_escape || seen.slash_escape) && self.escapes_may_hide(line))
            }
        }
    }

    /// Whether, for every stage, one of its literals is absent from the line and no
    /// normaliser could introduce it.
    fn absent(&self, line: &[u8], scratch: &mut Vec<u8>) -> bool {
        scratch.clear();
        scratch.extend_from_slice(line);
        scratch.make_ascii_lowercase();
        self.absent_lower(scratch, None)
    }

    /// [`Self::absent`] for the line lower-cased (ASCII); `fours`: where its `4`s are
    /// ([`Blocks::fours`]), when known.
    fn absent_lower(&self, lower: &[u8], fours: Option<&[u64]>) -> bool {
        let mut trigger: Option<bool> = None;
        let mut has_trigger = || *trigger.get_or_insert_with(|| self.has_trigger(lower, fours));
        // Per distinct literal: found in the line (searched at most once).
        let mut found: [Option<bool>; 16] = [None; 16];
        let mut present = |i: usize| match found.get_mut(i) {
            Some(slot) => *slot.get_or_insert_with(|| self.find(i, lower)),
            None => self.find(i, lower),
        };
        self.stages.iter().all(|lits| {
            lits.iter()
                .any(|lit| !present(lit.finder) && (!lit.needs_trigger || !has_trigger()))
        })
    }

    fn find(&self, finder: usize, lower: &[u8]) -> bool {
        self.finders
            .get(finder)
            .map_or(true, |f| f.find(lower).is_some())
    }

    /// Whether the (lower-cased) line holds a trigger. Codes must not sit inside a longer
    /// number (an event code is delimited by non-digits in every encoding: `"4698"`, `:4698,`,
    /// `<EventID>4698<`, `EventCode=4698\r`).
    fn has_trigger(&self, lower: &[u8], fours: Option<&[u64]>) -> bool {
        let code_at = |i: usize| {
            let before = i.checked_sub(1).and_then(|j| lower.get(j));
            let digit = lower.get(i + 3);
            let after = lower.get(i + 4);
            let prefix = lower.get(i..i + 3);
            !before.is_some_and(u8::is_ascii_digit)
                && TRIGGER_PREFIXES
                    .iter()
                    .any(|(p, last)| prefix == Some(*p) && digit.is_some_and(|d| last.contains(d)))
                && !after.is_some_and(u8::is_ascii_digit)
        };
        let code = match fours {
            // Every code starts with a `4`: visiting the few `4`s of a line is cheaper than a
            // search per prefix.
            Some(fours) => fours.iter().enumerate().any(|(k, &word)| {
                let mut word = word;
                while word != 0 {
                    if code_at(k * 64 + word.trailing_zeros() as usize) {
                        return true;
                    }
                    word &= word - 1;
                }
                false
            }),
            None => self
                .needles
                .triggers
                .iter()
                .any(|(prefix, _)| prefix.find_iter(lower).any(code_at)),
        };
        code || self.needles.scheduled_task.find(lower).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Vec<Vec<String>> {
        vec![
            vec!["iam".into(), "scheduled-task-created".into()],
            vec!["iam".into(), "scheduled-task-deleted".into()],
        ]
    }

    #[test]
    fn exact_mode_skips_only_when_provable() {
        let f = Prefilter::new(&rule(), true).unwrap();
        assert!(f.skips(br#"{"event":{"action":"logged-in"}}"#, &mut Vec::new()));
        assert!(!f.skips(
            br#"{"event":{"action":"Scheduled-Task-Created","category":"IAM"}}"#,
            &mut Vec::new()
        ));
        assert!(!f.skips(
            br#"{"event":{"action":"scheduled-task-deleted","category":["iam"]}}"#,
            &mut Vec::new()
        ));
        assert!(!f.skips(
            br#"{"event":{"action":"scheduled\u002dtask-created","category":"iam"}}"#,
            &mut Vec::new()
        ));
        // An escape for a character no literal has (here a tab) does not stop the skip.
        assert!(f.skips(
            br#"{"event":{"action":"logged-in"},"message":"a\u0009b"}"#,
            &mut Vec::new()
        ));
        assert!(!f.skips(
            br#"{"event":{"action":"logged-in"},"message":"\u0069am"}"#,
            &mut Vec::new()
        ));
        assert!(f.skips(
            br#"{"event":{"action":"logged-in"},"path":"C:\\users\\x"}"#,
            &mut Vec::new()
        ));
        let g = Prefilter::new(&[vec!["\\test1".into()]], true).unwrap();
        assert!(!g.skips(br#"{"TaskName":"\\test1"}"#, &mut Vec::new()));
        assert!(g.skips(br#"{"TaskName":"\\test2"}"#, &mut Vec::new()));
        assert!(Prefilter::new(&[vec![], vec!["x".into()]], true).is_none());
    }

    #[test]
    fn mapped_mode_keeps_lines_a_normaliser_could_complete() {
        let f = Prefilter::new(&rule(), false).unwrap();
        // Processed ECS noise without any scheduled-task code: skipped.
        assert!(f.skips(
            br#"{"event":{"code":"4624","action":"logged-in"},"winlog":{"event_id":"4624"}}"#,
            &mut Vec::new(),
        ));
        // Raw Winlogbeat / NXLog / Defender lines that would be mapped: kept.
        assert!(!f.skips(
            br#"{"event":{"code":"4698"},"winlog":{"event_id":"4698"}}"#,
            &mut Vec::new()
        ));
        assert!(!f.skips(br#"{"EventID":4699,"Hostname":"h"}"#, &mut Vec::new()));
        assert!(!f.skips(
            br#"{"result":{"_raw":"<EventID>4698</EventID>"}}"#,
            &mut Vec::new()
        ));
        assert!(f.skips(
            br#"{"EventID":4624,"port":47001,"pid":14698}"#,
            &mut Vec::new()
        ));
        assert!(!f.skips(
            br#"{"ActionType":"ScheduledTaskCreated","DeviceName":"d"}"#,
            &mut Vec::new()
        ));
        assert!(!f.skips(
            br#"{"result":{"_raw":"<Data>&#105;am</Data>"}}"#,
            &mut Vec::new()
        ));
        // Literals a normaliser can always introduce are not used at all.
        assert!(Prefilter::new(&[vec!["Audit Success".into()]], false).is_none());
        assert!(Prefilter::new(&[vec!["2020-01-01T00:00".into()]], false).is_none());
        assert!(Prefilter::new(&[vec!["a&b".into()]], false).is_none());
        // The mappers add the braces of a provider GUID written without them.
        assert!(Prefilter::new(
            &[vec!["{54849625-5478-4994-a5ba-3e3b0328c30d}".into()]],
            false
        )
        .is_none());
        let host = Prefilter::new(&[vec!["fs02.offsec.lan".into()]], false).unwrap();
        assert!(host.skips(
            br#"{"Computer":"fs01.offsec.lan","EventID":4698}"#,
            &mut Vec::new()
        ));
        assert!(!host.skips(br#"{"Computer":"FS02.offsec.lan"}"#, &mut Vec::new()));
    }

    /// Lines built from pieces that matter to the decision (the rule's literals in any case,
    /// trigger codes, escapes that do or do not spell a literal, character references,
    /// backslash runs, quotes, non-ASCII text, control bytes, broken structure): a skipped line
    /// is always one the plain check skips too and one serde_json reads as an object, and a
    /// valid line without any of them is skipped.
    #[test]
    fn skips_valid_only_what_is_provably_skippable_and_valid() {
        use proptest::prelude::*;
        let f = Prefilter::new(&rule(), false).unwrap();
        let piece = prop::sample::select(vec![
            "IaM",
            "iam",
            "4698",
            "14698",
            "4702",
            "scheduledTask",
            "Scheduled-Task-Created",
            "\\u0069",
            "\\u0041",
            "\\/",
            "&#105;",
            "&amp;",
            "\\\\",
            "\\\"",
            "\\n\\t",
            "\\",
            "\"",
            "\u{e9}",
            "\u{1F600}",
            "\u{1}",
            ",",
            "}",
            "x",
            "0123456789abcdef",
        ]);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(3000));
        let strategy = (
            prop::collection::vec(piece, 0..12),
            0usize..90,
            any::<bool>(),
        );
        let result = runner.run(&strategy, |(pieces, pad, second)| {
            let text: String = pieces.concat();
            let line = if second {
                format!(
                    r#"{{"message":"{}{}","n":[1,-2.5,null]}}"#,
                    "y".repeat(pad),
                    text
                )
            } else {
                format!(r#"{{"{}":"{}"}}"#, "k".repeat(pad), text)
            };
            let bytes = line.as_bytes();
            let mut blocks = Blocks::default();
            if f.skips_valid(bytes, &mut blocks) {
                prop_assert!(f.skips(bytes, &mut Vec::new()), "{line}");
                prop_assert!(
                    matches!(
                        serde_json::from_slice(bytes),
                        Ok(serde_json::Value::Object(_))
                    ),
                    "{line}"
                );
            }
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");
        let mut blocks = Blocks::default();
        for pad in 0..200 {
            let line = format!(
                r#"{{"message":"{}\n\t\\ \"q\" café","id":4624}}"#,
                "z".repeat(pad)
            );
            assert!(f.skips_valid(line.as_bytes(), &mut blocks), "{line}");
        }
    }

    /// The trigger check from the `4`s of the block pass finds exactly what the search per
    /// prefix finds, codes at either end of a line and across 64-byte words included.
    #[test]
    fn trigger_from_fours_equals_the_search() {
        assert!(TRIGGER_PREFIXES
            .iter()
            .all(|(p, _)| p.first() == Some(&b'4')));
        let f = Prefilter::new(&rule(), false).unwrap();
        let mut blocks = Blocks::default();
        let codes = [
            "4698", "4697", "4702", "4703", "4696", "14698", "46981", "469", "44702", "x4701x",
        ];
        for pad in 0..140 {
            for code in codes {
                for line in [
                    format!("{}{code}", "a".repeat(pad)),
                    format!("{code}{}", "4".repeat(pad % 7)),
                    format!("{}:{code},{}", "4".repeat(pad), "b".repeat(pad % 5)),
                ] {
                    blockscan::scan(line.as_bytes(), &mut blocks);
                    assert_eq!(
                        f.has_trigger(&blocks.lower, Some(&blocks.fours)),
                        f.has_trigger(&blocks.lower, None),
                        "{line}"
                    );
                }
            }
        }
    }
}
