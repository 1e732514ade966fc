//! The domain glossary: acronyms and terms of the field with what they stand for, applied
//! to queries in both directions, and everyday phrasings with the terms the manuals use
//! for them ("bed sores" for pressure ulcers), applied one way.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use super::schema::stem;
use super::words::{british, join_dotted};

/// Entries of `config/glossary.toml`, each a set of forms that mean the same thing.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    entries: Vec<Entry>,
    /// Every word of every form, folded: see [`Glossary::knows_word`].
    words: HashSet<String>,
}

/// Forms that mean the same thing. A query holding one of the first `asked_by` forms is
/// also searched for the others: all of them for a term, only the everyday phrasing for a
/// phrase (a query for "pressure ulcers" is not one for "bed sores").
#[derive(Debug, Clone)]
struct Entry {
    forms: Vec<Form>,
    asked_by: usize,
}

/// One way of saying a thing: its words as written (lower-case), and as matched. A word
/// alone (an acronym, mostly) is matched as it is spelt; the words of a longer form by
/// their stems, so that "bed sore" is "bed sores". American spellings are folded.
#[derive(Debug, Clone, PartialEq)]
struct Form {
    words: Vec<String>,
    keys: Vec<String>,
}

impl Form {
    fn new(text: &str) -> Form {
        let words = normalise(text);
        let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
        let keys = if folded.len() == 1 {
            folded
        } else {
            folded.iter().map(|w| stem(w)).collect()
        };
        Form { words, keys }
    }

    fn is_in(&self, query: &QueryKeys) -> bool {
        match self.keys.as_slice() {
            [word] => query.folded.contains(word),
            keys => contains_run(&query.stemmed, keys),
        }
    }
}

/// A query's words as forms are matched against them.
struct QueryKeys {
    folded: Vec<String>,
    stemmed: Vec<String>,
}

impl QueryKeys {
    fn new(words: &[String]) -> QueryKeys {
        let folded: Vec<String> = words.iter().map(|w| fold(&w.to_lowercase())).collect();
        let stemmed = folded.iter().map(|w| stem(w)).collect();
        QueryKeys { folded, stemmed }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryToml {
    terms: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    phrases: BTreeMap<String, Vec<String>>,
}

/// Lower-case words of a text, split at anything that is not a letter or digit, dotted
/// acronyms and section numbers joined ("s.47" is "s47").
pub fn normalise(text: &str) -> Vec<String> {
    join_dotted(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn parse_toml(text: &str) -> Result<GlossaryToml, String> {
    toml::from_str(text).map_err(|e| e.message().to_owned())
}

fn fold(word: &str) -> String {
    british(word).unwrap_or_else(|| word.to_owned())
}

/// The glossary built into chapterhouse: `config/glossary.toml` of its source.
const BUILT_IN: &str = include_str!("../../config/glossary.toml");

impl Glossary {
    /// The glossary built into chapterhouse.
    pub fn built_in() -> Glossary {
        Glossary::parse(BUILT_IN).expect("the built-in glossary parses")
    }

    /// The built-in glossary extended by a file's entries: an entry of the file replaces
    /// the built-in entry of the same term.
    pub fn built_in_and(text: &str) -> Result<Glossary, String> {
        let mut merged = parse_toml(BUILT_IN).expect("the built-in glossary parses");
        let extra = parse_toml(text)?;
        merged.terms.extend(extra.terms);
        merged.phrases.extend(extra.phrases);
        Ok(Glossary::build(merged))
    }

    /// Parses the glossary file's text.
    pub fn parse(text: &str) -> Result<Glossary, String> {
        Ok(Glossary::build(parse_toml(text)?))
    }

    fn build(parsed: GlossaryToml) -> Glossary {
        let mut entries = Vec::new();
        let tables = [(parsed.terms, false), (parsed.phrases, true)];
        for (table, one_way) in tables {
            for (key, expansions) in table {
                let mut forms = vec![Form::new(&key)];
                for expansion in &expansions {
                    let form = Form::new(expansion);
                    if !form.words.is_empty() && !forms.contains(&form) {
                        forms.push(form);
                    }
                }
                if forms[0].words.is_empty() || forms.len() < 2 {
                    continue;
                }
                let asked_by = if one_way { 1 } else { forms.len() };
                entries.push(Entry { forms, asked_by });
            }
        }
        let words = entries
            .iter()
            .flat_map(|e: &Entry| &e.forms)
            .flat_map(|f| &f.words)
            .map(|w| fold(w))
            .collect();
        Glossary { entries, words }
    }

    /// Reads a glossary file: its entries alone, or added to the built-in ones.
    pub fn load(path: &Path, extend_built_in: bool) -> Result<Glossary, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the glossary {}: {e}", path.display()))?;
        let glossary = if extend_built_in {
            Glossary::built_in_and(&text)
        } else {
            Glossary::parse(&text)
        };
        glossary.map_err(|e| format!("{}: {e}", path.display()))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// For a query's words, the other forms of every glossary entry one of whose forms
    /// appears in the query as consecutive words: "DNACPR" gives "do not attempt
    /// cardiopulmonary resuscitation", and the reverse; "bed sores" gives "pressure ulcers".
    pub fn alternatives(&self, query_words: &[String]) -> Vec<Vec<String>> {
        let query = QueryKeys::new(query_words);
        let mut out: Vec<Vec<String>> = Vec::new();
        for entry in &self.entries {
            let asked = &entry.forms[..entry.asked_by];
            let Some(found) = asked.iter().position(|f| f.is_in(&query)) else {
                continue;
            };
            for (i, form) in entry.forms.iter().enumerate() {
                if i != found && !form.is_in(&query) && !out.contains(&form.words) {
                    out.push(form.words.clone());
                }
            }
        }
        out
    }

    /// True when a word is a word of the glossary's forms: an acronym, or a word of an
    /// everyday phrasing ("magic" of "black magic"). Those are never "corrected" as typos.
    pub fn knows_word(&self, word: &str) -> bool {
        self.words.contains(&fold(&word.to_lowercase()))
    }
}

fn contains_run(words: &[String], run: &[String]) -> bool {
    !run.is_empty() && words.windows(run.len()).any(|w| w == run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glossary() -> Glossary {
        Glossary::parse(
            "[terms]\n\"DNACPR\" = [\"do not attempt cardiopulmonary resuscitation\"]\n\
             \"s47\" = [\"section 47\"]\n\"LADO\" = [\"local authority designated officer\"]\n\
             \"HBV\" = [\"honour based violence\"]\n\
             [phrases]\n\"bed sores\" = [\"pressure ulcers\"]\n",
        )
        .unwrap()
    }

    fn words(s: &str) -> Vec<String> {
        normalise(s)
    }

    #[test]
    fn an_acronym_finds_its_expansion_and_the_reverse() {
        let g = glossary();
        assert_eq!(
            g.alternatives(&words("DNACPR decisions")),
            [words("do not attempt cardiopulmonary resuscitation")]
        );
        assert_eq!(
            g.alternatives(&words(
                "what is Do Not Attempt Cardiopulmonary Resuscitation"
            )),
            [words("dnacpr")]
        );
        assert_eq!(g.alternatives(&words("Section 47 enquiry")), [words("s47")]);
        assert!(g.alternatives(&words("neglect")).is_empty());
        assert!(g.knows_word("lado"));
        assert!(g.knows_word("sores"), "a word of an everyday phrasing");
    }

    #[test]
    fn dotted_and_american_forms_are_the_same_words() {
        let g = glossary();
        assert_eq!(
            g.alternatives(&words("s.47 timescales")),
            [words("section 47")]
        );
        assert_eq!(
            g.alternatives(&words("L.A.D.O.")),
            [words("local authority designated officer")]
        );
        assert_eq!(
            g.alternatives(&words("honor based violence")),
            [words("hbv")]
        );
    }

    #[test]
    fn an_everyday_phrasing_finds_the_term_but_not_the_reverse() {
        let g = glossary();
        assert_eq!(
            g.alternatives(&words("a bed sore")),
            [words("pressure ulcers")]
        );
        assert!(g.alternatives(&words("pressure ulcers")).is_empty());
    }

    #[test]
    fn a_file_extends_or_replaces_the_built_in_glossary() {
        let built_in = Glossary::built_in();
        assert!(built_in.knows_word("lado"));
        let file =
            "[terms]\n\"LADO\" = [\"allegations officer\"]\n\"XYZW\" = [\"example words\"]\n";
        let extended = Glossary::built_in_and(file).unwrap();
        assert_eq!(
            extended.len(),
            built_in.len() + 1,
            "LADO replaced, XYZW added"
        );
        assert_eq!(
            extended.alternatives(&words("lado")),
            [words("allegations officer")]
        );
        assert!(extended.knows_word("mash"), "built-in entries stay");
        let alone = Glossary::parse(file).unwrap();
        assert_eq!(alone.len(), 2);
        assert!(!alone.knows_word("mash"));
        assert!(Glossary::built_in_and("[terms]\nx = 3\n").is_err());
    }

    #[test]
    fn a_broken_glossary_is_refused() {
        assert!(Glossary::parse("[terms]\nx = 3\n").is_err());
        assert!(Glossary::parse("words = []\n").is_err());
        assert!(Glossary::parse("[terms]\n[phrases]\nx = [1]\n").is_err());
    }
}
