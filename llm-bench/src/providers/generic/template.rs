//! The request body of a generic provider: its template with the placeholders replaced
//! (see the [module documentation](super)).

use serde_json::{Map, Value};

use super::spec::GenericSpec;
use crate::providers::body::{merge_fields, messages_json, prompt, split_system};
use crate::providers::placeholders::{interpolate, whole_placeholder};
use crate::providers::request::ChatRequest;

impl GenericSpec {
    /// The request body for `req` and `model`: the template with its placeholders replaced,
    /// then the request's extra fields merged in.
    pub(crate) fn render_body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        let vars = Vars::of(req, model);
        let mut body = match render(&self.body, &vars) {
            Some(v) => v,
            None => Value::Null,
        };
        if let Value::Object(map) = &mut body {
            merge_fields(map, req.extra_fields());
        }
        body
    }
}

/// What placeholders stand for in one request.
struct Vars {
    model: Option<String>,
    messages: Value,
    prompt: String,
    system: Option<String>,
    user: String,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
}

impl Vars {
    /// The values of `req` for `model`.
    fn of(req: &ChatRequest, model: Option<&str>) -> Vars {
        let (system, _) = split_system(req.messages());

        Vars {
            model: req.model_name().or(model).map(str::to_string),
            messages: messages_json(req.messages()),
            prompt: prompt(req.messages()),
            system,
            user: req
                .messages()
                .iter()
                .rev()
                .find(|m| m.role == "user")
                .map(|m| m.content.clone())
                .unwrap_or_default(),
            max_tokens: req.max_tokens_setting(),
            temperature: req.temperature_setting(),
        }
    }

    /// The JSON value of a whole-string placeholder; `Some(None)` removes the key.
    fn value(&self, name: &str) -> Option<Option<Value>> {
        Some(match name {
            "messages" => Some(self.messages.clone()),
            "prompt" => Some(Value::String(self.prompt.clone())),
            "user" => Some(Value::String(self.user.clone())),
            "system" => self.system.clone().map(Value::String),
            "model" => self.model.clone().map(Value::String),
            "max_tokens" => self.max_tokens.map(Value::from),
            "temperature" => self.temperature.map(Value::from),
            _ => return None,
        })
    }

    /// The text of a placeholder inside a longer string.
    fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Some(Value::String(s)) => Some(s),
            Some(v) => Some(v.to_string()),
            None => Some(String::new()),
        }
    }
}

/// Renders a template value; `None` means "remove this key".
fn render(template: &Value, vars: &Vars) -> Option<Value> {
    match template {
        Value::String(s) => {
            if let Some(name) = whole_placeholder(s) {
                if let Some(v) = vars.value(name) {
                    return v;
                }
            }
            Some(Value::String(interpolate(s, |name| vars.text(name))))
        }
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(|v| render(v, vars)).collect(),
        )),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if let Some(v) = render(v, vars) {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_inside_text_and_unset_numbers() {
        let spec = GenericSpec {
            body: json!({"q": "Q: {{prompt}}", "n": "{{max_tokens}}", "t": "{{temperature}}"}),
            ..GenericSpec::default()
        };
        let body = spec.render_body(&ChatRequest::new("hi").max_tokens(8), Some("m"));
        assert_eq!(body, json!({"q": "Q: hi", "n": 8}));
    }

    #[test]
    fn placeholders_render_typed_values_and_drop_unset_ones() {
        let spec = GenericSpec {
            body: json!({
                "model": "{{model}}",
                "messages": "{{messages}}",
                "system": "{{system}}",
                "opts": {"max": "{{max_tokens}}", "label": "m={{model}} {{unknown}}"},
            }),
            ..GenericSpec::default()
        };
        let body = spec.render_body(&ChatRequest::new("hi").field("seed", json!(1)), Some("m1"));
        assert_eq!(
            body,
            json!({
                "model": "m1",
                "messages": [{"role": "user", "content": "hi"}],
                "opts": {"label": "m=m1 {{unknown}}"},
                "seed": 1,
            })
        );
    }

    #[test]
    fn the_api_key_is_never_a_body_placeholder() {
        let spec = GenericSpec {
            body: json!({"k": "{{api_key}}"}),
            ..GenericSpec::default()
        };
        assert_eq!(
            spec.render_body(&ChatRequest::new("x"), None),
            json!({"k": "{{api_key}}"})
        );
    }
}
