//! `eqlite simulate` as text: the schedule from the rule and the flags, and the simulation
//! (see [`crate::simulate`]) as a readable report, NDJSON lines or Kibana alert documents.

use super::{OutputMode, SimulateArgs};
use crate::rules::{Rule, Schedule};
use crate::simulate::{short, Missed, Overrides, Phase, Simulation};
use serde_json::json;
use std::fmt::Write;

/// What to replay and how to print it.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub schedule: Schedule,
    pub phase: Phase,
    pub output: OutputMode,
}

/// The rule's schedule with the flags applied; the error is the text to print (exit code 2).
pub(super) fn spec(args: &SimulateArgs, rule: &Rule) -> Result<Spec, String> {
    let overrides = Overrides {
        interval: args.interval.clone(),
        from: args.from.clone(),
        max_signals: args.max_signals,
        suppress_by: args.suppress_by.clone(),
        suppress_for: args.suppress_for.clone(),
        suppress_missing: args.suppress_missing.clone(),
        no_suppression: args.no_suppression,
        first_run: args.first_run.clone(),
        phase: args.phase.clone(),
        phases: args.phases,
    };
    let (schedule, phase) = overrides
        .apply(&rule.schedule)
        .map_err(|e| format!("eqlite: --{}: {}\n", e.name.replace('_', "-"), e.message))?;
    let output = args.run.output.unwrap_or(OutputMode::Table);
    if output == OutputMode::Csv {
        return Err("eqlite: simulate prints table, ndjson or alerts, not csv\n".into());
    }
    Ok(Spec {
        schedule,
        phase,
        output,
    })
}

/// The simulations (one per phase) as the chosen output.
pub(super) fn render(spec: &Spec, sims: &[Simulation]) -> String {
    match spec.output {
        OutputMode::Ndjson => ndjson(sims),
        OutputMode::Alerts => {
            let mut out = String::new();
            for alert in sims.iter().flat_map(|s| &s.alerts) {
                let _ = writeln!(out, "{}", alert.to_json());
            }
            out
        }
        OutputMode::Table | OutputMode::Csv => table(sims),
    }
}

fn reason_text(reason: Option<Missed>) -> &'static str {
    match reason {
        None => "alerted",
        Some(Missed::Window) => "missed: no run's window held all its events",
        Some(Missed::MaxSignals) => "missed: beyond max_signals in its run",
        Some(Missed::Suppressed) => "suppressed into an earlier alert",
    }
}

fn ndjson(sims: &[Simulation]) -> String {
    let mut out = String::new();
    let mut line = |v: serde_json::Value| {
        let _ = writeln!(out, "{v}");
    };
    if let [sim] = sims {
        for run in &sim.runs {
            line(json!({ "run": run }));
        }
        for m in &sim.matches {
            line(json!({
                "match": {"join_keys": m.join_keys, "first": m.first, "last": m.last, "gap_ms": m.gap_ms},
                "alerted": m.alerted, "run": m.run, "reason": m.reason, "alert_id": m.alert_id,
            }));
        }
        line(
            json!({ "summary": sim.summary, "first_run": sim.first_run, "schedule": sim.schedule }),
        );
        return out;
    }
    for sim in sims {
        line(
            json!({"phase": {"offset_ms": sim.offset_ms, "first_run": sim.first_run, "summary": sim.summary}}),
        );
    }
    if let Some(first) = sims.first() {
        for (i, m) in first.matches.iter().enumerate() {
            let alerted = sims
                .iter()
                .filter(|s| s.matches.get(i).is_some_and(|x| x.alerted))
                .count();
            line(json!({
                "match": {"join_keys": m.join_keys, "first": m.first, "last": m.last, "gap_ms": m.gap_ms},
                "alerted_phases": alerted, "phases": sims.len(),
            }));
        }
    }
    out
}

fn keys_text(keys: &[serde_json::Value]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|k| k.as_str().map_or_else(|| k.to_string(), str::to_string))
        .collect();
    parts.join(" / ")
}

/// Columns padded to their widest cell, two spaces apart.
fn aligned(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let n = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, &w)) in row.iter().zip(&widths).enumerate() {
            if i + 1 < row.len() {
                let _ = write!(line, "{cell:<w$}  ");
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn table(sims: &[Simulation]) -> String {
    let mut out = String::new();
    let Some(sim) = sims.first() else {
        return out;
    };
    let s = &sim.schedule;
    let _ = write!(
        out,
        "Schedule: every {} over now-{}, at most {} sequences per run",
        short(s.interval_ms),
        short(s.lookback_ms),
        s.max_signals
    );
    if let Some(sup) = &s.suppression {
        let _ = write!(
            out,
            "; suppression by {} {}",
            sup.group_by.join(", "),
            sup.duration_ms
                .map_or_else(|| "per run".to_string(), |d| format!("for {}", short(d)))
        );
    }
    out.push('\n');
    if sims.len() > 1 {
        let mut rows = vec![vec![
            "phase".to_string(),
            "first run".into(),
            "alerted".into(),
            "missed".into(),
            "alerts".into(),
        ]];
        for p in sims {
            rows.push(vec![
                short(p.offset_ms),
                p.first_run.clone(),
                p.summary.alerted.to_string(),
                p.summary.missed.to_string(),
                p.summary.alerts.to_string(),
            ]);
        }
        out.push('\n');
        out.push_str(&aligned(&rows));
        let mut rows = vec![vec![
            "keys".to_string(),
            "first".into(),
            "gap".into(),
            "alerted in".into(),
        ]];
        for (i, m) in sim.matches.iter().enumerate() {
            let alerted = sims
                .iter()
                .filter(|p| p.matches.get(i).is_some_and(|x| x.alerted))
                .count();
            rows.push(vec![
                keys_text(&m.join_keys),
                m.first.clone(),
                crate::render::table::format_gap(m.gap_ms),
                format!("{alerted} of {} phases", sims.len()),
            ]);
        }
        out.push('\n');
        out.push_str(&aligned(&rows));
        return out;
    }
    let sum = &sim.summary;
    let _ = writeln!(
        out,
        "First run {}; {} runs; {} alert(s) written{}.",
        sim.first_run,
        sum.runs,
        sum.alerts,
        if sum.other_pairings > 0 {
            format!(
                " ({} for pairings the batch answer does not have)",
                sum.other_pairings
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "{} match(es) over all the data: {} alerted, {} missed ({} by the window, {} by max_signals), {} suppressed.",
        sum.matches, sum.alerted, sum.missed_window + sum.missed_max_signals, sum.missed_window, sum.missed_max_signals, sum.suppressed
    );
    let busy: Vec<_> = sim
        .runs
        .iter()
        .filter(|r| r.sequences + r.capped > 0)
        .collect();
    if !busy.is_empty() {
        let mut rows = vec![vec![
            "run".to_string(),
            "window from".into(),
            "sequences".into(),
            "new".into(),
            "deduplicated".into(),
            "suppressed".into(),
            "capped".into(),
        ]];
        for r in busy {
            rows.push(vec![
                r.start.clone(),
                r.from.clone(),
                r.sequences.to_string(),
                r.new_alerts.to_string(),
                r.deduplicated.to_string(),
                r.suppressed.to_string(),
                r.capped.to_string(),
            ]);
        }
        out.push('\n');
        out.push_str(&aligned(&rows));
    }
    if !sim.matches.is_empty() {
        let mut rows = vec![vec![
            "keys".to_string(),
            "first".into(),
            "gap".into(),
            "outcome".into(),
        ]];
        for m in &sim.matches {
            let outcome = match (&m.run, m.reason) {
                (Some(run), None) => format!("alerted by the run at {run}"),
                (Some(run), Some(r)) => format!("{} (run at {run})", reason_text(Some(r))),
                (None, r) => reason_text(r).to_string(),
            };
            rows.push(vec![
                keys_text(&m.join_keys),
                m.first.clone(),
                crate::render::table::format_gap(m.gap_ms),
                outcome,
            ]);
        }
        out.push('\n');
        out.push_str(&aligned(&rows));
    }
    out
}
