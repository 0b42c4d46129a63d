//! Rules that both the `#[llm_bench]` attribute (at compile time) and the harness (on the
//! command line, at run time) apply: one home for each.
//!
//! `llm-bench-macros/src/rules` is a symbolic link to this folder, so the attribute crate
//! compiles these very files (and `cargo package` copies them into its package). Keep them
//! free of anything but `std`, and of `crate::` paths outside this folder.

// Each crate uses a different part of these rules.
#![allow(dead_code)]

pub(crate) mod duration;
pub(crate) mod load;
pub(crate) mod names;
pub(crate) mod slo;
pub(crate) mod stop;
pub(crate) mod suggest;
pub(crate) mod threshold;
pub(crate) mod together;
