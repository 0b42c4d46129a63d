//! "Did you mean ...?" for misspelt option names.

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely
/// typo (at most a third of the word's length, and never more than 3 edits).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|&candidate| (edit_distance(&word, candidate), candidate))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Edit distance between two strings, counted in chars: insertions, deletions,
/// substitutions and swaps of two adjacent chars each cost 1 (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between the first i chars of a and the first j chars of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::{closest, edit_distance};

    const OPTIONS: &[&str] = &[
        "name",
        "group",
        "samples",
        "warmup",
        "concurrency",
        "timeout",
        "model",
    ];

    #[test]
    fn distance() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("sample", "samples"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("modle", "model"), 1);
    }

    #[test]
    fn suggests_typos() {
        assert_eq!(closest("sample", OPTIONS), Some("samples"));
        assert_eq!(closest("warm_up", OPTIONS), Some("warmup"));
        assert_eq!(closest("concurency", OPTIONS), Some("concurrency"));
        assert_eq!(closest("Timeout", OPTIONS), Some("timeout"));
        assert_eq!(closest("modle", OPTIONS), Some("model"));
    }

    #[test]
    fn stays_quiet_for_unrelated_words() {
        assert_eq!(closest("iterations", OPTIONS), None);
        assert_eq!(closest("x", OPTIONS), None);
        assert_eq!(closest("provider", OPTIONS), None);
    }
}
