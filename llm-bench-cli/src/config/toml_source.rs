//! A TOML config file read into a [`Node`] tree, with every key's and value's position.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::node::{Key, Node, Value};

/// Parses `text` as TOML. A syntax error comes back as the parser's message and the bytes
/// it points at.
pub(crate) fn parse(text: &str) -> Result<Node, (String, std::ops::Range<usize>)> {
    let table = DeTable::parse(text).map_err(|e| {
        let at = e.span().unwrap_or(0..0);
        (e.message().trim().to_owned(), at)
    })?;
    let at = table.span();
    Ok(Node {
        value: table_value(table.into_inner()),
        at,
    })
}

fn table_value(table: DeTable<'_>) -> Value {
    let mut entries: Vec<(Key, Node)> = table
        .into_iter()
        .map(|(key, value)| {
            let key = Key {
                at: key.span(),
                name: key.into_inner().into_owned(),
            };
            (key, node(value))
        })
        .collect();
    // Whatever order the map keeps, keys come back in the order written.
    entries.sort_by_key(|(key, _)| key.at.start);
    Value::Table(entries)
}

fn node(value: Spanned<DeValue<'_>>) -> Node {
    let at = value.span();
    let value = match value.into_inner() {
        DeValue::String(text) => Value::Str(text.into_owned()),
        DeValue::Integer(int) => match i128::from_str_radix(int.as_str(), int.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Other("an integer too large"),
        },
        DeValue::Float(float) => match float.as_str().replace('_', "").parse::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => Value::Other("a number that is not finite"),
        },
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(_) => Value::Other("a date"),
        DeValue::Array(items) => Value::List(items.into_iter().map(node).collect()),
        DeValue::Table(table) => table_value(table),
    };
    Node { value, at }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::config::node::Value;

    #[test]
    fn keys_and_values_keep_their_place() {
        let text = "[target]\nprovider = \"openai\"\n\n[[scenario]]\nname = \"a\"\nsamples = 0x10\nprompts = [\"x\", \"y\"]\n";
        let root = parse(text).unwrap();
        let Value::Table(top) = root.value else {
            panic!("not a table")
        };
        assert_eq!(top[0].0.name, "target");
        assert_eq!(top[1].0.name, "scenario");
        let Value::List(scenarios) = &top[1].1.value else {
            panic!("not a list")
        };
        let Value::Table(first) = &scenarios[0].value else {
            panic!("not a table")
        };
        assert_eq!(first[1].1.value, Value::Int(16));
        assert_eq!(&text[first[1].0.at.clone()], "samples");
        assert_eq!(&text[first[0].1.at.clone()], "\"a\"");
    }

    #[test]
    fn a_syntax_error_says_where() {
        let (message, at) = parse("a = \"unclosed\n").unwrap_err();
        assert!(!message.is_empty());
        assert!(at.start <= 13, "{at:?}");
    }
}
