//! Hostile input, for the property tests (`hostile_tests`, and the providers' own) and the
//! fuzz targets (`fuzz`): [`check_splits`] feeds one body whole, in given reads and byte by
//! byte, and checks the promises of the [framing layer](super) on it: no panic, the same
//! frames and the same error for every split, the error repeated once poisoned, and no
//! buffer of the decoder ever holding more than its limit ([`Bounded`]).

use std::fmt::Debug;

use super::{FrameDecoder, Poisoning};

/// What a decoder holds for the frame it has not finished, buffer by buffer, against the
/// limits its documentation states.
pub(crate) trait Bounded {
    /// Each buffer: its name, the bytes it holds now, and the most it may hold.
    fn buffers(&self) -> Vec<(&'static str, usize, usize)>;
}

/// What a decoder made of a body: the frames, and `Ok` or the first error.
pub(crate) type Outcome<D> = (
    Vec<<D as FrameDecoder>::Frame>,
    Result<(), <D as FrameDecoder>::Error>,
);

/// Feeds `input` to `decoder` (in [`Poisoning`]) in reads that end at `cuts` (sorted, in
/// range) and at its end, then finishes it; stops at the first error, which a further read
/// must repeat. After every step, checks that no buffer passes its limit (`Err` says
/// which, and where).
pub(crate) fn run_bounded<D>(decoder: D, input: &[u8], cuts: &[usize]) -> Result<Outcome<D>, String>
where
    D: FrameDecoder + Bounded,
    D::Error: PartialEq,
{
    let mut decoder = Poisoning::new(decoder);
    let mut out = Vec::new();
    let mut start = 0;
    let mut result = Ok(());
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        result = decoder.feed(&input[start..cut], &mut out);
        check_bounds(decoder.get_ref(), cut)?;
        start = cut;
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = decoder.finish(&mut out);
        check_bounds(decoder.get_ref(), input.len())?;
    }
    if let Err(e) = &result {
        let frames = out.len();
        let again = decoder.feed(b"data: x\n\n{}\n", &mut out);
        if again.as_ref() != Err(e) || out.len() != frames {
            return Err(format!("poisoned by {e:?}, a further read gave {again:?}"));
        }
    }
    Ok((out, result))
}

/// Fails if a buffer of `decoder` holds more than its limit after the read that ends at byte
/// `at`.
fn check_bounds<D: Bounded>(decoder: &D, at: usize) -> Result<(), String> {
    for (name, held, limit) in decoder.buffers() {
        if held > limit {
            return Err(format!(
                "after byte {at}: the {name} buffer holds {held} bytes, over its limit of {limit}"
            ));
        }
    }
    Ok(())
}

/// The property, for one body: fed whole, in reads ending at `cuts` (any offsets: they are
/// clamped and sorted here), and byte by byte when `bytewise`, `input` gives the same frames
/// and the same result, and the decoder stays within its limits. `make` builds a fresh
/// decoder. `Err` describes the first violation.
pub(crate) fn check_splits<D>(
    make: impl Fn() -> D,
    input: &[u8],
    cuts: &[usize],
    bytewise: bool,
) -> Result<(), String>
where
    D: FrameDecoder + Bounded,
    D::Frame: PartialEq + Debug,
    D::Error: PartialEq,
{
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.sort_unstable();
    let whole = run_bounded(make(), input, &[])?;
    let split = run_bounded(make(), input, &cuts)?;
    if split != whole {
        return Err(format!(
            "reads ending at {cuts:?} gave {split:?}, one read gave {whole:?}"
        ));
    }
    if bytewise {
        let cuts: Vec<usize> = (1..input.len()).collect();
        let one_by_one = run_bounded(make(), input, &cuts)?;
        if one_by_one != whole {
            return Err(format!(
                "byte by byte gave {one_by_one:?}, one read gave {whole:?}"
            ));
        }
    }
    Ok(())
}
