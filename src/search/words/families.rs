//! Word families the English stemmer leaves apart, put together after it, when chapters
//! are indexed and when queries are read alike: "disagree" finds "Resolving Professional
//! Disagreements", "married" finds "Forced Marriage", "child" finds "Disabled Children".
//!
//! Irregular plurals and Latinate nouns of verbs, mostly; each stem is the stemmer's own
//! output for the words named beside it. Like the spellings, these are part of the
//! analyzers: an index written under another table must be rebuilt (see `STATE_VERSION`
//! in `sync.rs`).

/// A stem, and the stem of its family's head word.
const FAMILIES: &[(&str, &str)] = &[
    ("children", "child"),         // children, children's
    ("peopl", "person"),           // people
    ("women", "woman"),            // women
    ("men", "man"),                // men
    ("disagr", "disagre"),         // disagreement(s) / disagree(s)
    ("marriag", "marri"),          // marriage(s) / marry, married
    ("referr", "refer"),           // referral(s), referrer / refer, referred
    ("decis", "decid"),            // decision(s) / decide(d)
    ("paediatrician", "paediatr"), // paediatrician(s) / paediatric
    ("notif", "notifi"),           // notification / notify, notified
    ("applic", "appli"),           // application / apply, applied
    ("intervent", "interven"),     // intervention / intervene
    ("explan", "explain"),         // explanation / explain
    ("detent", "detain"),          // detention / detain
    ("descript", "describ"),       // description / describe
    ("prescript", "prescrib"),     // prescription / prescribe
    ("admiss", "admit"),           // admission / admit
    ("permiss", "permit"),         // permission / permit
    ("omiss", "omit"),             // omission / omit
    ("decept", "deceiv"),          // deception / deceive
    ("conclus", "conclud"),        // conclusion / conclude
    ("exclus", "exclud"),          // exclusion / exclude
    ("inclus", "includ"),          // inclusion / include
    ("injur", "injuri"),           // injured, injure / injury, injuries
    ("analysi", "analys"),         // analysis / analyse
    ("diagnosi", "diagnos"),       // diagnosis / diagnose
    ("consensu", "consent"),       // consensual / consent
    ("die", "death"),              // die, died, dies, dying / death
    ("dead", "death"),             // dead / death
    ("born", "birth"),             // born / birth
    ("threaten", "threat"),        // threaten(ed) / threat
];

/// The head of the family a stem belongs to, when the stemmer does not already give it.
pub fn family(stem: &str) -> Option<String> {
    FAMILIES
        .iter()
        .find(|(member, _)| *member == stem)
        .map(|(_, head)| (*head).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::schema::stem;

    #[test]
    fn the_words_of_a_family_share_a_stem() {
        for family in [
            &["disagree", "disagreements", "disagrees"][..],
            &["marriage", "married", "marry"],
            &["referral", "refer", "referred", "referrals"],
            &["decision", "decide", "decided"],
            &["child", "children"],
            &["paediatrician", "paediatric"],
            &["notification", "notify", "notified"],
            &["injury", "injured", "injuries"],
            &["death", "died", "dies", "dying", "dead"],
            &["people", "person"],
            &["women", "woman"],
            &["men", "man"],
            &["application", "apply", "applied"],
            &["intervention", "intervene"],
            &["explanation", "explain"],
            &["detention", "detain"],
            &["description", "describe"],
            &["prescription", "prescribe"],
            &["admission", "admit"],
            &["permission", "permit"],
            &["omission", "omit"],
            &["deception", "deceive"],
            &["conclusion", "conclude"],
            &["exclusion", "exclude"],
            &["inclusion", "include"],
            &["analysis", "analyse"],
            &["diagnosis", "diagnose"],
            &["consensual", "consent"],
            &["born", "birth"],
            &["threaten", "threatened", "threat"],
        ] {
            let stems: Vec<String> = family.iter().map(|w| stem(w)).collect();
            assert!(
                stems.iter().all(|s| *s == stems[0]),
                "{family:?}: {stems:?}"
            );
        }
    }

    #[test]
    fn other_stems_are_left_alone() {
        for stem in [
            "polic", "polici", "organ", "organis", "sexual", "care", "safe",
        ] {
            assert_eq!(family(stem), None, "{stem}");
        }
    }
}
