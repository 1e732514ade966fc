//! American spellings folded into the British ones the manuals use, when chapters are
//! indexed and when queries are read alike: "behavior" finds "behaviour", "pediatrician"
//! finds "paediatrician", "organization" finds "organisation".
//!
//! The rules live in code, not in configuration: they are part of the analyzers, and an
//! index written under other rules must be rebuilt (see `STATE_VERSION` in `sync.rs`).

use std::collections::HashMap;
use std::sync::LazyLock;

/// Words no rule below covers, as American and British forms.
const WORDS: &[(&str, &str)] = &[
    ("program", "programme"),
    ("programs", "programmes"),
    ("mom", "mum"),
    ("moms", "mums"),
    ("aging", "ageing"),
    ("judgment", "judgement"),
    ("judgments", "judgements"),
    ("acknowledgment", "acknowledgement"),
    ("gray", "grey"),
    ("jewelry", "jewellery"),
    ("practiced", "practised"),
    ("practicing", "practising"),
    ("defense", "defence"),
    ("defenses", "defences"),
    ("offense", "offence"),
    ("offenses", "offences"),
    ("license", "licence"),
    ("licenses", "licences"),
    ("pretense", "pretence"),
    ("catalog", "catalogue"),
    ("catalogs", "catalogues"),
    ("dialog", "dialogue"),
    ("center", "centre"),
    ("centers", "centres"),
    ("centered", "centred"),
    ("theater", "theatre"),
    ("theaters", "theatres"),
    ("fiber", "fibre"),
    ("liter", "litre"),
    ("liters", "litres"),
    ("fetus", "foetus"),
    ("fetuses", "foetuses"),
    ("fetal", "foetal"),
    ("edema", "oedema"),
    ("estrogen", "oestrogen"),
    ("maneuver", "manoeuvre"),
    ("maneuvers", "manoeuvres"),
    ("cesarean", "caesarean"),
    ("enroll", "enrol"),
    ("enrolls", "enrols"),
    ("enrollment", "enrolment"),
    ("fulfill", "fulfil"),
    ("fulfills", "fulfils"),
    ("fulfillment", "fulfilment"),
    ("skillful", "skilful"),
    ("willful", "wilful"),
    ("installment", "instalment"),
    ("instill", "instil"),
    ("inquiry", "enquiry"),
    ("inquiries", "enquiries"),
    ("inquire", "enquire"),
    ("inquired", "enquired"),
];

/// Verbs that double their last `l` in British spelling before these endings.
const DOUBLE_L: &[&str] = &[
    "counsel", "travel", "cancel", "label", "model", "signal", "fuel", "level", "marvel",
    "channel", "equal", "dial", "total",
];
const DOUBLE_L_ENDINGS: &[&str] = &["ed", "ing", "or", "ors", "er", "ers"];

/// Stems spelt `-or` in American English and `-our` in British.
const OUR: &[&str] = &[
    "behavior", "color", "honor", "labor", "neighbor", "favor", "harbor", "humor", "rumor",
    "vigor", "odor", "endeavor", "flavor", "armor", "tumor", "vapor", "savior", "parlor", "clamor",
    "rancor",
];
/// Endings after which the `-our` stems keep their `u` (not "honorary", "humorous").
const OUR_ENDINGS: &[&str] = &[
    "", "s", "ed", "ing", "al", "ally", "ist", "ists", "ite", "ites", "able", "ably", "er", "ers",
    "hood", "hoods", "ful", "less", "ism", "ly",
];

/// Beginnings spelt with `e` in American English and `ae` or `oe` in British.
const DIPHTHONGS: &[(&str, &str)] = &[
    ("pediatr", "paediatr"),
    ("pedophil", "paedophil"),
    ("gynecolog", "gynaecolog"),
    ("orthoped", "orthopaed"),
    ("hematolog", "haematolog"),
    ("hematoma", "haematoma"),
    ("hemorrh", "haemorrh"),
    ("hemoglob", "haemoglob"),
    ("hemophil", "haemophil"),
    ("anemi", "anaemi"),
    ("anesthe", "anaesthe"),
    ("leukemi", "leukaemi"),
    ("diarrhe", "diarrhoe"),
    ("esophag", "oesophag"),
    ("etiolog", "aetiolog"),
];

/// What may follow `iz` or `yz` in a word spelt with `-ize` or `-yze` ("organiz-ation-al").
const IZE_ENDINGS: &[&str] = &[
    "e",
    "es",
    "ed",
    "ing",
    "er",
    "ers",
    "ation",
    "ations",
    "ational",
    "ationally",
];

/// A rule that applies to words beginning with its stem.
enum Prefixed {
    Our(&'static str),
    DoubleL(&'static str),
    Diphthong(&'static str, &'static str),
}

/// The rules above, looked up as every token of every chapter is indexed: the whole words
/// by word, the stem rules by their first three bytes (each stem has at least three), in
/// the order they are tried.
struct Rules {
    words: HashMap<&'static str, &'static str>,
    prefixed: HashMap<[u8; 3], Vec<Prefixed>>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    let mut prefixed: HashMap<[u8; 3], Vec<Prefixed>> = HashMap::new();
    let rules = OUR
        .iter()
        .map(|s| (*s, Prefixed::Our(s)))
        .chain(DOUBLE_L.iter().map(|s| (*s, Prefixed::DoubleL(s))))
        .chain(
            DIPHTHONGS
                .iter()
                .map(|(us, uk)| (*us, Prefixed::Diphthong(us, uk))),
        );
    for (stem, rule) in rules {
        prefixed
            .entry(head(stem).expect("stems have three bytes"))
            .or_default()
            .push(rule);
    }
    Rules {
        words: WORDS.iter().copied().collect(),
        prefixed,
    }
});

fn head(word: &str) -> Option<[u8; 3]> {
    word.as_bytes().get(..3)?.try_into().ok()
}

/// The British spelling of a lower-case word spelt the American way, if it is.
pub fn british(word: &str) -> Option<String> {
    let rules = &*RULES;
    if let Some(uk) = rules.words.get(word) {
        return Some((*uk).to_owned());
    }
    let candidates = head(word).and_then(|h| rules.prefixed.get(&h));
    for rule in candidates.into_iter().flatten() {
        match *rule {
            Prefixed::Our(stem) => {
                if let Some(ending) = word.strip_prefix(stem)
                    && OUR_ENDINGS.contains(&ending)
                {
                    return Some(format!("{}our{ending}", &stem[..stem.len() - 2]));
                }
            }
            Prefixed::DoubleL(stem) => {
                if let Some(ending) = word.strip_prefix(stem)
                    && DOUBLE_L_ENDINGS.contains(&ending)
                {
                    return Some(format!("{stem}l{ending}"));
                }
            }
            Prefixed::Diphthong(us, uk) => {
                if let Some(rest) = word.strip_prefix(us) {
                    return Some(format!("{uk}{rest}"));
                }
            }
        }
    }
    ize(word)
}

/// "-ize" and "-yze" as "-ise" and "-yse", with their endings.
fn ize(word: &str) -> Option<String> {
    let bytes = word.as_bytes();
    // The last `z` after an `i` or a `y`: the rule's only place.
    let z = bytes.iter().rposition(|&b| b == b'z')?;
    let uk = match z.checked_sub(1).map(|at| bytes[at]) {
        Some(b'i') => "is",
        Some(b'y') => "ys",
        _ => return None,
    };
    let at = z - 1;
    if IZE_ENDINGS.contains(&&word[z + 1..])
        // "size", "seize", "prize" and "capsize" are spelt so on both sides.
        && word[..at].chars().count() >= 3
        && !word.contains("size")
    {
        return Some(format!("{}{uk}{}", &word[..at], &word[z + 1..]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uk(word: &str) -> String {
        british(word).unwrap_or_else(|| word.to_owned())
    }

    #[test]
    fn american_spellings_become_british() {
        for (us, gb) in [
            ("behavior", "behaviour"),
            ("behavioral", "behavioural"),
            ("neighbors", "neighbours"),
            ("honor", "honour"),
            ("color", "colour"),
            ("pediatrician", "paediatrician"),
            ("pediatric", "paediatric"),
            ("organization", "organisation"),
            ("organizational", "organisational"),
            ("recognizing", "recognising"),
            ("sexualized", "sexualised"),
            ("authorization", "authorisation"),
            ("analyze", "analyse"),
            ("center", "centre"),
            ("program", "programme"),
            ("defense", "defence"),
            ("offenses", "offences"),
            ("counseling", "counselling"),
            ("traveled", "travelled"),
            ("mom", "mum"),
            ("labor", "labour"),
        ] {
            assert_eq!(uk(us), gb, "{us}");
        }
    }

    #[test]
    fn british_and_shared_spellings_are_left_alone() {
        for word in [
            "behaviour",
            "paediatrician",
            "organisation",
            "size",
            "seize",
            "prize",
            "capsize",
            "honorary",
            "humorous",
            "laboratory",
            "pedestrian",
            "feeling",
            "channel",
            "colony",
            "citizen",
            "programme",
            "centre",
        ] {
            assert_eq!(british(word), None, "{word}");
        }
    }
}
