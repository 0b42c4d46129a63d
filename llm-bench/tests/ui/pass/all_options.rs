//! Every option form, every supported return type, and the shapes the attribute accepts.

use llm_bench::prelude::*;
use llm_bench::__private::Scenario;

const SUPPORT_ANSWER_LINE: u32 = line!() + 5;
/// A chat turn as the product sends it.
///
/// Only the first paragraph is the description.
#[llm_bench(samples = 40, concurrency = 4, timeout = "30s", group = "chat", name = "support")]
async fn support_answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let _ = ctx;
    Ok(())
}

#[llm_bench]
async fn plain(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench()]
async fn empty_parentheses(_ctx: &mut Ctx) {}

#[llm_bench(warmup = 0, samples = 1, concurrency = 1, timeout = "500ms", model = "gpt-4o-mini", gate = " TTFT, e2e,ttft ", provider = "Cohere-V1",)]
pub async fn trailing_comma(_ctx: &mut llm_bench::Ctx) -> Result<(), std::io::Error> {
    Ok(())
}

#[llm_bench(timeout = "2.5s", name = "fractional timeout v1.2", group = "edge-cases_1")]
pub(crate) async fn fractional(ctx: &mut Ctx) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _: &mut Ctx = ctx;
    Ok(())
}

#[llm_bench(timeout = "1m", samples = 4294967295, warmup = 4294967295)]
async fn explicit_lifetime<'a>(_ctx: &'a mut Ctx) -> Result<(), String> {
    Ok(())
}

/** A block doc comment. */
#[llm_bench(r#name = "raw")]
async fn r#async(mut ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx = ctx;
    let _ = ctx;
    Ok(())
}

/// A scenario named like the context parameter of the generated code.
#[llm_bench]
async fn ctx(_: &mut Ctx) {}

/// Only compiled when the feature is on; its registration is too.
#[llm_bench]
#[cfg(any())]
async fn compiled_out(_ctx: &mut Ctx) {
    this_does_not_exist();
}

/// Every new option at once.
#[llm_bench(
    threshold = "p95 ttft < 800 ms,errors<1%",
    connect_timeout = "5s",
    first_byte_timeout = "10s",
    first_token_timeout = "15s",
    idle_timeout = "500ms",
    max_consecutive_failures = 0,
    setup = prepare,
)]
async fn guarded(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

/// A setup function: run once per scenario id before its warm-up.
async fn prepare(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

mod fixtures {
    use llm_bench::prelude::*;

    /// A setup function that returns `()`, reached by a path.
    pub async fn warm_cache(_ctx: &mut Ctx) {}
}

mod params {
    use llm_bench::prelude::*;

    /// One scenario per prompt length.
    #[llm_bench(args = [128, 1024, 8192], setup = crate::fixtures::warm_cache)]
    pub async fn prompt_len(_ctx: &mut Ctx, len: usize) -> llm_bench::Result<()> {
        let _: usize = len;
        Ok(())
    }

    #[llm_bench(group = "prompts", args = ["short", "long prompt", "New-ish"])]
    pub async fn prompt(_ctx: &mut Ctx, text: &str) {
        let _: &str = text;
    }

    #[llm_bench(args = [-1, 0, 7i64])]
    async fn signed(_ctx: &mut Ctx, n: i64) {
        let _ = n;
    }

    #[llm_bench(args = [0.5, 1.0, -2.25f32], setup = super::prepare)]
    async fn temperature(_ctx: &mut Ctx, t: f32) -> Result<(), std::io::Error> {
        let _ = t;
        Ok(())
    }

    #[llm_bench(args = [true, false], name = "stream")]
    async fn streamed(_ctx: &mut Ctx, on: bool) {
        let _ = on;
    }

    #[llm_bench(args = [1])]
    async fn explicit_lifetime<'a>(_ctx: &'a mut Ctx, _n: u8) {}
}

mod nested {
    use llm_bench::prelude::*;

    /// Scenarios may live in modules.
    #[llm_bench(group = "nested")]
    pub async fn inner(_ctx: &mut Ctx) -> llm_bench::Result<()> {
        Ok(())
    }
}

/// The function stays callable as written.
async fn calls_scenarios(ctx: &mut Ctx) -> llm_bench::Result<()> {
    support_answer(ctx).await?;
    plain(ctx).await?;
    empty_parentheses(ctx).await;
    nested::inner(ctx).await
}

fn main() {
    let _ = calls_scenarios;
    let _ = (trailing_comma, fractional, explicit_lifetime, r#async, ctx);

    // The registrations reach the harness with every option as written.
    let registered = llm_bench::__private::registered();
    let (with_args, all): (Vec<&Scenario>, Vec<&Scenario>) =
        registered.into_iter().partition(|s| s.arg.is_some());
    let ids: Vec<String> = all.iter().map(|s| s.id()).collect();
    assert_eq!(
        ids,
        [
            "chat/support",
            "plain",
            "empty_parentheses",
            "trailing_comma",
            "edge-cases_1/fractional timeout v1.2",
            "explicit_lifetime",
            "raw",
            "ctx",
            "guarded",
            "nested/inner",
        ]
    );
    let support = all[0];
    assert_eq!(support.name, "support");
    assert_eq!(support.group, Some("chat"));
    assert_eq!(support.description, "A chat turn as the product sends it.");
    assert_eq!(support.line, SUPPORT_ANSWER_LINE);
    assert!(support.file.ends_with("all_options.rs"), "{}", support.file);
    assert_eq!(support.module_path, module_path!());
    assert_eq!(
        support.config,
        llm_bench::__private::ScenarioConfig {
            samples: Some(40),
            warmup: None,
            concurrency: Some(4),
            timeout_ms: Some(30_000),
            model: None,
            gate: None,
            provider: None,
            threshold: None,
            connect_timeout_ms: None,
            first_byte_timeout_ms: None,
            first_token_timeout_ms: None,
            idle_timeout_ms: None,
            max_consecutive_failures: None,
            ..llm_bench::__private::ScenarioConfig::DEFAULT
        }
    );
    assert_eq!(support.arg, None);
    assert!(support.setup.is_none());
    assert_eq!(all[1].config, Default::default());
    assert_eq!(all[1].description, "");
    assert_eq!(all[3].config.model, Some("gpt-4o-mini"));
    assert_eq!(all[3].config.gate, Some("ttft,e2e"));
    assert_eq!(all[3].config.provider, Some("cohere_v1"));
    assert_eq!(all[3].config.warmup, Some(0));
    assert_eq!(all[3].config.timeout_ms, Some(500));
    assert_eq!(all[4].config.timeout_ms, Some(2_500));
    assert_eq!(all[5].config.timeout_ms, Some(60_000));
    assert_eq!(all[5].config.samples, Some(u32::MAX));
    assert_eq!(all[6].description, "A block doc comment.");
    let guarded = all[8];
    assert_eq!(
        guarded.config,
        llm_bench::__private::ScenarioConfig {
            threshold: Some("p95 ttft < 800ms, errors < 1%"),
            connect_timeout_ms: Some(5_000),
            first_byte_timeout_ms: Some(10_000),
            first_token_timeout_ms: Some(15_000),
            idle_timeout_ms: Some(500),
            max_consecutive_failures: Some(0),
            ..llm_bench::__private::ScenarioConfig::DEFAULT
        }
    );
    assert!(guarded.setup.is_some());
    assert_eq!(guarded.arg, None);
    assert_eq!(all[9].module_path, format!("{}::nested", module_path!()));

    // A parameterised scenario registers once per value, each with its own id, in the
    // order the values are written.
    let arg_ids: Vec<String> = with_args.iter().map(|s| s.id()).collect();
    assert_eq!(
        arg_ids,
        [
            "prompt_len/128",
            "prompt_len/1024",
            "prompt_len/8192",
            "prompts/prompt/short",
            "prompts/prompt/long prompt",
            "prompts/prompt/New-ish",
            "signed/-1",
            "signed/0",
            "signed/7",
            "temperature/0.5",
            "temperature/1.0",
            "temperature/-2.25",
            "stream/true",
            "stream/false",
            "explicit_lifetime/1",
        ]
    );
    for s in &with_args {
        assert_eq!(s.module_path, format!("{}::params", module_path!()));
        let with_setup = matches!(s.name, "prompt_len" | "temperature");
        assert_eq!(s.setup.is_some(), with_setup, "{}", s.id());
    }
    let prompt_len = with_args.iter().find(|s| s.name == "prompt_len").unwrap();
    assert_eq!(prompt_len.description, "One scenario per prompt length.");
    assert_eq!(prompt_len.config, Default::default());
}
