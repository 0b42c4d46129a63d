//! What the harness's tests share: a scenario made from a function, the environment of a
//! client pointed at a simulated endpoint, and a phase run and stored as the harness does.

use std::sync::Arc;

use crate::context::ScenarioEnv;
use crate::harness::interrupt::never;
use crate::harness::plan::Plan;
use crate::harness::runner::{run_scenario, Costing, Live};
use crate::harness::summarize::stored_run;
use crate::mock::MockServer;
use crate::scenario::{Scenario, ScenarioConfig, ScenarioFn};
use crate::store::StoredRun;
use crate::Client;

/// A registered-looking scenario called `name` that runs `run`.
pub(crate) fn scenario(name: &'static str, run: ScenarioFn) -> &'static Scenario {
    Box::leak(Box::new(Scenario {
        name,
        group: None,
        module_path: module_path!(),
        file: file!(),
        line: line!(),
        description: "",
        config: ScenarioConfig::default(),
        arg: None,
        arg_index: 0,
        setup: None,
        run,
    }))
}

/// The environment of a scenario whose client speaks to `server`.
pub(crate) fn env_for(server: &MockServer) -> Arc<ScenarioEnv> {
    let client = Client::builder()
        .base_url(server.base_url())
        .model("llm-bench-mock")
        .build()
        .expect("a client of the simulated endpoint");
    Arc::new(ScenarioEnv::new(client, None))
}

/// Runs `plan` of `scenario` (no signal, no cost) and stores it as the harness does, without
/// bootstrap resamples (not what these tests check).
pub(crate) async fn stored_run_of(
    scenario: &'static Scenario,
    env: Arc<ScenarioEnv>,
    plan: &Plan,
) -> StoredRun {
    let live = Arc::new(Live::default());
    let out = run_scenario(
        scenario,
        env,
        plan,
        &Costing::default(),
        never(),
        live,
        |_| {},
    )
    .await;
    let endpoint = crate::store::EndpointInfo {
        kind: "simulated".into(),
        host: String::new(),
        model: None,
    };
    let stats = crate::stats::StatsConfig {
        nresamples: 0,
        ..Default::default()
    };
    stored_run(
        scenario,
        endpoint,
        plan,
        std::time::SystemTime::now(),
        out,
        &stats,
        &[],
    )
}
