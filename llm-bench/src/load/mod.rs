//! Open-loop load: when each request is due, decided before the run starts and never by
//! how fast earlier requests were answered.
//!
//! - [`schedule`]: a seeded, precomputed schedule of arrival offsets for a rate, an arrival
//!   process (constant, Poisson, gamma) and an optional linear ramp-up;
//! - [`trace`]: the offsets (and prompts, prompt and output lengths) of a recorded trace,
//!   read from a JSON-lines file (our format or Mooncake's).
//!
//! The grammar users write (`rate = "200/s"`, `arrival = "gamma:0.5"`, sweep steps, the
//! search range, the ramp-up) is in `rules/load.rs`, shared with the attribute crate.
//! Nothing here does I/O but reading a trace file.

#[cfg(test)]
pub(crate) mod ks;
pub(crate) mod request;
pub(crate) mod schedule;
pub(crate) mod trace;
