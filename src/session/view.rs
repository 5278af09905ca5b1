//! The analyst's view of one result, computed by the engine so that every shell (the CLI table
//! and CSV, the page's table, details and CSV export) shows the same thing.

use crate::correlator::Match;
use crate::event::{values_in, Provenance};
use crate::render::table::{format_gap, Row};
use serde::Serialize;
use serde_json::{Map, Value};

/// The fields the table shows, plus where each event came from and the decoded task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchView {
    /// Host of the first event.
    pub host: String,
    /// Task name (or the join keys for rules without one).
    pub task: String,
    /// The distinct users, in order, joined with ` -> `.
    pub user: String,
    /// The first event's timestamp as the export wrote it.
    pub created: String,
    /// The last event's timestamp.
    pub deleted: String,
    /// First to last event in ms, when both timestamps parse.
    pub gap_ms: Option<i64>,
    /// The gap as text (`4 min 59.999 s`).
    pub gap: String,
    /// The first event's time in ms since the epoch (the engine's timestamp parser, so epoch
    /// numbers and every date format the engine reads agree with the correlation).
    pub created_ms: Option<i64>,
    /// The last event's time in ms since the epoch.
    pub deleted_ms: Option<i64>,
    /// The distinct `user.name` values of the events, in order (what `user` joins).
    pub users: Vec<String>,
    /// Where each event came from (`file:line`, `file: record N`), placeholders as `missing`.
    pub locations: Vec<String>,
    /// The facts an analyst reads first about each event, in sequence order.
    pub events: Vec<EventView>,
    /// What the task runs, decoded from the first event's TaskContent (scheduled-task events).
    pub scheduled_task: Option<TaskView>,
    /// The first TaskContent (or TaskContentNew) among the events, as logged, so a shell can
    /// show the raw definition, also when it does not decode.
    pub task_content: Option<String>,
}

/// One event of a result, reduced to the fields an analyst reads first. Every value is the
/// event's own text (the page shows it as text); absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventView {
    /// A placeholder for a missing-event stage (`![...]`): nothing else is set.
    pub missing: bool,
    /// Where the event came from (see [`location`]).
    pub location: String,
    /// The query's timestamp field.
    pub timestamp: Option<String>,
    /// `event.action`.
    pub action: Option<String>,
    /// `event.code`, else `winlog.event_id`.
    pub code: Option<String>,
    /// `winlog.computer_name`, else `host.name`.
    pub host: Option<String>,
    /// `user.domain\user.name` (or the name alone).
    pub user: Option<String>,
    /// `winlog.event_data.SubjectLogonId`.
    pub logon_id: Option<String>,
    /// `winlog.record_id`.
    pub record_id: Option<String>,
}

/// A task definition decoded from TaskContent, shaped like the Elastic Agent System
/// integration's `winlog.scheduled_task` (uri, author, actions, principals, triggers, settings).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskView {
    /// The decoded object.
    pub definition: Map<String, Value>,
    /// One line per action: the command line for `Exec`, the action kind otherwise.
    pub command: String,
}

impl MatchView {
    pub(super) fn new(result: &Match, timestamp_field: &str) -> MatchView {
        let json = crate::output::match_to_json(result, !result.join_keys.is_empty());
        let epoch_ms = |v: &Value| crate::time::parse_value(v).ok().map(|t| t.millis());
        let row = Row::from_result(&json, timestamp_field, &epoch_ms);
        let locations = result
            .events
            .iter()
            .map(|e| {
                if e.missing {
                    "missing".to_string()
                } else {
                    location(e.event.provenance())
                }
            })
            .collect();
        let events = result
            .events
            .iter()
            .map(|e| {
                if e.missing {
                    EventView {
                        missing: true,
                        location: "missing".to_string(),
                        ..EventView::default()
                    }
                } else {
                    event_view(e.event.source(), e.event.provenance(), timestamp_field)
                }
            })
            .collect::<Vec<_>>();
        let present = || result.events.iter().filter(|e| !e.missing);
        let millis = |e: Option<&crate::correlator::MatchEvent>| {
            let source = e?.event.source();
            values_in(source, timestamp_field)
                .first()
                .and_then(|v| epoch_ms(v))
        };
        let mut users: Vec<String> = Vec::new();
        for e in present() {
            if let Some(user) = first_text(e.event.source(), "user.name") {
                if !users.contains(&user) {
                    users.push(user);
                }
            }
        }
        let scheduled_task = result
            .events
            .iter()
            .find(|e| !e.missing)
            .and_then(|e| task_view(e.event.source()));
        let task_content = present().find_map(|e| {
            let source = e.event.source();
            first_text(source, "winlog.event_data.TaskContent")
                .or_else(|| first_text(source, "winlog.event_data.TaskContentNew"))
        });
        MatchView {
            task_content,
            gap: row.gap_ms.map(format_gap).unwrap_or_default(),
            host: row.host,
            task: row.task,
            user: row.user,
            created: row.created,
            deleted: row.deleted,
            gap_ms: row.gap_ms,
            created_ms: millis(present().next()),
            deleted_ms: millis(present().next_back()),
            users,
            locations,
            events,
            scheduled_task,
        }
    }
}

/// `file:line`, `file: record N`, `file: offset N` or the file alone.
pub fn location(provenance: &Provenance) -> String {
    let file = provenance.file.as_deref().unwrap_or("input");
    match (provenance.line, provenance.record, provenance.offset) {
        (Some(line), _, _) => format!("{file}:{line}"),
        (None, Some(record), _) => format!("{file}: record {record}"),
        (None, None, Some(offset)) => format!("{file}: offset {offset}"),
        (None, None, None) => file.to_string(),
    }
}

/// The first value of `field` as text (numbers and booleans as JSON writes them).
fn first_text(source: &Map<String, Value>, field: &str) -> Option<String> {
    values_in(source, field).first().and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        other => Some(other.to_string()),
    })
}

fn event_view(
    source: &Map<String, Value>,
    provenance: &Provenance,
    timestamp_field: &str,
) -> EventView {
    let text = |field: &str| first_text(source, field);
    let name = text("user.name");
    let user = match (text("user.domain"), name) {
        (Some(domain), Some(name)) => Some(format!("{domain}\\{name}")),
        (_, name) => name,
    };
    EventView {
        missing: false,
        location: location(provenance),
        timestamp: text(timestamp_field),
        action: text("event.action"),
        code: text("event.code").or_else(|| text("winlog.event_id")),
        host: text("winlog.computer_name").or_else(|| text("host.name")),
        user,
        logon_id: text("winlog.event_data.SubjectLogonId"),
        record_id: text("winlog.record_id"),
    }
}

fn task_view(source: &Map<String, Value>) -> Option<TaskView> {
    let text = |field: &str| {
        values_in(source, field)
            .first()
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let content = text("winlog.event_data.TaskContent")?;
    let name = text("winlog.event_data.TaskName");
    let definition = crate::input::decode_task(&content, name.as_deref())?;
    let command = definition
        .get("actions")
        .and_then(Value::as_array)
        .map(|actions| {
            actions
                .iter()
                .map(|action| {
                    let field = |k: &str| action.get(k).and_then(Value::as_str).unwrap_or("");
                    if field("type") == "Exec" || !field("command").is_empty() {
                        let args = field("arguments");
                        if args.is_empty() {
                            field("command").to_string()
                        } else {
                            format!("{} {args}", field("command"))
                        }
                    } else {
                        field("type").to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ; ")
        })
        .unwrap_or_default();
    Some(TaskView {
        definition,
        command,
    })
}
