//! `llm-bench mock`: the simulated endpoint as a server of its own.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use llm_bench::mock::{LatencyProfile, MockServer};

use crate::results::EXIT_USAGE;

/// Serve the simulated endpoint until interrupted.
///
/// It speaks every built-in provider's streaming API (OpenAI chat, Responses and
/// completions, Azure OpenAI, Anthropic, Gemini, Cohere, Ollama, TGI), paced by the profile.
/// The first line on standard output is the OpenAI-style base URL (point OPENAI_BASE_URL at
/// it); the other providers' URLs follow on standard error. SIGINT or SIGTERM stops it.
#[derive(Debug, Args)]
#[command(
    long_about = "Serve the simulated endpoint until interrupted (SIGINT or SIGTERM).\n\n\
                  It speaks every built-in provider's streaming API (OpenAI chat, Responses \
                  and completions, Azure OpenAI, Anthropic, Gemini, Cohere, Ollama, TGI), \
                  paced by the profile. The first line on standard output is the OpenAI-style \
                  base URL (point OPENAI_BASE_URL at it); the other providers' URLs follow on \
                  standard error.\n\n\
                  Profile keys (comma-separated key=value, the grammar of \
                  LLM_BENCH_MOCK_PROFILE): latency ttft, itl, jitter, tokens, reasoning, \
                  scale, seed; capacity slots, prefill, batch_slowdown, max_queue; faults \
                  error_rate, rate_limited, retry_after, server_errors, stall, stall_mid, \
                  stall_for, disconnect; drift drift, drift_period, drift_shape, burst_every, \
                  burst_for, burst_scale, shared_noise, shared_noise_window, noise. See the \
                  docs of llm_bench::mock for each."
)]
pub(crate) struct MockArgs {
    /// The address to listen on; port 0 picks a free one.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:0")]
    addr: SocketAddr,

    /// The latency profile, e.g. "ttft=200ms,itl=20ms,tokens=64,slots=8".
    #[arg(
        long,
        value_name = "SPEC",
        env = "LLM_BENCH_MOCK_PROFILE",
        default_value = ""
    )]
    profile: String,

    /// The model name the endpoint reports.
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
}

/// Runs `llm-bench mock`.
pub(crate) fn run(args: MockArgs) -> ExitCode {
    let profile = match LatencyProfile::parse(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "error: --profile (or LLM_BENCH_MOCK_PROFILE) `{}`: {e}",
                args.profile
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args, profile))
}

async fn serve(args: MockArgs, profile: LatencyProfile) -> ExitCode {
    let mut builder = MockServer::builder().profile(profile).addr(args.addr);
    if let Some(model) = &args.model {
        builder = builder.model(model.clone());
    }
    let server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: --addr {}: could not listen: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    println!("{}", server.base_url());
    eprintln!(
        "llm-bench mock: serving model `{}` at {} (OpenAI, Azure, Anthropic /messages); root {} (Cohere, Ollama, TGI); Gemini {}; profile `{}`; Ctrl-C stops it",
        server.model(),
        server.base_url(),
        server.root_url(),
        server.gemini_base_url(),
        server.profile(),
    );
    wait_for_signal().await;
    let served = server.requests_received();
    server.shutdown().await;
    eprintln!(
        "llm-bench mock: stopped after {served} request{}",
        if served == 1 { "" } else { "s" }
    );
    ExitCode::SUCCESS
}

/// Returns on SIGINT or SIGTERM (SIGINT only where there is no SIGTERM).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
