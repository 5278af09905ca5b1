//! A minimal element tree over quick-xml, for the small XML documents inside exports (one
//! `<Event>`, one TaskContent). Namespaces are dropped (local names only), text is unescaped,
//! nesting is capped so hostile input cannot exhaust the stack or memory.

use quick_xml::events::Event as X;
use quick_xml::Reader;

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 64;

/// One element.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Node {
    /// Local name (prefix removed).
    pub name: String,
    /// Attributes by local name, unescaped, in document order.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Concatenated text content directly inside this element.
    pub text: String,
}

impl Node {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Follows a `/`-separated path of child names.
    pub fn path(&self, path: &str) -> Option<&Node> {
        path.split('/')
            .try_fold(self, |node, name| node.child(name))
    }

    /// An attribute value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The element's text, trimmed; `None` when empty.
    pub fn text_opt(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

fn local(name: &[u8]) -> String {
    // The local part: after the last `:` (all of it without a prefix).
    let name = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    String::from_utf8_lossy(name).into_owned()
}

fn resolve_entity(name: &str) -> Option<String> {
    Some(match name {
        "lt" => "<".into(),
        "gt" => ">".into(),
        "amp" => "&".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?.to_string()
        }
    })
}

fn start(e: &quick_xml::events::BytesStart<'_>) -> Result<Node, String> {
    let mut node = Node {
        name: local(e.name().as_ref()),
        ..Node::default()
    };
    for attr in e.attributes().with_checks(false) {
        let attr = attr.map_err(|err| format!("bad XML attribute: {err}"))?;
        let key = local(attr.key.as_ref());
        if attr.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad XML attribute value: {err}"))?;
        node.attrs.push((key, value.into_owned()));
    }
    Ok(node)
}

/// Parses `text` and returns its root elements (several for a fragment stream).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut roots = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.error_position()))?;
        match ev {
            X::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("XML nested deeper than {MAX_DEPTH} elements"));
                }
                stack.push(start(&e)?);
            }
            X::Empty(e) => {
                let node = start(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => roots.push(node),
                }
            }
            X::End(_) => {
                let Some(node) = stack.pop() else {
                    return Err("XML end tag without a start tag".into());
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => roots.push(node),
                }
            }
            X::Text(t) => {
                if let Some(node) = stack.last_mut() {
                    let raw = t
                        .xml10_content()
                        .map_err(|e| format!("bad XML text: {e}"))?;
                    node.text.push_str(&raw);
                }
            }
            X::CData(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            X::GeneralRef(r) => {
                if let Some(node) = stack.last_mut() {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let resolved = resolve_entity(&name)
                        .ok_or_else(|| format!("unknown XML entity &{name};"))?;
                    node.text.push_str(&resolved);
                }
            }
            X::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("XML ends inside <{}>", open.name));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_namespaces_and_errors() {
        let roots = parse(
            "<e:Event xmlns:e='x'><Data Name='TaskName'>\\a&amp;b &lt;x&gt; &#65;</Data></e:Event>",
        )
        .unwrap();
        assert_eq!(roots[0].name, "Event");
        let data = &roots[0].children[0];
        assert_eq!(data.attr("Name"), Some("TaskName"));
        assert_eq!(data.text, "\\a&b <x> A");
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
        let deep = "<a>".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
