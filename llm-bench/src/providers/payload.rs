//! What the event parsers of every provider share: the error for a payload that is not what
//! its format promises, and lenient borrowed JSON pieces (text fields, error objects).
//!
//! Event payloads are deserialized with serde into borrowed typed structs: strings without
//! escapes are not copied until they are appended to a [`Delta`](crate::Delta), and fields a
//! parser does not need are skipped without being built. This runs once per token.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// How many characters of a bad payload an error message quotes.
const EXCERPT_CHARS: usize = 200;

/// An event payload that is not valid for its wire format (not JSON, or a known field with
/// an impossible shape). The message quotes at most the first 200 characters of the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}; data: {excerpt}")]
pub struct PayloadError {
    /// What was wrong (for JSON, the parser's message with the position).
    pub reason: String,
    /// The start of the payload (at most 200 characters, `...` when cut).
    pub excerpt: String,
}

impl PayloadError {
    /// A JSON parse error of `data`.
    pub(crate) fn json(error: &serde_json::Error, data: &str) -> Self {
        PayloadError {
            reason: error.to_string(),
            excerpt: excerpt(data),
        }
    }
}

/// Deserializes `data` as `T`, or a [`PayloadError`] quoting it.
pub(crate) fn from_json<'a, T: Deserialize<'a>>(data: &'a str) -> Result<T, PayloadError> {
    serde_json::from_str(data).map_err(|e| PayloadError::json(&e, data))
}

/// The delta of an SSE payload that is not JSON to parse: the `[DONE]` terminator (a
/// delta that ends the stream) or an empty payload (a delta with nothing). `None` for any
/// other payload.
pub(crate) fn done_or_empty(data: &str) -> Option<crate::delta::Delta> {
    match data.trim_ascii() {
        "[DONE]" => Some(crate::delta::Delta {
            done: true,
            ..Default::default()
        }),
        "" => Some(crate::delta::Delta::default()),
        _ => None,
    }
}

/// The start of `s`, at most [`EXCERPT_CHARS`] characters, marked when cut.
pub(crate) fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_owned(),
    }
}

/// The message of an error event whose payload may be JSON with an `error` object or string
/// (`{"type":"error","error":{"type":..,"message":..}}`, `{"error":"..."}`), a top-level
/// `message` or `detail`, or plain text.
pub(crate) fn error_message(data: &str) -> String {
    /// The fields an error payload may carry its message in.
    #[derive(Deserialize)]
    struct ErrorEvent<'a> {
        #[serde(default, borrow)]
        error: Option<ApiError<'a>>,
        #[serde(default, borrow)]
        message: Option<Text<'a>>,
        #[serde(default, borrow)]
        detail: Option<Text<'a>>,
    }
    let trimmed = data.trim_ascii();
    match serde_json::from_str::<ErrorEvent<'_>>(data) {
        Ok(ErrorEvent {
            error: Some(error), ..
        }) => error.into_message(),
        Ok(ErrorEvent {
            message: Some(m), ..
        }) if !m.0.is_empty() => excerpt(&m.0),
        Ok(ErrorEvent {
            detail: Some(d), ..
        }) if !d.0.is_empty() => excerpt(&d.0),
        _ if trimmed.is_empty() => "error event without data".to_owned(),
        _ => excerpt(trimmed),
    }
}

/// A text field, borrowed from the payload when it has no escapes. Lenient: `null`, numbers,
/// booleans, arrays and objects read as empty text rather than failing the event.
#[derive(Debug, Default)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl Text<'_> {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A token count. Lenient: anything but a non-negative whole number (`null`, a string, a
/// fraction) reads as "not reported". Whole floats (`7.0`) are counts.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Count(pub(crate) Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a token count")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Count(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Count(u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                let whole = v >= 0.0 && v.fract() == 0.0 && v < 9_007_199_254_740_992.0;
                // Exact: a whole f64 below 2^53 converts to u64 without loss.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(Count(whole.then_some(v as u64)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Count(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Count(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Count(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Count(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Count(None))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

/// An object of type `T`, or `None` when the value is anything else (`null`, an array, a
/// string...): for fields whose shape differs between the events of one stream (Cohere's
/// `delta.message.content` is `[]` in `message-start` and an object in `content-delta`).
/// An object that does not fit `T` still fails.
pub(crate) struct Lenient<T>(pub(crate) Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LenientVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for LenientVisitor<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Lenient(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
        }
        deserializer.deserialize_any(LenientVisitor(std::marker::PhantomData))
    }
}

/// An `error` value: an object with `message` (and `type`, `code`, `status`), or a bare
/// string.
pub(crate) struct ApiError<'a> {
    message: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    code: Option<String>,
}

impl ApiError<'_> {
    /// The API's message; failing that its type, status or code. At most 200 characters.
    pub(crate) fn into_message(self) -> String {
        [self.message, self.kind, self.code.map(Cow::Owned)]
            .into_iter()
            .flatten()
            .find(|m| !m.is_empty())
            .map_or_else(|| "error without a message".to_owned(), |m| excerpt(&m))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ApiError<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// `code` is a number (OpenRouter, Gemini) or a string (Groq, OpenAI).
        struct Code(Option<String>);
        impl<'de> Deserialize<'de> for Code {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct CodeVisitor;
                impl<'de> Visitor<'de> for CodeVisitor {
                    type Value = Code;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an error code")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        Ok(Code(Some(v.to_owned())))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                        Ok(Code(Some(v.to_string())))
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                        Ok(Code(Some(v.to_string())))
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                        Ok(Code(Some(v.to_string())))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                        Ok(Code(None))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                        Ok(Code(None))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Code, A::Error> {
                        while s.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(Code(None))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Code, A::Error> {
                        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(Code(None))
                    }
                }
                deserializer.deserialize_any(CodeVisitor)
            }
        }

        struct ErrorVisitor;
        impl<'de> Visitor<'de> for ErrorVisitor {
            type Value = ApiError<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error object or message")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ApiError {
                    message: Some(Cow::Borrowed(v)),
                    kind: None,
                    code: None,
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                self.visit_string(v.to_owned())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(ApiError {
                    message: Some(Cow::Owned(v)),
                    kind: None,
                    code: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut error = ApiError {
                    message: None,
                    kind: None,
                    code: None,
                };
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match key.as_str() {
                        "message" => error.message = Some(map.next_value::<Text<'de>>()?.0),
                        "type" | "status" if error.kind.is_none() => {
                            error.kind = Some(map.next_value::<Text<'de>>()?.0);
                        }
                        "code" => error.code = map.next_value::<Code>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(error)
            }
        }
        deserializer.deserialize_any(ErrorVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages() {
        assert_eq!(
            error_message(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            "Overloaded"
        );
        assert_eq!(
            error_message(r#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}"#),
            "RESOURCE_EXHAUSTED"
        );
        assert_eq!(error_message(r#"{"error":{"code":503}}"#), "503");
        assert_eq!(error_message(r#"{"error":"boom"}"#), "boom");
        assert_eq!(
            error_message(r#"{"detail":"Prediction failed"}"#),
            "Prediction failed"
        );
        assert_eq!(error_message("plain text"), "plain text");
        assert_eq!(error_message("  "), "error event without data");
        let long = error_message(&"x".repeat(5000));
        assert!(long.len() < 210 && long.ends_with("..."));
    }

    #[test]
    fn lenient_text_and_count() {
        #[derive(Deserialize)]
        struct S<'a> {
            #[serde(borrow)]
            t: Text<'a>,
            c: Count,
        }
        let s: S<'_> = serde_json::from_str(r#"{"t":{"a":1},"c":"7"}"#).unwrap();
        assert_eq!((s.t.as_str(), s.c.0), ("", None));
        let s: S<'_> = serde_json::from_str(r#"{"t":"a\nb","c":7}"#).unwrap();
        assert_eq!((s.t.as_str(), s.c.0), ("a\nb", Some(7)));
        let s: S<'_> = serde_json::from_str(r#"{"t":null,"c":-1}"#).unwrap();
        assert_eq!((s.t.as_str(), s.c.0), ("", None));
    }

    #[test]
    fn payload_error_is_short() {
        let data = format!("{{\"a\": \"{}", "é".repeat(10_000));
        let err = from_json::<IgnoredAny>(&data).unwrap_err();
        assert!(err.to_string().len() < 700);
        assert!(err.excerpt.ends_with("..."));
    }
}
