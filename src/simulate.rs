//! "Would Kibana have alerted?": the detection engine's schedule replayed over an input.
//!
//! Kibana does not run a rule once over all the data (eql-semantics §8). Every `interval` it sends
//! the query with the filter `@timestamp` in `[now - look-back, now]` and `size = max_signals`
//! (no `result_position`, so Elasticsearch's default `tail`: the newest sequences). A sequence is
//! therefore found only when one run's window holds every one of its events (§8.2). Alert ids are
//! deterministic, so a sequence found again by an overlapping run writes nothing new, while a
//! different pairing of events is a new alert group (§8.3). Alert suppression then folds shells
//! with the same `group_by` values into one alert, per execution or over a duration (§8.4).
//!
//! This module replays exactly that with the engine itself: each run is a fresh correlator over
//! the candidate events (those some stage can use, after exceptions) that fall in its window,
//! compiled with `size = max_signals` and `tail`. Work is about look-back / interval times one
//! batch run (1.8x for the built-in rule's 9m / 5m), and memory is the candidate events.

use crate::correlator::Match;
use crate::error::{Error, ErrorKind};
use crate::event::Event;
use crate::output::match_to_json;
use crate::render::alerts::{alerts_for_result, Alert, RuleInfo};
use crate::render::describe::rfc3339_utc;
use crate::rules::Schedule;
use crate::Query;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Changes to the rule's schedule and the phase, as the CLI's flags and the JS `simulate()`
/// options give them (text as the user wrote it). Each shell only maps its names onto this.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Overrides {
    /// `5m`.
    pub interval: Option<String>,
    /// `now-9m`.
    pub from: Option<String>,
    /// Sequences per run.
    pub max_signals: Option<usize>,
    /// Suppression fields (replace the rule's).
    #[serde(default)]
    pub suppress_by: Vec<String>,
    /// Suppression window, `1h`.
    pub suppress_for: Option<String>,
    /// `suppress` or `doNotSuppress`.
    pub suppress_missing: Option<String>,
    /// Drop the rule's suppression.
    #[serde(default)]
    pub no_suppression: bool,
    /// RFC 3339 or epoch ms.
    pub first_run: Option<String>,
    /// `150s`.
    pub phase: Option<String>,
    /// Phases to spread over one interval.
    pub phases: Option<u32>,
}

/// A bad override: which one (its name in [`Overrides`], snake_case) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    /// `interval`, `suppress_for`, ...
    pub name: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Overrides {
    /// The rule's schedule with these changes, and the phase.
    pub fn apply(&self, rule: &Schedule) -> Result<(Schedule, Phase), OverrideError> {
        use crate::rules::{parse_duration_ms, parse_lookback_ms, Suppression};
        let bad = |name: &'static str, message: String| OverrideError { name, message };
        let named = |name: &'static str| move |e: Error| bad(name, e.message().to_string());
        let mut schedule = rule.clone();
        if let Some(v) = &self.interval {
            schedule.interval_ms = parse_duration_ms(v).map_err(named("interval"))?;
        }
        if let Some(v) = &self.from {
            schedule.lookback_ms = parse_lookback_ms(v).map_err(named("from"))?;
        }
        if let Some(n) = self.max_signals {
            if n == 0 {
                return Err(bad("max_signals", "must be at least 1".into()));
            }
            schedule.max_signals = n;
        }
        if self.no_suppression {
            schedule.suppression = None;
        }
        if !self.suppress_by.is_empty() {
            schedule.suppression = Some(Suppression {
                group_by: self.suppress_by.clone(),
                duration_ms: None,
                suppress_missing: true,
            });
        }
        if self.suppress_for.is_some() || self.suppress_missing.is_some() {
            let Some(s) = schedule.suppression.as_mut() else {
                return Err(bad(
                    "suppress_by",
                    "a suppression window or missing-fields strategy needs group-by fields (or a rule with alert_suppression)".into(),
                ));
            };
            if let Some(v) = &self.suppress_for {
                s.duration_ms = Some(parse_duration_ms(v).map_err(named("suppress_for"))?);
            }
            match self.suppress_missing.as_deref() {
                None => {}
                Some("suppress") => s.suppress_missing = true,
                Some("doNotSuppress") => s.suppress_missing = false,
                Some(other) => {
                    return Err(bad(
                        "suppress_missing",
                        format!("{other:?}: expected suppress or doNotSuppress"),
                    ))
                }
            }
        }
        let first_run_ms = match &self.first_run {
            None => None,
            Some(text) => Some(
                crate::time::parse_str(text)
                    .map(|t| t.millis())
                    .map_err(|e| bad("first_run", e.to_string()))?,
            ),
        };
        let offset_ms = match &self.phase {
            None => 0,
            Some(v) => parse_duration_ms(v).map_err(named("phase"))?,
        };
        let phase = Phase {
            first_run_ms,
            offset_ms,
            phases: self.phases.unwrap_or(1),
        };
        Ok((schedule, phase))
    }
}

/// Where the schedule starts, and how many phases to try.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phase {
    /// The first run's time (epoch ms); default the first candidate event's time.
    pub first_run_ms: Option<i64>,
    /// Added to the first run's time.
    pub offset_ms: u64,
    /// Try this many phases spread evenly over one interval (0 or 1: just the one).
    pub phases: u32,
}

/// One run of the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// When it ran (the window's end), RFC 3339 UTC.
    pub start: String,
    /// The window searched: `from` (now - look-back) to `to` (now).
    pub from: String,
    /// The window's end.
    pub to: String,
    /// Sequences Elasticsearch would return (at most `max_signals`).
    pub sequences: usize,
    /// Sequences in the window beyond `max_signals`, not returned.
    pub capped: usize,
    /// Shell alerts written by this run.
    pub new_alerts: usize,
    /// Sequences whose alert an earlier run already wrote.
    pub deduplicated: usize,
    /// Shells folded into an existing alert by suppression.
    pub suppressed: usize,
}

/// Why an engine match raised no alert of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    /// No run's window held all of its events (or the run that did paired other events).
    Window,
    /// A run held it but kept only the newest `max_signals` sequences.
    MaxSignals,
    /// Its shell was suppressed into an earlier alert with the same terms.
    Suppressed,
}

/// An engine match (the batch answer over all the data) and what the schedule made of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchOutcome {
    /// The sequence's join key values.
    pub join_keys: Vec<Value>,
    /// Its first event's time, RFC 3339 UTC.
    pub first: String,
    /// Its last event's time.
    pub last: String,
    /// Last minus first, ms.
    pub gap_ms: i64,
    /// Whether a run wrote its alert.
    pub alerted: bool,
    /// The run that wrote it (or the run whose suppression or cap swallowed it).
    pub run: Option<String>,
    /// Why it was not alerted.
    pub reason: Option<Missed>,
    /// Its shell alert's id; with `suppressed`, the alert it was folded into.
    pub alert_id: Option<String>,
}

/// Totals of one simulation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimulationSummary {
    /// Runs replayed.
    pub runs: usize,
    /// Engine matches over all the data (the batch answer).
    pub matches: usize,
    /// Of those, alerted by some run.
    pub alerted: usize,
    /// Of those, missed (window, cap or suppression).
    pub missed: usize,
    /// Missed because no window held them.
    pub missed_window: usize,
    /// Missed because of `max_signals`.
    pub missed_max_signals: usize,
    /// Folded into another alert by suppression.
    pub suppressed: usize,
    /// Shell alerts written in all (alert groups), including pairings the batch answer has not.
    pub alerts: usize,
    /// Alerts written for pairings that are not batch matches (a window cut an older event).
    pub other_pairings: usize,
}

/// The simulation of one phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// The schedule replayed.
    pub schedule: Schedule,
    /// The first run's time.
    pub first_run: String,
    /// The phase offset from the first event, ms.
    pub offset_ms: u64,
    /// Every run, in time order.
    pub runs: Vec<RunReport>,
    /// Every engine match, in the batch answer's order.
    pub matches: Vec<MatchOutcome>,
    /// Totals.
    pub summary: SimulationSummary,
    /// The alert documents written (building blocks then shell, per group), with the
    /// suppression fields when suppression applies.
    #[serde(skip)]
    pub alerts: Vec<Alert>,
}

/// The candidate events and everything needed to replay runs over them.
#[derive(Debug)]
pub struct Replay<'a> {
    /// The query compiled with `size = max_signals`, `tail` (what each run sends).
    pub per_run: &'a Query,
    /// The query without a limit (the batch answer, and the cap check).
    pub unlimited: &'a Query,
    /// Rule fields for the alert documents.
    pub rule: &'a RuleInfo,
    /// Candidate events with their times (epoch ms), in any order.
    pub events: &'a [(i64, Event)],
}

impl Replay<'_> {
    /// Replays `schedule` once per phase (see [`Phase`]).
    pub fn simulate(&self, schedule: &Schedule, phase: &Phase) -> Result<Vec<Simulation>, Error> {
        if schedule.interval_ms == 0 || schedule.max_signals == 0 {
            return Err(Error::new(
                ErrorKind::Option,
                "interval and max-signals must be positive",
            ));
        }
        let mut sorted: Vec<&(i64, Event)> = self.events.iter().collect();
        sorted.sort_by_key(|(t, _)| *t);
        let batch = correlate(self.unlimited, sorted.iter().map(|(_, e)| e))?;
        let base = phase
            .first_run_ms
            .or_else(|| sorted.first().map(|(t, _)| *t));
        let count = phase.phases.max(1);
        let mut out = Vec::with_capacity(count as usize);
        for k in 0..count {
            let offset = phase.offset_ms + schedule.interval_ms * u64::from(k) / u64::from(count);
            out.push(self.one(schedule, &sorted, &batch, base, offset)?);
        }
        Ok(out)
    }

    fn one(
        &self,
        schedule: &Schedule,
        sorted: &[&(i64, Event)],
        batch: &[Match],
        base: Option<i64>,
        offset_ms: u64,
    ) -> Result<Simulation, Error> {
        let interval = to_i64(schedule.interval_ms);
        let lookback = to_i64(schedule.lookback_ms);
        let first_run = base.unwrap_or(0).saturating_add(to_i64(offset_ms));
        let last_event = sorted.last().map_or(first_run, |(t, _)| *t);
        let mut state = State::new(schedule, self.rule);
        let mut runs = Vec::new();
        let mut total_runs = 0usize;
        let mut at = first_run;
        // Every run whose window still reaches an event. A run whose window holds no event
        // returns nothing and changes nothing (suppression windows are checked against the
        // next run's time), so it is counted but not replayed: the next replayed run is the
        // first whose window can hold the next event, which keeps a replay over years of data
        // proportional to the events, not to the span.
        while at - lookback <= last_event {
            let from = at - lookback;
            let lo = sorted.partition_point(|(t, _)| *t < from);
            let hi = sorted.partition_point(|(t, _)| *t <= at);
            if lo == hi {
                let Some((next, _)) = sorted.get(lo) else {
                    break;
                };
                // The first run at or after the next event (it is later than `at`).
                let gap = next.saturating_sub(at).max(1);
                let steps = gap.saturating_add(interval - 1) / interval;
                at = at.saturating_add(steps.saturating_mul(interval));
                total_runs =
                    total_runs.saturating_add(usize::try_from(steps).unwrap_or(usize::MAX));
                continue;
            }
            total_runs += 1;
            let window = || {
                sorted
                    .get(lo..hi)
                    .unwrap_or_default()
                    .iter()
                    .map(|(_, e)| e)
            };
            let returned = correlate(self.per_run, window())?;
            // Fewer than max_signals returned: the limit cut nothing, so there is no need to
            // count what an unlimited run finds.
            let all = if returned.len() < schedule.max_signals {
                returned.len()
            } else {
                correlate(self.unlimited, window())?.len()
            };
            let mut report = RunReport {
                start: rfc3339_utc(at),
                from: rfc3339_utc(from),
                to: rfc3339_utc(at),
                sequences: returned.len(),
                capped: all.saturating_sub(returned.len()),
                new_alerts: 0,
                deduplicated: 0,
                suppressed: 0,
            };
            state.run(
                at,
                &returned,
                self.unlimited.kind() != crate::QueryKind::Event,
                &mut report,
            );
            if report.capped > 0 {
                for m in correlate(self.unlimited, window())? {
                    state.capped.entry(shell_id(&m, self.rule)).or_insert(at);
                }
            }
            runs.push(report);
            at += interval;
        }
        let is_sequence = self.unlimited.kind() != crate::QueryKind::Event;
        let ts_field = self.unlimited.timestamp_field();
        let mut summary = SimulationSummary {
            runs: total_runs,
            matches: batch.len(),
            alerts: state.groups,
            ..SimulationSummary::default()
        };
        let mut matches = Vec::with_capacity(batch.len());
        let mut batch_ids = std::collections::HashSet::new();
        for m in batch {
            let id = shell_id(m, self.rule);
            batch_ids.insert(id.clone());
            let times: Vec<i64> = m
                .events
                .iter()
                .filter(|e| !e.missing)
                .filter_map(|e| event_ms(&e.event, ts_field))
                .collect();
            let (first, last) = (
                times.iter().copied().min().unwrap_or(0),
                times.iter().copied().max().unwrap_or(0),
            );
            let (alerted, run, reason, alert_id) = if let Some(&t) = state.written.get(&id) {
                (true, Some(t), None, Some(id))
            } else if let Some((t, into)) = state.folded.get(&id) {
                (
                    false,
                    Some(*t),
                    Some(Missed::Suppressed),
                    Some(into.clone()),
                )
            } else if let Some(&t) = state.capped.get(&id) {
                (false, Some(t), Some(Missed::MaxSignals), None)
            } else {
                (false, None, Some(Missed::Window), None)
            };
            match reason {
                None => summary.alerted += 1,
                Some(Missed::Window) => summary.missed_window += 1,
                Some(Missed::MaxSignals) => summary.missed_max_signals += 1,
                Some(Missed::Suppressed) => summary.suppressed += 1,
            }
            let json = match_to_json(m, is_sequence);
            let join_keys = json
                .get("join_keys")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            matches.push(MatchOutcome {
                join_keys,
                first: rfc3339_utc(first),
                last: rfc3339_utc(last),
                gap_ms: last - first,
                alerted,
                run: run.map(rfc3339_utc),
                reason,
                alert_id,
            });
        }
        summary.missed = summary.matches - summary.alerted;
        summary.other_pairings = state
            .written
            .keys()
            .filter(|id| !batch_ids.contains(*id))
            .count();
        Ok(Simulation {
            schedule: schedule.clone(),
            first_run: rfc3339_utc(first_run),
            offset_ms,
            runs,
            matches,
            summary,
            alerts: state.finish(),
        })
    }
}

/// One alert group being written: its documents and, with suppression, its terms and window.
#[derive(Debug)]
struct Group {
    alerts: Vec<Alert>,
    terms: Option<Value>,
    start_ms: i64,
    end_ms: i64,
    docs_count: u64,
}

/// Alerts written so far across runs: ids (deduplication), suppression groups.
struct State<'a> {
    schedule: &'a Schedule,
    rule: &'a RuleInfo,
    /// Shell id -> the run that wrote it.
    written: HashMap<String, i64>,
    /// Shell id -> (run, the alert it was suppressed into).
    folded: HashMap<String, (i64, String)>,
    /// Shell id of a sequence a run found but did not return (cap) -> that run.
    capped: HashMap<String, i64>,
    /// Suppression terms (JSON text) -> index in `out`, of the open group.
    open: HashMap<String, usize>,
    out: Vec<Group>,
    groups: usize,
}

impl<'a> State<'a> {
    fn new(schedule: &'a Schedule, rule: &'a RuleInfo) -> Self {
        State {
            schedule,
            rule,
            written: HashMap::new(),
            folded: HashMap::new(),
            capped: HashMap::new(),
            open: HashMap::new(),
            out: Vec::new(),
            groups: 0,
        }
    }

    fn run(&mut self, at: i64, returned: &[Match], is_sequence: bool, report: &mut RunReport) {
        let now = rfc3339_utc(at);
        if let Some(s) = &self.schedule.suppression {
            match s.duration_ms {
                // Per execution: groups never outlive their run.
                None => self.open.clear(),
                Some(d) => {
                    let out = &self.out;
                    self.open.retain(|_, &mut g| {
                        out.get(g).is_some_and(|o| at <= o.start_ms + to_i64(d))
                    });
                }
            }
        }
        for m in returned {
            let json = match_to_json(m, is_sequence);
            let alerts = alerts_for_result(&json, self.rule, &now);
            let Some(shell) = alerts.last() else { continue };
            let id = shell.id.clone();
            if self.written.contains_key(&id) || self.folded.contains_key(&id) {
                report.deduplicated += 1;
                continue;
            }
            let terms = self.schedule.suppression.as_ref().and_then(|s| {
                let values: Vec<Value> = s
                    .group_by
                    .iter()
                    .map(|field| {
                        let found = crate::event::values_in(&shell.source, field);
                        match found.as_slice() {
                            [] => Value::Null,
                            [one] => (*one).clone(),
                            many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
                        }
                    })
                    .collect();
                let missing = values.iter().any(Value::is_null);
                (s.suppress_missing || !missing).then(|| {
                    let pairs: Vec<Value> = s
                        .group_by
                        .iter()
                        .zip(values)
                        .map(|(field, value)| json!({"field": field, "value": value}))
                        .collect();
                    Value::Array(pairs)
                })
            });
            let key = terms.as_ref().map(Value::to_string);
            let open = key.as_ref().and_then(|k| self.open.get(k));
            if let Some(group) = open.and_then(|&g| self.out.get_mut(g)) {
                group.docs_count += 1;
                group.end_ms = at;
                let into = group
                    .alerts
                    .last()
                    .map(|a| a.id.clone())
                    .unwrap_or_default();
                self.folded.insert(id, (at, into));
                report.suppressed += 1;
                continue;
            }
            self.written.insert(id, at);
            if let Some(k) = key {
                self.open.insert(k, self.out.len());
            }
            self.out.push(Group {
                alerts,
                terms,
                start_ms: at,
                end_ms: at,
                docs_count: 0,
            });
            self.groups += 1;
            report.new_alerts += 1;
        }
    }

    /// The documents, with `kibana.alert.suppression.*` on each suppressing shell.
    fn finish(self) -> Vec<Alert> {
        let mut all = Vec::new();
        for mut group in self.out {
            if let (Some(terms), Some(shell)) = (group.terms.take(), group.alerts.last_mut()) {
                let source: &mut Map<String, Value> = &mut shell.source;
                source.insert("kibana.alert.suppression.terms".into(), terms);
                source.insert(
                    "kibana.alert.suppression.start".into(),
                    json!(rfc3339_utc(group.start_ms)),
                );
                source.insert(
                    "kibana.alert.suppression.end".into(),
                    json!(rfc3339_utc(group.end_ms)),
                );
                source.insert(
                    "kibana.alert.suppression.docs_count".into(),
                    json!(group.docs_count),
                );
            }
            all.extend(group.alerts);
        }
        all
    }
}

fn shell_id(m: &Match, rule: &RuleInfo) -> String {
    let json = match_to_json(m, !m.join_keys.is_empty());
    alerts_for_result(&json, rule, "")
        .pop()
        .map(|a| a.id)
        .unwrap_or_default()
}

/// The batch answer of `query` over `events` (any order).
fn correlate<'e>(
    query: &Query,
    events: impl Iterator<Item = &'e Event>,
) -> Result<Vec<Match>, Error> {
    let mut correlator = query
        .correlator()
        .with_max_candidates(None)
        .without_freezing();
    let mut out = Vec::new();
    for event in events {
        correlator.push_into(event.clone(), &mut out)?;
    }
    out.extend(correlator.finish());
    Ok(out)
}

/// The event's time in epoch ms by the query's timestamp field, when it has exactly one.
pub fn event_ms(event: &Event, timestamp_field: &str) -> Option<i64> {
    match event.values(timestamp_field).as_slice() {
        [value] => crate::time::parse_value(value).ok().map(|t| t.millis()),
        _ => None,
    }
}

fn to_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// The warning `eqlite check` gives when a sequence may outlast what one run can see.
pub fn lookback_warning(maxspan_ms: Option<u64>, schedule: &Schedule) -> Option<String> {
    let covered = schedule.lookback_ms.saturating_sub(schedule.interval_ms);
    let maxspan = maxspan_ms?;
    (maxspan > covered).then(|| {
        format!(
            "sequences longer than {} may be missed: interval {}, look-back {} (only sequences up to look-back minus interval are sure to lie inside one run's window)",
            short(covered),
            short(schedule.interval_ms),
            short(schedule.lookback_ms)
        )
    })
}

/// `4m`, `30s`, `1h`, `1500ms`.
pub fn short(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms >= size && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}
