//! The domain glossary: acronyms and terms of the field with what they stand for, applied
//! to queries in both directions.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::words::join_dotted;

/// Entries of `config/glossary.toml`, each a set of forms that mean the same thing.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    /// Each entry's forms as lower-case word sequences; the first is the key.
    entries: Vec<Vec<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryToml {
    terms: BTreeMap<String, Vec<String>>,
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

impl Glossary {
    /// Parses the glossary file's text.
    pub fn parse(text: &str) -> Result<Glossary, String> {
        let parsed: GlossaryToml = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let mut entries = Vec::new();
        for (key, expansions) in parsed.terms {
            let mut forms = vec![normalise(&key)];
            forms.extend(expansions.iter().map(|e| normalise(e)));
            forms.retain(|f| !f.is_empty());
            forms.dedup();
            if forms.len() > 1 {
                entries.push(forms);
            }
        }
        Ok(Glossary { entries })
    }

    /// Reads the glossary file.
    pub fn load(path: &Path) -> Result<Glossary, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the glossary {}: {e}", path.display()))?;
        Glossary::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
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
    /// cardiopulmonary resuscitation", and the reverse.
    pub fn alternatives(&self, query_words: &[String]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        for forms in &self.entries {
            let Some(found) = forms.iter().position(|f| contains_run(query_words, f)) else {
                continue;
            };
            for (i, form) in forms.iter().enumerate() {
                if i != found && !contains_run(query_words, form) && !out.contains(form) {
                    out.push(form.clone());
                }
            }
        }
        out
    }

    /// True when a word is one of the glossary's single-word forms (an acronym, usually):
    /// those are never "corrected" as typos.
    pub fn knows_word(&self, word: &str) -> bool {
        self.entries
            .iter()
            .any(|forms| forms.iter().any(|f| f.len() == 1 && f[0] == word))
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
             \"s47\" = [\"section 47\"]\n\"LADO\" = [\"local authority designated officer\"]\n",
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
        assert_eq!(
            g.alternatives(&words("s.47 timescales")),
            [words("section 47")]
        );
        assert_eq!(
            g.alternatives(&words("L.A.D.O.")),
            [words("local authority designated officer")]
        );
        assert!(g.alternatives(&words("neglect")).is_empty());
        assert!(g.knows_word("lado"));
    }

    #[test]
    fn a_broken_glossary_is_refused() {
        assert!(Glossary::parse("[terms]\nx = 3\n").is_err());
        assert!(Glossary::parse("words = []\n").is_err());
    }
}
