//! How far the token estimate is from OpenAI's `o200k_base` encoding, over the answer texts
//! of the recorded stream corpus (`shared/fixtures/sse`). Needs the `tiktoken` feature:
//! `cargo test -p llm-bench --features tiktoken --test tokenizer_accuracy -- --nocapture`
//! (`.ci/run` runs it).
#![cfg(feature = "tiktoken")]

mod corpus_common;

use std::path::PathBuf;

use llm_bench::Tokenizer;
use serde_json::Value;

/// Every non-empty answer or reasoning text of the corpus sidecars.
fn corpus_texts() -> Vec<String> {
    let mut texts = Vec::new();
    let Some(dir) = corpus_common::corpus_dir() else {
        return texts;
    };
    let providers = std::fs::read_dir(&dir).expect("a readable corpus directory");
    let mut files: Vec<PathBuf> = providers
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let json: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let expected = &json["expected"];
        for key in ["text", "reasoning_text", "thinking_text", "thought_text"] {
            if let Some(t) = expected[key].as_str().filter(|t| !t.trim().is_empty()) {
                texts.push(t.to_string());
            }
        }
    }
    texts
}

#[test]
fn the_estimate_is_close_to_o200k_over_the_corpus() {
    let texts = corpus_texts();
    if texts.is_empty() {
        return;
    }
    let exact = Tokenizer::exact("gpt-4o").expect("gpt-4o has an encoding");
    let estimate = Tokenizer::estimate();
    let (mut total_exact, mut total_estimate) = (0u64, 0u64);
    let mut ratios = Vec::new();
    for t in &texts {
        let (x, e) = (exact.count(t), estimate.count(t));
        total_exact += u64::from(x);
        total_estimate += u64::from(e);
        if x >= 20 {
            ratios.push(f64::from(e) / f64::from(x));
        }
    }
    ratios.sort_by(f64::total_cmp);
    let total_ratio = total_estimate as f64 / total_exact as f64;
    let pick = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    eprintln!(
        "{} texts, {total_exact} o200k tokens, estimate {total_estimate} (ratio {total_ratio:.3}); \
         per text of >= 20 tokens ({}): min {:.2} p10 {:.2} median {:.2} p90 {:.2} max {:.2}",
        texts.len(),
        ratios.len(),
        ratios[0],
        pick(0.1),
        pick(0.5),
        pick(0.9),
        ratios[ratios.len() - 1]
    );
    assert!(
        (0.95..=1.08).contains(&total_ratio),
        "estimate/o200k over the corpus: {total_ratio:.3}"
    );
    assert!(
        (0.9..=1.1).contains(&pick(0.5)),
        "median ratio {:.2}",
        pick(0.5)
    );
}

#[test]
fn summing_per_event_counts_matches_counting_the_whole_text_on_token_boundaries() {
    // Servers stream whole tokens, so chunk boundaries are token boundaries; counting each
    // chunk and adding gives the count of the whole.
    let exact = Tokenizer::exact("gpt-4o").unwrap();
    let chunks = ["Hello", ",", " world", "!", " How", " are", " you", "?"];
    let per_chunk: u32 = chunks.iter().map(|c| exact.count(c)).sum();
    assert_eq!(per_chunk, exact.count(&chunks.concat()));
    assert_eq!(per_chunk, 8);
}
