//! The index's schema: one document per chapter version, with the dates it was in force.

use chrono::{Datelike, NaiveDate};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy::{Index, TantivyDocument};

use super::words::{QUESTION_WORDS, british, family};
use crate::content::{Chapter, ManualId, markdown};

/// English words in British spelling, stemmed: "bruises" finds "bruising", "behavior"
/// finds "behaviour".
pub const STEMMED: &str = "en_stem";
/// Query words with English stop words and question words left out, stemmed.
pub const QUERY: &str = "en_query";
/// Lower-cased words in British spelling, not stemmed: what typo tolerance compares
/// against.
pub const PLAIN: &str = "en_plain";
/// The pairs of neighbouring stemmed words of a text ([`word_pairs`]).
pub const PAIRS: &str = "word_pairs";

/// "Open" documents (versions still in force) end at the end of time.
pub const OPEN_END: i64 = i64::MAX;

/// The fields of the index.
#[derive(Clone)]
pub struct Fields {
    pub schema: Schema,
    /// `manual/id`: every version of a chapter.
    pub key: Field,
    /// `manual/id` on the one version still in force (or scheduled last), absent otherwise.
    pub open_key: Field,
    pub manual: Field,
    pub manual_facet: Field,
    pub id: Field,
    pub path: Field,
    pub blob: Field,
    pub title: Field,
    pub headings: Field,
    pub tags: Field,
    pub body: Field,
    /// Each pair of neighbouring stemmed words of the body, as one term (`child_protect`):
    /// a phrase in the body is every one of its pairs, found without reading positions.
    pub pairs: Field,
    pub plain: Field,
    /// First day in force (days since the common era).
    pub from: Field,
    /// First day no longer in force, or [`OPEN_END`].
    pub to: Field,
}

impl Fields {
    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let text = |tokenizer: &str, stored: bool, positions: bool| {
            let record = if positions {
                IndexRecordOption::WithFreqsAndPositions
            } else {
                IndexRecordOption::WithFreqs
            };
            let options = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(record),
            );
            if stored {
                options.set_stored()
            } else {
                options
            }
        };
        let key = b.add_text_field("key", STRING | STORED);
        let open_key = b.add_text_field("open_key", STRING);
        let manual = b.add_text_field("manual", STRING | STORED);
        let manual_facet = b.add_facet_field("manual_facet", FacetOptions::default());
        let id = b.add_text_field("id", STRING | STORED);
        let path = b.add_text_field("path", STORED);
        let blob = b.add_text_field("blob", STRING | STORED);
        let title = b.add_text_field("title", text(STEMMED, true, true));
        let headings = b.add_text_field("headings", text(STEMMED, false, true));
        let tags = b.add_text_field("tags", text(STEMMED, false, true));
        let body = b.add_text_field("body", text(STEMMED, true, true));
        let pairs = b.add_text_field("pairs", text(PAIRS, false, false));
        let plain = b.add_text_field("plain", text(PLAIN, false, false));
        let from = b.add_i64_field("from", INDEXED | FAST | STORED);
        let to = b.add_i64_field("to", INDEXED | FAST | STORED);
        Fields {
            schema: b.build(),
            key,
            open_key,
            manual,
            manual_facet,
            id,
            path,
            blob,
            title,
            headings,
            tags,
            body,
            pairs,
            plain,
            from,
            to,
        }
    }
}

/// Words as every analyzer first sees them: lower case, American spellings made British.
fn base() -> tantivy::tokenizer::TextAnalyzerBuilder<impl tantivy::tokenizer::Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Rewrite(british))
}

/// English stems, with the word families the stemmer leaves apart put together.
pub fn stems() -> (Stemmer, Rewrite) {
    (Stemmer::new(Language::English), Rewrite(family))
}

/// The English stem of one lower-case word, as the index's analyzers stem it (word
/// families put together).
pub fn stem(word: &str) -> String {
    let (stemmer, families) = stems();
    let mut analyzer = TextAnalyzer::builder(RawTokenizer::default())
        .filter(stemmer)
        .filter(families)
        .build();
    let mut stream = analyzer.token_stream(word);
    stream
        .next()
        .map_or_else(|| word.to_owned(), |token| token.text.clone())
}

/// The analyzer of titles, headings, tags and bodies.
fn stemmed_analyzer() -> TextAnalyzer {
    let (stemmer, families) = stems();
    base().filter(stemmer).filter(families).build()
}

/// The pairs of neighbouring stemmed words of `text`, each written `first_second`.
/// Indexing and queries both use it, so a quoted phrase's pairs are exactly the terms
/// of the body pairs that hold it.
pub fn word_pairs(text: &str) -> Vec<String> {
    let mut analyzer = stemmed_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut pairs = Vec::new();
    let mut previous: Option<String> = None;
    while let Some(token) = stream.next() {
        if let Some(first) = previous.take() {
            pairs.push(format!("{first}_{}", token.text));
        }
        previous = Some(token.text.clone());
    }
    pairs
}

/// The tokenizer of the pairs field: the text's [`word_pairs`], made as the text is
/// indexed, so that a document waiting to be indexed holds its text once rather than
/// also a list of its pairs, twice as long.
#[derive(Clone, Copy)]
struct Pairs;

struct PairsStream {
    pairs: std::vec::IntoIter<String>,
    token: Token,
}

impl Tokenizer for Pairs {
    type TokenStream<'a> = PairsStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PairsStream {
        PairsStream {
            pairs: word_pairs(text).into_iter(),
            token: Token::default(),
        }
    }
}

impl TokenStream for PairsStream {
    fn advance(&mut self) -> bool {
        let Some(pair) = self.pairs.next() else {
            return false;
        };
        self.token.position = self.token.position.wrapping_add(1);
        self.token.text = pair;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Registers the analyzers the schema names.
pub fn register_analyzers(index: &Index) {
    index.tokenizers().register(STEMMED, stemmed_analyzer());
    index
        .tokenizers()
        .register(PAIRS, TextAnalyzer::builder(Pairs).build());
    let (stemmer, families) = stems();
    index.tokenizers().register(
        QUERY,
        base()
            .filter(StopWordFilter::new(Language::English).expect("English stop words"))
            .filter(StopWordFilter::remove(
                QUESTION_WORDS.iter().map(|w| (*w).to_owned()),
            ))
            .filter(stemmer)
            .filter(families)
            .build(),
    );
    index.tokenizers().register(PLAIN, base().build());
}

/// A token filter that rewrites the words a function knows another form of, and leaves
/// the others as they are.
#[derive(Clone, Copy)]
pub struct Rewrite(pub fn(&str) -> Option<String>);

impl TokenFilter for Rewrite {
    type Tokenizer<T: Tokenizer> = Rewriting<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> Rewriting<T> {
        Rewriting {
            inner,
            rewrite: self.0,
        }
    }
}

#[derive(Clone)]
pub struct Rewriting<T> {
    inner: T,
    rewrite: fn(&str) -> Option<String>,
}

impl<T: Tokenizer> Tokenizer for Rewriting<T> {
    type TokenStream<'a> = RewritingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RewritingStream {
            tail: self.inner.token_stream(text),
            rewrite: self.rewrite,
        }
    }
}

pub struct RewritingStream<T> {
    tail: T,
    rewrite: fn(&str) -> Option<String>,
}

impl<T: TokenStream> TokenStream for RewritingStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        if let Some(other) = (self.rewrite)(&self.tail.token().text) {
            self.tail.token_mut().text = other;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// A date as the index stores it.
pub fn day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

/// `manual/id`.
pub fn chapter_key(manual: &ManualId, id: &str) -> String {
    format!("{manual}/{id}")
}

/// The document for one chapter version in force from `from` until `to`.
pub fn document(
    fields: &Fields,
    manual: &ManualId,
    chapter: &Chapter,
    blob: &str,
    from: i64,
    to: i64,
) -> TantivyDocument {
    let plain = markdown::plain_text(&chapter.body);
    let key = chapter_key(manual, chapter.id.as_str());
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.key, &key);
    if to == OPEN_END {
        doc.add_text(fields.open_key, &key);
    }
    doc.add_text(fields.manual, manual.as_str());
    doc.add_facet(fields.manual_facet, Facet::from_path([manual.as_str()]));
    doc.add_text(fields.id, chapter.id.as_str());
    doc.add_text(fields.path, &chapter.path);
    doc.add_text(fields.blob, blob);
    doc.add_text(fields.title, &chapter.title);
    doc.add_text(fields.headings, plain.headings.join("\n"));
    doc.add_text(fields.tags, chapter.tags.join("\n"));
    doc.add_text(fields.body, &plain.text);
    doc.add_text(fields.pairs, &plain.text);
    doc.add_text(
        fields.plain,
        format!(
            "{}\n{}\n{}\n{}",
            chapter.title,
            plain.headings.join("\n"),
            chapter.tags.join("\n"),
            plain.text
        ),
    );
    doc.add_i64(fields.from, from);
    doc.add_i64(fields.to, to);
    doc
}
