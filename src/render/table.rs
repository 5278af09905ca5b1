//! One line per match: host, task, user, first event, last event, gap.
//!
//! The columns are the ones an analyst triaging the scheduled-task rule asks for first. For other
//! rules the same columns still say where (host), what (the join keys), who, and when.

use super::{present_events, source_text};
use serde_json::Value;

/// Where the host name is found, in order of preference (Winlogbeat, then ECS host fields).
const HOST_FIELDS: [&str; 3] = ["winlog.computer_name", "host.name", "host.hostname"];
const TASK_FIELD: &str = "winlog.event_data.TaskName";
const USER_FIELD: &str = "user.name";

/// The column titles, in order.
pub const HEADERS: [&str; 6] = ["host", "task", "user", "created", "deleted", "gap"];

/// One match, reduced to what the table shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Host of the first event.
    pub host: String,
    /// Task name, or the join keys for rules that do not read one.
    pub task: String,
    /// The distinct users of the match's events, in order.
    pub user: String,
    /// Timestamp text of the first event, as the export wrote it.
    pub created: String,
    /// Timestamp text of the last event.
    pub deleted: String,
    /// Milliseconds from the first to the last event, when both timestamps parse.
    pub gap_ms: Option<i64>,
}

impl Row {
    /// Reduces a result object. `timestamp_field` is the query's timestamp field and
    /// `epoch_ms` parses its values (the engine's own parser, passed in by the caller).
    pub fn from_result(
        result: &Value,
        timestamp_field: &str,
        epoch_ms: &dyn Fn(&Value) -> Option<i64>,
    ) -> Row {
        let events = present_events(result);
        let first = events.first().copied();
        let last = events.last().copied();
        let text = |event: Option<&Value>, field: &str| {
            event
                .and_then(|e| source_text(e, field))
                .unwrap_or_default()
        };
        let host = HOST_FIELDS
            .iter()
            .find_map(|field| first.and_then(|e| source_text(e, field)))
            .unwrap_or_default();
        let task = first
            .and_then(|e| source_text(e, TASK_FIELD))
            .unwrap_or_else(|| join_keys_text(result));
        let mut users: Vec<String> = Vec::new();
        for event in &events {
            if let Some(user) = source_text(event, USER_FIELD) {
                if !users.contains(&user) {
                    users.push(user);
                }
            }
        }
        let millis = |event: Option<&Value>| {
            let source = event?.get("_source")?.as_object()?;
            let values = crate::event::values_in(source, timestamp_field);
            values.first().and_then(|value| epoch_ms(value))
        };
        let gap_ms = match (millis(first), millis(last)) {
            (Some(start), Some(end)) => Some(end - start),
            _ => None,
        };
        Row {
            host,
            task,
            user: users.join(" -> "),
            created: text(first, timestamp_field),
            deleted: text(last, timestamp_field),
            gap_ms,
        }
    }

    /// The row's cells, in [`HEADERS`] order.
    pub fn cells(&self) -> [String; 6] {
        [
            self.host.clone(),
            self.task.clone(),
            self.user.clone(),
            self.created.clone(),
            self.deleted.clone(),
            self.gap_ms.map(format_gap).unwrap_or_default(),
        ]
    }
}

fn join_keys_text(result: &Value) -> String {
    let Some(keys) = result.get("join_keys").and_then(Value::as_array) else {
        return String::new();
    };
    let parts: Vec<String> = keys
        .iter()
        .map(|key| match key {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect();
    parts.join(" / ")
}

/// `94 ms`, `73.216 s`, `4 min 59.999 s`: short and exact, because the 5-minute edge matters.
pub fn format_gap(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    if ms < 1_000 {
        format!("{sign}{ms} ms")
    } else if ms < 60_000 {
        format!("{sign}{}.{:03} s", ms / 1_000, ms % 1_000)
    } else {
        let minutes = ms / 60_000;
        let rest = ms % 60_000;
        format!("{sign}{minutes} min {}.{:03} s", rest / 1_000, rest % 1_000)
    }
}

/// Renders rows as an aligned plain-text table with a header line. Cells are sanitised of
/// control characters: event data is attacker-controlled and must not drive the terminal.
pub fn render_table(rows: &[Row]) -> String {
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|row| row.cells().map(|cell| printable(&cell)))
        .collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = HEADERS.map(str::to_string);
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Renders rows as RFC 4180 CSV with a header line. Cells that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab, CR) get a leading `'`, as Kibana's CSV export does.
pub fn render_csv(rows: &[Row]) -> String {
    let mut out = csv_line(&HEADERS.map(str::to_string));
    for row in rows {
        out.push_str(&csv_line(&row.cells()));
    }
    out
}

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|cell| {
            let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{cell}")
            } else {
                cell.clone()
            };
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

fn printable(cell: &str) -> String {
    cell.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn millis(value: &Value) -> Option<i64> {
        value.as_i64()
    }

    fn sample() -> Value {
        json!({"join_keys": ["H", "\\t"], "events": [
            {"_source": {"@timestamp": 1000, "winlog": {"computer_name": "H", "event_data": {"TaskName": "\\t"}}, "user": {"name": "bob"}}},
            {"_source": {"@timestamp": 95_000, "winlog.computer_name": "H", "user.name": "=cmd|' /C calc'!A0"}}
        ]})
    }

    #[test]
    fn a_row_has_host_task_users_and_gap() {
        let row = Row::from_result(&sample(), "@timestamp", &millis);
        assert_eq!(row.host, "H");
        assert_eq!(row.task, "\\t");
        assert_eq!(row.user, "bob -> =cmd|' /C calc'!A0");
        assert_eq!(row.created, "1000");
        assert_eq!(row.gap_ms, Some(94_000));
    }

    #[test]
    fn join_keys_stand_in_for_a_missing_task_name() {
        let result = json!({"join_keys": ["a", 5], "events": [{"_source": {}}]});
        let row = Row::from_result(&result, "@timestamp", &millis);
        assert_eq!(row.task, "a / 5");
        assert_eq!(row.gap_ms, None);
    }

    #[test]
    fn gaps_read_exactly() {
        assert_eq!(format_gap(94), "94 ms");
        assert_eq!(format_gap(59_216), "59.216 s");
        assert_eq!(format_gap(73_216), "1 min 13.216 s");
        assert_eq!(format_gap(299_999), "4 min 59.999 s");
        assert_eq!(format_gap(-5), "-5 ms");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let row = Row::from_result(&sample(), "@timestamp", &millis);
        let csv = render_csv(&[row]);
        assert_eq!(
            csv,
            "host,task,user,created,deleted,gap\r\nH,\\t,bob -> =cmd|' /C calc'!A0,1000,95000,1 min 34.000 s\r\n"
        );
        let tricky = Row {
            host: "=1+1".into(),
            task: "a,\"b\"".into(),
            user: String::new(),
            created: String::new(),
            deleted: String::new(),
            gap_ms: None,
        };
        assert!(render_csv(&[tricky]).ends_with("'=1+1,\"a,\"\"b\"\"\",,,,\r\n"));
    }

    #[test]
    fn table_aligns_and_strips_control_characters() {
        let row = Row {
            host: "h\u{1b}[31m".into(),
            task: "t".into(),
            user: "u".into(),
            created: "c".into(),
            deleted: "d".into(),
            gap_ms: Some(1),
        };
        let table = render_table(&[row]);
        assert_eq!(table, "host    task  user  created  deleted  gap\nh [31m  t     u     c        d        1 ms\n");
    }
}
