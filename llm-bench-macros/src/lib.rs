//! The `#[llm_bench]` attribute (stub).
use proc_macro::TokenStream;

/// Registers an async function as a benchmark scenario.
#[proc_macro_attribute]
pub fn llm_bench(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
