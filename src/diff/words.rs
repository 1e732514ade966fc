//! Word-level comparison: similarity ratios between texts, as the release diff defines them.

use rustc_hash::FxHashMap as HashMap;

use similar::{Algorithm, DiffOp, capture_diff_slices, diff_ratio};

/// The words of a text: whitespace-separated tokens, so re-wrapping changes nothing.
pub fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// True when two texts have the same words in the same order.
pub fn same_words(old: &str, new: &str) -> bool {
    old == new || old.split_whitespace().eq(new.split_whitespace())
}

/// Histogram similarities from here up to the re-read threshold are recomputed exactly.
pub const EXACT_FROM: f32 = 0.3;

/// Texts with more words than this between them (a chapter of some 10,000 words, several
/// times the longest procedures) are compared by anchors instead of a word diff, whose
/// cost on repetitive text grows with the square of its length: a 1 MiB chapter of one
/// word repeated took 9 s.
pub const MAX_DIFF_WORDS: usize = 20_000;

/// Similarity of two texts in `0..=1`: twice the words a word-level diff keeps, over the
/// words in both (1.0 when both have no words).
///
/// The diff runs in two steps, as git's word diff does: lines first, then the words of
/// each changed run of lines. An edit touches a few lines of a long chapter, so the word
/// diff stays small. Both steps use git's histogram diff, which is near-linear even on
/// rewritten text and, on ordinary edits, keeps exactly what an optimal (Myers) diff
/// keeps. It can only keep fewer words than the optimum, so a result of 0.5 or more is
/// final for the re-read verdict. Between [`EXACT_FROM`] and 0.5 an optimal word diff of
/// the whole text settles the case; below, the text has been rewritten and keeps the
/// cheaper figure (on generated and sample rewrites the optimum was at most 0.17 higher).
///
/// Past [`MAX_DIFF_WORDS`], the words kept are counted by [`kept_by_anchors`], in
/// near-linear time; it too can only keep fewer words than the optimum.
pub fn similarity<'a>(old: &'a str, new: &'a str) -> f32 {
    let (old_words, new_words) = (words(old), words(new));
    let total = old_words.len() + new_words.len();
    if total > MAX_DIFF_WORDS {
        let (old_ids, new_ids) = interned(&old_words, &new_words);
        return ratio(kept_by_anchors(&old_ids, &new_ids), total);
    }
    diffed_similarity(old, new)
}

fn diffed_similarity<'a>(old: &'a str, new: &'a str) -> f32 {
    // Blank lines carry no words and would only anchor the line diff in the wrong places.
    let lines = |text: &'a str| -> Vec<&'a str> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    };
    let (old_lines, new_lines) = (lines(old), lines(new));
    // Lines become integers, as words do below: hashing a line once beats comparing it
    // many times.
    let mut line_ids: HashMap<&'a str, u32> = HashMap::default();
    let mut intern_line = |l: &&'a str| {
        let next = line_ids.len() as u32;
        *line_ids.entry(*l).or_insert(next)
    };
    let old_line_ids: Vec<u32> = old_lines.iter().map(&mut intern_line).collect();
    let new_line_ids: Vec<u32> = new_lines.iter().map(&mut intern_line).collect();
    let old_counts: Vec<usize> = old_lines
        .iter()
        .map(|l| l.split_whitespace().count())
        .collect();
    let new_total: usize = new_lines.iter().map(|l| l.split_whitespace().count()).sum();
    let old_total: usize = old_counts.iter().sum();
    let total = old_total + new_total;
    if total == 0 {
        return 1.0;
    }
    let mut kept = 0usize;
    for op in capture_diff_slices(Algorithm::Histogram, &old_line_ids, &new_line_ids) {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        if let DiffOp::Equal { .. } = op {
            kept += old_counts[old_range].iter().sum::<usize>();
        } else {
            let old_words: Vec<&str> = old_lines[old_range]
                .iter()
                .flat_map(|l| l.split_whitespace())
                .collect();
            let new_words: Vec<&str> = new_lines[new_range]
                .iter()
                .flat_map(|l| l.split_whitespace())
                .collect();
            kept += kept_words(Algorithm::Histogram, &old_words, &new_words);
        }
    }
    let fast = ratio(kept, total);
    if (EXACT_FROM..super::REREAD_SIMILARITY).contains(&fast) {
        let exact = kept_words(Algorithm::Myers, &words(old), &words(new)).max(kept);
        ratio(exact, total)
    } else {
        fast
    }
}

/// The similarity an optimal (Myers) word diff gives: what [`similarity`] approximates from
/// below, and the same whichever text comes first. Rename detection decides with it: near
/// the 80% threshold the histogram figure can fall short in one direction only, and a
/// chapter would be renamed going forwards but added and removed going back.
pub fn exact_similarity(old: &str, new: &str) -> f32 {
    let (old, new) = (words(old), words(new));
    let total = old.len() + new.len();
    if total == 0 {
        return 1.0;
    }
    ratio(kept_words(Algorithm::Myers, &old, &new), total)
}

fn ratio(kept: usize, total: usize) -> f32 {
    2.0 * kept as f32 / total as f32
}

/// How many words a diff of two word sequences keeps.
fn kept_words<'a>(algorithm: Algorithm, old: &[&'a str], new: &[&'a str]) -> usize {
    if old.is_empty() || new.is_empty() {
        return 0;
    }
    // Words become integers first: a diff compares each pair many times.
    let (old_ids, new_ids) = interned(old, new);
    let ops = capture_diff_slices(algorithm, &old_ids, &new_ids);
    let r = diff_ratio(&ops, old.len(), new.len());
    (r * (old.len() + new.len()) as f32 / 2.0).round() as usize
}

/// Two word sequences as integers, equal words equal integers.
fn interned<'a>(old: &[&'a str], new: &[&'a str]) -> (Vec<u32>, Vec<u32>) {
    let mut ids: HashMap<&'a str, u32> = HashMap::default();
    let mut intern = |w: &&'a str| {
        let next = ids.len() as u32;
        *ids.entry(*w).or_insert(next)
    };
    let old_ids = old.iter().map(&mut intern).collect();
    let new_ids = new.iter().map(&mut intern).collect();
    (old_ids, new_ids)
}

/// How many words two long sequences keep, counted from anchors as patience diff finds
/// them: the words found once on each side, in the longest chain that keeps their order,
/// each extended over the equal words before and after it. Every word counted is kept by
/// some diff, so this is never more than the optimum; on an edited text it misses little,
/// since the stretches between edits are found whole from their anchors.
fn kept_by_anchors(old: &[u32], new: &[u32]) -> usize {
    // What both start and end with is kept as it is, repeated words or not.
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let (old, new) = (&old[prefix..], &new[prefix..]);
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old, new) = (&old[..old.len() - suffix], &new[..new.len() - suffix]);
    prefix + suffix + kept_between_anchors(old, new)
}

fn kept_between_anchors(old: &[u32], new: &[u32]) -> usize {
    // Per word: occurrences on each side and the position of the last one.
    let mut seen: HashMap<u32, (u32, u32, usize, usize)> = HashMap::default();
    for (i, w) in old.iter().enumerate() {
        let e = seen.entry(*w).or_default();
        e.0 += 1;
        e.2 = i;
    }
    for (j, w) in new.iter().enumerate() {
        let e = seen.entry(*w).or_default();
        e.1 += 1;
        e.3 = j;
    }
    // Unique pairs in the old order; their new positions' longest increasing run.
    let pairs: Vec<(usize, usize)> = old
        .iter()
        .filter_map(|w| match seen[w] {
            (1, 1, i, j) => Some((i, j)),
            _ => None,
        })
        .collect();
    let mut tails: Vec<usize> = Vec::new(); // per chain length, the pair ending it
    let mut previous: Vec<Option<usize>> = vec![None; pairs.len()];
    for (k, &(_, j)) in pairs.iter().enumerate() {
        let at = tails.partition_point(|&t| pairs[t].1 < j);
        previous[k] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(k);
        } else {
            tails[at] = k;
        }
    }
    let mut chain = Vec::with_capacity(tails.len());
    let mut link = tails.last().copied();
    while let Some(k) = link {
        chain.push(pairs[k]);
        link = previous[k];
    }
    chain.reverse();
    let (mut kept, mut old_end, mut new_end) = (0, 0, 0);
    for (i, j) in chain {
        if i < old_end || j < new_end {
            continue; // inside the stretch of an earlier anchor
        }
        let (mut start_old, mut start_new) = (i, j);
        while start_old > old_end && start_new > new_end && old[start_old - 1] == new[start_new - 1]
        {
            start_old -= 1;
            start_new -= 1;
        }
        let (mut end_old, mut end_new) = (i, j);
        while end_old < old.len() && end_new < new.len() && old[end_old] == new[end_new] {
            end_old += 1;
            end_new += 1;
        }
        kept += end_old - start_old;
        (old_end, new_end) = (end_old, end_new);
    }
    kept
}

/// The best similarity two texts' lengths allow: every word of the shorter one kept.
pub fn length_bound(old: &WordCounts<'_>, new: &WordCounts<'_>) -> f32 {
    let total = old.total + new.total;
    if total == 0 {
        1.0
    } else {
        ratio(old.total.min(new.total), total)
    }
}

/// A text's words as counts, for [`similarity_bound`]: computed once per chapter, then
/// compared against many others.
pub struct WordCounts<'a> {
    counts: HashMap<&'a str, u32>,
    total: usize,
}

impl<'a> WordCounts<'a> {
    pub fn new(text: &'a str) -> WordCounts<'a> {
        let mut counts: HashMap<&str, u32> = HashMap::default();
        let mut total = 0;
        for w in text.split_whitespace() {
            *counts.entry(w).or_default() += 1;
            total += 1;
        }
        WordCounts { counts, total }
    }

    /// How many words the text has.
    pub fn total(&self) -> usize {
        self.total
    }
}

/// An upper bound of [`similarity`] computed from word counts alone, ignoring order.
/// Cheap enough to run on every pair of rename candidates before the real diff.
pub fn similarity_bound(old: &WordCounts<'_>, new: &WordCounts<'_>) -> f32 {
    let total = old.total + new.total;
    if total == 0 {
        return 1.0;
    }
    let best = length_bound(old, new);
    if best < 0.5 {
        return best;
    }
    let (small, large) = if old.counts.len() <= new.counts.len() {
        (old, new)
    } else {
        (new, old)
    };
    let shared: usize = small
        .counts
        .iter()
        .map(|(w, &c)| c.min(large.counts.get(w).copied().unwrap_or(0)) as usize)
        .sum();
    ratio(shared, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrapping_is_not_a_change() {
        assert!(same_words("one two\nthree   four\n", "one\ntwo three four"));
        assert_eq!(
            similarity("one two\nthree   four\n", "one\ntwo three four"),
            1.0
        );
    }

    #[test]
    fn similarity_counts_kept_words() {
        assert!((similarity("a b c d", "a b x d") - 0.75).abs() < 1e-6);
        assert_eq!(similarity("a b", "c d"), 0.0);
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("a b", ""), 0.0);
    }

    #[test]
    fn an_edit_in_one_line_counts_only_its_words() {
        let old = "first line of text here\nsecond line stays\nthird line stays too\n";
        let new = "first line of prose here\nsecond line stays\nthird line stays too\n";
        // 11 of 12 words kept on each side.
        assert!((similarity(old, new) - 11.0 / 12.0).abs() < 1e-6);
    }

    #[test]
    fn words_moved_across_lines_are_still_kept() {
        let old = "alpha beta gamma\ndelta epsilon\n";
        let new = "alpha beta\ngamma delta epsilon zeta\n";
        assert!((similarity(old, new) - 10.0 / 11.0).abs() < 1e-6);
    }

    #[test]
    fn near_the_threshold_the_optimal_diff_decides() {
        // Histogram anchors on the unique words and loses the common ones around them;
        // the optimal diff keeps them.
        let old = "x a a a a y b b b b";
        let new = "y a a a a x b b b b";
        assert!(similarity(old, new) >= 0.8 - 1e-6);
    }

    #[test]
    fn long_texts_are_compared_by_anchors() {
        let long: Vec<String> = (0..MAX_DIFF_WORDS).map(|k| format!("w{k}")).collect();
        let old = long.join(" ");
        // An edit near each end: nearly everything is kept.
        let new = format!(
            "New start. {} and a new end.",
            old.replacen("w5 ", "five ", 1)
        );
        let s = similarity(&old, &new);
        assert!(s > 0.99, "{s}");
        // The same word over and over against another: no anchors, and no hang.
        let same = "a ".repeat(100_000);
        let other = "b ".repeat(100_000);
        assert_eq!(similarity(&same, &other), 0.0);
        // What both begin and end with is kept, however repetitive.
        let longer = format!("{same}b {same}");
        assert!(
            similarity(&same, &longer) > 0.66,
            "{}",
            similarity(&same, &longer)
        );
        let (o, n) = interned(&["x", "a", "b", "c", "y"], &["a", "b", "x", "c", "y"]);
        // "x" moved: the anchors keep a, b (from c backwards), c and y.
        assert_eq!(kept_by_anchors(&o, &n), 4);
    }

    #[test]
    fn the_bound_is_never_below_the_real_similarity() {
        let a = "the child was seen alone by the social worker";
        let b = "the social worker saw the child alone";
        let bound = |x: &str, y: &str| similarity_bound(&WordCounts::new(x), &WordCounts::new(y));
        assert!(bound(a, b) >= similarity(a, b));
        assert_eq!(bound("a b", "c d"), 0.0);
        assert!(bound("a", "a b c d e f") < 0.5);
    }
}
