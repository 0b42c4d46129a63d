//! Settings of a scenario that do not go together, whoever gives them: the attribute (at
//! compile time) and the `llm-bench run` config file (at load time) report the same
//! conflicts with the same words.

/// The conflicts among the settings `given` says are present (by their attribute names:
/// `rate`, `concurrency`, ...), each as the key to point at and the message.
pub(crate) fn conflicts(given: impl Fn(&str) -> bool) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    if given("trace") && (given("rate") || given("concurrency")) {
        found.push((
            "trace",
            "a replayed trace sets when each request starts: leave out `rate` and `concurrency`"
                .to_owned(),
        ));
    }
    if given("rate") && given("concurrency") {
        found.push((
            "rate",
            "give `rate` (open loop: requests start on a schedule) or `concurrency` (closed loop: a fixed number in flight), not both".to_owned(),
        ));
    }
    if !given("rate") {
        for key in ["arrival", "ramp_up"] {
            if given(key) {
                found.push((
                    key,
                    format!("`{key}` shapes an open-loop schedule: give `rate = \"...\"` too, e.g. `rate = \"20/s\"`"),
                ));
            }
        }
    }
    if given("sweep") && given("search") {
        found.push((
            "search",
            "give `sweep` (every step) or `search` (the highest load meeting `slo`), not both"
                .to_owned(),
        ));
    }
    if given("search") && !given("slo") {
        found.push((
            "search",
            "a search looks for the highest load that meets the objectives: give them too, e.g. `slo = \"p99 ttft <= 500ms\"`".to_owned(),
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::conflicts;

    fn of(keys: &[&str]) -> Vec<&'static str> {
        conflicts(|key| keys.contains(&key))
            .into_iter()
            .map(|(key, _)| key)
            .collect()
    }

    #[test]
    fn each_conflict_points_at_its_key() {
        assert!(of(&["rate", "arrival", "ramp_up", "slo", "search"]).is_empty());
        assert_eq!(of(&["rate", "concurrency"]), ["rate"]);
        assert_eq!(of(&["trace", "concurrency"]), ["trace"]);
        assert_eq!(of(&["arrival", "ramp_up"]), ["arrival", "ramp_up"]);
        assert_eq!(of(&["sweep", "search"]), ["search", "search"]);
        assert_eq!(of(&["search", "slo"]), Vec::<&str>::new());
    }
}
