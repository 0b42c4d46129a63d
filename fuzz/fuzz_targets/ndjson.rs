//! Fuzzes the NDJSON decoder: the first two bytes pick its limit and the read splits, the
//! rest is the body (see `llm_bench::__fuzz`, feature `fuzzing`). A panic is a finding:
//! a crash, a split that changes the frames or the error, or a buffer over its limit.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| llm_bench::__fuzz::ndjson(data));
