//! Compile-time behaviour of `#[llm_bench]`: what it accepts, and the errors it gives.
//!
//! The expected compiler output lives next to each case in `tests/ui/fail/*.stderr`.
//! After a deliberate change to a message, regenerate them with
//! `TRYBUILD=overwrite cargo test -p llm-bench --test macro_ui` and read the diff.

#[test]
fn macro_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
