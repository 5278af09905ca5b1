//! "Why didn't it fire?": near misses and coverage, for any query.
//!
//! "No match" means one of three things: nothing happened, something almost matched, or the
//! data could never show it. This module tells them apart, in one pass over the same events the
//! run correlates (after exceptions), and a few what-if correlations of the candidate events at
//! the end:
//!
//! - `near_miss.condition`: an event with a stage's category and join keys that fails exactly
//!   one top-level `and` operand of the stage's condition (reported with the operand's text and
//!   the values it saw), grouped per operand text and join key, so a pair made by `HOST$` is one
//!   finding over both stages;
//! - `near_miss.maxspan`: a sequence the query would return without `maxspan` (and by how much
//!   it exceeds it); `near_miss.until`: one that `until` cut; `near_miss.key_case`: one that
//!   forms when string join keys are compared case-insensitively and trimmed (`FS01` / `fs01`);
//!   `near_miss.open`: a partial sequence still waiting at the end, with what the next stage
//!   needed;
//! - `coverage.host` (per host, the first join key: time range, events, actions or codes),
//!   `coverage.field` (per field the query reads: the share of records carrying it, and each
//!   file that lacks it entirely) and `coverage.gap` (a hole in a host's events longer than
//!   the maxspan).
//!
//! Everything is bounded: at most `top` findings per kind (closest first where there is an
//! order) with the count beyond, a few events per finding, a capped number of hosts; memory
//! follows the candidate events, as in batch mode.

use crate::compile::Query;
use crate::correlator::{Correlator, Match, Relax};
use crate::event::Event;
use crate::render::describe::rfc3339_utc;
use crate::session::view::location;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// Findings kept per kind (the rest are counted).
pub const DEFAULT_TOP: usize = 10;
/// Events shown per finding.
const EVENTS_PER_FINDING: usize = 4;
/// Hosts tracked for coverage (the rest are counted).
const MAX_HOSTS: usize = 10_000;
/// Values counted per host for event.action / event.code.
const VALUES_PER_HOST: usize = 12;
/// Join keys whose stages are tracked (to tell a near miss with a partner from a lone one).
const MAX_KEYS: usize = 1 << 18;

/// One event of a finding: where it came from, when, and the values that mattered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRef {
    /// `file:line` and the like.
    pub location: String,
    /// Its timestamp as written.
    pub timestamp: Option<Value>,
    /// The fields of the failed condition (or the join keys) and their values.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub values: Map<String, Value>,
}

/// One thing `explain` found. `kind` is stable: scripts and tests select on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum Finding {
    /// Events that fail exactly one conjunct of a stage.
    #[serde(rename = "near_miss.condition")]
    Condition {
        /// The conjunct as written in the query.
        conjunct: String,
        /// The stages (1-based) whose conjunct it is.
        stages: Vec<usize>,
        /// The events' join key values.
        join_keys: Vec<Value>,
        /// How many events failed it under these keys.
        count: u64,
        /// The first of them.
        events: Vec<EventRef>,
    },
    /// A sequence longer than `maxspan`.
    #[serde(rename = "near_miss.maxspan")]
    Maxspan {
        /// Join key values.
        join_keys: Vec<Value>,
        /// First to last event, ms.
        gap_ms: i64,
        /// By how much it exceeds maxspan, ms.
        exceeded_by_ms: i64,
        /// Its events.
        events: Vec<EventRef>,
    },
    /// A sequence that `until` cut.
    #[serde(rename = "near_miss.until")]
    Until {
        /// Join key values.
        join_keys: Vec<Value>,
        /// Its events.
        events: Vec<EventRef>,
    },
    /// A sequence that forms when join keys ignore case and surrounding whitespace.
    #[serde(rename = "near_miss.key_case")]
    KeyCase {
        /// The folded join key values.
        join_keys: Vec<Value>,
        /// Each event's own key values, as written.
        written: Vec<Vec<Value>>,
        /// Its events.
        events: Vec<EventRef>,
    },
    /// A partial sequence still waiting when the input ended.
    #[serde(rename = "near_miss.open")]
    Open {
        /// Join key values.
        join_keys: Vec<Value>,
        /// Stages matched so far.
        stages_matched: usize,
        /// The condition of the stage it waited for, as written.
        next_stage_needs: String,
        /// Its events.
        events: Vec<EventRef>,
    },
    /// The share of records that carry a field the query reads (`file` set: a file that lacks
    /// it entirely, which therefore cannot match).
    #[serde(rename = "coverage.field")]
    Field {
        /// The field.
        field: String,
        /// The file, for a file without it.
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        /// Records carrying it.
        carried: u64,
        /// Records read.
        records: u64,
        /// In words.
        text: String,
    },
    /// What the input holds for one host (the first join key).
    #[serde(rename = "coverage.host")]
    Host {
        /// The host.
        host: String,
        /// First event time.
        from: String,
        /// Last event time.
        to: String,
        /// Events with this host.
        events: u64,
        /// Count per `event.action` (or `event.code`) value, largest first.
        values: Vec<(String, u64)>,
    },
    /// A hole in a host's events longer than the maxspan.
    #[serde(rename = "coverage.gap")]
    Gap {
        /// The host.
        host: String,
        /// Last event before the hole.
        from: String,
        /// First event after it.
        to: String,
        /// Its length, ms.
        gap_ms: i64,
    },
}

/// Which of the three cases a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Something matched.
    Matched,
    /// Nothing matched, but something almost did.
    NearMisses,
    /// The data could never show it: no record carries a field the query reads, or there
    /// are no records at all.
    NoCoverage,
    /// Nothing happened: the data covers the query and nothing came close.
    Nothing,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Which case this is.
    pub verdict: Verdict,
    /// The verdict in words.
    pub text: String,
    /// Matches of the run.
    pub matches: usize,
    /// The findings, near misses first.
    pub findings: Vec<Finding>,
    /// Per kind, findings not listed (beyond `top`).
    pub more: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
struct HostState {
    first: i64,
    last: i64,
    events: u64,
    values: BTreeMap<String, u64>,
    /// Per time bucket (maxspan / 2 wide), the first and last event time.
    buckets: BTreeMap<i64, (i64, i64)>,
}

#[derive(Debug)]
struct CondGroup {
    stages: Vec<usize>,
    count: u64,
    events: Vec<EventRef>,
}

/// The streaming half: sees every event the run correlates.
#[derive(Debug)]
pub struct Explainer {
    query: Query,
    top: usize,
    conditions: BTreeMap<(String, String), CondGroup>,
    /// Groups beyond the kept ones: the stages (bits) they were seen at.
    overflow: std::collections::HashMap<(String, String), u64>,
    /// Per join key, the stages (bits) where its events hit or nearly hit, and how many events.
    key_stages: std::collections::HashMap<String, (u64, u32)>,
    records: u64,
    carried: Vec<u64>,
    files: Vec<(String, u64, Vec<u64>)>,
    hosts: BTreeMap<String, HostState>,
    more_hosts: u64,
    host_field: Option<String>,
    value_field: Option<String>,
    matched: HashSet<String>,
    fields: Vec<String>,
}

impl Explainer {
    /// An explainer for `query`, keeping `top` findings per kind.
    pub fn new(query: &Query, top: usize) -> Explainer {
        let fields: Vec<String> = query
            .fields()
            .into_iter()
            .filter(|f| f != query.timestamp_field())
            .collect();
        let host_field = query
            .stages()
            .first()
            .and_then(|_| query.join_key_names().into_iter().next());
        let reads = |f: &str| fields.iter().any(|x| x == f);
        let value_field = ["event.action", "event.code", "winlog.event_id"]
            .into_iter()
            .find(|f| reads(f))
            .map(str::to_string);
        Explainer {
            top,
            conditions: BTreeMap::new(),
            overflow: std::collections::HashMap::new(),
            key_stages: std::collections::HashMap::new(),
            records: 0,
            carried: vec![0; fields.len()],
            files: Vec::new(),
            hosts: BTreeMap::new(),
            more_hosts: 0,
            host_field,
            value_field,
            matched: HashSet::new(),
            fields,
            query: query.clone(),
        }
    }

    /// A new input file starts.
    pub fn start_file(&mut self, name: &str) {
        self.files
            .push((name.to_string(), 0, vec![0; self.fields.len()]));
    }

    /// Notes the events of results the run returned (they are no near misses).
    pub fn matched(&mut self, results: &[Match]) {
        for m in results {
            for e in m.events.iter().filter(|e| !e.missing) {
                self.matched.insert(location(e.event.provenance()));
            }
        }
    }

    /// Sees one event (after exceptions).
    pub fn event(&mut self, event: &Event) {
        self.records += 1;
        let file = self.files.last_mut();
        let mut per_file = file.map(|(_, n, carried)| {
            *n += 1;
            carried
        });
        for (i, field) in self.fields.iter().enumerate() {
            if !event.values(field).is_empty() {
                if let Some(n) = self.carried.get_mut(i) {
                    *n += 1;
                }
                if let Some(n) = per_file.as_mut().and_then(|c| c.get_mut(i)) {
                    *n += 1;
                }
            }
        }
        let ts = crate::simulate::event_ms(event, self.query.timestamp_field());
        if let (Some(field), Some(ts)) = (&self.host_field, ts) {
            if let Some(host) = event.first_value(field).map(text) {
                self.host(host, ts, event);
            }
        }
        let query = self.query.clone();
        let sequence = query.stages().len() > 1;
        let mut marks: Vec<(String, usize)> = Vec::new();
        for (i, stage) in query.stages().iter().enumerate() {
            if stage.matches(event) {
                if sequence {
                    for k in stage.join_keys(event) {
                        marks.push((Value::Array(k.to_json()).to_string(), i));
                    }
                }
                continue;
            }
            let Some(c) = stage.near_miss(event) else {
                continue;
            };
            // An event that passes another stage is that stage's candidate, not a near miss.
            if query
                .stages()
                .iter()
                .chain(query.until())
                .any(|s| s.matches(event))
            {
                continue;
            }
            let Some(conjunct) = stage.conjuncts().get(c) else {
                continue;
            };
            let keys: Vec<Value> = stage
                .join_keys(event)
                .first()
                .map(|k| k.to_json())
                .unwrap_or_default();
            let key_text = Value::Array(keys.clone()).to_string();
            if sequence {
                marks.push((key_text.clone(), i));
            }
            let group_key = (conjunct.text.clone(), key_text);
            let event_ref = event_ref(event, &conjunct.fields, self.query.timestamp_field());
            if !self.conditions.contains_key(&group_key) && self.conditions.len() >= self.top * 4 {
                if self.overflow.len() < MAX_KEYS || self.overflow.contains_key(&group_key) {
                    *self.overflow.entry(group_key).or_insert(0) |= 1 << i.min(63);
                }
                continue;
            }
            let group = self
                .conditions
                .entry(group_key)
                .or_insert_with(|| CondGroup {
                    stages: Vec::new(),
                    count: 0,
                    events: Vec::new(),
                });
            group.count += 1;
            if !group.stages.contains(&(i + 1)) {
                group.stages.push(i + 1);
            }
            if group.events.len() < EVENTS_PER_FINDING {
                group.events.push(event_ref);
            }
        }
        if !marks.is_empty() {
            self.note_stages(marks);
        }
    }

    /// Records, per key, the stages this one event reached or nearly reached.
    fn note_stages(&mut self, mut marks: Vec<(String, usize)>) {
        marks.sort();
        for group in marks.chunk_by(|a, b| a.0 == b.0) {
            let Some((key, _)) = group.first() else {
                continue;
            };
            let key = key.clone();
            let mask = (group.iter()).fold(0u64, |mask, &(_, stage)| mask | 1 << stage.min(63));
            if self.key_stages.len() < MAX_KEYS || self.key_stages.contains_key(&key) {
                let entry = self.key_stages.entry(key).or_insert((0, 0));
                entry.0 |= mask;
                entry.1 = entry.1.saturating_add(1);
            }
        }
    }

    /// Whether two or more events of `key` reached (or nearly reached) two or more stages: a near miss
    /// there could have completed a sequence. Event queries (one stage) always qualify.
    fn has_partner(&self, key: &str) -> bool {
        self.query.stages().len() < 2
            || self
                .key_stages
                .get(key)
                .is_some_and(|(bits, events)| bits.count_ones() >= 2 && *events >= 2)
    }

    /// What the explainer holds: kept findings, their events, tracked keys, hosts and time
    /// buckets. Bounded whatever the input size (see the module docs).
    pub fn retained(&self) -> usize {
        let events: usize = self.conditions.values().map(|g| g.events.len()).sum();
        let buckets: usize = self
            .hosts
            .values()
            .map(|h| h.buckets.len() + h.values.len())
            .sum();
        self.conditions.len()
            + events
            + self.overflow.len()
            + self.key_stages.len()
            + self.hosts.len()
            + buckets
    }

    fn host(&mut self, host: String, ts: i64, event: &Event) {
        if !self.hosts.contains_key(&host) && self.hosts.len() >= MAX_HOSTS {
            self.more_hosts += 1;
            return;
        }
        let width = self.query.maxspan_ms().map_or(i64::MAX, |m| {
            (i64::try_from(m).unwrap_or(i64::MAX) / 2).max(1)
        });
        let value = self
            .value_field
            .as_ref()
            .and_then(|f| event.first_value(f))
            .map(text);
        let h = self.hosts.entry(host).or_insert_with(|| HostState {
            first: ts,
            last: ts,
            ..HostState::default()
        });
        h.first = h.first.min(ts);
        h.last = h.last.max(ts);
        h.events += 1;
        if let Some(v) = value {
            if h.values.contains_key(&v) || h.values.len() < VALUES_PER_HOST {
                *h.values.entry(v).or_insert(0) += 1;
            }
        }
        if width != i64::MAX {
            let b = h.buckets.entry(ts.div_euclid(width)).or_insert((ts, ts));
            b.0 = b.0.min(ts);
            b.1 = b.1.max(ts);
        }
    }

    /// The report: the streaming findings plus the what-if correlations of `candidates`
    /// (the events some stage can use, after exceptions). `matches` is the run's result count.
    pub fn finish(&self, candidates: &[(i64, Event)], matches: usize) -> Explanation {
        let mut near = Vec::new();
        let mut more: BTreeMap<String, u64> = BTreeMap::new();
        let top = self.top;
        let ts_field = self.query.timestamp_field();
        let is_sequence = self.query.kind() != crate::QueryKind::Event;
        let mut used: HashSet<String> = self.matched.clone();
        let push = |kind: &str,
                    list: Vec<Finding>,
                    near: &mut Vec<Finding>,
                    more: &mut BTreeMap<String, u64>| {
            let total = list.len();
            near.extend(list.into_iter().take(top));
            if total > top {
                *more.entry(kind.to_string()).or_insert(0) += (total - top) as u64;
            }
        };
        // Conditions: drop events that ended up in results.
        let mut conditions: Vec<Finding> = Vec::new();
        for ((conjunct, keys), g) in &self.conditions {
            // A lone near miss (a task update, no other event under its keys) could not have
            // formed a sequence: it is not "almost a match".
            if !self.has_partner(keys) {
                continue;
            }
            let events: Vec<EventRef> = g
                .events
                .iter()
                .filter(|e| !self.matched.contains(&e.location))
                .cloned()
                .collect();
            if events.is_empty() {
                continue;
            }
            conditions.push(Finding::Condition {
                conjunct: conjunct.clone(),
                stages: g.stages.clone(),
                join_keys: serde_json::from_str(keys).unwrap_or_default(),
                count: g.count,
                events,
            });
        }
        push("near_miss.condition", conditions, &mut near, &mut more);
        let beyond = self
            .overflow
            .keys()
            .filter(|(_, k)| self.has_partner(k))
            .count() as u64;
        if beyond > 0 {
            *more.entry("near_miss.condition".into()).or_insert(0) += beyond;
        }
        if is_sequence {
            let fresh = |relax: Relax, used: &HashSet<String>| -> Vec<Match> {
                relaxed_matches(&self.query, relax, candidates)
                    .into_iter()
                    .filter(|m| {
                        m.events
                            .iter()
                            .filter(|e| !e.missing)
                            .all(|e| !used.contains(&location(e.event.provenance())))
                    })
                    .collect()
            };
            // Key case first: its events would otherwise look like open partials.
            let mut key_case = Vec::new();
            for m in fresh(
                Relax {
                    key_case: true,
                    ..Relax::default()
                },
                &used,
            ) {
                let written: Vec<Vec<Value>> = m
                    .events
                    .iter()
                    .filter(|e| !e.missing)
                    .map(|e| {
                        self.query
                            .join_key_names()
                            .iter()
                            .map(|k| e.event.first_value(k).cloned().unwrap_or(Value::Null))
                            .collect()
                    })
                    .collect();
                if written.windows(2).all(|w| matches!(w, [a, b] if a == b)) {
                    continue;
                }
                mark(&mut used, &m);
                key_case.push(Finding::KeyCase {
                    join_keys: m.join_keys.clone(),
                    written,
                    events: refs(&m, ts_field),
                });
            }
            push("near_miss.key_case", key_case, &mut near, &mut more);
            if let Some(maxspan) = self.query.maxspan_ms().and_then(|m| i64::try_from(m).ok()) {
                let mut long: Vec<(i64, Finding)> = Vec::new();
                for m in fresh(
                    Relax {
                        maxspan: true,
                        ..Relax::default()
                    },
                    &used,
                ) {
                    let gap = span_ms(&m, ts_field);
                    if gap > maxspan {
                        mark(&mut used, &m);
                        long.push((
                            gap - maxspan,
                            Finding::Maxspan {
                                join_keys: m.join_keys.clone(),
                                gap_ms: gap,
                                exceeded_by_ms: gap - maxspan,
                                events: refs(&m, ts_field),
                            },
                        ));
                    }
                }
                long.sort_by_key(|(by, _)| *by);
                push(
                    "near_miss.maxspan",
                    long.into_iter().map(|(_, f)| f).collect(),
                    &mut near,
                    &mut more,
                );
            }
            if self.query.until().is_some() {
                let mut cut = Vec::new();
                for m in fresh(
                    Relax {
                        until: true,
                        ..Relax::default()
                    },
                    &used,
                ) {
                    mark(&mut used, &m);
                    cut.push(Finding::Until {
                        join_keys: m.join_keys.clone(),
                        events: refs(&m, ts_field),
                    });
                }
                push("near_miss.until", cut, &mut near, &mut more);
            }
            let mut open = Vec::new();
            let mut c = Correlator::relaxed(
                &self.query,
                Relax {
                    maxspan: true,
                    until: true,
                    ..Relax::default()
                },
            );
            for (_, e) in candidates {
                let _ = c.push_into(e.clone(), &mut Vec::new());
            }
            for p in c.open_partials() {
                if p.events
                    .iter()
                    .any(|e| used.contains(&location(e.provenance())))
                {
                    continue;
                }
                let next = self
                    .query
                    .stages()
                    .get(p.stages_matched)
                    .map(|s| {
                        s.conjuncts()
                            .iter()
                            .map(|c| c.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    })
                    .unwrap_or_default();
                let events = p
                    .events
                    .iter()
                    .map(|e| event_ref(e, &[], ts_field))
                    .collect();
                open.push(Finding::Open {
                    join_keys: p.join_keys,
                    stages_matched: p.stages_matched,
                    next_stage_needs: next,
                    events,
                });
            }
            push("near_miss.open", open, &mut near, &mut more);
        }
        let mut coverage = Vec::new();
        let mut no_coverage = false;
        for (i, (field, &carried)) in self.fields.iter().zip(&self.carried).enumerate() {
            let share = if self.records == 0 {
                0.0
            } else {
                carried as f64 * 100.0 / self.records as f64
            };
            let text = if carried == 0 {
                no_coverage = true;
                format!("no record has {field}: this input cannot match the rule; export with that field")
            } else {
                format!("{share:.1}% of records have {field}")
            };
            coverage.push(Finding::Field {
                field: field.clone(),
                file: None,
                carried,
                records: self.records,
                text,
            });
            for (name, records, per_file) in &self.files {
                if *records > 0 && per_file.get(i) == Some(&0) && carried > 0 {
                    coverage.push(Finding::Field {
                        field: field.clone(),
                        file: Some(name.clone()),
                        carried: 0,
                        records: *records,
                        text: format!("no record of {name} has {field}: that file cannot match the rule; export it with event data"),
                    });
                }
            }
        }
        let maxspan = self.query.maxspan_ms().and_then(|m| i64::try_from(m).ok());
        // A hole that a reported sequence spans is that finding, not a second one.
        let spanned: HashSet<(String, String, String)> = near
            .iter()
            .filter_map(|f| match f {
                Finding::Maxspan {
                    join_keys, events, ..
                } => Some((
                    join_keys.first().map(text).unwrap_or_default(),
                    events
                        .first()
                        .and_then(|e| e.timestamp.as_ref())
                        .and_then(|t| crate::time::parse_value(t).ok())
                        .map(|t| rfc3339_utc(t.millis()))
                        .unwrap_or_default(),
                    events
                        .last()
                        .and_then(|e| e.timestamp.as_ref())
                        .and_then(|t| crate::time::parse_value(t).ok())
                        .map(|t| rfc3339_utc(t.millis()))
                        .unwrap_or_default(),
                )),
                _ => None,
            })
            .collect();
        let mut gaps = Vec::new();
        for (host, h) in &self.hosts {
            let mut values: Vec<(String, u64)> =
                h.values.iter().map(|(k, v)| (k.clone(), *v)).collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            coverage.push(Finding::Host {
                host: host.clone(),
                from: rfc3339_utc(h.first),
                to: rfc3339_utc(h.last),
                events: h.events,
                values,
            });
            if let Some(maxspan) = maxspan {
                let mut prev: Option<i64> = None;
                for (lo, hi) in h.buckets.values() {
                    if let Some(p) = prev {
                        let key = (host.clone(), rfc3339_utc(p), rfc3339_utc(*lo));
                        if lo - p > maxspan && !spanned.contains(&key) {
                            gaps.push(Finding::Gap {
                                host: host.clone(),
                                from: rfc3339_utc(p),
                                to: rfc3339_utc(*lo),
                                gap_ms: lo - p,
                            });
                        }
                    }
                    prev = Some(*hi);
                }
            }
        }
        if self.more_hosts > 0 {
            more.insert("coverage.host".into(), self.more_hosts);
        }

        let (verdict, text) = if matches > 0 {
            (Verdict::Matched, format!("{matches} match(es)."))
        } else if !near.is_empty() {
            (
                Verdict::NearMisses,
                format!(
                    "No match, but {} near miss(es): something almost matched (see below).",
                    near.len()
                ),
            )
        } else if no_coverage || self.records == 0 {
            (Verdict::NoCoverage, "No match: the data could never show it (a field the rule reads is missing from every record, or no event can take part).".to_string())
        } else {
            (
                Verdict::Nothing,
                "No match and nothing came close: the data covers the rule, and nothing happened."
                    .to_string(),
            )
        };
        let mut findings = near;
        findings.extend(coverage);
        findings.extend(gaps);
        Explanation {
            verdict,
            text,
            matches,
            findings,
            more,
        }
    }
}

fn relaxed_matches(query: &Query, relax: Relax, candidates: &[(i64, Event)]) -> Vec<Match> {
    let mut c = Correlator::relaxed(query, relax);
    let mut out = Vec::new();
    for (_, e) in candidates {
        let _ = c.push_into(e.clone(), &mut out);
    }
    out.extend(c.finish());
    out
}

fn mark(used: &mut HashSet<String>, m: &Match) {
    for e in m.events.iter().filter(|e| !e.missing) {
        used.insert(location(e.event.provenance()));
    }
}

fn span_ms(m: &Match, ts_field: &str) -> i64 {
    let times: Vec<i64> = m
        .events
        .iter()
        .filter(|e| !e.missing)
        .filter_map(|e| crate::simulate::event_ms(&e.event, ts_field))
        .collect();
    times.iter().max().copied().unwrap_or(0) - times.iter().min().copied().unwrap_or(0)
}

fn refs(m: &Match, ts_field: &str) -> Vec<EventRef> {
    m.events
        .iter()
        .filter(|e| !e.missing)
        .map(|e| event_ref(&e.event, &[], ts_field))
        .collect()
}

fn event_ref(event: &Event, fields: &[String], ts_field: &str) -> EventRef {
    let mut values = Map::new();
    for f in fields {
        let found = event.values(f);
        let v = match found.as_slice() {
            [] => Value::Null,
            [one] => (*one).clone(),
            many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
        };
        values.insert(f.clone(), v);
    }
    EventRef {
        location: location(event.provenance()),
        timestamp: event.first_value(ts_field).cloned(),
        values,
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}
