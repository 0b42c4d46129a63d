//! A YAML config file read into a [`Node`] tree, with every key's and value's position,
//! through `saphyr-parser`'s events. Plain scalars follow YAML 1.2's core schema (`40` is an
//! integer, `true` a boolean, `~` null); quoted ones are strings. Anchors and aliases work;
//! the merge key `<<` is not supported (it reads as an unknown key).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span};

use super::node::{Key, Node, Value};

type Problem = (String, Range<usize>);

/// Parses `text` as one YAML document. A syntax error comes back as the parser's message
/// and the bytes it points at.
pub(crate) fn parse(text: &str) -> Result<Node, Problem> {
    let mut reader = Reader {
        text,
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
    };
    let mut root: Option<Node> = None;
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::DocumentStart(_) if root.is_some() => {
                return Err((
                    "a config file holds one YAML document; this is a second one".to_owned(),
                    reader.range(&span),
                ));
            }
            Event::DocumentStart(_) => root = Some(reader.node()?),
            Event::StreamEnd => break,
            _ => return Err(("unexpected YAML event".to_owned(), reader.range(&span))),
        }
    }
    Ok(root.unwrap_or(Node {
        value: Value::Table(Vec::new()),
        at: 0..0,
    }))
}

struct Reader<'a> {
    text: &'a str,
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Problem> {
        match self.events.next() {
            Some(Ok(event)) => Ok(event),
            Some(Err(e)) => {
                let at = self.offset(e.marker());
                Err((e.info().to_owned(), at..at))
            }
            None => Err((
                "the YAML ends early".to_owned(),
                self.text.len()..self.text.len(),
            )),
        }
    }

    /// The byte offset of a marker, from its line and column (its index counts characters
    /// or bytes depending on the input).
    fn offset(&self, marker: &Marker) -> usize {
        let mut offset = 0;
        for (i, line) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == marker.line() {
                return offset
                    + line
                        .char_indices()
                        .nth(marker.col())
                        .map_or(line.len(), |(b, _)| b);
            }
            offset += line.len();
        }
        self.text.len()
    }

    fn range(&self, span: &Span) -> Range<usize> {
        let start = self.offset(&span.start);
        start..self.offset(&span.end).max(start)
    }

    /// The node whose first event is next.
    fn node(&mut self) -> Result<Node, Problem> {
        let (event, span) = self.next()?;
        self.node_from(event, span)
    }

    fn node_from(&mut self, event: Event<'a>, span: Span) -> Result<Node, Problem> {
        let start = self.offset(&span.start);
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _tag) => (
                Node {
                    value: scalar(text, style),
                    at: self.range(&span),
                },
                anchor,
            ),
            Event::Alias(id) => {
                return self.anchors.get(&id).cloned().ok_or_else(|| {
                    (
                        "an alias to an anchor not defined before it".to_owned(),
                        self.range(&span),
                    )
                });
            }
            Event::SequenceStart(anchor, _tag) => {
                let mut items = Vec::new();
                let end = loop {
                    let (event, span) = self.next()?;
                    if let Event::SequenceEnd = event {
                        break self.offset(&span.end);
                    }
                    items.push(self.node_from(event, span)?);
                };
                (
                    Node {
                        value: Value::List(items),
                        at: start..end.max(start),
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _tag) => {
                let mut entries = Vec::new();
                let end = loop {
                    let (event, span) = self.next()?;
                    if let Event::MappingEnd = event {
                        break self.offset(&span.end);
                    }
                    let key = self.node_from(event, span)?;
                    let name = match key.value {
                        Value::Str(name) => name,
                        Value::Int(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err((
                                format!("a key is a plain word, found {}", other.kind()),
                                key.at,
                            ))
                        }
                    };
                    let value = self.node()?;
                    entries.push((Key { name, at: key.at }, value));
                };
                (
                    Node {
                        value: Value::Table(entries),
                        at: start..end.max(start),
                    },
                    anchor,
                )
            }
            _ => return Err(("unexpected YAML event".to_owned(), self.range(&span))),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

/// A scalar's value: quoted and block scalars are strings; a plain one is typed by YAML
/// 1.2's core schema.
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::Str(text.into_owned());
    }
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Other("null (no value)"),
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | "+.inf" | "-.inf" | ".nan" | ".NaN" | ".NAN" => {
            return Value::Other("a number that is not finite")
        }
        _ => {}
    }
    let t = text.as_ref();
    let int = if let Some(hex) = t.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = t.strip_prefix("0o") {
        i128::from_str_radix(oct, 8).ok()
    } else if t
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        t.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(n) = int {
        return Value::Int(n);
    }
    let looks_numeric = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric {
        if let Ok(x) = t.parse::<f64>() {
            return Value::Float(x);
        }
    }
    Value::Str(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::config::node::Value;

    #[test]
    fn keys_and_values_keep_their_place() {
        let text = "target:\n  provider: openai\nscenario:\n  - name: a\n    samples: 40\n    rate: \"20/s\"\n    prompts: [x, 'y']\n";
        let root = parse(text).unwrap();
        let Value::Table(top) = root.value else {
            panic!("not a table")
        };
        assert_eq!(top[0].0.name, "target");
        assert_eq!(&text[top[0].0.at.clone()], "target");
        let Value::List(scenarios) = &top[1].1.value else {
            panic!("not a list")
        };
        let Value::Table(first) = &scenarios[0].value else {
            panic!("not a table")
        };
        assert_eq!(first[1].1.value, Value::Int(40));
        assert_eq!(&text[first[1].0.at.clone()], "samples");
        assert_eq!(&text[first[1].1.at.clone()], "40");
        assert_eq!(first[2].1.value, Value::Str("20/s".into()));
        let Value::List(prompts) = &first[3].1.value else {
            panic!("not a list")
        };
        assert_eq!(prompts[1].value, Value::Str("y".into()));
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let text = "a: 0x10\nb: 1.5\nc: true\nd: ~\ne: \"40\"\nf: 30s\n";
        let Value::Table(top) = parse(text).unwrap().value else {
            panic!("not a table")
        };
        let values: Vec<&Value> = top.iter().map(|(_, v)| &v.value).collect();
        assert_eq!(values[0], &Value::Int(16));
        assert_eq!(values[1], &Value::Float(1.5));
        assert_eq!(values[2], &Value::Bool(true));
        assert_eq!(values[3].kind(), "null (no value)");
        assert_eq!(values[4], &Value::Str("40".into()));
        assert_eq!(values[5], &Value::Str("30s".into()));
    }

    #[test]
    fn anchors_repeat_a_value_and_errors_say_where() {
        let text = "x: &p hello\ny: *p\n";
        let Value::Table(top) = parse(text).unwrap().value else {
            panic!("not a table")
        };
        assert_eq!(top[1].1.value, Value::Str("hello".into()));
        let (message, at) = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(!message.is_empty());
        assert!(at.start > 0, "{at:?}");
        assert!(parse("a: 1\n---\nb: 2\n")
            .unwrap_err()
            .0
            .contains("one YAML document"));
    }
}
