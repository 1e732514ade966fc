//! One pass of a query over the index: the best hits in force on a day, and how many
//! match in all and per manual (up to [`COUNTED_MATCHES`]). The query comes in two parts
//! whose scores add up ([`TextQuery`]): its phrases and intersections match fewer
//! chapters and are scored first, each with its terms' score added; then tantivy's pruning
//! search (block-max WAND) runs over the union of terms alone, which skips documents that
//! cannot reach the top, for the chapters the first part did not find. A match is kept
//! only when in force (one bit, [`super::filter`]). The counts come from a walk that
//! scores nothing and stops at the cap.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::{BitSet, DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use super::COUNTED_MATCHES;
use super::filter::{Filters, Manuals};
use super::query::TextQuery;

/// What one pass found.
pub(super) struct Pass {
    /// Best first.
    pub hits: Vec<(Score, DocAddress)>,
    /// Matches counted, at most [`COUNTED_MATCHES`].
    pub total: usize,
    /// True when more match than were counted.
    pub more: bool,
    /// Matches per manual, whatever the manual asked for (of those counted).
    pub facets: BTreeMap<String, u64>,
}

/// Runs `query` on `day` (days since the common era), keeping the `limit` best hits of
/// `manual` (of every manual when `None`).
pub(super) fn run(
    searcher: &Searcher,
    filters: &Filters,
    query: &TextQuery,
    day: i64,
    manual: Option<&str>,
    limit: usize,
) -> tantivy::Result<Pass> {
    let counting = query
        .whole()
        .weight(EnableScoring::disabled_from_searcher(searcher))?;
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let terms = query.terms().weight(scoring)?;
    let others = query.others().map(|q| q.weight(scoring)).transpose()?;
    let mut best = Best::new(limit);
    let mut counts = Counts::default();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let view = filters.view(reader, day)?;
        let (in_force, manuals) = (&*view.in_force, &*view.manuals);
        let wanted = manual.map(|m| manuals.number_of(m));
        if !counts.segment(&*counting, reader, manuals, wanted, in_force)? {
            continue;
        }
        let kept = |doc: DocId| {
            in_force.contains(doc)
                && wanted.is_none_or(|n| n.is_some_and(|n| manuals.of_doc[doc as usize] == n))
        };
        let segment = ord as u32;
        // The phrases' matches, each scored whole; the union of terms then skips them.
        let mut scored: Vec<DocId> = Vec::new();
        if let Some(others) = &others {
            let mut rest = others.scorer(reader, 1.0)?;
            let mut words = terms.scorer(reader, 1.0)?;
            let mut doc = rest.doc();
            while doc != TERMINATED {
                if kept(doc) {
                    let mut score = rest.score();
                    if words.doc() < doc {
                        words.seek(doc);
                    }
                    if words.doc() == doc {
                        score += words.score();
                    }
                    best.offer(score, DocAddress::new(segment, doc));
                    scored.push(doc);
                }
                doc = rest.advance();
            }
        }
        if query.terms.is_empty() {
            continue;
        }
        terms.for_each_pruning(best.threshold(), reader, &mut |doc, score| {
            if kept(doc) && scored.binary_search(&doc).is_err() {
                best.offer(score, DocAddress::new(segment, doc));
            }
            best.threshold()
        })?;
    }
    Ok(Pass {
        hits: best.into_sorted(),
        total: counts.total,
        more: counts.more,
        facets: counts.facets,
    })
}

/// Matches counted so far, in all (of the manual asked for) and per manual.
#[derive(Default)]
struct Counts {
    total: usize,
    more: bool,
    facets: BTreeMap<String, u64>,
}

impl Counts {
    /// Counts a segment's matches in force (`wanted`: the manual asked for, by its number
    /// in the segment, `Some(None)` when the segment has none of it) until one more than
    /// [`COUNTED_MATCHES`] is seen. False when the segment surely has no match to score.
    fn segment(
        &mut self,
        counting: &dyn Weight,
        reader: &SegmentReader,
        manuals: &Manuals,
        wanted: Option<Option<u32>>,
        in_force: &BitSet,
    ) -> tantivy::Result<bool> {
        if self.more {
            return Ok(true);
        }
        let mut per_manual = vec![0u64; manuals.names.len()];
        let mut found = 0usize;
        let mut scorer = counting.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if in_force.contains(doc) {
                let number = manuals.of_doc[doc as usize];
                let counted = wanted.is_none_or(|n| n == Some(number));
                if counted && self.total + found == COUNTED_MATCHES {
                    // One more than the cap: enough to say "more".
                    self.more = true;
                    break;
                }
                if let Some(count) = per_manual.get_mut(number as usize) {
                    *count += 1;
                }
                found += usize::from(counted);
            }
            doc = scorer.advance();
        }
        self.total += found;
        for (name, count) in manuals.names.iter().zip(&per_manual) {
            if *count > 0 {
                *self.facets.entry(name.clone()).or_default() += count;
            }
        }
        Ok(wanted != Some(None) && (found > 0 || self.more))
    }
}

/// A hit as kept among the best: higher scores first, then the earlier document (the
/// order tantivy's own top-documents collector gives).
#[derive(PartialEq)]
struct Ranked(Score, DocAddress);

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Ranked) -> Ordering {
        // Greater is better: so the heap's top (its greatest under `Reverse`) is the worst.
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Ranked) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The `limit` best hits offered so far.
struct Best {
    limit: usize,
    heap: BinaryHeap<std::cmp::Reverse<Ranked>>,
}

impl Best {
    fn new(limit: usize) -> Best {
        Best {
            limit: limit.max(1),
            heap: BinaryHeap::with_capacity(limit.max(1) + 1),
        }
    }

    /// The score a hit must beat to be kept: the worst kept one's, once there are enough.
    fn threshold(&self) -> Score {
        if self.heap.len() < self.limit {
            Score::NEG_INFINITY
        } else {
            self.heap.peek().map_or(Score::NEG_INFINITY, |w| w.0.0)
        }
    }

    fn offer(&mut self, score: Score, address: DocAddress) {
        let ranked = Ranked(score, address);
        if self.heap.len() < self.limit {
            self.heap.push(std::cmp::Reverse(ranked));
        } else if self.heap.peek().is_some_and(|worst| ranked > worst.0) {
            self.heap.pop();
            self.heap.push(std::cmp::Reverse(ranked));
        }
    }

    fn into_sorted(self) -> Vec<(Score, DocAddress)> {
        let mut hits: Vec<Ranked> = self.heap.into_iter().map(|r| r.0).collect();
        hits.sort_by(|a, b| b.cmp(a));
        hits.into_iter().map(|Ranked(s, a)| (s, a)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_are_kept_higher_scores_first_then_earlier_documents() {
        let mut best = Best::new(3);
        assert_eq!(best.threshold(), Score::NEG_INFINITY);
        for (score, doc) in [(1.0, 0), (5.0, 1), (3.0, 2), (5.0, 3), (0.5, 4), (3.0, 5)] {
            if score > best.threshold() {
                best.offer(score, DocAddress::new(0, doc));
            }
        }
        let kept: Vec<(Score, u32)> = best
            .into_sorted()
            .iter()
            .map(|(s, a)| (*s, a.doc_id))
            .collect();
        assert_eq!(kept, vec![(5.0, 1), (5.0, 3), (3.0, 2)]);
    }
}
