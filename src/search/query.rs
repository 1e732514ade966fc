//! From what a practitioner typed to a tantivy query: quoted phrases and plain words, the
//! glossary's other forms, neighbouring words (`nearby`), words run together and typo
//! tolerance (`tolerance`). Every input gives a query; none is an error.

use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use tantivy::{Index, Searcher, Term};

use super::glossary::{Glossary, normalise};
use super::schema::{self, Fields, QUERY, STEMMED};
use super::words::join_dotted;

mod nearby;
mod tolerance;

/// Queries longer than this are cut: nobody types more, and it bounds the work.
pub const MAX_QUERY_CHARS: usize = 500;
/// At most this many words and phrases are searched for.
const MAX_CLAUSES: usize = 32;

/// Field weights: a match in the title counts most, then headings, tags, body.
const WEIGHTS: [(Weighted, f32); 4] = [
    (Weighted::Title, 4.0),
    (Weighted::Headings, 2.0),
    (Weighted::Tags, 1.5),
    (Weighted::Body, 1.0),
];

#[derive(Clone, Copy)]
enum Weighted {
    Title,
    Headings,
    Tags,
    Body,
}

impl Weighted {
    fn field(self, fields: &Fields) -> Field {
        match self {
            Weighted::Title => fields.title,
            Weighted::Headings => fields.headings,
            Weighted::Tags => fields.tags,
            Weighted::Body => fields.body,
        }
    }
}

/// A query as typed, cleaned and split into words and quoted phrases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// The query as it will be echoed back: control characters removed, length capped.
    pub text: String,
    pub words: Vec<String>,
    pub phrases: Vec<String>,
}

impl UserQuery {
    /// Splits a query into plain words and `"quoted phrases"`, dotted acronyms and
    /// section numbers joined ("s.47" is "s47"). An unpaired quote is ignored; operators
    /// and field syntax are just words.
    pub fn parse(input: &str) -> UserQuery {
        let cleaned: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_QUERY_CHARS)
            .collect();
        let text = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut query = UserQuery {
            text: text.clone(),
            ..UserQuery::default()
        };
        let searched = join_dotted(&text);
        let quotes = searched.matches('"').count();
        let mut in_phrase = false;
        // With an odd number of quotes, the last one is unpaired and ignored.
        let mut quotes_left = quotes - quotes % 2;
        for (i, part) in searched.split('"').enumerate() {
            if i > 0 && quotes_left > 0 {
                in_phrase = !in_phrase;
                quotes_left -= 1;
            }
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if in_phrase {
                query.phrases.push(part.to_owned());
            } else {
                query
                    .words
                    .extend(part.split_whitespace().map(str::to_owned));
            }
        }
        query.words.truncate(MAX_CLAUSES);
        query.phrases.truncate(MAX_CLAUSES);
        query
    }

    /// True when nothing searchable was typed.
    pub fn is_empty(&self) -> bool {
        self.words
            .iter()
            .chain(&self.phrases)
            .all(|w| normalise(w).is_empty())
    }

    /// Every word of the query, normalised, in order (for glossary matching).
    fn all_words(&self) -> Vec<String> {
        normalise(&self.text)
    }
}

/// Builds tantivy queries for a user query.
pub struct QueryBuilder<'a> {
    pub index: &'a Index,
    pub fields: &'a Fields,
    pub glossary: &'a Glossary,
    pub searcher: &'a Searcher,
}

impl QueryBuilder<'_> {
    fn analyzer(&self, name: &str) -> TextAnalyzer {
        self.index
            .tokenizers()
            .get(name)
            .expect("analyzers are registered")
    }

    fn tokens(&self, analyzer: &str, text: &str) -> Vec<(usize, String)> {
        let mut analyzer = self.analyzer(analyzer);
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.position, token.text.clone()));
        }
        out
    }

    /// A word in each weighted field, as terms of their own: a query's words spread this
    /// way make one union of terms, which the search for the best hits can prune (the
    /// score is the same sum as with one clause per word).
    fn term_per_field(&self, token: &str, boost: f32) -> Vec<Box<dyn Query>> {
        WEIGHTS
            .iter()
            .map(|(w, weight)| {
                let term = Term::from_field_text(w.field(self.fields), token);
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                Box::new(BoostQuery::new(q, weight * boost)) as Box<dyn Query>
            })
            .collect()
    }

    /// A phrase in the title, headings and body (or a word, when it analyses to one token).
    /// In titles and headings, stop words hold their places but are not looked up: "until
    /// the child" matches "until <any word> child" without reading the longest posting lists
    /// in the index. In the body, a phrase is every pair of neighbouring words it holds,
    /// each one indexed term: no word positions are read, however common the words.
    fn phrase_clause(&self, text: &str, boost: f32, into: &mut TextQuery) {
        let mut tokens = self.tokens(QUERY, text);
        if tokens.len() < 2 {
            // Nothing, one word, or only stop words: then every word counts.
            tokens = self.tokens(STEMMED, text);
        }
        match tokens.len() {
            0 => {}
            1 => into.terms.extend(self.term_per_field(&tokens[0].1, boost)),
            _ => {
                let mut per_field: Vec<(Occur, Box<dyn Query>)> = [
                    (self.fields.title, WEIGHTS[0].1),
                    (self.fields.headings, WEIGHTS[1].1),
                ]
                .into_iter()
                .map(|(field, weight)| {
                    let terms = tokens
                        .iter()
                        .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                        .collect();
                    let q: Box<dyn Query> = Box::new(PhraseQuery::new_with_offset(terms));
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(q, weight * boost)) as Box<dyn Query>,
                    )
                })
                .collect();
                let pairs: Vec<(Occur, Box<dyn Query>)> = schema::word_pairs(text)
                    .iter()
                    .map(|pair| {
                        let term = Term::from_field_text(self.fields.pairs, pair);
                        let q: Box<dyn Query> =
                            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                        (Occur::Must, q)
                    })
                    .collect();
                if !pairs.is_empty() {
                    per_field.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(BooleanQuery::new(pairs)),
                            WEIGHTS[3].1 * boost,
                        )),
                    ));
                }
                into.others.push(Box::new(BooleanQuery::new(per_field)));
            }
        }
    }

    /// Every body word of the query's phrases and glossary forms, as one query whose terms
    /// tell the snippet generator what to highlight (it is never run).
    pub fn highlighted(&self, query: &UserQuery, text: &dyn Query) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, text.box_clone())];
        let forms = self.glossary.alternatives(&query.all_words());
        let phrases = query
            .phrases
            .iter()
            .cloned()
            .chain(forms.iter().map(|form| form.join(" ")))
            .chain(self.compounds(query));
        for phrase in phrases {
            for (_, token) in self.tokens(QUERY, &phrase) {
                let term = Term::from_field_text(self.fields.body, &token);
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                ));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The relevance query: every word, phrase and glossary form, any of which may match;
    /// the more match, and the weightier the field, the higher the score. With `loose`, a
    /// glossary form's words found apart count too: an intersection of words, often common
    /// ones, which is dear to score and is wanted only when the rest finds too little.
    pub fn text_query(&self, query: &UserQuery, corrections: &[String], loose: bool) -> TextQuery {
        let mut text = TextQuery::default();
        let words = query.words.join(" ");
        let mut tokens = self.tokens(QUERY, &words);
        if tokens.is_empty() {
            // A query of nothing but stop words ("what is it") still searches for them.
            tokens = self.tokens(STEMMED, &words);
        }
        let mut seen = std::collections::HashSet::new();
        for (_, token) in tokens {
            if seen.insert(token.clone()) {
                text.terms.extend(self.term_per_field(&token, 1.0));
            }
        }
        text.terms.extend(self.neighbours(query));
        for phrase in &query.phrases {
            // A phrase the user quoted counts double.
            self.phrase_clause(phrase, 2.0, &mut text);
        }
        let forms = self.glossary.alternatives(&query.all_words());
        for form in forms.iter().map(|f| f.join(" ")) {
            self.phrase_clause(&form, 1.0, &mut text);
        }
        for compound in self.compounds(query) {
            self.phrase_clause(&compound, 1.0, &mut text);
        }
        if loose {
            text.others.extend(self.loose_clauses(query));
        }
        // Corrected spellings count as the words the user meant.
        for (_, token) in self.tokens(QUERY, &corrections.join(" ")) {
            if seen.insert(token.clone()) {
                text.terms.extend(self.term_per_field(&token, 1.0));
            }
        }
        text
    }
}

/// The relevance query in two parts whose scores add up: plain terms, a union which the
/// search for the best hits prunes (block-max WAND), and the rest (phrases, words that
/// must all be found), which match fewer chapters and are scored one by one.
#[derive(Default)]
pub struct TextQuery {
    /// Each a term, boosted.
    pub terms: Vec<Box<dyn Query>>,
    pub others: Vec<Box<dyn Query>>,
}

impl TextQuery {
    fn union<'q>(parts: impl Iterator<Item = &'q Box<dyn Query>>) -> BooleanQuery {
        BooleanQuery::new(parts.map(|q| (Occur::Should, q.box_clone())).collect())
    }

    /// Both parts as one query: what is counted and highlighted.
    pub fn whole(&self) -> BooleanQuery {
        Self::union(self.terms.iter().chain(&self.others))
    }

    pub fn terms(&self) -> BooleanQuery {
        Self::union(self.terms.iter())
    }

    /// `None` when every clause is a term.
    pub fn others(&self) -> Option<BooleanQuery> {
        (!self.others.is_empty()).then(|| Self::union(self.others.iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_phrases_are_split() {
        let q = UserQuery::parse("strategy \"section 47\" enquiry");
        assert_eq!(q.words, ["strategy", "enquiry"]);
        assert_eq!(q.phrases, ["section 47"]);
    }

    #[test]
    fn unbalanced_quotes_and_syntax_are_plain_words() {
        let q = UserQuery::parse("\"child protection (plan AND title:neglect");
        assert_eq!(
            q.words,
            ["child", "protection", "(plan", "AND", "title:neglect"]
        );
        assert!(q.phrases.is_empty());
        let q = UserQuery::parse("a \"b c\" \"d");
        assert_eq!(q.phrases, ["b c"]);
        assert_eq!(q.words, ["a", "d"]);
    }

    #[test]
    fn control_characters_and_length_are_cleaned() {
        let q = UserQuery::parse("neglect\u{0}\u{7}\r\nbruising");
        assert_eq!(q.text, "neglect bruising");
        let long = "word ".repeat(5000);
        let q = UserQuery::parse(&long);
        assert!(q.text.chars().count() <= MAX_QUERY_CHARS);
        assert_eq!(q.words.len(), MAX_CLAUSES);
    }

    #[test]
    fn dotted_acronyms_and_section_numbers_are_one_word() {
        let q = UserQuery::parse("f.g.m. and \"s. 47\" at s.42");
        assert_eq!(q.words, ["fgm", "and", "at", "s42"]);
        assert_eq!(q.phrases, ["s47"]);
        assert_eq!(q.text, "f.g.m. and \"s. 47\" at s.42", "echoed as typed");
    }

    #[test]
    fn punctuation_alone_is_empty() {
        assert!(UserQuery::parse("  \"\" ?!* ").is_empty());
        assert!(!UserQuery::parse("s47").is_empty());
    }
}
