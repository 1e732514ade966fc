//! Words found near one another: the query's neighbouring words side by side in a
//! chapter's body, which counts more than the words apart; and the words of a glossary
//! form anywhere in one body, which counts less than the form as a phrase.

use std::collections::HashSet;

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::{MAX_CLAUSES, QueryBuilder, UserQuery};
use crate::search::schema::{QUERY, STEMMED};

/// How much the query's neighbouring words found side by side in a body count, beside
/// the words found anywhere.
const NEIGHBOURS_WEIGHT: f32 = 2.0;
/// How much a glossary form's words found apart in a body count, beside the form found
/// as a phrase.
const LOOSE_WEIGHT: f32 = 0.5;

impl QueryBuilder<'_> {
    /// Every word of a glossary form in a body, in any order and apart: a chapter that
    /// writes "fabricating the symptoms of, or deliberately inducing, illness" for
    /// fabricated or induced illness. Counts less than the form as a phrase.
    fn loose_clause(&self, form: &str) -> Option<Box<dyn Query>> {
        let tokens = self.tokens(QUERY, form);
        if tokens.len() < 2 {
            return None;
        }
        let clauses = tokens
            .iter()
            .map(|(_, token)| {
                let term = Term::from_field_text(self.fields.body, token);
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                (Occur::Must, q)
            })
            .collect();
        Some(Box::new(BoostQuery::new(
            Box::new(BooleanQuery::new(clauses)),
            LOOSE_WEIGHT,
        )))
    }

    /// The words of each of the query's glossary forms found apart in a body.
    pub fn loose_clauses(&self, query: &UserQuery) -> Vec<Box<dyn Query>> {
        self.glossary
            .alternatives(&query.all_words())
            .iter()
            .filter_map(|form| self.loose_clause(&form.join(" ")))
            .collect()
    }

    /// The query's neighbouring words as the body's word pairs, any of which may match: a
    /// chapter that writes "child protection medical" outranks one that only has the
    /// words apart. Pairs of nothing but stop and question words ("do i") are left out.
    /// One clause per pair.
    pub(super) fn neighbours(&self, query: &UserQuery) -> Vec<Box<dyn Query>> {
        let text = self.searched_words(query).join(" ");
        let content: HashSet<usize> = self
            .tokens(QUERY, &text)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let stemmed = self.tokens(STEMMED, &text);
        let mut pairs: Vec<String> = Vec::new();
        for w in stemmed.windows(2) {
            let ((first_at, first), (second_at, second)) = (&w[0], &w[1]);
            let pair = format!("{first}_{second}");
            if *second_at == first_at + 1
                && (content.contains(first_at) || content.contains(second_at))
                && !pairs.contains(&pair)
            {
                pairs.push(pair);
            }
        }
        pairs.truncate(MAX_CLAUSES);
        // One clause per pair, beside the words' own: the search for the best hits can
        // prune a union of terms, not a union holding a union (the score is the same sum).
        pairs
            .iter()
            .map(|pair| {
                let term = Term::from_field_text(self.fields.pairs, pair);
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                Box::new(BoostQuery::new(q, NEIGHBOURS_WEIGHT)) as Box<dyn Query>
            })
            .collect()
    }
}
