//! What a config file may say, checked with the rules the `#[llm_bench]` attribute uses
//! (`src/rules`, shared with the attribute and the harness): every problem found, each at
//! its key or value, an unknown key with the closest known one.
//!
//! ```toml
//! [target]                      # optional: without it, the built-in simulated endpoint
//! provider = "openai"
//! base_url = "http://127.0.0.1:8080/v1"
//! model = "gpt-4o-mini"
//!
//! [defaults]                    # optional: settings every scenario starts from
//! samples = 20
//!
//! [[scenario]]
//! name = "short_turn"
//! prompt = "How do I reset my password?"
//! max_tokens = 128
//! concurrency = 4
//! threshold = "p95 ttft < 800ms"
//! ```

use std::path::{Path, PathBuf};

use llm_bench::__cli::ScenarioConfig;

use super::error::Problem;
use super::node::{Key, Node, Value};
use crate::rules::duration::parse_timeout_ms;
use crate::rules::load::{parse_arrival, parse_ramp_up, parse_rate};
use crate::rules::names::{check_id_part, parse_gate_list, PROVIDER_NAMES};
use crate::rules::slo::parse_slos;
use crate::rules::stop::{parse_search_range, parse_sweep, parse_until};
use crate::rules::suggest::closest;
use crate::rules::threshold::parse_thresholds;
use crate::rules::together::conflicts;

/// The sections of a config file.
const TOP_KEYS: &[&str] = &["target", "defaults", "scenario"];
/// The keys of `[target]`.
const TARGET_KEYS: &[&str] = &["provider", "base_url", "model"];
/// The keys naming a scenario (not in `[defaults]`).
const IDENTITY_KEYS: &[&str] = &["name", "group", "description"];
/// The keys of the request a scenario sends.
const REQUEST_KEYS: &[&str] = &["prompt", "prompts", "system", "max_tokens", "temperature"];
/// The harness's settings, with the attribute's names and grammar.
const SETTING_KEYS: &[&str] = &[
    "samples",
    "warmup",
    "concurrency",
    "timeout",
    "connect_timeout",
    "first_byte_timeout",
    "first_token_timeout",
    "idle_timeout",
    "max_consecutive_failures",
    "rate",
    "arrival",
    "ramp_up",
    "seed",
    "duration",
    "max_output_tokens",
    "until",
    "slo",
    "sweep",
    "search",
    "retries",
    "trace",
    "model",
    "gate",
    "threshold",
    "provider",
];

/// A checked config file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    pub(crate) target: Target,
    /// In the order written.
    pub(crate) scenarios: Vec<ScenarioSpec>,
}

/// The endpoint to measure; what is not given comes from the environment, as for
/// `cargo bench` (none at all: the built-in simulated endpoint).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Target {
    /// A name `LLM_BENCH_PROVIDER` accepts.
    pub(crate) provider: Option<String>,
    pub(crate) base_url: Option<String>,
    pub(crate) model: Option<String>,
}

/// One `[[scenario]]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScenarioSpec {
    pub(crate) name: String,
    pub(crate) group: Option<String>,
    pub(crate) description: String,
    /// The line of its `name` (for `--list`-like messages and the stored scenario info).
    pub(crate) line: u32,
    pub(crate) request: RequestSpec,
    /// The harness settings; their strings are leaked, as an attribute's are `'static`.
    pub(crate) settings: ScenarioConfig,
}

impl ScenarioSpec {
    /// `group/name`, or `name`.
    pub(crate) fn id(&self) -> String {
        match &self.group {
            Some(group) => format!("{group}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The request a scenario sends, once per sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RequestSpec {
    /// Request `i` sends prompt `i % len` (one prompt: every request the same).
    pub(crate) prompts: Vec<String>,
    pub(crate) system: Option<String>,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) temperature: Option<f64>,
}

/// Checks the tree of a config file found at `path` (`text` its contents, for lines).
pub(crate) fn check(root: &Node, path: &Path, text: &str) -> Result<Config, Vec<Problem>> {
    let mut problems = Vec::new();
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let Value::Table(top) = &root.value else {
        return Err(vec![Problem::new(
            format!(
                "a config file is a table of sections, found {}",
                root.value.kind()
            ),
            root.at.clone(),
        )]);
    };
    let mut target = Target::default();
    let mut defaults: &[(Key, Node)] = &[];
    let mut scenario_nodes: Vec<&Node> = Vec::new();
    let mut scenario_key: Option<&Key> = None;
    for (key, node) in top {
        match key.name.as_str() {
            "target" => match table(node, "[target]", &mut problems) {
                Some(entries) => target = check_target(entries, &mut problems),
                None => continue,
            },
            "defaults" => {
                if let Some(entries) = table(node, "[defaults]", &mut problems) {
                    for (key, _) in entries {
                        if IDENTITY_KEYS.contains(&key.name.as_str()) {
                            problems.push(Problem::new(
                                format!("`{}` names one scenario: it goes in a `[[scenario]]`, not in `[defaults]`", key.name),
                                key.at.clone(),
                            ));
                        }
                    }
                    defaults = entries;
                }
            }
            "scenario" => {
                scenario_key = Some(key);
                match &node.value {
                    Value::List(items) => scenario_nodes.extend(items.iter()),
                    Value::Table(_) => scenario_nodes.push(node),
                    other => problems.push(Problem::new(
                        format!(
                            "`scenario` is a list of tables (`[[scenario]]`), found {}",
                            other.kind()
                        ),
                        node.at.clone(),
                    )),
                }
            }
            _ => problems.push(unknown_top_key(key)),
        }
    }
    if scenario_nodes.is_empty() && problems.is_empty() {
        let at = scenario_key.map_or(0..0, |k| k.at.clone());
        problems.push(
            Problem::new("the config file has no scenario", at)
                .help("add one: `[[scenario]]`, `name = \"short_turn\"`, `prompt = \"Say hi\"`"),
        );
    }
    let mut scenarios: Vec<ScenarioSpec> = Vec::new();
    let mut first_at: Vec<(String, usize)> = Vec::new();
    for node in scenario_nodes {
        let Some(entries) = table(node, "[[scenario]]", &mut problems) else {
            continue;
        };
        if let Some((spec, name_at)) =
            check_scenario(node, entries, defaults, &dir, text, &mut problems)
        {
            let id = spec.id();
            if let Some((_, first)) = first_at.iter().find(|(seen, _)| *seen == id) {
                let (line, _) = super::node::line_col(text, *first);
                problems.push(
                    Problem::new(format!("two scenarios are named `{id}`"), name_at.clone()).help(
                        format!(
                        "the first is on line {line}; give one of them another `name` or a `group`"
                    ),
                    ),
                );
            } else {
                first_at.push((id, name_at.start));
            }
            scenarios.push(spec);
        }
    }
    if problems.is_empty() {
        Ok(Config { target, scenarios })
    } else {
        Err(problems)
    }
}

fn table<'a>(node: &'a Node, what: &str, problems: &mut Vec<Problem>) -> Option<&'a [(Key, Node)]> {
    match &node.value {
        Value::Table(entries) => Some(entries),
        other => {
            problems.push(Problem::new(
                format!("`{what}` is a table, found {}", other.kind()),
                node.at.clone(),
            ));
            None
        }
    }
}

fn unknown_top_key(key: &Key) -> Problem {
    let name = key.name.as_str();
    let problem = Problem::new(
        format!("unknown section `{name}` (the sections are `[target]`, `[defaults]` and `[[scenario]]`)"),
        key.at.clone(),
    );
    if name == "scenarios" {
        return problem.help("write each scenario as a `[[scenario]]` table");
    }
    if SETTING_KEYS.contains(&name) || REQUEST_KEYS.contains(&name) {
        return problem.help(format!(
            "`{name}` is a scenario's setting: put it under `[defaults]` (every scenario) or in a `[[scenario]]`"
        ));
    }
    if TARGET_KEYS.contains(&name) {
        return problem.help(format!("`{name}` goes under `[target]`"));
    }
    match closest(name, TOP_KEYS) {
        Some(near) => problem.help(format!("did you mean `{near}`?")),
        None => problem,
    }
}

fn check_target(entries: &[(Key, Node)], problems: &mut Vec<Problem>) -> Target {
    let mut target = Target::default();
    for (key, node) in entries {
        let name = key.name.as_str();
        match name {
            "provider" => {
                if let Some(text) = string(key, node, problems) {
                    match provider_name(&text, true) {
                        Ok(name) => target.provider = Some(name.to_owned()),
                        Err(problem) => problems.push(problem(node.at.clone())),
                    }
                }
            }
            "base_url" => {
                if let Some(text) = string(key, node, problems) {
                    if text.starts_with("http://") || text.starts_with("https://") {
                        target.base_url = Some(text);
                    } else {
                        problems.push(Problem::new(
                            format!("invalid `base_url` `{text}`: an http:// or https:// URL, e.g. \"http://127.0.0.1:8080/v1\""),
                            node.at.clone(),
                        ));
                    }
                }
            }
            "model" => target.model = non_empty(key, node, problems),
            _ => problems.push(unknown_key(key, "[target]", TARGET_KEYS)),
        }
    }
    target
}

/// A provider's canonical name (case, `-` and `_` do not matter), or the problem to report
/// at the value. `generic` is accepted for the target only: its spec file comes from
/// `LLM_BENCH_GENERIC_SPEC`.
fn provider_name(
    text: &str,
    generic_allowed: bool,
) -> Result<&'static str, impl FnOnce(std::ops::Range<usize>) -> Problem> {
    let name = text.trim().to_ascii_lowercase().replace('-', "_");
    if let Some(known) = PROVIDER_NAMES.iter().find(|known| **known == name) {
        return Ok(*known);
    }
    if generic_allowed && name == "generic" {
        return Ok("generic");
    }
    let help = match name.as_str() {
        "generic" => Some("a generic provider needs a spec file: select it in `[target]` (`provider = \"generic\"`, with LLM_BENCH_GENERIC_SPEC naming the spec)".to_owned()),
        "claude" => Some("did you mean `anthropic`?".to_owned()),
        "google" | "vertex" => Some("did you mean `gemini`?".to_owned()),
        "azure_openai" => Some("did you mean `azure`?".to_owned()),
        "chat" | "openai_chat" | "openai_compatible" | "vllm" => {
            Some("did you mean `openai` (any OpenAI-compatible server)?".to_owned())
        }
        _ => closest(&name, PROVIDER_NAMES).map(|near| format!("did you mean `{near}`?")),
    };
    let message = format!(
        "invalid `provider`: unknown provider `{}` (the providers are {})",
        text.trim(),
        PROVIDER_NAMES.join(", ")
    );
    Err(move |at| {
        let problem = Problem::new(message, at);
        match help {
            Some(help) => problem.help(help),
            None => problem,
        }
    })
}

/// An unknown key in `section`, with the closest of `known` or a known mistake.
fn unknown_key(key: &Key, section: &str, known: &[&str]) -> Problem {
    let name = key.name.as_str();
    let problem = Problem::new(
        format!("unknown key `{name}` in `{section}`"),
        key.at.clone(),
    );
    if matches!(
        name,
        "api_key" | "key" | "token" | "api_token" | "secret" | "authorization"
    ) {
        return problem
            .help("keys are never read from a config file: set the provider's usual variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...; docs/providers.md lists them), and remove the key from the file")
            .hiding_line();
    }
    if let Some(stem) = name.strip_suffix("_ms") {
        if known.contains(&stem) {
            return problem.help(format!(
                "did you mean `{stem} = \"30s\"`? (durations carry their unit)"
            ));
        }
    }
    let known_mistake = match name {
        "iterations" | "iters" | "requests" | "runs" | "sample_size" | "n" => Some("samples"),
        "parallelism" | "parallel" | "workers" | "threads" => Some("concurrency"),
        "request_rate" | "rps" | "qps" | "requests_per_second" => Some("rate"),
        "slos" | "objectives" | "sla" => Some("slo"),
        "thresholds" | "assert" | "limits" => Some("threshold"),
        "url" | "endpoint" | "base-url" | "host" | "api_base" => Some("base_url"),
        "messages" | "input" | "question" => Some("prompt"),
        "max_new_tokens" | "max_completion_tokens" | "output_tokens" => Some("max_tokens"),
        _ => None,
    }
    .filter(|near| known.contains(near));
    if let Some(near) = known_mistake {
        return problem.help(format!("did you mean `{near}`?"));
    }
    if section != "[target]" && TARGET_KEYS.contains(&name) && !known.contains(&name) {
        return problem.help(format!("`{name}` goes under `[target]`"));
    }
    match closest(name, known) {
        Some(near) => problem.help(format!("did you mean `{near}`?")),
        None => problem.help(format!(
            "the keys are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Checks one scenario table over `defaults`; its spec and where its name was written.
fn check_scenario(
    node: &Node,
    entries: &[(Key, Node)],
    defaults: &[(Key, Node)],
    dir: &Path,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<(ScenarioSpec, std::ops::Range<usize>)> {
    let before = problems.len();
    // The scenario's own keys win over the defaults'.
    let mut merged: Vec<(&Key, &Node, &'static str)> = entries
        .iter()
        .map(|(k, v)| (k, v, "[[scenario]]"))
        .collect();
    for (key, value) in defaults {
        if !entries.iter().any(|(k, _)| k.name == key.name) {
            merged.push((key, value, "[defaults]"));
        }
    }
    let mut name: Option<(String, std::ops::Range<usize>)> = None;
    let mut group = None;
    let mut description = String::new();
    let mut request = RequestSpec::default();
    let mut settings = ScenarioConfig::DEFAULT;
    let scenario_known: Vec<&str> = IDENTITY_KEYS
        .iter()
        .chain(REQUEST_KEYS)
        .chain(SETTING_KEYS)
        .copied()
        .collect();
    let defaults_known: Vec<&str> = REQUEST_KEYS.iter().chain(SETTING_KEYS).copied().collect();
    for &(key, value, section) in &merged {
        let k = key.name.as_str();
        match k {
            "name" | "group" => {
                if let Some(text) = string(key, value, problems) {
                    match check_id_part(k, &text) {
                        Ok(part) if k == "name" => name = Some((part, value.at.clone())),
                        Ok(part) => group = Some(part),
                        Err(message) => problems.push(Problem::new(message, value.at.clone())),
                    }
                }
            }
            "description" => description = string(key, value, problems).unwrap_or_default(),
            "prompt" => {
                if let Some(text) = string(key, value, problems) {
                    request.prompts = vec![text];
                }
            }
            "prompts" => request.prompts = prompts(value, problems),
            "system" => request.system = string(key, value, problems),
            "max_tokens" => request.max_tokens = count(key, value, 1, problems),
            "temperature" => match number(key, value, problems) {
                Some(t) if (0.0..=2.0).contains(&t) => request.temperature = Some(t),
                Some(t) => problems.push(Problem::new(
                    format!("`temperature` is between 0 and 2, not {t}"),
                    value.at.clone(),
                )),
                None => {}
            },
            _ if SETTING_KEYS.contains(&k) => {
                if let Err(problem) = set(&mut settings, key, value, dir) {
                    problems.push(problem);
                }
            }
            _ if section == "[defaults]" => {
                problems.push(unknown_key(key, section, &defaults_known))
            }
            _ => problems.push(unknown_key(key, section, &scenario_known)),
        }
    }
    if entries.iter().any(|(k, _)| k.name == "prompt")
        && entries.iter().any(|(k, _)| k.name == "prompts")
    {
        if let Some((key, _)) = entries.iter().find(|(k, _)| k.name == "prompts") {
            problems.push(Problem::new(
                "give `prompt` (one) or `prompts` (a list), not both",
                key.at.clone(),
            ));
        }
    }
    let given = |key: &str| merged.iter().any(|(k, _, _)| k.name == key);
    // As the attribute does: conflicts are looked for once every value is valid.
    let conflicting = if problems.len() == before {
        conflicts(given)
    } else {
        Vec::new()
    };
    for (key, message) in conflicting {
        if let Some((k, _, _)) = merged.iter().find(|(k, _, _)| k.name == key) {
            problems.push(Problem::new(message, k.at.clone()));
        }
    }
    let Some((name, name_at)) = name else {
        if problems.len() == before {
            problems.push(
                Problem::new("a `[[scenario]]` needs a `name`", node.at.start..node.at.start + 1)
                    .help("name it: `name = \"short_turn\"` (ASCII letters, digits, `_`, `-`, `.` and spaces)"),
            );
        }
        return None;
    };
    if request.prompts.is_empty() && settings.trace.is_none() && problems.len() == before {
        problems.push(
            Problem::new(format!("scenario `{name}` sends nothing: give it a `prompt`"), name_at.clone())
                .help("`prompt = \"How do I reset my password?\"`, or `prompts = [...]` (request i sends prompt i, in turn), or `trace = \"file.jsonl\"`"),
        );
    }
    if problems.len() > before {
        return None;
    }
    let (line, _) = super::node::line_col(text, name_at.start);
    Some((
        ScenarioSpec {
            name,
            group,
            description,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            request,
            settings,
        },
        name_at,
    ))
}

/// Checks one harness setting and stores it in `config`.
fn set(config: &mut ScenarioConfig, key: &Key, value: &Node, dir: &Path) -> Result<(), Problem> {
    let k = key.name.as_str();
    let mut problems = Vec::new();
    let bad = |message: String| Problem::new(message, value.at.clone());
    match k {
        "samples" => config.samples = count(key, value, 1, &mut problems),
        "warmup" => config.warmup = count(key, value, 0, &mut problems),
        "concurrency" => config.concurrency = count(key, value, 1, &mut problems),
        "max_consecutive_failures" => {
            config.max_consecutive_failures = count(key, value, 0, &mut problems)
        }
        "retries" => config.retries = count(key, value, 0, &mut problems),
        "seed" => config.seed = count64(key, value, &mut problems),
        "max_output_tokens" => config.max_output_tokens = count64(key, value, &mut problems),
        "timeout"
        | "connect_timeout"
        | "first_byte_timeout"
        | "first_token_timeout"
        | "idle_timeout"
        | "duration" => {
            if let Some(text) = string(key, value, &mut problems) {
                let ms = parse_timeout_ms(&text).map_err(|e| bad(format!("invalid `{k}`: {e}")))?;
                let slot = match k {
                    "timeout" => &mut config.timeout_ms,
                    "connect_timeout" => &mut config.connect_timeout_ms,
                    "first_byte_timeout" => &mut config.first_byte_timeout_ms,
                    "first_token_timeout" => &mut config.first_token_timeout_ms,
                    "idle_timeout" => &mut config.idle_timeout_ms,
                    _ => &mut config.duration_ms,
                };
                *slot = Some(ms);
            }
        }
        "model" => config.model = non_empty(key, value, &mut problems).map(leak),
        "provider" => {
            if let Some(text) = string(key, value, &mut problems) {
                let name =
                    provider_name(&text, false).map_err(|problem| problem(value.at.clone()))?;
                config.provider = Some(name);
            }
        }
        "trace" => {
            if let Some(text) = string(key, value, &mut problems) {
                let path = dir.join(&text);
                if !path.is_file() {
                    return Err(bad(format!(
                        "trace file `{text}` not found (looked for {}; a trace's path is relative to the config file)",
                        path.display()
                    )));
                }
                config.trace = Some(leak(path.display().to_string()));
            }
        }
        _ => {
            // The settings written in a grammar of their own, checked by the harness's parser.
            let parse: fn(&str) -> Result<(), String> = match k {
                "rate" => |t| parse_rate(t).map(drop),
                "arrival" => |t| parse_arrival(t).map(drop),
                "ramp_up" => |t| parse_ramp_up(t).map(drop),
                "until" => |t| parse_until(t).map(drop),
                "slo" => |t| parse_slos(t).map(drop),
                "sweep" => |t| parse_sweep(t).map(drop),
                "search" => |t| parse_search_range(t).map(drop),
                "threshold" => |t| parse_thresholds(t).map(drop),
                "gate" => |t| {
                    parse_gate_list(t, "gate")
                        .map(drop)
                        .map_err(|e| e.to_string())
                },
                _ => unreachable!("every key of SETTING_KEYS is handled"),
            };
            if let Some(text) = string(key, value, &mut problems) {
                parse(&text).map_err(|e| bad(format!("invalid `{k}`: {e}")))?;
                let text = Some(leak(text.trim().to_owned()));
                match k {
                    "rate" => config.rate = text,
                    "arrival" => config.arrival = text,
                    "ramp_up" => config.ramp_up = text,
                    "until" => config.until = text,
                    "slo" => config.slo = text,
                    "sweep" => config.sweep = text,
                    "search" => config.search = text,
                    "threshold" => config.threshold = text,
                    _ => config.gate = text,
                }
            }
        }
    }
    match problems.into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

/// A string the rest of the run keeps (the harness's settings are `'static`, as an
/// attribute's are). A config file is read once per process.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn string(key: &Key, node: &Node, problems: &mut Vec<Problem>) -> Option<String> {
    match &node.value {
        Value::Str(text) => Some(text.clone()),
        other => {
            problems.push(
                Problem::new(
                    format!("`{}` is a string, found {}", key.name, other.kind()),
                    node.at.clone(),
                )
                .help(format!("write it in quotes: `{} = \"...\"`", key.name)),
            );
            None
        }
    }
}

fn non_empty(key: &Key, node: &Node, problems: &mut Vec<Problem>) -> Option<String> {
    let text = string(key, node, problems)?;
    if text.trim().is_empty() {
        problems.push(Problem::new(
            format!("`{}` must not be empty", key.name),
            node.at.clone(),
        ));
        return None;
    }
    Some(text)
}

fn integer(key: &Key, node: &Node, problems: &mut Vec<Problem>) -> Option<i128> {
    match &node.value {
        Value::Int(n) => Some(*n),
        other => {
            problems.push(Problem::new(
                format!("`{}` is a whole number, found {}", key.name, other.kind()),
                node.at.clone(),
            ));
            None
        }
    }
}

fn count(key: &Key, node: &Node, min: u32, problems: &mut Vec<Problem>) -> Option<u32> {
    let n = integer(key, node, problems)?;
    if n < i128::from(min) {
        let lower = if min == 0 {
            "cannot be negative".to_owned()
        } else {
            format!("must be at least {min}")
        };
        problems.push(Problem::new(
            format!("`{}` {lower}, not {n}", key.name),
            node.at.clone(),
        ));
        return None;
    }
    match u32::try_from(n) {
        Ok(n) => Some(n),
        Err(_) => {
            problems.push(Problem::new(
                format!("`{}` must be at most {}", key.name, u32::MAX),
                node.at.clone(),
            ));
            None
        }
    }
}

fn count64(key: &Key, node: &Node, problems: &mut Vec<Problem>) -> Option<u64> {
    let n = integer(key, node, problems)?;
    match u64::try_from(n) {
        Ok(n) => Some(n),
        Err(_) => {
            problems.push(Problem::new(
                format!(
                    "`{}` is a whole number from 0 to {}, not {n}",
                    key.name,
                    u64::MAX
                ),
                node.at.clone(),
            ));
            None
        }
    }
}

fn number(key: &Key, node: &Node, problems: &mut Vec<Problem>) -> Option<f64> {
    match &node.value {
        Value::Float(x) => Some(*x),
        #[allow(clippy::cast_precision_loss)]
        Value::Int(n) => Some(*n as f64),
        other => {
            problems.push(Problem::new(
                format!("`{}` is a number, found {}", key.name, other.kind()),
                node.at.clone(),
            ));
            None
        }
    }
}

fn prompts(node: &Node, problems: &mut Vec<Problem>) -> Vec<String> {
    let Value::List(items) = &node.value else {
        problems.push(
            Problem::new(
                format!(
                    "`prompts` is a list of strings, found {}",
                    node.value.kind()
                ),
                node.at.clone(),
            )
            .help(
                "`prompts = [\"Say hi\", \"Summarise this page\"]`, or `prompt = \"...\"` for one",
            ),
        );
        return Vec::new();
    };
    if items.is_empty() {
        problems.push(Problem::new(
            "`prompts` is empty: give at least one",
            node.at.clone(),
        ));
    }
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(text) => out.push(text.clone()),
            other => problems.push(Problem::new(
                format!("each of `prompts` is a string, found {}", other.kind()),
                item.at.clone(),
            )),
        }
    }
    out
}
