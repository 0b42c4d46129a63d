//! The entry points of the fuzz targets (`fuzz/` at the repository root, through the hidden
//! `llm_bench::__fuzz` of the internal feature `fuzzing`). Each takes the fuzzer's bytes:
//! the first picks the decoder's limit, the second seeds the read splits, the rest is the
//! body, which [`check_splits`] runs whole, split and (when short) byte by byte. A broken
//! promise of the [framing layer](super) panics, which the fuzzer reports.

use super::eventstream::{self, EventStreamDecoder};
use super::hostile::check_splits;
use super::json_array::{self, JsonArrayDecoder};
use super::ndjson::{self, NdjsonDecoder};
use super::sse::{self, SseDecoder};

/// Bodies up to this length are also fed byte by byte.
const BYTEWISE_UP_TO: usize = 512;

/// One run, read from the fuzzer's bytes.
struct Plan<'a> {
    /// A small limit, or `None` for the decoder's default.
    limit: Option<usize>,
    /// Where reads end (any order; [`check_splits`] sorts them).
    cuts: Vec<usize>,
    /// The body.
    body: &'a [u8],
}

impl<'a> Plan<'a> {
    /// Byte 0: the default limit when its top bit is clear, else a limit of 1 to 255 bytes.
    /// Byte 1: the seed of up to 15 read boundaries. Then the body.
    fn new(data: &'a [u8]) -> Self {
        let (header, body) = data.split_at(data.len().min(2));
        let limit = header
            .first()
            .filter(|&&b| b & 0x80 != 0)
            .map(|&b| usize::from(b & 0x7F) * 2 + 1);
        let seed = header.get(1).copied().unwrap_or(0);
        let mut state = u64::from(seed);
        let cuts = (0..seed % 16)
            .map(|_| {
                state = splitmix(state);
                usize::try_from(state % (body.len() as u64 + 1)).unwrap_or(0)
            })
            .collect();
        Plan { limit, cuts, body }
    }

    /// Checks the body with the decoder `make` builds for this run's limit (or `default`),
    /// panicking with `name` on a violation.
    fn check<D>(&self, name: &str, default: usize, make: impl Fn(usize) -> D)
    where
        D: super::FrameDecoder + super::hostile::Bounded,
        D::Frame: PartialEq + std::fmt::Debug,
        D::Error: PartialEq,
    {
        let limit = self.limit.unwrap_or(default);
        let bytewise = self.body.len() <= BYTEWISE_UP_TO;
        if let Err(e) = check_splits(|| make(limit), self.body, &self.cuts, bytewise) {
            panic!("{name} (limit {limit}): {e}");
        }
    }
}

/// One step of SplitMix64.
fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fuzzes the SSE decoder with `data` (see the [module documentation](self)).
pub fn sse(data: &[u8]) {
    Plan::new(data).check(
        "sse",
        sse::DEFAULT_MAX_LINE_LEN,
        SseDecoder::with_max_line_len,
    );
}

/// Fuzzes the NDJSON decoder with `data` (see the [module documentation](self)).
pub fn ndjson(data: &[u8]) {
    Plan::new(data).check(
        "ndjson",
        ndjson::DEFAULT_MAX_LINE_LEN,
        NdjsonDecoder::with_max_line_len,
    );
}

/// Fuzzes the streamed-JSON-array decoder with `data` (see the [module documentation](self)).
pub fn json_array(data: &[u8]) {
    Plan::new(data).check(
        "json_array",
        json_array::DEFAULT_MAX_ELEMENT_LEN,
        JsonArrayDecoder::with_max_element_len,
    );
}

/// Fuzzes the AWS eventstream decoder with `data` (see the [module documentation](self)).
pub fn eventstream(data: &[u8]) {
    Plan::new(data).check(
        "eventstream",
        eventstream::DEFAULT_MAX_FRAME_LEN,
        EventStreamDecoder::with_max_frame_len,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_picks_the_limit_and_the_splits() {
        let plan = Plan::new(b"\x00\x03data: a\n\n");
        assert_eq!(plan.limit, None);
        assert_eq!(plan.cuts.len(), 3);
        assert!(plan.cuts.iter().all(|&c| c <= 10));
        assert_eq!(plan.body, b"data: a\n\n");
        assert_eq!(Plan::new(b"\x83").limit, Some(7));
        assert!(Plan::new(b"").body.is_empty());
    }

    #[test]
    fn every_target_accepts_valid_and_hostile_bodies() {
        let frame = eventstream::Message::new(b"{}".to_vec())
            .encode()
            .unwrap_or_default();
        let bodies: [&[u8]; 5] = [
            b"\x00\x07data: a\r\n\r\nevent: e\rdata: \xFF\n\n",
            b"\x81\x0Fdata: a line over the limit of three\n\n",
            b"\x00\x05[{\"a\": \"}\"}\n,\n{}]\n",
            b"\x00\x05{\"a\":1}\r\n\r\n{\"b\":\xE2\x82\n",
            &[&[0x00, 0x09][..], &frame, &frame[..5]].concat(),
        ];
        for body in bodies {
            sse(body);
            ndjson(body);
            json_array(body);
            eventstream(body);
        }
    }
}
