//! TaskContent (the Task Scheduler XML of the task) -> a `winlog.scheduled_task` object shaped
//! like the one the Elastic Agent System integration builds (uri, name, author, actions with
//! command / arguments, principals with run level, triggers, settings). Absent or unreadable
//! TaskContent is never an error: the event simply has no `scheduled_task`.

use super::util::s;
use super::xmltree::{self, Node};
use serde_json::{Map, Value};

/// Strips the `<?xml ... encoding="UTF-16"?>` prologue, which contradicts the UTF-8 text it is
/// handed over in and makes strict parsers refuse the document.
fn strip_prologue(text: &str) -> &str {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(rest) = t.strip_prefix("<?xml") {
        if let Some(end) = rest.find("?>") {
            return &rest[end + 2..];
        }
    }
    t
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Booleans and text as the integration writes them.
fn scalar(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => s(text),
    }
}

fn put_text(obj: &mut Map<String, Value>, key: &str, node: Option<&Node>) {
    if let Some(t) = node.and_then(Node::text_opt) {
        obj.insert(key.to_string(), s(t));
    }
}

fn action(node: &Node, context: Option<&str>) -> Map<String, Value> {
    let mut a = Map::new();
    let kind = match node.name.as_str() {
        "Exec" => "exec",
        "ComHandler" => "com_handler",
        "SendEmail" => "send_email",
        "ShowMessage" => "show_message",
        other => return Map::from_iter([("type".to_string(), s(snake(other)))]),
    };
    a.insert("type".into(), s(kind));
    put_text(&mut a, "command", node.child("Command"));
    put_text(&mut a, "arguments", node.child("Arguments"));
    put_text(&mut a, "working_directory", node.child("WorkingDirectory"));
    put_text(&mut a, "class_id", node.child("ClassId"));
    put_text(&mut a, "data", node.child("Data"));
    if let Some(c) = context {
        a.insert("context".into(), s(c));
    }
    a
}

fn trigger(node: &Node) -> Map<String, Value> {
    let mut t = Map::new();
    let kind = snake(node.name.trim_end_matches("Trigger"));
    t.insert(
        "type".into(),
        s(if kind.is_empty() {
            "unknown".into()
        } else {
            kind
        }),
    );
    for child in &node.children {
        match child.name.as_str() {
            "Repetition" => {
                let mut r = Map::new();
                for c in &child.children {
                    if let Some(text) = c.text_opt() {
                        r.insert(snake(&c.name), scalar(&text));
                    }
                }
                t.insert("repetition".into(), Value::Object(r));
            }
            name => {
                if let Some(text) = child.text_opt() {
                    t.insert(snake(name), scalar(&text));
                }
            }
        }
    }
    t
}

fn principal(node: &Node) -> Map<String, Value> {
    let mut p = Map::new();
    if let Some(id) = node.attr("id") {
        p.insert("id".into(), s(id));
    }
    if let Some(u) = node.child("UserId").and_then(Node::text_opt) {
        p.insert(
            "user".into(),
            Value::Object(Map::from_iter([("identifier".into(), s(u))])),
        );
    }
    if let Some(g) = node.child("GroupId").and_then(Node::text_opt) {
        p.insert(
            "group".into(),
            Value::Object(Map::from_iter([("identifier".into(), s(g))])),
        );
    }
    if let Some(l) = node.child("LogonType").and_then(Node::text_opt) {
        p.insert(
            "logon".into(),
            Value::Object(Map::from_iter([("type".into(), s(l))])),
        );
    }
    put_text(&mut p, "run_level", node.child("RunLevel"));
    p
}

/// Parses TaskContent; `None` when it is empty or not a readable `<Task>` document.
pub(crate) fn parse(content: &str, task_name: Option<&str>) -> Option<Map<String, Value>> {
    // NXLog / OTRF and EvtxECmd hand TaskContent over still XML-escaped (`&lt;?xml ...`).
    let unescaped;
    let content = if content.trim_start().starts_with("&lt;") {
        unescaped = quick_xml::escape::unescape(content).ok()?.into_owned();
        unescaped.as_str()
    } else {
        content
    };
    let body = strip_prologue(content);
    if body.trim().is_empty() {
        return None;
    }
    let roots = xmltree::parse(body).ok()?;
    let task = roots.iter().find(|n| n.name == "Task")?;
    let mut out = Map::new();
    let info = task.child("RegistrationInfo");
    if let Some(uri) = info.and_then(|i| i.child("URI")).and_then(Node::text_opt) {
        out.insert("uri".into(), s(uri));
    }
    if let Some(name) = task_name {
        out.insert("name".into(), s(name));
    }
    put_text(&mut out, "author", info.and_then(|i| i.child("Author")));
    put_text(
        &mut out,
        "description",
        info.and_then(|i| i.child("Description")),
    );
    if let Some(actions) = task.child("Actions") {
        let context = actions.attr("Context");
        let list: Vec<Value> = actions
            .children
            .iter()
            .map(|a| Value::Object(action(a, context)))
            .collect();
        if !list.is_empty() {
            out.insert("actions".into(), Value::Array(list));
        }
    }
    if let Some(principals) = task.child("Principals") {
        let list: Vec<Value> = principals
            .children
            .iter()
            .map(|p| Value::Object(principal(p)))
            .collect();
        if !list.is_empty() {
            out.insert("principals".into(), Value::Array(list));
        }
    }
    if let Some(triggers) = task.child("Triggers") {
        let list: Vec<Value> = triggers
            .children
            .iter()
            .map(|t| Value::Object(trigger(t)))
            .collect();
        if !list.is_empty() {
            out.insert("triggers".into(), Value::Array(list));
        }
    }
    if let Some(settings) = task.child("Settings") {
        let mut st = Map::new();
        for key in ["Enabled", "Hidden"] {
            if let Some(t) = settings.child(key).and_then(Node::text_opt) {
                st.insert(snake(key), scalar(&t));
            }
        }
        if !st.is_empty() {
            out.insert("settings".into(), Value::Object(st));
        }
    }
    Some(out)
}
