//! Elasticsearch index mappings: which type each field has, so that events are matched as
//! Elasticsearch matches the documents it indexed (see [`crate::eval::typed`] for what each
//! type does).
//!
//! Accepted shapes (all three are what users can copy from Elasticsearch or Kibana):
//! * `{"<index>": {"mappings": {...}}, ...}`, the answer of `GET <index>/_mapping` (several
//!   indices allowed; each is known by its name);
//! * `{"mappings": {...}}`, the body of an index-creation request;
//! * `{"properties": {...}}`, the mapping itself.
//!
//! An event is typed by the mapping of its index: the `_index` of an Elasticsearch hit when
//! the export carries it, else the index whose name is the input file's name without its
//! extension, else a mapping without an index name, else the union of all given mappings (a
//! field takes the type of the first mapping that declares it).

use crate::error::{Error, ErrorKind};
use crate::eval::typed::{parse_format, FieldType, Kind};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// One index's fields.
#[derive(Debug, Clone, Default)]
pub struct IndexMapping {
    name: Option<String>,
    fields: HashMap<String, Entry>,
}

#[derive(Debug, Clone)]
enum Entry {
    Field(Arc<FieldType>),
    Alias(String),
}

/// The mappings of one or more indices.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    indices: Vec<IndexMapping>,
    merged: IndexMapping,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Option, format!("mapping: {}", message.into()))
}

impl Mapping {
    /// Reads a mapping from JSON text (any of the shapes in the module docs). Lines starting
    /// with `#` are ignored, as Elasticsearch's own QA loader does for its mapping files.
    pub fn from_json(text: &str) -> Result<Mapping, Error> {
        let cleaned: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let value: Value =
            serde_json::from_str(&cleaned).map_err(|e| bad(format!("not JSON: {e}")))?;
        Mapping::from_value(&value)
    }

    /// Reads a mapping from a parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Mapping, Error> {
        let Value::Object(top) = value else {
            return Err(bad("expected a JSON object"));
        };
        let mut indices = Vec::new();
        if top.contains_key("properties") {
            indices.push(index_from_mappings(None, top)?);
        } else if let Some(m) = top.get("mappings") {
            indices.push(index_from_mappings(None, as_object(m, "mappings")?)?);
        } else {
            for (name, body) in top {
                let body = as_object(body, name)?;
                let Some(m) = body.get("mappings") else {
                    return Err(bad(format!(
                        "expected {{\"properties\": ...}}, {{\"mappings\": ...}} or \
                         {{\"<index>\": {{\"mappings\": ...}}}}; [{name}] has no \"mappings\""
                    )));
                };
                indices.push(index_from_mappings(
                    Some(name.clone()),
                    as_object(m, "mappings")?,
                )?);
            }
        }
        let mut mapping = Mapping::default();
        for index in indices {
            mapping.push(index);
        }
        Ok(mapping)
    }

    /// Names every index that has no name yet (a mapping file given without its index name:
    /// the CLI uses the file name without extension).
    pub fn with_default_name(mut self, name: &str) -> Mapping {
        let indices = std::mem::take(&mut self.indices);
        let mut out = Mapping::default();
        for mut index in indices {
            index.name.get_or_insert_with(|| name.to_string());
            out.push(index);
        }
        out
    }

    /// Adds the indices of `other`.
    pub fn extend(&mut self, other: Mapping) {
        for index in other.indices {
            self.push(index);
        }
    }

    fn push(&mut self, index: IndexMapping) {
        for (path, entry) in &index.fields {
            self.merged
                .fields
                .entry(path.clone())
                .or_insert_with(|| entry.clone());
        }
        self.indices.push(index);
    }

    /// Whether no field is mapped.
    pub fn is_empty(&self) -> bool {
        self.merged.fields.is_empty()
    }

    /// The index names given (unnamed mappings are not listed).
    pub fn index_names(&self) -> Vec<&str> {
        self.indices
            .iter()
            .filter_map(|i| i.name.as_deref())
            .collect()
    }

    /// The mapping that types an event of index `index` read from file `file` (see the module
    /// docs).
    pub fn select(&self, index: Option<&str>, file: Option<&str>) -> &IndexMapping {
        if let Some(index) = index {
            if let Some(m) = self
                .indices
                .iter()
                .find(|m| m.name.as_deref().is_some_and(|n| name_matches(n, index)))
            {
                return m;
            }
        }
        if let Some(file) = file {
            let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
            let stem = base.split('.').next().unwrap_or(base);
            if let Some(m) = self
                .indices
                .iter()
                .find(|m| m.name.as_deref().is_some_and(|n| name_matches(n, stem)))
            {
                return m;
            }
        }
        if let Some(m) = self.indices.iter().find(|m| m.name.is_none()) {
            return m;
        }
        match self.indices.as_slice() {
            [only] => only,
            _ => &self.merged,
        }
    }

    /// The type of `path` in the union of the mappings (aliases resolved), for descriptions.
    pub fn field_type<'a>(&'a self, path: &'a str) -> Option<(&'a str, &'a FieldType)> {
        self.merged.resolve(path)
    }
}

impl IndexMapping {
    /// The field `path` reads (an alias resolved to its target) and its type.
    pub fn resolve<'a>(&'a self, path: &'a str) -> Option<(&'a str, &'a FieldType)> {
        self.resolve_arc(path).map(|(p, t)| (p, &**t))
    }

    /// [`IndexMapping::resolve`] with a shared handle on the type.
    pub(crate) fn resolve_arc<'a>(
        &'a self,
        path: &'a str,
    ) -> Option<(&'a str, &'a Arc<FieldType>)> {
        match self.fields.get(path)? {
            Entry::Field(t) => Some((path, t)),
            Entry::Alias(target) => match self.fields.get(target.as_str())? {
                Entry::Field(t) => Some((target.as_str(), t)),
                Entry::Alias(_) => None,
            },
        }
    }
}

/// An index name or pattern (`logs-*`) against a concrete name.
fn name_matches(pattern: &str, name: &str) -> bool {
    pattern.split(',').any(|p| {
        let p = p.trim();
        match p.split_once('*') {
            None => p == name,
            Some((prefix, suffix)) => {
                name.len() >= prefix.len() + suffix.len()
                    && name.starts_with(prefix)
                    && name.ends_with(suffix)
            }
        }
    })
}

fn as_object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, Error> {
    v.as_object()
        .ok_or_else(|| bad(format!("[{what}] must be an object")))
}

fn index_from_mappings(
    name: Option<String>,
    mappings: &Map<String, Value>,
) -> Result<IndexMapping, Error> {
    let mut index = IndexMapping {
        name,
        fields: HashMap::new(),
    };
    let properties = match mappings.get("properties") {
        Some(p) => as_object(p, "properties")?,
        None => {
            // 6.x typed mappings: {"_doc": {"properties": ...}}
            match mappings.values().find_map(|v| v.get("properties")) {
                Some(p) => as_object(p, "properties")?,
                None => return Ok(index),
            }
        }
    };
    flatten(properties, "", &mut index.fields)?;
    // An alias to a path the mapping does not type reads that path as it is.
    let targets: Vec<String> = index
        .fields
        .values()
        .filter_map(|e| match e {
            Entry::Alias(t) => Some(t.clone()),
            Entry::Field(_) => None,
        })
        .collect();
    for target in targets {
        index
            .fields
            .entry(target)
            .or_insert_with(|| Entry::Field(Arc::new(FieldType::new(Kind::Other, "object"))));
    }
    Ok(index)
}

fn flatten(
    properties: &Map<String, Value>,
    prefix: &str,
    out: &mut HashMap<String, Entry>,
) -> Result<(), Error> {
    for (name, def) in properties {
        let path = format!("{prefix}{name}");
        let def = as_object(def, &path)?;
        let type_name = def.get("type").and_then(Value::as_str);
        if type_name == Some("alias") {
            let target = def
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("alias [{path}] has no \"path\"")))?;
            out.insert(path, Entry::Alias(target.to_string()));
            continue;
        }
        if let Some(Value::Object(children)) = def.get("properties") {
            flatten(children, &format!("{path}."), out)?;
            if matches!(type_name, None | Some("object") | Some("nested")) {
                continue;
            }
        }
        let Some(type_name) = type_name else {
            continue;
        };
        let mut field = field_type(type_name, def)?;
        if let Some(Value::Object(subs)) = def.get("fields") {
            for (sub, sub_def) in subs {
                let sub_def = as_object(sub_def, sub)?;
                let Some(sub_type) = sub_def.get("type").and_then(Value::as_str) else {
                    continue;
                };
                let sub_field = field_type(sub_type, sub_def)?;
                if field.kind == Kind::Text
                    && field.keyword_sub.is_none()
                    && sub_field.kind == Kind::Keyword
                {
                    field.keyword_sub = Some(Box::new(sub_field.clone()));
                }
                out.insert(format!("{path}.{sub}"), Entry::Field(Arc::new(sub_field)));
            }
        }
        out.insert(path, Entry::Field(Arc::new(field)));
    }
    Ok(())
}

fn field_type(type_name: &str, def: &Map<String, Value>) -> Result<FieldType, Error> {
    let kind = match type_name {
        "keyword" | "wildcard" | "constant_keyword" => Kind::Keyword,
        "text" | "match_only_text" => Kind::Text,
        "long" | "integer" | "short" | "byte" | "unsigned_long" => Kind::Integer,
        "double" => Kind::Double,
        "float" | "half_float" => Kind::Float,
        "scaled_float" => {
            let factor = def
                .get("scaling_factor")
                .and_then(Value::as_f64)
                .filter(|f| *f > 0.0)
                .ok_or_else(|| bad("scaled_float needs a positive \"scaling_factor\""))?;
            Kind::ScaledFloat(factor)
        }
        "boolean" => Kind::Boolean,
        "date" => Kind::Date { nanos: false },
        "date_nanos" => Kind::Date { nanos: true },
        "ip" => Kind::Ip,
        "version" => Kind::Version,
        _ => Kind::Other,
    };
    let mut field = FieldType::new(kind, type_name);
    if let Some(format) = def.get("format").and_then(Value::as_str) {
        if matches!(field.kind, Kind::Date { .. }) {
            field.format = parse_format(format);
        }
    }
    field.null_value = def.get("null_value").cloned().filter(|v| !v.is_null());
    field.ignore_above = def
        .get("ignore_above")
        .and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    field.lowercase = def.get("normalizer").and_then(Value::as_str) == Some("lowercase");
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_aliases_and_selection() {
        let bare = r#"# comment
        {"properties": {"event_type": {"type": "keyword"},
          "event": {"properties": {"category": {"type": "alias", "path": "event_type"}}},
          "hostname": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 3}}}}}"#;
        let m = Mapping::from_json(bare).unwrap();
        let index = m.select(None, None);
        assert_eq!(index.resolve("event.category").unwrap().0, "event_type");
        let (_, host) = index.resolve("hostname").unwrap();
        assert_eq!(host.index(&Value::from("abcd")), None);
        assert!(index.resolve("hostname.keyword").is_some());

        let named = r#"{"a": {"mappings": {"properties": {"x": {"type": "long"}}}},
                        "b-*": {"mappings": {"properties": {"x": {"type": "keyword"}}}}}"#;
        let m = Mapping::from_json(named).unwrap();
        assert_eq!(
            m.select(Some("b-1"), None)
                .resolve("x")
                .unwrap()
                .1
                .type_name,
            "keyword"
        );
        assert_eq!(
            m.select(None, Some("dir/a.ndjson"))
                .resolve("x")
                .unwrap()
                .1
                .type_name,
            "long"
        );
        assert!(Mapping::from_json("[1]").is_err());
        assert!(Mapping::from_json(r#"{"x": {"y": 1}}"#).is_err());
    }
}
