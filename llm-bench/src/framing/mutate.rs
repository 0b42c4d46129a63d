//! Mutations of valid streams, for the hostile-input property tests of the framings and of
//! the providers' parsers: [`mutated`] applies a few random [`Mutation`]s to a body (byte
//! flips, insertions, deletions, duplicated chunks, truncation, line-end rewrites, invalid
//! UTF-8, huge lines), [`cuts`] gives random read splits, and [`property`] runs a property
//! for a bounded number of cases from a fixed seed.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Invalid UTF-8 sequences: a stray byte, lone lead bytes, a truncated sequence, an
/// encoded surrogate, an overlong encoding, a code point past U+10FFFF.
const INVALID_UTF8: &[&[u8]] = &[
    b"\xFF",
    b"\xC3",
    b"\xE2\x82",
    b"\xF0\x9F\x8D",
    b"\xED\xA0\x80",
    b"\xC0\xAF",
    b"\xF4\x90\x80\x80",
    b"\x80\x80",
];

/// One change to a body. Offsets (and choices) are raw numbers, taken modulo the body's
/// length (plus one) when applied, so a mutation fits any body.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// XORs the byte at an offset with a non-zero mask.
    Flip(usize, u8),
    /// Inserts bytes (random, or framing punctuation) at an offset.
    Insert(usize, Vec<u8>),
    /// Deletes up to `len` bytes from an offset.
    Delete(usize, usize),
    /// Repeats the chunk of up to `len` bytes at an offset right after itself.
    Duplicate(usize, usize),
    /// Cuts the body at an offset.
    Truncate(usize),
    /// Rewrites the next `count` line ends after an offset: each becomes LF, CR or CRLF
    /// (the style picked per line end from `styles`).
    LineEnds(usize, usize, u64),
    /// Inserts one of the invalid UTF-8 sequences at an offset.
    InvalidUtf8(usize, usize),
    /// Inserts a run of `len` copies of a byte that ends no line at an offset.
    HugeLine(usize, usize, u8),
}

/// A mutation; `huge` is the largest run a [`Mutation::HugeLine`] inserts.
fn mutation(huge: usize) -> impl Strategy<Value = Mutation> {
    let punctuation = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n\r\n".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b":".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(vec![0]),
        Just(vec![0, 0, 0, 16, 0, 0, 0, 0]),
        Just(vec![0xFF, 0xFF, 0xFF, 0xFF]),
    ];
    let inserted = prop_oneof![punctuation, prop::collection::vec(any::<u8>(), 1..16),];
    prop_oneof![
        3 => (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        3 => (any::<usize>(), inserted).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        2 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete(at, len)),
        2 => (any::<usize>(), 1usize..256).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), 1usize..32, any::<u64>())
            .prop_map(|(at, count, styles)| Mutation::LineEnds(at, count, styles)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(at, which)| Mutation::InvalidUtf8(at, which)),
        1 => (any::<usize>(), 1..=huge.max(1), prop_oneof![Just(b'x'), Just(b' '), Just(0xFF)])
            .prop_map(|(at, len, byte)| Mutation::HugeLine(at, len, byte)),
    ]
}

impl Mutation {
    /// Applies the mutation to `body`.
    pub(crate) fn apply(&self, body: &mut Vec<u8>) {
        let at = |i: &usize| i % (body.len() + 1);
        match self {
            Mutation::Flip(i, mask) => {
                if !body.is_empty() {
                    let at = i % body.len();
                    body[at] ^= mask;
                }
            }
            Mutation::Insert(i, bytes) => {
                let at = at(i);
                body.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(i, len) => {
                let at = at(i);
                let end = at.saturating_add(*len).min(body.len());
                body.drain(at..end);
            }
            Mutation::Duplicate(i, len) => {
                let at = at(i);
                let end = at.saturating_add(*len).min(body.len());
                let chunk = body[at..end].to_vec();
                body.splice(end..end, chunk);
            }
            Mutation::Truncate(i) => {
                let at = at(i);
                body.truncate(at);
            }
            Mutation::LineEnds(i, count, styles) => {
                let at = at(i);
                let tail = rewrite_line_ends(&body[at..], *count, *styles);
                body.truncate(at);
                body.extend_from_slice(&tail);
            }
            Mutation::InvalidUtf8(i, which) => {
                let at = at(i);
                let bytes = INVALID_UTF8[which % INVALID_UTF8.len()];
                body.splice(at..at, bytes.iter().copied());
            }
            Mutation::HugeLine(i, len, byte) => {
                let at = at(i);
                body.splice(at..at, std::iter::repeat_n(*byte, *len));
            }
        }
    }
}

/// `bytes` with its first `count` line ends (LF, CR or CRLF) rewritten, each to the style
/// that two bits of `styles` pick (LF, CR, CRLF, or LF again).
fn rewrite_line_ends(bytes: &[u8], count: usize, styles: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + count);
    let mut done = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if done < count && (b == b'\n' || b == b'\r') {
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            let style = (styles >> ((done % 32) * 2)) & 3;
            out.extend_from_slice(match style {
                1 => b"\r",
                2 => b"\r\n",
                _ => b"\n",
            });
            done += 1;
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// `base` bodies with 1 to 5 mutations applied; a [`Mutation::HugeLine`] inserts at most
/// `huge` bytes.
pub(crate) fn mutated(
    base: impl Strategy<Value = Vec<u8>>,
    huge: usize,
) -> impl Strategy<Value = Vec<u8>> {
    (base, prop::collection::vec(mutation(huge), 1..6)).prop_map(|(mut body, mutations)| {
        for m in &mutations {
            m.apply(&mut body);
        }
        body
    })
}

/// Up to 16 read boundaries, as raw numbers to [`resolve`] against a body's length.
pub(crate) fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..16)
}

/// The offsets of `cuts` in a body of `len` bytes, sorted.
pub(crate) fn resolve(cuts: &[usize], len: usize) -> Vec<usize> {
    let mut offsets: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    offsets.sort_unstable();
    offsets
}

/// Runs `test` on `cases` values of `strategy`, drawn from a fixed seed (the same cases on
/// every run), and panics with `name`, the smallest failing value found and what `test`
/// said of it.
pub(crate) fn property<S>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), String>,
) where
    S: Strategy,
    S::Value: Debug,
{
    // Heavy on both cores: never beside a test that measures time.
    let _alone = crate::test_support::exclusive_blocking();
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x5EED_F022),
        max_shrink_iters: 512,
        ..Config::default()
    };
    let result =
        TestRunner::new(config).run(&strategy, |value| test(value).map_err(TestCaseError::fail));
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_are_rewritten_in_order() {
        // Styles, two bits per line end: CR (1), CRLF (2), LF (0).
        let styles = 1 | (2 << 2);
        assert_eq!(
            rewrite_line_ends(b"a\r\nb\nc\rd\n", 3, styles),
            b"a\rb\r\nc\nd\n"
        );
        assert_eq!(rewrite_line_ends(b"a\r\n", 0, 0), b"a\r\n");
    }

    #[test]
    fn mutations_fit_any_body() {
        let mut body = b"abcdef".to_vec();
        Mutation::Duplicate(1, 3).apply(&mut body);
        assert_eq!(body, b"abcdbcdef");
        Mutation::Delete(7, 2).apply(&mut body);
        Mutation::Flip(10, 0x20).apply(&mut body);
        Mutation::HugeLine(1, 3, b'x').apply(&mut body);
        assert_eq!(body, b"axxxbcDbcd", "offsets are taken modulo the length");
        Mutation::Truncate(0).apply(&mut body);
        Mutation::Flip(3, 1).apply(&mut body);
        Mutation::Delete(usize::MAX, 9).apply(&mut body);
        Mutation::Duplicate(usize::MAX, 9).apply(&mut body);
        assert!(body.is_empty());
        Mutation::InvalidUtf8(0, 0).apply(&mut body);
        assert_eq!(body, b"\xFF");
    }
}
