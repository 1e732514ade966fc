//! Word-level comparison: similarity ratios between texts, as the release diff defines them.

use std::collections::HashMap;

use similar::{Algorithm, capture_diff_slices, diff_ratio};

/// The words of a text: whitespace-separated tokens, so re-wrapping changes nothing.
pub fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// Similarity of two word sequences in `0..=1`: twice the words kept in order, over the
/// words in both (1.0 for two empty texts).
pub fn similarity(old: &[&str], new: &[&str]) -> f32 {
    if old == new {
        return 1.0;
    }
    let ops = capture_diff_slices(Algorithm::Myers, old, new);
    diff_ratio(&ops, old.len(), new.len())
}

/// An upper bound of [`similarity`] computed from word counts alone, ignoring order.
/// Cheap enough to run on every pair of rename candidates before the real diff.
pub fn similarity_bound(old: &[&str], new: &[&str]) -> f32 {
    let total = old.len() + new.len();
    if total == 0 {
        return 1.0;
    }
    let mut counts: HashMap<&str, i64> = HashMap::with_capacity(old.len());
    for w in old {
        *counts.entry(w).or_default() += 1;
    }
    let mut shared = 0usize;
    for w in new {
        if let Some(c) = counts.get_mut(w)
            && *c > 0
        {
            *c -= 1;
            shared += 1;
        }
    }
    2.0 * shared as f32 / total as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrapping_is_not_a_change() {
        let a = words("one two\nthree   four\n");
        let b = words("one\ntwo three four");
        assert_eq!(similarity(&a, &b), 1.0);
    }

    #[test]
    fn similarity_counts_kept_words() {
        let a = words("a b c d");
        let b = words("a b x d");
        assert!((similarity(&a, &b) - 0.75).abs() < 1e-6);
        assert_eq!(similarity(&words("a b"), &words("c d")), 0.0);
    }

    #[test]
    fn the_bound_is_never_below_the_real_similarity() {
        let a = words("the child was seen alone by the social worker");
        let b = words("the social worker saw the child alone");
        assert!(similarity_bound(&a, &b) >= similarity(&a, &b));
        assert_eq!(similarity_bound(&words("a b"), &words("c d")), 0.0);
    }
}
