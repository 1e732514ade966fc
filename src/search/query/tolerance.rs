//! What a query's words that no chapter holds may have meant: two words the manuals write
//! side by side, run together ("multiagency", "section47"), or a close spelling of a word
//! they use ("stratergy"); and words typed apart that the manuals write as one ("well
//! being" for "wellbeing").

use std::collections::HashMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::{TantivyError, Term};

use super::{QueryBuilder, UserQuery};
use crate::search::glossary::normalise;
use crate::search::schema::{self, PLAIN, QUERY, STEMMED};
use crate::search::words::splits;

/// Words shorter than this are never corrected: too many words lie one edit away.
const CORRECTED_LETTERS: usize = 5;
/// Words shorter or longer than these are never split into two.
const SPLIT_LETTERS: std::ops::RangeInclusive<usize> = 4..=24;

impl QueryBuilder<'_> {
    /// The query's own words (not its phrases), lower-case, split at punctuation.
    fn plain_words(query: &UserQuery) -> Vec<String> {
        normalise(&query.words.join(" "))
    }

    /// The word as the index's unstemmed field holds it (American spellings folded).
    fn plain_term(&self, word: &str) -> Option<Term> {
        let (_, token) = self.tokens(PLAIN, word).pop()?;
        Some(Term::from_field_text(self.fields.plain, &token))
    }

    /// How many chapter versions use the word anywhere. An index that cannot tell is
    /// taken not to hold it: then the word is only searched for as typed.
    fn chapters_using(&self, word: &str) -> u64 {
        self.plain_term(word)
            .and_then(|term| self.searcher.doc_freq(&term).ok())
            .unwrap_or(0)
    }

    /// True when a chapter uses the word as typed, or another word of its stem
    /// ("neighbourhood" for "neighbourhoods").
    fn is_known(&self, word: &str) -> bool {
        self.chapters_using(word) > 0
            || self.tokens(STEMMED, word).into_iter().any(|(_, stem)| {
                let term = Term::from_field_text(self.fields.body, &stem);
                self.searcher.doc_freq(&term).unwrap_or(0) > 0
            })
    }

    /// The two words a word no chapter uses most likely runs together, as a phrase:
    /// the reading whose pair of words the most chapter versions hold side by side.
    fn split(&self, word: &str) -> Option<String> {
        if !SPLIT_LETTERS.contains(&word.chars().count()) || self.chapters_using(word) > 0 {
            return None;
        }
        splits(word)
            .into_iter()
            .filter_map(|(first, second)| {
                let phrase = format!("{first} {second}");
                let pair = schema::word_pairs(&phrase).pop()?;
                let term = Term::from_field_text(self.fields.pairs, &pair);
                let count = self.searcher.doc_freq(&term).unwrap_or(0);
                (count > 0).then_some((count, phrase))
            })
            .max_by_key(|(count, _)| *count)
            .map(|(_, phrase)| phrase)
    }

    /// The query's own words, each word no chapter uses that runs two together given as
    /// those two: "multiagency meeting" is "multi agency meeting".
    pub(super) fn searched_words(&self, query: &UserQuery) -> Vec<String> {
        Self::plain_words(query)
            .into_iter()
            .map(|word| self.split(&word).unwrap_or(word))
            .collect()
    }

    /// Words to search for beside the query's own: each word no chapter uses read as the
    /// two words it runs together, and each two neighbouring words that chapters write as
    /// one word, as that word.
    pub(super) fn compounds(&self, query: &UserQuery) -> Vec<String> {
        let words = Self::plain_words(query);
        let mut out: Vec<String> = words.iter().filter_map(|w| self.split(w)).collect();
        for pair in words.windows(2) {
            let joined = pair.concat();
            if pair.iter().all(|w| w.chars().all(char::is_alphabetic))
                && self.chapters_using(&joined) > 0
                && !out.contains(&joined)
            {
                out.push(joined);
            }
        }
        out
    }

    /// The query's words of five letters or more that no chapter uses, which are not
    /// acronyms the glossary knows, question words or words run together: those typo
    /// tolerance may correct.
    fn unknown_words(&self, query: &UserQuery) -> Vec<String> {
        Self::plain_words(query)
            .into_iter()
            .filter(|word| {
                word.chars().count() >= CORRECTED_LETTERS
                    && word.chars().all(char::is_alphabetic)
                    && !self.glossary.knows_word(word)
                    && !self.tokens(QUERY, word).is_empty()
                    && !self.is_known(word)
                    && self.split(word).is_none()
            })
            .collect()
    }

    /// True when some word of the query is in no chapter and may be a misspelling.
    pub fn has_unknown_words(&self, query: &UserQuery) -> bool {
        !self.unknown_words(query).is_empty()
    }

    /// Likely spellings of the query's unknown words: for each, the indexed word within
    /// one edit (two for words of eight letters or more) that the most chapters use.
    pub fn corrections(&self, query: &UserQuery) -> Result<Vec<String>, TantivyError> {
        let searcher = self.searcher;
        let mut out = Vec::new();
        for word in self.unknown_words(query) {
            let Some(term) = self.plain_term(&word) else {
                continue;
            };
            let distance = if word.chars().count() >= 8 { 2 } else { 1 };
            let fuzzy = FuzzyTermQuery::new(term, distance, true);
            let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(self.fields.plain)?;
                let mut stream = inverted.terms().search(fuzzy.automaton()?).into_stream()?;
                while stream.advance() {
                    *counts.entry(stream.key().to_vec()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
            let best = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .and_then(|(bytes, _)| String::from_utf8(bytes).ok());
            out.extend(best);
        }
        Ok(out)
    }
}
