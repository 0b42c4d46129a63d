//! What the harness's tests share: a scenario made from a function, and the environment of
//! a client pointed at a simulated endpoint.

use std::sync::Arc;

use crate::context::ScenarioEnv;
use crate::mock::MockServer;
use crate::scenario::{Scenario, ScenarioConfig, ScenarioFn};
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
