//! Deterministic corpus generator for benchmarks.
//!
//! ```text
//! cargo run --release --example gen-corpus -- --chapters N --releases R --out DIR \
//!     [--seed S] [--manual-title T]
//! ```
//!
//! Writes `DIR/<release>/` for each release (`2020-01`, `2020-02`, ... monthly), each a
//! complete snapshot of one manual (`manual.toml` plus chapter files in ~20 `topic-NN`
//! subfolders), and `DIR/releases.txt` listing `<name> <date>` per release in order, so the
//! snapshots can be imported one after another with
//! `chapterhouse import DIR/<name> --manual ID --release <name> --date <date>`.
//!
//! Between releases about 10% of chapters are updated, 1% added, 1% removed, 0.5% re-wrapped
//! (whitespace only), 0.3% renamed (new id, body changed a little) and 0.2% moved to another
//! folder (content identical). A chapter file unchanged since the previous release is
//! hard-linked from that release's folder rather than written again.
//!
//! Only std and fastrand; everything comes from one seeded generator, so the same flags give
//! byte-identical output.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use fastrand::Rng;

const USAGE: &str = "\
usage: gen-corpus --chapters N --releases R --out DIR [--seed S] [--manual-title T]

  --chapters N        chapters in the first release (at least 1)
  --releases R        monthly releases to write: 2020-01, 2020-02, ... (at least 1)
  --out DIR           output folder; created if missing, must be empty if it exists
  --seed S            random seed, an unsigned integer [default: 1]
  --manual-title T    the manual's title [default: \"Benchmark Safeguarding Procedures\"]

Writes DIR/<release>/ (a complete snapshot per release) and DIR/releases.txt
(`<name> <date>` per release, in import order).";

/// Number of subfolders (and table-of-contents groups).
const FOLDERS: usize = 20;
/// The wrap width of prose as first generated.
const WIDTH: u8 = 90;

// ---------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------

struct Options {
    chapters: usize,
    releases: usize,
    out: PathBuf,
    seed: u64,
    title: String,
}

enum Args {
    Run(Options),
    Help,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut chapters = None;
    let mut releases = None;
    let mut out = None;
    let mut seed = 1u64;
    let mut title = "Benchmark Safeguarding Procedures".to_owned();
    let mut args = args;
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Args::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        if !matches!(
            flag.as_str(),
            "--chapters" | "--releases" | "--out" | "--seed" | "--manual-title"
        ) {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
        };
        let count = |v: &str| -> Result<usize, String> {
            match v.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(format!(
                    "{flag} wants a whole number of at least 1, not {v:?}"
                )),
            }
        };
        match flag.as_str() {
            "--chapters" => chapters = Some(count(&value)?),
            "--releases" => {
                let r = count(&value)?;
                if r > 12 * 200 {
                    return Err(format!("--releases {r} is too many (at most 2400)"));
                }
                releases = Some(r);
            }
            "--out" => {
                if value.is_empty() {
                    return Err("--out needs a folder".into());
                }
                out = Some(PathBuf::from(value));
            }
            "--seed" => {
                seed = value
                    .parse()
                    .map_err(|_| format!("--seed wants an unsigned integer, not {value:?}"))?;
            }
            "--manual-title" => {
                let t = value.trim();
                if t.is_empty() || t.chars().any(char::is_control) {
                    return Err("--manual-title must be a non-empty line of text".into());
                }
                title = t.to_owned();
            }
            _ => unreachable!(),
        }
    }
    Ok(Args::Run(Options {
        chapters: chapters.ok_or("--chapters is required")?,
        releases: releases.ok_or("--releases is required")?,
        out: out.ok_or("--out is required")?,
        seed,
        title,
    }))
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Args::Run(o)) => o,
        Ok(Args::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gen-corpus: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-corpus: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options) -> Result<(), String> {
    let out = &opts.out;
    match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!(
                    "{} is not empty; refusing to write into it",
                    out.display()
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
        }
        Err(e) => return Err(format!("reading {}: {e}", out.display())),
    }

    let started = Instant::now();
    let vocab = Vocab::new();
    let mut generator = Generator {
        rng: Rng::with_seed(opts.seed),
        vocab: &vocab,
        titles: HashSet::new(),
        next_num: 1,
    };
    let mut chapters: Vec<Chapter> = (0..opts.chapters)
        .map(|_| generator.new_chapter())
        .collect();
    let manual_toml = format!(
        "title = {}\ndescription = {}\n",
        toml_str(&opts.title),
        toml_str(&format!(
            "A generated corpus for benchmarks (seed {}, {} chapters at first).",
            opts.seed, opts.chapters
        ))
    );

    let mut list = String::new();
    let mut writer = ReleaseWriter {
        buf: String::with_capacity(64 * 1024),
        copied: 0,
    };
    let mut prev_dir: Option<PathBuf> = None;
    for r in 0..opts.releases {
        let name = format!("{}-{:02}", 2020 + r / 12, r % 12 + 1);
        let stats = if r == 0 {
            None
        } else {
            Some(generator.next_release(&mut chapters))
        };
        let dir = out.join(&name);
        writer
            .write(&dir, prev_dir.as_deref(), &manual_toml, &mut chapters)
            .map_err(|e| format!("writing {}: {e}", dir.display()))?;
        writeln!(list, "{name} {name}-01").unwrap();
        match stats {
            None => eprintln!("{name}: {} chapters (initial)", chapters.len()),
            Some(s) => eprintln!(
                "{name}: {} chapters, {} updated, {} new, {} removed, {} rewrapped, \
                 {} renamed, {} moved",
                chapters.len(),
                s.updated,
                s.added,
                s.removed,
                s.rewrapped,
                s.renamed,
                s.moved
            ),
        }
        prev_dir = Some(dir);
    }
    let list_path = out.join("releases.txt");
    fs::write(&list_path, list).map_err(|e| format!("writing {}: {e}", list_path.display()))?;
    if writer.copied > 0 {
        eprintln!(
            "note: hard links failed for {} files, which were copied instead",
            writer.copied
        );
    }
    eprintln!(
        "wrote {} releases to {} in {:.1}s",
        opts.releases,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------

/// Countable nouns, most frequent first; `singular|plural` where the plural is irregular.
#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "child|children", "practitioner", "referral", "assessment", "plan", "family|families",
    "parent", "risk", "social worker", "concern", "agency|agencies", "review", "conference",
    "carer", "strategy discussion", "school", "manager", "decision", "person|people",
    "young person|young people", "meeting", "record", "enquiry|enquiries", "adult",
    "professional", "worker", "service", "outcome", "procedure", "incident", "case",
    "police officer", "health visitor", "team", "injury|injuries", "allegation",
    "threshold", "partner", "chair", "report", "visit", "need", "home", "action plan",
    "timescale", "core group", "advocate", "nurse", "doctor", "teacher", "midwife|midwives",
    "paediatrician", "GP", "hospital", "unit", "setting", "provider", "placement",
    "foster carer", "residential home", "care home", "officer", "lead", "colleague",
    "organisation", "local authority|local authorities", "partnership", "board", "panel",
    "group", "investigation", "disclosure", "interview", "statement", "examination",
    "medical", "bruise", "mark", "fracture", "burn", "sign", "indicator", "symptom",
    "behaviour", "pattern", "history|histories", "chronology|chronologies", "genogram",
    "factor", "vulnerability|vulnerabilities", "strength", "difficulty|difficulties",
    "relationship", "sibling", "grandparent", "relative", "household", "address",
    "tenancy|tenancies", "landlord", "neighbour", "friend", "community|communities",
    "member", "victim", "perpetrator", "suspect", "offender", "witness", "complainant",
    "employee", "volunteer", "employer", "contractor", "student", "pupil", "baby|babies",
    "infant", "toddler", "adolescent", "teenager", "mother", "father", "guardian",
    "interpreter", "solicitor", "court", "order", "application", "proceeding", "hearing",
    "judgement", "duty|duties", "power", "responsibility|responsibilities", "role",
    "function", "policy|policies", "protocol", "guideline", "standard", "framework",
    "principle", "requirement", "expectation", "target", "deadline", "day", "week", "month",
    "hour", "date", "time", "period", "stage", "step", "phase", "point", "contact", "call",
    "email", "letter", "form", "template", "system", "database", "file", "note",
    "summary|summaries", "minute", "action", "task", "recommendation", "finding",
    "conclusion", "option", "alternative", "approach", "method", "tool", "checklist",
    "question", "answer", "view", "wish|wishes", "feeling", "voice", "choice", "preference",
    "objection", "complaint", "challenge", "dispute", "disagreement", "escalation",
    "resolution", "agreement", "arrangement", "referrer", "consultant", "specialist",
    "therapist", "psychologist", "psychiatrist", "pharmacist", "paramedic", "ambulance",
    "ward", "clinic", "surgery|surgeries", "practice", "department", "directorate",
    "duty manager", "supervisor", "designated officer", "governor", "headteacher",
    "nursery|nurseries", "college", "academy|academies", "club", "church", "mosque",
    "faith group", "charity|charities", "helpline", "website", "leaflet", "poster",
    "course", "session", "workshop", "programme", "project", "budget", "cost", "payment",
    "benefit", "debt", "bank account", "property|properties", "possession",
    "power of attorney|powers of attorney", "deputy|deputies", "appointee",
    "capacity assessment", "best interests decision", "restriction", "deprivation",
    "authorisation", "safeguard", "measure", "intervention", "response",
    "category|categories", "level", "score", "rating", "grade", "tier", "pathway", "route",
    "gateway", "hub", "front door", "portal", "line", "number", "copy|copies", "version",
    "update", "change", "amendment", "appendix|appendices", "annex|annexes", "section",
    "paragraph",
];

/// Uncountable nouns, most frequent first.
#[rustfmt::skip]
const MASS: &[&str] = &[
    "information", "support", "neglect", "harm", "abuse", "consent", "evidence", "advice",
    "guidance", "safeguarding", "supervision", "welfare", "capacity", "exploitation",
    "domestic abuse", "bruising", "health", "education", "housing", "care", "practice",
    "training", "accommodation", "legislation", "oversight", "wellbeing", "confidentiality",
    "documentation", "engagement", "attendance", "communication", "development",
    "self-harm", "substance misuse", "trafficking", "radicalisation", "bullying",
    "grooming", "coercion", "control", "feedback", "learning", "funding", "provision",
    "treatment", "medication", "nutrition", "hygiene", "supervision and support",
    "emotional abuse", "physical abuse", "sexual abuse", "financial abuse", "self-neglect",
    "modern slavery", "female genital mutilation", "forced marriage", "honour-based abuse",
    "online abuse", "criminal exploitation", "sexual exploitation", "poverty",
    "homelessness", "hoarding", "alcohol misuse", "drug use", "mental health", "parenting",
    "leadership", "scrutiny", "accountability", "assurance", "quality", "performance",
    "progress", "recovery", "resilience", "stability", "permanence", "continuity",
    "transition", "independence", "privacy", "dignity", "respect",
];

#[rustfmt::skip]
const ADJECTIVES: &[&str] = &[
    "relevant", "appropriate", "multi-agency", "significant", "immediate", "serious",
    "statutory", "local", "initial", "further", "clear", "urgent", "specific", "additional",
    "professional", "independent", "designated", "named", "early", "final", "formal",
    "informal", "written", "verbal", "physical", "emotional", "sexual", "criminal",
    "financial", "medical", "clinical", "legal", "parental", "unborn", "vulnerable",
    "disabled", "young", "older", "new", "current", "previous", "ongoing", "separate",
    "joint", "single", "full", "detailed", "accurate", "proportionate", "reasonable",
    "safe", "unsafe", "unexplained", "non-mobile", "suspicious", "concerning", "high",
    "low", "complex", "chronic", "acute", "senior", "responsible", "accountable",
    "contextual", "cumulative", "historical", "recent", "regular", "routine", "unannounced",
    "confidential", "sensitive", "personal", "timely", "national", "regional", "internal",
    "external", "strategic", "operational", "key", "main", "other", "possible", "likely",
    "unlikely", "actual", "potential", "suspected", "alleged", "substantiated",
    "unsubstantiated", "unfounded", "malicious", "false", "consistent", "inconsistent",
    "minor", "major", "critical", "severe", "moderate", "mild", "visible", "hidden",
    "complete", "incomplete", "agreed", "planned", "unplanned", "emergency", "out-of-hours",
    "daytime", "weekly", "monthly", "annual", "quarterly", "interim", "provisional",
    "temporary", "permanent", "short-term", "long-term", "specialist", "universal",
    "targeted", "therapeutic", "educational", "residential", "private", "voluntary",
    "public", "secure", "lawful", "unlawful", "reportable", "notifiable", "mandatory",
    "optional", "suitable", "unsuitable", "competent", "qualified", "experienced",
];

#[rustfmt::skip]
const VERBS: &[&str] = &[
    "consider", "record", "share", "review", "assess", "refer", "discuss", "agree",
    "inform", "notify", "contact", "arrange", "complete", "identify", "ensure", "provide",
    "support", "monitor", "escalate", "convene", "attend", "coordinate", "undertake",
    "obtain", "seek", "explain", "document", "report", "investigate", "protect",
    "safeguard", "promote", "prevent", "reduce", "respond to", "establish", "confirm",
    "clarify", "check", "follow", "update", "determine", "evaluate", "analyse", "consult",
    "involve", "engage with", "challenge", "request", "receive", "send", "gather",
    "collate", "plan", "implement", "deliver", "maintain", "visit", "observe", "interview",
    "speak to", "listen to", "balance", "weigh", "recognise", "address", "manage",
    "minimise", "take", "make", "give", "keep", "hold", "use", "apply", "offer", "signpost",
    "allocate", "approve", "authorise", "commission", "close", "transfer", "chair", "lead",
    "prepare", "present", "circulate", "distribute", "store", "retain", "seek advice on",
    "explore", "understand", "test", "verify", "reconsider", "revisit", "prioritise",
    "set out", "bring together", "pass on", "follow up", "look into", "step down",
];

#[rustfmt::skip]
const PARTICIPLES: &[&str] = &[
    "recorded", "shared", "reviewed", "agreed", "completed", "considered", "informed",
    "notified", "consulted", "discussed", "identified", "assessed", "referred", "escalated",
    "documented", "reported", "convened", "arranged", "provided", "obtained", "sought",
    "explained", "confirmed", "updated", "made", "given", "taken", "kept", "held", "seen",
    "told", "sent", "received", "offered", "allocated", "approved", "authorised", "closed",
    "transferred", "followed", "implemented", "monitored", "established", "invited",
    "involved", "supported", "protected", "prioritised", "signed", "circulated",
    "distributed", "copied", "stored", "retained", "checked", "clarified", "challenged",
    "overseen", "delegated", "evaluated", "analysed", "raised", "advised", "encouraged",
    "included", "explored", "tested", "verified", "written up", "signed off",
];

#[rustfmt::skip]
const ADVERBS: &[&str] = &[
    "promptly", "immediately", "carefully", "clearly", "regularly", "jointly", "routinely",
    "fully", "always", "normally", "usually", "also", "only", "quickly", "sensitively",
    "appropriately", "proportionately", "urgently", "formally", "informally",
    "independently", "directly", "properly", "consistently", "safely", "accurately",
    "securely", "swiftly", "actively", "separately", "respectfully", "openly", "honestly",
    "thoroughly", "fairly", "closely", "first", "then", "still", "routinely and promptly",
];

const ACRONYMS: &[&str] = &[
    "MASH", "LADO", "s47", "MARAC", "FGM", "MCA", "DoLS", "CSE", "CCE", "s42", "ICPC", "EHA",
    "IDVA", "CAMHS", "SEND", "SUDI", "DNACPR", "RCPC", "EHCP", "DSL", "GP", "NHS", "A&E", "CQC",
    "LSCP", "SAB", "SAR", "CSPR", "MAPPA", "DBS", "IRO", "CIN", "NRM", "UASC", "ABE", "DASH",
    "FII", "SARC", "TAC", "ICB",
];

const MODALS: &[&str] = &["should", "must", "will", "may", "can", "would"];
const NUMBERS: &[&str] = &[
    "two", "three", "five", "ten", "15", "20", "one", "seven", "28", "45", "four",
];

const SENTENCES: &[&str] = &[
    "the $n $M $v the $n within $d working days",
    "where @ $a $n is identified, the $n $M $v the $n without delay",
    "$N $M $v @ $a $n and $v the $m with the $n",
    "the $n of the $n $M be $p by the $n",
    "if the $n has @ $a $n, the $n $M $v @ $a $n",
    "all $N $M $v the $x $n in line with the $a $n",
    "$m about the $n $M be $p and $p on the $n's $n",
    "the $n is responsible for $m and for the $n of @ $a $n",
    "practitioners $M $r $v any $m $p at the $x $n",
    "in $a $N, the $n $M $v the $n to the $x",
    "this $n sets out how $N $M $v $m about @ $a $n",
    "$a $m $M not delay the $n",
    "the $x $M be $p when the $n $s @ $a $n",
    "any $n that $s the $n $M be $p to the $n",
    "it is important that the $n $s the $n of the $n",
    "$N and $N $M work together to $v the $n",
    "the $n $M $r $v whether @ $a $n is needed",
    "a record of the $n, the $n and the $n $M be kept on the $n's $n",
    "where there is @ $a $n of $m, the $n $M $v the $x",
    "consideration $M be given to the $n of the $n and to any $a $m",
    "the $n $M $v the $n, $v the $n and $v the $m",
    "under the $x $n, the $n $s the $n of every $n",
    "following the $n, the $n $M $v @ $a $n within $d working days",
    "$N who are unable to $v the $n $M seek $m from the $n",
    "the $n and the $n $M agree @ $a $n for the $n",
    "no $n $M $v the $n without $m from the $n",
    "the $a $n $M be $p at each $n",
    "where possible, the $n's $m $M be $p before the $n",
    "the $n may need to $v the $x or the $x",
    "further $m on $a $N is available from the $n",
    "the $n $M $r $v the $n's $m and $a $m",
    "$a $N $M be $p to the $x as soon as possible",
    "the $x $n $M include $m about the $n and the $n",
    "when @ $n is $p, the $n $M $v the $n and the $n",
    "the views of the $n $M be $p and $p throughout the $n",
    "$m $M be $p in a way that is $a and $a",
    "the $n $M not $v the $n until the $n has been $p",
    "each $n $M have @ $a $n who $s the $n",
    "there $M be @ $a $n between the $n and the $x",
    "decisions about the $n $M be $p by @ $a $n",
    "if $m is refused, the $n $M $r $v the $n with the $x",
    "the $n $s the $n and $s whether $a $m is required",
];

/// List items that continue a lead-in ending in a verb ("The practitioner should:").
const ITEMS_VERB: &[&str] = &[
    "$v the $n and the $n",
    "$v the $x $n",
    "$r $v any $m",
    "$v whether the $n $s @ $a $n",
    "$v the $n's $m",
    "$v $m from the $n",
    "$v the $n with the $n",
    "$v @ $a $n within $d working days",
    "$v the $n to the $x where appropriate",
    "$r $v the $a $n",
];
const LEADS_VERB: &[&str] = &[
    "the $n $M:",
    "$N $M:",
    "in particular, the $n $M:",
    "before the $n, the $x $M:",
    "the $a $n $M:",
];
/// List items that continue a lead-in ending in a noun slot ("Relevant factors include:").
const ITEMS_NOUN: &[&str] = &[
    "the $n of any $a $n",
    "$a $N and $a $N",
    "$m from the $n or the $x",
    "whether the $n has been $p",
    "how the $n's $m will be $p",
    "the outcome of the $x $n",
    "$a $m",
    "any $n $p by the $n",
    "the $n's $m and $n",
    "$a $m and $m",
];
const LEADS_NOUN: &[&str] = &[
    "relevant factors include:",
    "the $n $M consider:",
    "this may include:",
    "the $x $n $M record:",
    "concerns may relate to:",
    "the $n $M take into account:",
    "examples of $a $m include:",
];
const LINK_OPENERS: &[&str] = &[
    "this chapter links to $a guidance on $m and $N",
    "the guidance on $m is published by the $n and is not reproduced here",
    "practitioners $M read the $a guidance on $m before they $v the $n",
];

#[rustfmt::skip]
const HEADINGS: &[&str] = &[
    "Introduction", "Scope", "Definitions", "Roles and responsibilities", "Legal framework",
    "Key principles", "Recognition", "Risk indicators", "Making a referral",
    "Strategy discussion", "Assessment", "Information sharing", "Consent", "Recording",
    "Review", "Escalation", "Outcomes", "Further information", "Training and supervision",
    "Working with families", "Thresholds", "Planning", "Immediate action", "Timescales",
    "Child protection conference", "Voice of the child", "Responding to disclosure",
    "Multi-agency working", "Case closure", "Transfer arrangements", "Contact details",
    "Related guidance", "Mental capacity", "Advocacy", "Record keeping", "Feedback",
];
const HEADING_PATTERNS: &[&str] = &["$a $n", "$a $m", "$N and $m", "the $x $n", "$m and $a $N"];
const TITLE_PATTERNS: &[&str] = &[
    "$a $N",
    "$N and $N",
    "$x $N",
    "$a $m and $N",
    "responding to $a $m",
    "working with $a $N",
    "$m in $a $N",
    "$x and $a $m",
    "$N: $a $m",
    "$a $n $N",
    "$n of $a $N",
];

const GROUPS: [&str; FOLDERS] = [
    "Identifying and responding to concerns",
    "Assessment and planning",
    "Child protection conferences",
    "Specific circumstances",
    "Working with adults at risk",
    "Mental capacity and consent",
    "Exploitation and trafficking",
    "Domestic abuse",
    "Health and wellbeing",
    "Education and schools",
    "Allegations against staff",
    "Information sharing",
    "Looked after children",
    "Disabled children and SEND",
    "Early help",
    "Child deaths and reviews",
    "Online safety",
    "Missing children",
    "Case management and recording",
    "Local contacts and resources",
];

#[rustfmt::skip]
const TAGS: &[&str] = &[
    "neglect", "physical abuse", "sexual abuse", "emotional abuse", "exploitation",
    "county lines", "domestic abuse", "mental capacity", "consent", "information sharing",
    "escalation", "early help", "looked after children", "disabled children", "FGM",
    "online safety", "missing children", "self-harm", "substance misuse", "radicalisation",
    "modern slavery", "trafficking", "allegations", "child deaths", "conferences",
    "assessment", "thresholds", "pre-birth", "private fostering", "young carers",
    "homelessness", "hoarding", "self-neglect", "financial abuse", "care homes",
    "hospital discharge", "adolescents", "transition", "bruising", "fabricated illness",
];

/// A word class with Zipf-like weights (the first word the most frequent).
struct Class {
    words: Vec<&'static str>,
    cumulative: Vec<f64>,
}

impl Class {
    fn new(words: Vec<&'static str>, exponent: f64) -> Class {
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|i| {
                total += 1.0 / ((i + 1) as f64).powf(exponent);
                total
            })
            .collect();
        Class { words, cumulative }
    }

    fn zipf(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap();
        let u = rng.f64() * total;
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(self.words.len() - 1)
    }
}

struct Vocab {
    nouns: Class,
    plurals: Vec<String>,
    mass: Class,
    adjectives: Class,
    verbs: Class,
    verbs_s: Vec<String>,
    participles: Class,
    adverbs: Class,
    acronyms: Class,
    modals: Class,
    numbers: Class,
}

fn plural_of(word: &str) -> String {
    let b = word.as_bytes();
    let n = b.len();
    if n >= 2 && b[n - 1] == b'y' && !b"aeiou".contains(&b[n - 2]) {
        format!("{}ies", &word[..n - 1])
    } else if word.ends_with('s')
        || word.ends_with("sh")
        || word.ends_with("ch")
        || word.ends_with('x')
        || word.ends_with('z')
    {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

impl Vocab {
    fn new() -> Vocab {
        let mut singular = Vec::new();
        let mut plurals = Vec::new();
        for entry in NOUNS {
            match entry.split_once('|') {
                Some((s, p)) => {
                    singular.push(s);
                    plurals.push(p.to_owned());
                }
                None => {
                    singular.push(*entry);
                    plurals.push(plural_of(entry));
                }
            }
        }
        let verbs_s = VERBS
            .iter()
            .map(|v| {
                // Inflect the first word: "respond to" -> "responds to".
                let (head, tail) = match v.split_once(' ') {
                    Some((h, t)) => (h, Some(t)),
                    None => (*v, None),
                };
                let head = match head {
                    "have" => "has".to_owned(),
                    _ => plural_of(head),
                };
                match tail {
                    Some(t) => format!("{head} {t}"),
                    None => head,
                }
            })
            .collect();
        Vocab {
            nouns: Class::new(singular, 1.0),
            plurals,
            mass: Class::new(MASS.to_vec(), 1.0),
            adjectives: Class::new(ADJECTIVES.to_vec(), 0.9),
            verbs: Class::new(VERBS.to_vec(), 0.9),
            verbs_s,
            participles: Class::new(PARTICIPLES.to_vec(), 0.9),
            adverbs: Class::new(ADVERBS.to_vec(), 1.0),
            acronyms: Class::new(ACRONYMS.to_vec(), 0.8),
            modals: Class::new(MODALS.to_vec(), 1.2),
            numbers: Class::new(NUMBERS.to_vec(), 1.0),
        }
    }

    /// The word for slot `code`, Zipf-weighted or (for titles and headings) uniform.
    fn slot(&self, code: u8, rng: &mut Rng, uniform: bool) -> &str {
        let pick = |class: &Class, rng: &mut Rng| {
            if uniform {
                rng.usize(..class.words.len())
            } else {
                class.zipf(rng)
            }
        };
        match code {
            b'n' => self.nouns.words[pick(&self.nouns, rng)],
            b'N' => &self.plurals[pick(&self.nouns, rng)],
            b'm' => self.mass.words[pick(&self.mass, rng)],
            b'a' => self.adjectives.words[pick(&self.adjectives, rng)],
            b'v' => self.verbs.words[pick(&self.verbs, rng)],
            b's' => &self.verbs_s[pick(&self.verbs, rng)],
            b'p' => self.participles.words[pick(&self.participles, rng)],
            b'r' => self.adverbs.words[pick(&self.adverbs, rng)],
            b'x' => self.acronyms.words[pick(&self.acronyms, rng)],
            b'M' => self.modals.words[pick(&self.modals, rng)],
            b'd' => self.numbers.words[pick(&self.numbers, rng)],
            _ => panic!("unknown slot ${}", code as char),
        }
    }

    /// Appends `template` with its slots filled, words separated by single spaces (a
    /// space goes first unless `out` is empty or ends in one). Returns the words added.
    fn fill(&self, template: &str, rng: &mut Rng, uniform: bool, out: &mut String) -> usize {
        let mut words = 0;
        let mut article = false;
        for token in template.split(' ') {
            if token == "@" {
                article = true;
                continue;
            }
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            let (word, rest) = match token.strip_prefix('$') {
                Some(slot) => (self.slot(slot.as_bytes()[0], rng, uniform), &slot[1..]),
                None => (token, ""),
            };
            if article {
                out.push_str(if takes_an(word) { "an " } else { "a " });
                article = false;
                words += 1;
            }
            out.push_str(word);
            out.push_str(rest);
            words += 1 + word.bytes().filter(|&b| b == b' ').count();
        }
        words
    }

    /// Appends one capitalised sentence with a full stop; returns its words.
    fn sentence(&self, templates: &[&str], rng: &mut Rng, out: &mut String) -> usize {
        if !out.is_empty() {
            out.push(' ');
        }
        let start = out.len();
        let words = self.fill(templates[rng.usize(..templates.len())], rng, false, out);
        capitalise_at(out, start);
        out.push('.');
        words
    }

    /// A paragraph of at least `target` words (whole sentences).
    fn paragraph(&self, target: usize, rng: &mut Rng) -> (String, usize) {
        let mut text = String::with_capacity(target * 8);
        let mut words = 0;
        while words < target {
            words += self.sentence(SENTENCES, rng, &mut text);
        }
        (text, words)
    }

    /// A lead-in sentence and 3 to 7 list items; returns the block and its words.
    fn list(&self, rng: &mut Rng) -> (Block, usize) {
        let (leads, items) = if rng.bool() {
            (LEADS_VERB, ITEMS_VERB)
        } else {
            (LEADS_NOUN, ITEMS_NOUN)
        };
        let mut lead = String::new();
        let mut words = self.fill(leads[rng.usize(..leads.len())], rng, false, &mut lead);
        capitalise_at(&mut lead, 0);
        let count = rng.usize(3..=7);
        let mut list = Vec::with_capacity(count);
        for i in 0..count {
            list.push(self.item(items, rng, i + 1 == count));
            words += list[i].bytes().filter(|&b| b == b' ').count() + 1;
        }
        (Block::List { lead, items: list }, words)
    }

    fn item(&self, items: &[&str], rng: &mut Rng, last: bool) -> String {
        let mut item = String::new();
        self.fill(items[rng.usize(..items.len())], rng, false, &mut item);
        item.push(if last { '.' } else { ';' });
        item
    }

    /// A sentence-case heading.
    fn heading(&self, rng: &mut Rng) -> String {
        if rng.u32(..100) < 55 {
            return HEADINGS[rng.usize(..HEADINGS.len())].to_owned();
        }
        let mut h = String::new();
        self.fill(
            HEADING_PATTERNS[rng.usize(..HEADING_PATTERNS.len())],
            rng,
            true,
            &mut h,
        );
        capitalise_at(&mut h, 0);
        h
    }

    /// A title-case chapter title.
    fn title(&self, rng: &mut Rng) -> String {
        let mut raw = String::new();
        self.fill(
            TITLE_PATTERNS[rng.usize(..TITLE_PATTERNS.len())],
            rng,
            true,
            &mut raw,
        );
        let mut title = String::with_capacity(raw.len());
        for (i, word) in raw.split(' ').enumerate() {
            if i > 0 {
                title.push(' ');
            }
            let small = matches!(
                word,
                "and"
                    | "of"
                    | "in"
                    | "to"
                    | "with"
                    | "for"
                    | "the"
                    | "on"
                    | "at"
                    | "by"
                    | "a"
                    | "an"
                    | "or"
            );
            let acronym = word
                .bytes()
                .any(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            let start = title.len();
            title.push_str(word);
            if (i == 0 || !small) && !acronym {
                capitalise_at(&mut title, start);
            }
        }
        title
    }
}

fn takes_an(word: &str) -> bool {
    let lower = word.as_bytes()[0].to_ascii_lowercase();
    b"aeiou".contains(&lower)
        && !word.starts_with("uni")
        && !word.starts_with("use")
        && !word.starts_with("usu")
        && !word.starts_with("one")
}

fn capitalise_at(s: &mut str, at: usize) {
    if let Some(first) = s.get_mut(at..at + 1) {
        first.make_ascii_uppercase();
    }
}

/// A lower-case slug of up to `max_words` words of `text`.
fn slugify(text: &str, max_words: usize, out: &mut String) {
    let mut words = 0;
    let mut pending_dash = false;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            if pending_dash {
                words += 1;
                if words >= max_words {
                    return;
                }
                out.push('-');
                pending_dash = false;
            }
            out.push(b.to_ascii_lowercase() as char);
        } else if b != b'\'' && !out.is_empty() && !out.ends_with('-') {
            pending_dash = true;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Chapters
// ---------------------------------------------------------------------------------------

enum Block {
    /// Prose, kept unwrapped (single spaces); wrapped at `width` when written.
    Para {
        text: String,
        width: u8,
    },
    List {
        lead: String,
        items: Vec<String>,
    },
    /// A `### n.m` sub-heading.
    Sub(String),
}

struct Section {
    heading: String,
    blocks: Vec<Block>,
}

struct Chapter {
    id: String,
    title: String,
    folder: usize,
    group: usize,
    tags: Vec<&'static str>,
    /// Set for link chapters.
    url: Option<String>,
    /// Blocks before the first `##` section (the whole body of a link chapter).
    intro: Vec<Block>,
    sections: Vec<Section>,
    /// Where the chapter was written in the previous release: folder and id.
    prev: Option<(usize, String)>,
    /// The content changed since the previous release.
    dirty: bool,
}

impl Chapter {
    /// The paragraphs (as `(section or None for the intro, block index)`).
    fn paragraphs(&self) -> Vec<(Option<usize>, usize)> {
        let mut out = Vec::new();
        let paras = |blocks: &[Block]| {
            blocks
                .iter()
                .enumerate()
                .filter(|(_, b)| matches!(b, Block::Para { .. }))
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        out.extend(paras(&self.intro).into_iter().map(|i| (None, i)));
        for (s, section) in self.sections.iter().enumerate() {
            out.extend(paras(&section.blocks).into_iter().map(|i| (Some(s), i)));
        }
        out
    }

    fn block_mut(&mut self, at: (Option<usize>, usize)) -> &mut Block {
        match at.0 {
            None => &mut self.intro[at.1],
            Some(s) => &mut self.sections[s].blocks[at.1],
        }
    }
}

#[derive(Default)]
struct Stats {
    updated: usize,
    added: usize,
    removed: usize,
    rewrapped: usize,
    renamed: usize,
    moved: usize,
}

struct Generator<'v> {
    rng: Rng,
    vocab: &'v Vocab,
    /// Every title used so far (kept unique).
    titles: HashSet<String>,
    next_num: u32,
}

impl Generator<'_> {
    fn unique_title(&mut self) -> String {
        for _ in 0..30 {
            let t = self.vocab.title(&mut self.rng);
            if !self.titles.contains(&t) {
                self.titles.insert(t.clone());
                return t;
            }
        }
        loop {
            let mut t = self.vocab.title(&mut self.rng);
            t.push_str(" and ");
            let start = t.len();
            t.push_str(self.vocab.slot(b'N', &mut self.rng, true));
            capitalise_at(&mut t, start);
            if self.titles.insert(t.clone()) {
                return t;
            }
        }
    }

    fn new_id(&mut self, title: &str) -> String {
        let mut id = String::with_capacity(48);
        slugify(title, 5, &mut id);
        if !id.is_empty() {
            id.push('-');
        }
        write!(id, "{:05}", self.next_num).unwrap();
        self.next_num += 1;
        id
    }

    fn url(&mut self, title: &str) -> String {
        let mut url = String::from("https://www.example.gov.uk/guidance/");
        slugify(title, 8, &mut url);
        if self.rng.u32(..3) == 0 {
            write!(url, "-{}", 2015 + self.rng.u32(..10)).unwrap();
        }
        url
    }

    fn new_chapter(&mut self) -> Chapter {
        let title = self.unique_title();
        let id = self.new_id(&title);
        let folder = self.rng.usize(..FOLDERS);
        let mut tags = Vec::new();
        if self.rng.u32(..10) < 4 {
            for _ in 0..self.rng.usize(1..=3) {
                let tag = TAGS[self.rng.usize(..TAGS.len())];
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        let mut chapter = Chapter {
            id,
            title,
            folder,
            group: folder,
            tags,
            url: None,
            intro: Vec::new(),
            sections: Vec::new(),
            prev: None,
            dirty: true,
        };
        if self.rng.u32(..100) < 5 {
            chapter.url = Some(self.url(&chapter.title));
            chapter.intro = vec![self.link_body()];
        } else {
            self.fill_body(&mut chapter);
        }
        chapter
    }

    fn link_body(&mut self) -> Block {
        let v = self.vocab;
        let mut text = String::new();
        v.sentence(LINK_OPENERS, &mut self.rng, &mut text);
        for _ in 0..self.rng.usize(1..=3) {
            v.sentence(SENTENCES, &mut self.rng, &mut text);
        }
        Block::Para { text, width: WIDTH }
    }

    /// (Re)generates an ordinary chapter's body: 800 to 4,000 words in 5 to 12 sections.
    fn fill_body(&mut self, chapter: &mut Chapter) {
        let target = self.rng.usize(830..=3900);
        let sections = (target / 300 + self.rng.usize(..4))
            .saturating_sub(1)
            .clamp(5, 12);
        let (intro, intro_words) = self.vocab.paragraph(self.rng.usize(25..=60), &mut self.rng);
        chapter.intro = vec![Block::Para {
            text: intro,
            width: WIDTH,
        }];
        chapter.sections.clear();
        // Jittered shares of the remaining words, summing to the target.
        let shares: Vec<usize> = (0..sections).map(|_| self.rng.usize(70..=130)).collect();
        let total_share: usize = shares.iter().sum();
        let words = target.saturating_sub(intro_words);
        for share in shares {
            let budget = words * share / total_share;
            let section = self.section(&chapter.sections, budget.max(40));
            chapter.sections.push(section);
        }
    }

    /// A section of about `budget` words, its heading unlike those in `existing`.
    fn section(&mut self, existing: &[Section], budget: usize) -> Section {
        let v = self.vocab;
        let heading = loop {
            let h = v.heading(&mut self.rng);
            if !existing.iter().any(|s| s.heading == h) {
                break h;
            }
        };
        let mut blocks = Vec::new();
        let mut words = 0;
        let mut subs = 0;
        // Stop within 20 words of the budget so that sections do not overshoot much.
        while words + 20 < budget {
            let roll = self.rng.u32(..100);
            if !blocks.is_empty() && roll < 25 && budget - words > 50 {
                let (block, w) = v.list(&mut self.rng);
                blocks.push(block);
                words += w;
                continue;
            }
            if !blocks.is_empty() && roll < 31 && subs < 3 && budget - words > 150 {
                let mut sub = String::new();
                // Numbered at write time; keep sub-headings distinct within the section.
                sub.push_str(&v.heading(&mut self.rng));
                if blocks
                    .iter()
                    .any(|b| matches!(b, Block::Sub(s) if *s == sub))
                {
                    continue;
                }
                blocks.push(Block::Sub(sub));
                subs += 1;
            }
            let room = (budget - words).clamp(40, 105);
            let (text, w) = v.paragraph(self.rng.usize(40..=room), &mut self.rng);
            blocks.push(Block::Para { text, width: WIDTH });
            words += w;
        }
        Section { heading, blocks }
    }

    /// Applies one month's changes and returns what was done.
    fn next_release(&mut self, chapters: &mut Vec<Chapter>) -> Stats {
        let n = chapters.len();
        let mut stats = Stats::default();
        let mut left = n;
        let mut take = |rng: &mut Rng, p: f64, keep: usize| {
            let want = n as f64 * p;
            let mut k = want.floor() as usize;
            if rng.f64() < want.fract() {
                k += 1;
            }
            let k = k.min(left.saturating_sub(keep));
            left -= k;
            k
        };
        let rng = &mut self.rng;
        // Removals first, keeping at least one chapter.
        let n_removed = take(rng, 0.01, 1);
        let n_updated = take(rng, 0.10, 0);
        let n_rewrapped = take(rng, 0.005, 0);
        let n_renamed = take(rng, 0.003, 0);
        let n_moved = take(rng, 0.002, 0);
        let n_added = {
            let want = n as f64 * 0.01;
            want.floor() as usize + usize::from(rng.f64() < want.fract())
        };

        // Disjoint random picks: a partial Fisher-Yates shuffle of the indices.
        let total = n - left;
        let mut order: Vec<usize> = (0..n).collect();
        for i in 0..total {
            let j = rng.usize(i..n);
            order.swap(i, j);
        }
        let mut picks = order[..total].iter().copied();
        let removed: Vec<usize> = picks.by_ref().take(n_removed).collect();
        for i in picks.by_ref().take(n_updated).collect::<Vec<_>>() {
            self.update(&mut chapters[i]);
            stats.updated += 1;
        }
        for i in picks.by_ref().take(n_rewrapped).collect::<Vec<_>>() {
            if self.rewrap(&mut chapters[i]) {
                stats.rewrapped += 1;
            }
        }
        for i in picks.by_ref().take(n_renamed).collect::<Vec<_>>() {
            self.rename(&mut chapters[i]);
            stats.renamed += 1;
        }
        for i in picks.by_ref().take(n_moved).collect::<Vec<_>>() {
            let c = &mut chapters[i];
            c.folder = (c.folder + self.rng.usize(1..FOLDERS)) % FOLDERS;
            stats.moved += 1;
        }
        if !removed.is_empty() {
            let mut gone = vec![false; n];
            for &i in &removed {
                gone[i] = true;
            }
            let mut i = 0;
            chapters.retain(|_| {
                i += 1;
                !gone[i - 1]
            });
            stats.removed = removed.len();
        }
        for _ in 0..n_added {
            let c = self.new_chapter();
            chapters.push(c);
        }
        stats.added = n_added;
        stats
    }

    fn update(&mut self, c: &mut Chapter) {
        c.dirty = true;
        if let Some(url) = &c.url {
            loop {
                let mut words = String::new();
                self.vocab.fill("$a $m $N", &mut self.rng, true, &mut words);
                let new = self.url(&words);
                if new != *url {
                    c.url = Some(new);
                    break;
                }
            }
            return;
        }
        let roll = self.rng.u32(..60);
        if roll < 3 {
            // About 1 in 20: the whole body rewritten.
            self.fill_body(c);
        } else if roll < 7 && c.sections.len() < 12 {
            // About 1 in 15: a new section.
            let at = self.rng.usize(1..=c.sections.len());
            let budget = self.rng.usize(150..=500);
            let section = self.section(&c.sections, budget);
            c.sections.insert(at, section);
        } else {
            let first = self.rng.usize(..c.sections.len());
            self.edit_section(c, first);
            if self.rng.u32(..10) < 3 && c.sections.len() > 1 {
                let second = (first + self.rng.usize(1..c.sections.len())) % c.sections.len();
                self.edit_section(c, second);
            }
        }
    }

    /// Replaces or inserts a few sentences or list items in one section.
    fn edit_section(&mut self, c: &mut Chapter, s: usize) {
        let v = self.vocab;
        let rng = &mut self.rng;
        let blocks = &mut c.sections[s].blocks;
        let lists: Vec<usize> = (0..blocks.len())
            .filter(|&i| matches!(blocks[i], Block::List { .. }))
            .collect();
        let paras: Vec<usize> = (0..blocks.len())
            .filter(|&i| matches!(blocks[i], Block::Para { .. }))
            .collect();
        let use_list = !lists.is_empty() && (paras.is_empty() || rng.u32(..10) < 3);
        if use_list {
            let Block::List { lead, items } = &mut blocks[lists[rng.usize(..lists.len())]] else {
                unreachable!()
            };
            let verb_items = lead.ends_with("should:")
                || lead.ends_with("must:")
                || lead.ends_with("will:")
                || lead.ends_with("may:")
                || lead.ends_with("can:")
                || lead.ends_with("would:");
            let templates = if verb_items { ITEMS_VERB } else { ITEMS_NOUN };
            let at = rng.usize(..items.len());
            let last = at + 1 == items.len();
            let new = v.item(templates, rng, last);
            if rng.bool() {
                items[at] = new;
            } else {
                let new = v.item(templates, rng, false);
                items.insert(at, new);
            }
        } else {
            let Block::Para { text, .. } = &mut blocks[paras[rng.usize(..paras.len())]] else {
                unreachable!()
            };
            if rng.bool() {
                replace_sentence(v, rng, text);
            } else {
                let at = sentence_starts(text);
                let pos = at[rng.usize(..at.len())];
                let mut new = String::new();
                for _ in 0..rng.usize(1..=2) {
                    v.sentence(SENTENCES, rng, &mut new);
                }
                new.push(' ');
                text.insert_str(pos, &new);
            }
        }
    }

    /// Re-wraps one paragraph at a different width, so only line breaks change.
    fn rewrap(&mut self, c: &mut Chapter) -> bool {
        let mut paras = c.paragraphs();
        self.rng.shuffle(&mut paras);
        for at in paras {
            let Block::Para { text, width } = c.block_mut(at) else {
                unreachable!()
            };
            if text.len() <= 80 {
                continue;
            }
            let mut before = String::new();
            wrap(text, *width as usize, "", "", &mut before);
            for _ in 0..12 {
                let w = self.rng.u8(70..=100);
                let mut after = String::new();
                wrap(text, w as usize, "", "", &mut after);
                if after != before {
                    *width = w;
                    c.dirty = true;
                    return true;
                }
            }
        }
        false
    }

    /// A new id (and title), with at most one sentence of the body changed.
    fn rename(&mut self, c: &mut Chapter) {
        c.title = self.unique_title();
        c.id = self.new_id(&c.title);
        c.dirty = true;
        if c.url.is_some() {
            return;
        }
        let paras = c.paragraphs();
        let at = paras[self.rng.usize(..paras.len())];
        let Block::Para { text, .. } = c.block_mut(at) else {
            unreachable!()
        };
        replace_sentence(self.vocab, &mut self.rng, text);
    }
}

/// Byte offsets at which the sentences of a paragraph start.
fn sentence_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices(". ").map(|(i, _)| i + 2));
    starts
}

fn replace_sentence(v: &Vocab, rng: &mut Rng, text: &mut String) {
    let starts = sentence_starts(text);
    let k = rng.usize(..starts.len());
    let start = starts[k];
    let end = starts.get(k + 1).map_or(text.len(), |&s| s - 1);
    let mut new = String::new();
    v.sentence(SENTENCES, rng, &mut new);
    text.replace_range(start..end, &new);
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/// Greedy word wrap of single-spaced `text` at `width` columns.
fn wrap(text: &str, width: usize, first: &str, rest: &str, out: &mut String) {
    out.push_str(first);
    let mut col = first.len();
    let mut line_empty = true;
    for word in text.split(' ') {
        if !line_empty && col + 1 + word.len() > width {
            out.push('\n');
            out.push_str(rest);
            col = rest.len();
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += word.len();
        line_empty = false;
    }
    out.push('\n');
}

fn render_blocks(blocks: &[Block], section: usize, out: &mut String) {
    let mut sub = 0;
    for block in blocks {
        match block {
            Block::Para { text, width } => wrap(text, *width as usize, "", "", out),
            Block::List { lead, items } => {
                wrap(lead, WIDTH as usize, "", "", out);
                out.push('\n');
                for item in items {
                    wrap(item, WIDTH as usize, "- ", "  ", out);
                }
            }
            Block::Sub(h) => {
                sub += 1;
                writeln!(out, "### {section}.{sub} {h}").unwrap();
            }
        }
        out.push('\n');
    }
}

fn render(c: &Chapter, out: &mut String) {
    out.clear();
    out.push_str("+++\n");
    writeln!(out, "title = {}", toml_str(&c.title)).unwrap();
    writeln!(out, "id = {}", toml_str(&c.id)).unwrap();
    if let Some(url) = &c.url {
        out.push_str("kind = \"link\"\n");
        writeln!(out, "url = {}", toml_str(url)).unwrap();
    }
    writeln!(out, "section = {}", toml_str(GROUPS[c.group])).unwrap();
    if !c.tags.is_empty() {
        out.push_str("tags = [");
        for (i, t) in c.tags.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&toml_str(t));
        }
        out.push_str("]\n");
    }
    out.push_str("+++\n");
    render_blocks(&c.intro, 0, out);
    for (i, s) in c.sections.iter().enumerate() {
        writeln!(out, "## {}. {}\n", i + 1, s.heading).unwrap();
        render_blocks(&s.blocks, i + 1, out);
    }
    // One newline at the end of the file.
    while out.ends_with("\n\n") {
        out.pop();
    }
}

fn folder_name(folder: usize) -> String {
    format!("topic-{:02}", folder + 1)
}

struct ReleaseWriter {
    buf: String,
    copied: usize,
}

impl ReleaseWriter {
    /// Writes one complete snapshot into `dir`, hard-linking unchanged chapter files from
    /// `prev` (the previous release's folder).
    fn write(
        &mut self,
        dir: &Path,
        prev: Option<&Path>,
        manual_toml: &str,
        chapters: &mut [Chapter],
    ) -> std::io::Result<()> {
        fs::create_dir(dir)?;
        fs::write(dir.join("manual.toml"), manual_toml)?;
        let mut made = [false; FOLDERS];
        for c in chapters {
            if !made[c.folder] {
                fs::create_dir(dir.join(folder_name(c.folder)))?;
                made[c.folder] = true;
            }
            let mut path = dir.join(folder_name(c.folder));
            path.push(format!("{}.md", c.id));
            let from = match (&c.prev, prev, c.dirty) {
                (Some((folder, id)), Some(prev), false) => {
                    let mut p = prev.join(folder_name(*folder));
                    p.push(format!("{id}.md"));
                    Some(p)
                }
                _ => None,
            };
            match from {
                Some(from) => {
                    if fs::hard_link(&from, &path).is_err() {
                        fs::copy(&from, &path)?;
                        self.copied += 1;
                    }
                }
                None => {
                    render(c, &mut self.buf);
                    let mut file = std::io::BufWriter::new(fs::File::create(&path)?);
                    file.write_all(self.buf.as_bytes())?;
                    file.flush()?;
                }
            }
            c.prev = Some((c.folder, c.id.clone()));
            c.dirty = false;
        }
        Ok(())
    }
}
