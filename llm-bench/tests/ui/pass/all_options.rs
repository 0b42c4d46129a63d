//! Every option form, every supported return type, and the shapes the attribute accepts.

use llm_bench::prelude::*;

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
    let all = llm_bench::scenario::registered();
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
        llm_bench::scenario::ScenarioConfig {
            samples: Some(40),
            warmup: None,
            concurrency: Some(4),
            timeout_ms: Some(30_000),
            model: None,
            gate: None,
            provider: None,
            ..llm_bench::scenario::ScenarioConfig::DEFAULT
        }
    );
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
    assert_eq!(all[8].module_path, format!("{}::nested", module_path!()));
}
