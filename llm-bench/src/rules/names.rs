//! The names a scenario id is made of (`name`, `group`, an `args` value), and the lists of
//! names the attribute's `gate` and `provider` accept: checked by the attribute at compile
//! time, and available to the harness for the same checks at run time.
//!
//! Keep this file free of anything but `std`: the attribute crate compiles it too.

/// Metric names `gate` accepts (the metrics whose regression fails the build).
pub(crate) const GATE_METRICS: &[&str] = &[
    "ttfb",
    "ttft",
    "ttfo",
    "itl",
    "itl_per_token",
    "tpot",
    "e2e",
    "tokens_per_second",
];

/// A name in a `gate` list that is not one of [`GATE_METRICS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnknownMetric {
    /// The name as written (trimmed, lower case).
    pub(crate) name: String,
    /// The option the list came from, named in the message (`gate`), or empty when the
    /// caller names it already (`--gate: ...`).
    pub(crate) option: &'static str,
}

impl std::fmt::Display for UnknownMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown metric `{}`", self.name)?;
        if !self.option.is_empty() {
            write!(f, " in `{}`", self.option)?;
        }
        if let Some(near) = super::suggest::closest(&self.name, GATE_METRICS) {
            write!(f, ": did you mean `{near}`?")?;
        }
        write!(f, " (the metrics are {})", GATE_METRICS.join(", "))
    }
}

impl std::error::Error for UnknownMetric {}

/// Parses a comma-separated list of metric names for `gate` (or `--gate`; `option` names
/// it in the error): trimmed, case ignored, empty items skipped, duplicates dropped. The
/// names come back as they are in [`GATE_METRICS`], in the order written; an unknown name
/// is an error, never skipped.
pub(crate) fn parse_gate_list(
    list: &str,
    option: &'static str,
) -> Result<Vec<&'static str>, UnknownMetric> {
    let mut metrics: Vec<&'static str> = Vec::new();
    for part in list.split(',') {
        let name = part.trim().to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let known = GATE_METRICS
            .iter()
            .copied()
            .find(|known| *known == name)
            .ok_or(UnknownMetric { name, option })?;
        if !metrics.contains(&known) {
            metrics.push(known);
        }
    }
    Ok(metrics)
}

/// Providers `provider` accepts (the canonical names of `llm_bench::Provider::from_name`;
/// `generic` needs a spec file, so only the environment can select it).
pub(crate) const PROVIDER_NAMES: &[&str] = &[
    "openai",
    "openai_responses",
    "openai_completions",
    "azure",
    "anthropic",
    "gemini",
    "cohere",
    "cohere_v1",
    "ollama",
    "tgi",
];

/// Longest accepted part of an id (`name`, `group` or an `args` value), in bytes.
pub(crate) const MAX_ID_LEN: usize = 100;

/// Directory names llm-bench itself uses under `target/llm-bench/`: each scenario's runs
/// live in `<id>/new`, `<id>/base` (and other saved baselines) and `<id>/change`, and the
/// HTML report in `report/`. No part of an id may be one of them, in any case (macOS file
/// systems ignore case).
pub(crate) const RESERVED_NAMES: &[&str] = &["new", "change", "report", "base"];

/// True when `text` is one of [`RESERVED_NAMES`], ignoring ASCII case.
pub(crate) fn is_reserved(text: &str) -> bool {
    RESERVED_NAMES
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(text))
}

/// How messages name the part being checked: `` `name` `` or `` the `args` value "x" ``.
fn subject(key: &str, text: &str) -> String {
    if key == "args" {
        format!("the `args` value {text:?}")
    } else {
        format!("`{key}`")
    }
}

/// Checks a part of a scenario id: the value of `name`, `group` (`key` is the option's
/// name) or a string in `args` (`key` is `"args"`). It becomes a directory under
/// `target/llm-bench/` and a filter word on the command line, so it is kept to a portable
/// set of characters and may not be a name llm-bench uses itself. Returns the text; the
/// error is the message for the user.
pub(crate) fn check_id_part(key: &str, text: &str) -> Result<String, String> {
    let subject = subject(key, text);
    if text.is_empty() {
        return Err(format!("{subject} must not be empty"));
    }
    if text.len() > MAX_ID_LEN {
        return Err(format!(
            "{subject} is {} bytes long; the limit is {MAX_ID_LEN}",
            text.len()
        ));
    }
    check_characters(key, &subject, text)?;
    if text.starts_with(['.', ' ']) || text.ends_with(['.', ' ']) {
        return Err(format!(
            "{subject} must not start or end with `.` or a space (it names a directory)"
        ));
    }
    if text.starts_with('-') {
        return Err(format!(
            "{subject} must not start with `-` (it would read as a command-line flag)"
        ));
    }
    check_reserved(key, text)?;
    Ok(text.to_owned())
}

/// Only ASCII letters, digits, `_`, `-`, `.` and spaces.
fn check_characters(key: &str, subject: &str, text: &str) -> Result<(), String> {
    let Some(bad) = text
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
    else {
        return Ok(());
    };
    let shown = if bad.is_control() {
        bad.escape_default().to_string()
    } else {
        bad.to_string()
    };
    let hint = match (bad, key) {
        ('/', "name") => "; to put scenarios in a group, use `group = \"...\"`",
        _ => "",
    };
    Err(format!(
        "{subject} may contain only ASCII letters, digits, `_`, `-`, `.` and spaces \
         (it names a directory under target/llm-bench/), not `{shown}`{hint}"
    ))
}

/// Fails when `text` is one of [`RESERVED_NAMES`] (in any case), with a message that says
/// what it would collide with and what to do instead. `key` is as for [`check_id_part`].
pub(crate) fn check_reserved(key: &str, text: &str) -> Result<(), String> {
    if !is_reserved(text) {
        return Ok(());
    }
    let subject = subject(key, text);
    let instead = if key == "args" {
        "use another value".to_owned()
    } else {
        format!("choose another {key}, e.g. `{key} = \"{text}_1\"`")
    };
    Err(format!(
        "{subject} is reserved: llm-bench stores each scenario's runs in `<id>/new`, \
         `<id>/base` (and other baselines) and `<id>/change`, and the HTML report in \
         `report/`, so `{text}` would collide with them (in any case: some file systems \
         ignore case); {instead}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_parts() {
        assert!(check_id_part("name", "support-v2.1 fast_path").is_ok());
        assert!(check_id_part("name", "")
            .unwrap_err()
            .contains("must not be empty"));
        assert!(check_id_part("name", "a/b")
            .unwrap_err()
            .contains("group = "));
        assert!(check_id_part("group", "a/b")
            .unwrap_err()
            .contains("not `/`"));
        assert!(check_id_part("name", "a:b").is_err());
        assert!(check_id_part("name", "a\\b").is_err());
        assert!(check_id_part("name", "caf\u{e9}").is_err());
        assert!(check_id_part("name", "tab\there")
            .unwrap_err()
            .contains("`\\t`"));
        assert!(check_id_part("name", "..")
            .unwrap_err()
            .contains("start or end"));
        assert!(check_id_part("name", ".hidden").is_err());
        assert!(check_id_part("name", "trailing ").is_err());
        assert!(check_id_part("name", "-flag")
            .unwrap_err()
            .contains("command-line flag"));
        assert!(check_id_part("name", &"x".repeat(101))
            .unwrap_err()
            .contains("limit is 100"));
    }

    #[test]
    fn args_values_are_named_in_messages() {
        let err = check_id_part("args", "a/b").unwrap_err();
        assert!(
            err.starts_with("the `args` value \"a/b\" may contain only"),
            "{err}"
        );
        assert!(!err.contains("group = "), "{err}");
        let err = check_id_part("args", "").unwrap_err();
        assert_eq!(err, "the `args` value \"\" must not be empty");
        assert_eq!(
            check_id_part("args", "short prompt"),
            Ok("short prompt".into())
        );
    }

    #[test]
    fn reserved_names_collide_in_any_case() {
        for text in ["new", "NEW", "Change", "report", "bAsE"] {
            assert!(is_reserved(text), "{text}");
            let err = check_id_part("name", text).unwrap_err();
            assert!(err.contains("is reserved"), "{err}");
            assert!(err.contains("`<id>/new`"), "{err}");
            assert!(err.contains("`report/`"), "{err}");
            assert!(err.contains(&format!("`name = \"{text}_1\"`")), "{err}");
        }
        let err = check_id_part("group", "report").unwrap_err();
        assert!(err.starts_with("`group` is reserved"), "{err}");
        let err = check_id_part("args", "base").unwrap_err();
        assert!(
            err.starts_with("the `args` value \"base\" is reserved"),
            "{err}"
        );
        assert!(err.ends_with("use another value"), "{err}");
        for text in ["news", "new_1", "baseline", "reports", "base line"] {
            assert!(!is_reserved(text), "{text}");
            assert!(check_id_part("name", text).is_ok(), "{text}");
        }
    }

    #[test]
    fn gate_lists_are_normalised_and_unknown_names_are_errors() {
        assert_eq!(
            parse_gate_list(" TTFT, tpot,,ttft ", "gate"),
            Ok(vec!["ttft", "tpot"])
        );
        assert_eq!(parse_gate_list("", "gate"), Ok(vec![]));
        let typo = parse_gate_list("ttft,tpotx", "gate").unwrap_err();
        assert_eq!(
            typo.to_string(),
            "unknown metric `tpotx` in `gate`: did you mean `tpot`? (the metrics are ttfb, \
             ttft, ttfo, itl, itl_per_token, tpot, e2e, tokens_per_second)"
        );
        let unnamed = parse_gate_list("latency", "").unwrap_err();
        assert!(unnamed
            .to_string()
            .starts_with("unknown metric `latency` (the metrics are"));
    }

    #[test]
    fn lists_are_lower_case_and_distinct() {
        for list in [GATE_METRICS, PROVIDER_NAMES] {
            for (i, name) in list.iter().enumerate() {
                assert_eq!(*name, name.to_ascii_lowercase());
                assert!(!list[..i].contains(name), "{name} twice");
                assert!(check_id_part("name", name).is_ok(), "{name}");
            }
        }
    }
}
