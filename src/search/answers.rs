//! Recent answers, kept per index generation: the same question of the same index has
//! the same answer.

use super::{ResultKey, SearchResults};

/// Recent answers of one searcher generation: a commit makes every answer stale, so they
/// all go when a newer generation's first answer is kept.
pub(super) struct Answers {
    generation: u64,
    kept: lru::LruCache<ResultKey, SearchResults>,
}

impl Answers {
    pub(super) fn new(entries: std::num::NonZeroUsize) -> Answers {
        Answers {
            generation: 0,
            kept: lru::LruCache::new(entries),
        }
    }

    pub(super) fn get(&mut self, generation: u64, key: &ResultKey) -> Option<&SearchResults> {
        if generation != self.generation {
            return None;
        }
        self.kept.get(key)
    }

    /// Keeps an answer; one found by an older searcher than the kept ones is not kept.
    pub(super) fn put(&mut self, generation: u64, key: ResultKey, results: SearchResults) {
        if generation < self.generation {
            return;
        }
        if generation > self.generation {
            self.kept.clear();
            self.generation = generation;
        }
        self.kept.put(key, results);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;

    use super::*;

    fn answer(query: &str) -> (ResultKey, SearchResults) {
        let at = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let results = SearchResults {
            query: query.to_owned(),
            total: 0,
            more: false,
            hits: Vec::new(),
            facets: BTreeMap::new(),
            fuzzy: false,
            at,
        };
        ((query.to_owned(), None, at, 10), results)
    }

    #[test]
    fn answers_of_an_older_generation_are_let_go_and_never_served() {
        let mut answers = Answers::new(std::num::NonZeroUsize::new(8).unwrap());
        let (lado, lado_results) = answer("lado");
        let (mash, mash_results) = answer("mash");
        answers.put(1, lado.clone(), lado_results.clone());
        assert!(answers.get(1, &lado).is_some());
        answers.put(2, mash.clone(), mash_results);
        assert_eq!(
            answers.kept.len(),
            1,
            "the first generation's answer is let go"
        );
        assert!(answers.get(2, &lado).is_none());
        assert!(
            answers.get(1, &mash).is_none(),
            "an older searcher is not served newer answers"
        );
        // A search that began before the commit does not bring its answer back.
        answers.put(1, lado.clone(), lado_results);
        assert!(answers.get(2, &lado).is_none());
        assert_eq!(answers.kept.len(), 1);
    }
}
