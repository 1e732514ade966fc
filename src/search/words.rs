//! The words of a query as a practitioner types them, made into the words the manuals
//! write: question words set aside, dotted acronyms and section numbers joined ("s.47",
//! "L.A.D.O."), and words run together or spelt apart ("multiagency", "well being") put
//! the way the index holds them.

mod families;
mod spelling;

pub use families::family;
pub use spelling::british;

/// Words that ask rather than say what is sought: "how do I make a referral" searches for
/// "make a referral". Left out of a query's words like English stop words are (a query of
/// nothing else still searches for them), but not out of quoted phrases' places.
#[rustfmt::skip]
pub const QUESTION_WORDS: &[&str] = &[
    // Asking
    "how", "what", "whats", "when", "where", "which", "who", "whom", "whose", "why",
    "about", "please", "think", "know",
    // Auxiliaries
    "do", "does", "did", "doing", "should", "shall", "would", "could", "can", "cannot",
    "may", "might", "must", "am", "been", "being", "have", "has", "had", "get", "got",
    // Pronouns
    "i", "im", "me", "my", "we", "us", "our", "you", "your", "he", "him", "his", "she",
    "her", "hers", "its", "them", "any", "anyone", "someone", "somebody", "something",
    // What is left of contractions ("don't", "I've") and other fillers
    "s", "t", "m", "ve", "ll", "d", "re", "don", "doesn", "didn", "isn", "wasn", "aren",
    "shouldn", "wouldn", "couldn", "won", "than", "so", "too", "very",
];

/// A query's text with dotted acronyms and section numbers joined: "f.g.m." is "fgm",
/// "D.o.L.S." is "DoLS", "s.47" and "s. 47" and "s 47" are "s47". Quotes and other
/// punctuation stay where they were.
pub fn join_dotted(text: &str) -> String {
    let pieces: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(pieces.len());
    let mut i = 0;
    while i < pieces.len() {
        let (before, core, after) = trim_punctuation(pieces[i]);
        let next_number = pieces
            .get(i + 1)
            .map(|next| trim_punctuation(next))
            .filter(|(b, c, _)| b.is_empty() && is_number(c));
        if let Some(letters) = dotted_letters(core) {
            out.push(format!("{before}{letters}{after}"));
        } else if let Some(number) = section_number(core) {
            out.push(format!("{before}s{number}{after}"));
        } else if matches!(core, "s" | "S" | "s." | "S.")
            && after.is_empty()
            && let Some((_, number, rest)) = next_number
        {
            out.push(format!("{before}s{number}{rest}"));
            i += 1;
        } else {
            out.push(pieces[i].to_owned());
        }
        i += 1;
    }
    out.join(" ")
}

/// Punctuation around a word that is not part of it (quotes and brackets, commas, a
/// question mark), and the word.
fn trim_punctuation(piece: &str) -> (&str, &str, &str) {
    let outer = |c: char| "\"'()[]{},;:?!".contains(c);
    let start = piece.len() - piece.trim_start_matches(outer).len();
    let end = piece.trim_end_matches(outer).len().max(start);
    (&piece[..start], &piece[start..end], &piece[end..])
}

fn is_number(text: &str) -> bool {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && digits.len() <= 4
}

/// "f.g.m." or "F.G.M" as "fgm" / "FGM": single letters each followed by a dot (the last
/// dot optional), two letters at least.
fn dotted_letters(core: &str) -> Option<String> {
    let parts: Vec<&str> = core.trim_end_matches('.').split('.').collect();
    let single_letters = parts
        .iter()
        .all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic));
    (parts.len() >= 2 && single_letters).then(|| parts.concat())
}

/// "s.47" (or "S.47.") as "47": a section number cited the way statutes are.
fn section_number(core: &str) -> Option<&str> {
    let rest = core
        .strip_prefix("s.")
        .or_else(|| core.strip_prefix("S."))?;
    let number = rest.trim_end_matches('.');
    is_number(number).then_some(number)
}

/// Ways of reading a word as two words side by side ("multiagency" as "multi agency",
/// "section47" as "section 47"), longest first part first. Parts are at least one letter
/// (as in "e safety") and the second at least two.
pub fn splits(word: &str) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = word
        .char_indices()
        .skip(1)
        .map(|(i, _)| word.split_at(i))
        .filter(|(_, second)| second.chars().count() >= 2)
        .collect();
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_acronyms_are_joined() {
        assert_eq!(
            join_dotted("f.g.m. protection order"),
            "fgm protection order"
        );
        assert_eq!(
            join_dotted("D.o.L.S. in supported living"),
            "DoLS in supported living"
        );
        assert_eq!(join_dotted("who is the L.A.D.O?"), "who is the LADO?");
        assert_eq!(join_dotted("(M.A.S.H)"), "(MASH)");
    }

    #[test]
    fn section_numbers_are_joined() {
        assert_eq!(join_dotted("s.47 timescales"), "s47 timescales");
        assert_eq!(join_dotted("S. 47 threshold"), "s47 threshold");
        assert_eq!(join_dotted("an s 42 enquiry"), "an s42 enquiry");
        assert_eq!(join_dotted("\"s.47\""), "\"s47\"");
    }

    #[test]
    fn other_words_are_left_as_they_are() {
        for text in [
            "plan A. then B",
            "a 16 year old",
            "child's needs",
            "e.g",
            "neglect.",
            "title:neglect",
            "\"unbalanced",
            "s",
            "s.",
            "3.1 mandatory reporting",
        ] {
            let expected = if text == "e.g" { "eg" } else { text };
            assert_eq!(join_dotted(text), expected, "{text}");
        }
    }

    #[test]
    fn a_word_splits_every_way() {
        assert_eq!(
            splits("esafety"),
            [
                ("esafe", "ty"),
                ("esaf", "ety"),
                ("esa", "fety"),
                ("es", "afety"),
                ("e", "safety")
            ]
        );
        assert!(splits("ab").is_empty());
    }
}
