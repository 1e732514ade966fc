//! One pass of a query over the index: the best hits in force on a day, and how many
//! match in all and per manual. The hits come from tantivy's pruning search (block-max
//! WAND when the query is a union of terms), which skips documents that cannot reach the
//! top; each match it offers is kept only when in force (one bit, [`super::filter`]).
//! The counts come from a second walk that scores nothing.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, Score, Searcher};

use super::filter::Filters;

/// What one pass found.
pub(super) struct Pass {
    /// Best first.
    pub hits: Vec<(Score, DocAddress)>,
    pub total: usize,
    /// Matches per manual, whatever the manual asked for.
    pub facets: BTreeMap<String, u64>,
}

/// Runs `query` on `day` (days since the common era), keeping the `limit` best hits of
/// `manual` (of every manual when `None`).
pub(super) fn run(
    searcher: &Searcher,
    filters: &Filters,
    query: &dyn Query,
    day: i64,
    manual: Option<&str>,
    limit: usize,
) -> tantivy::Result<Pass> {
    let scoring = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let counting = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut best = Best::new(limit);
    let mut total = 0usize;
    let mut facets: BTreeMap<String, u64> = BTreeMap::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let view = filters.view(reader, day)?;
        let (in_force, manuals) = (&*view.in_force, &*view.manuals);
        let wanted = match manual {
            Some(m) => manuals.number_of(m),
            None => None,
        };
        let mut per_manual = vec![0u64; manuals.names.len()];
        counting.for_each_no_score(reader, &mut |docs: &[DocId]| {
            for &doc in docs {
                if in_force.contains(doc)
                    && let Some(count) = per_manual.get_mut(manuals.of_doc[doc as usize] as usize)
                {
                    *count += 1;
                }
            }
        })?;
        for (name, count) in manuals.names.iter().zip(&per_manual) {
            if *count > 0 {
                *facets.entry(name.clone()).or_default() += count;
            }
        }
        total += match (manual, wanted) {
            (None, _) => per_manual.iter().sum::<u64>() as usize,
            (Some(_), Some(n)) => per_manual[n as usize] as usize,
            (Some(_), None) => 0,
        };
        if manual.is_some() && wanted.is_none_or(|n| per_manual[n as usize] == 0) {
            continue;
        }
        if manual.is_none() && per_manual.iter().all(|c| *c == 0) {
            continue;
        }
        let segment = ord as u32;
        scoring.for_each_pruning(best.threshold(), reader, &mut |doc, score| {
            let in_manual = wanted.is_none_or(|n| manuals.of_doc[doc as usize] == n);
            if in_force.contains(doc) && in_manual {
                best.offer(score, DocAddress::new(segment, doc));
            }
            best.threshold()
        })?;
    }
    Ok(Pass {
        hits: best.into_sorted(),
        total,
        facets,
    })
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
