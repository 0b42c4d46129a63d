//! A config file's scenarios as the harness's own [`Scenario`]s: the same runner, store
//! and report as `#[llm_bench]` functions. A registered scenario is `'static` (the
//! attribute's `inventory` submission); these are made once per process and leaked.
//!
//! Every config scenario runs [`send_configured_request`], which finds its request by the
//! scenario's id ([`Ctx::scenario_id`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use llm_bench::__cli::{Scenario, ScenarioFuture};
use llm_bench::{ChatRequest, Ctx};

use crate::config::{RequestSpec, ScenarioSpec};

/// The requests of this process's config scenarios, by scenario id.
static REQUESTS: OnceLock<HashMap<String, RequestSpec>> = OnceLock::new();

/// The harness's scenarios for `specs`, from the config file `file`. Call once per process.
pub(crate) fn register(specs: &[ScenarioSpec], file: &str) -> Vec<&'static Scenario> {
    let file: &'static str = Box::leak(file.to_owned().into_boxed_str());
    let requests = specs
        .iter()
        .map(|spec| (spec.id(), spec.request.clone()))
        .collect();
    // A second call (none today) would keep the first call's requests.
    let _ = REQUESTS.set(requests);
    specs
        .iter()
        .map(|spec| {
            let leak = |text: &str| -> &'static str { Box::leak(text.to_owned().into_boxed_str()) };
            let scenario: &'static Scenario = Box::leak(Box::new(Scenario {
                name: leak(&spec.name),
                group: spec.group.as_deref().map(leak),
                module_path: "llm-bench run",
                file,
                line: spec.line,
                description: leak(&spec.description),
                config: spec.settings,
                arg: None,
                arg_index: 0,
                setup: None,
                run: send_configured_request,
            }));
            scenario
        })
        .collect()
}

/// One request of a config scenario: the trace's entry when it replays one, else prompt
/// `index % prompts` with the scenario's system message, `max_tokens` and `temperature`.
fn send_configured_request(ctx: &mut Ctx) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let request = match ctx.trace_request() {
            Some(entry) => entry.chat_request(),
            None => {
                let spec = REQUESTS
                    .get()
                    .and_then(|all| all.get(ctx.scenario_id()))
                    .ok_or_else(|| {
                        llm_bench::Error::Config(format!(
                            "no request is configured for scenario `{}`",
                            ctx.scenario_id()
                        ))
                    })?;
                chat_request(spec, ctx.index())
            }
        };
        ctx.stream(request).await?;
        Ok(())
    })
}

/// The request number `index` of a scenario sends.
pub(crate) fn chat_request(spec: &RequestSpec, index: u32) -> ChatRequest {
    let prompt = match spec.prompts.len() {
        0 => "",
        n => &spec.prompts[index as usize % n],
    };
    let mut request = ChatRequest::new(prompt);
    if let Some(system) = &spec.system {
        request = request.system(system.clone());
    }
    if let Some(max_tokens) = spec.max_tokens {
        request = request.max_tokens(max_tokens);
    }
    if let Some(temperature) = spec.temperature {
        request = request.temperature(temperature);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::chat_request;
    use crate::config::RequestSpec;

    #[test]
    fn prompts_are_sent_in_turn() {
        let spec = RequestSpec {
            prompts: vec!["a".into(), "b".into()],
            system: Some("be brief".into()),
            max_tokens: Some(16),
            temperature: Some(0.5),
        };
        let texts: Vec<String> = (0..3)
            .map(|i| {
                let request = chat_request(&spec, i);
                request
                    .messages()
                    .last()
                    .map(|m| m.content.clone())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(texts, ["a", "b", "a"]);
        let request = chat_request(&spec, 0);
        assert_eq!(request.messages()[0].role, "system");
        assert_eq!(request.max_tokens_setting(), Some(16));
        assert_eq!(request.temperature_setting(), Some(0.5));
    }
}
