//! The worst chapter bodies we know how to write, timed through everything a chapter goes
//! through: validation (`Chapter::parse`, steps `validate`), plain text for the search
//! index (`plain`), the section split (`sections`), rendering for reading (`render`), the
//! section-by-section diff page against a lightly edited copy (`section-diff`), and the
//! release diff's word similarity against that copy (`similarity`) and against a rewrite
//! keeping one word in three (`rewrite`).
//!
//! ```text
//! cargo run --release --example render-worst -- [--list] [--only STEP,...] [--runs N] [CASE...]
//! ```
//!
//! With no case, runs them all. Prints one line per case: its name, its size, the
//! milliseconds of each step (the median of N runs with `--runs N`), `validate+render` (what a chapter's first view costs when it
//! is written and then read), and whether validation accepted it or refused it (and on
//! which line of the file). A body refused at validation is still rendered, to show what
//! reading does with a chapter stored before the limits existed. The `*-max` cases are
//! the worst bodies *within* the limits. `bench/render.sh` runs every case under a time
//! limit.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use chapterhouse::content::{
    Chapter, MAX_ATTRIBUTES, MAX_CHAPTER_BYTES, MAX_ELEMENTS, MAX_ESCAPES, MAX_NESTING,
    MAX_TEXT_RUNS, markdown,
};
use chapterhouse::diff::{chapter::section_diffs, sections, words};

/// The steps to run (`--only a,b`); all when unset.
static ONLY: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
/// How many times each step runs (`--runs N`); 1 when unset.
static RUNS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();

const FRONT: &str = "+++\ntitle = \"Worst case\"\n+++\n";

/// Room for the body in a chapter file of at most `MAX_CHAPTER_BYTES`.
fn room() -> usize {
    MAX_CHAPTER_BYTES - FRONT.len()
}

/// `unit` repeated to fill `bytes` (whole units only).
fn fill(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len())
}

/// `prefix`, then `unit` repeated to fill what is left of the room, then `suffix`.
fn framed(prefix: &str, unit: &str, suffix: &str) -> String {
    let mut s = String::from(prefix);
    s.push_str(&fill(unit, room() - prefix.len() - suffix.len()));
    s.push_str(suffix);
    s
}

/// Lines `f(1)`, `f(2)`, ... for as long as they fit.
fn lines(f: impl Fn(usize) -> String) -> String {
    let mut s = String::new();
    for k in 1.. {
        let line = f(k);
        if s.len() + line.len() + 1 > room() {
            break;
        }
        s.push_str(&line);
        s.push('\n');
    }
    s
}

/// `unit` (making `elements` elements) repeated as often as the element limit allows,
/// then words to fill the room.
fn within_limits(unit: &str, elements: usize) -> String {
    let times = (MAX_ELEMENTS - 2) / elements;
    let mut s = unit.repeat(times.min(room() / unit.len()));
    if s.len() < room() {
        s.push_str(&fill("word ", room() - s.len()));
    }
    s
}

fn case(name: &str) -> Option<String> {
    let body = match name {
        // As reported: 100,000 nested `> ` on one line (200 KB).
        "quotes-100k" => format!("{}x\n", "> ".repeat(100_000)),
        "quotes-1mib" => framed("", "> ", "x\n"),
        "quotes-60k" => format!("{}x\n", "> ".repeat(60_000)),
        // A staircase: line k is quoted k deep.
        "quote-stairs" => lines(|k| format!("{} x", ">".repeat(k))),
        // As reported: 90,000 nested `<div>`s.
        "divs-90k" => format!("{}x\n", "<div>".repeat(90_000)),
        "divs-1mib" => framed("", "<div>", "x\n"),
        "divs-closed" => {
            let n = room() / 11;
            format!("{}x{}", "<div>".repeat(n / 2), "</div>".repeat(n / 2))
        }
        "inline-html" => framed("x ", "<b><i>", "\n"),
        "html-lines" => lines(|k| format!("{}<div>", " ".repeat(k % 4))),
        // One tag with as many distinct attributes as fit.
        "attributes" => {
            let mut s = String::from("x <span");
            for k in 0.. {
                let a = format!(" a{k}");
                if s.len() + a.len() + 3 > room() {
                    break;
                }
                s.push_str(&a);
            }
            s.push_str(">\n");
            s
        }
        // Within the limits: as deep as allowed, as often as the element budget allows,
        // then words.
        "nest-max" => within_limits(
            &format!("{}x\n\n", "> ".repeat(MAX_NESTING - 1)),
            MAX_NESTING,
        ),
        "divs-max" => within_limits(
            &format!(
                "{}x{}\n\n",
                "<div>".repeat(MAX_NESTING),
                "</div>".repeat(MAX_NESTING)
            ),
            MAX_NESTING,
        ),
        "lists-max" => within_limits(
            &format!("{}x\n\n", "- ".repeat(MAX_NESTING / 2)),
            MAX_NESTING,
        ),
        "emphasis-max" => {
            let n = MAX_NESTING / 2 - 1;
            let unit = format!("{}x{}\n\n", "*a _a ".repeat(n), " a_ a*".repeat(n));
            within_limits(&unit, MAX_NESTING - 1)
        }
        "attrs-max" => {
            let attributes: String = (0..MAX_ATTRIBUTES)
                .map(|k| format!(" a{k}=\"{k}\""))
                .collect();
            framed("x ", &format!("<span{attributes}>x</span> "), "\n")
        }
        "items-max" => within_limits("- x\n", 1),
        "cells-max" => {
            let mut s = String::from("|a|b|c|d|\n|-|-|-|-|\n");
            s.push_str(&"|1|2|3|4|\n".repeat(MAX_ELEMENTS / 5 - 2));
            s
        }
        "links-max" => within_limits("[a](https://a.example/x) ", 1),
        "raw-links-max" => within_limits("<a href=\"https://a.example/x\" title=\"t\">a</a> ", 1),
        "headings-max" => within_limits("## 1. Section\n", 1),
        "escapes-max" => {
            let mut s = "<&".repeat(MAX_ESCAPES / 2 - 1);
            s.push_str(&fill("word ", room() - s.len()));
            s
        }
        "runs-max" => {
            let mut s = "a\n".repeat(MAX_TEXT_RUNS / 2 - 1);
            s.push('\n');
            s.push_str(&fill("word ", room() - s.len()));
            s
        }
        // Every limit at once: headings to the element limit, references to theirs,
        // one-letter lines to the runs left, then words.
        "combined-max" => {
            let mut s = "## a\n".repeat(MAX_ELEMENTS - 3);
            s.push('\n');
            s.push_str(&"<&".repeat(MAX_ESCAPES / 2 - 1));
            s.push_str("\n\n");
            s.push_str(&"a\n".repeat((MAX_TEXT_RUNS - MAX_ELEMENTS - MAX_ESCAPES) / 2 - 1));
            s.push('\n');
            s.push_str(&fill("word ", room() - s.len()));
            s
        }
        "lists-1mib" => framed("", "- ", "x\n"),
        "list-stairs" => lines(|k| format!("{}- x", "  ".repeat(k))),
        "ordered-stairs" => lines(|k| format!("{}1. x", "   ".repeat(k))),
        "stars" => framed("", "*", "\n"),
        "underscores" => framed("", "_", "\n"),
        "emphasis-open" => framed("", "*a _b ", "\n"),
        "emphasis-nested" => {
            let n = room() / 12;
            format!("{}x{}\n", "*a _a ".repeat(n), " a_ a*".repeat(n))
        }
        "strike-nested" => {
            let n = room() / 16;
            format!("{}x{}\n", "**a ~~a ".repeat(n), " a~~ a**".repeat(n))
        }
        "emphasis-mixed" => framed("", "a***b**c*", "\n"),
        "strike" => framed("", "~~a ", "\n"),
        "brackets" => framed("", "[", "\n"),
        "bracket-links" => framed("", "[a](", "\n"),
        "images" => framed("", "![", "\n"),
        "backtick-run" => framed("", "`", "\n"),
        // Backtick runs of every length: no two close each other.
        "backtick-stairs" => {
            let mut s = String::new();
            for k in 1.. {
                if s.len() + k + 2 > room() {
                    break;
                }
                s.push_str(&"`".repeat(k));
                s.push('a');
            }
            s
        }
        "table-wide" => {
            let cols = room() / 8;
            let mut s = format!("{}|\n{}|\n", "|a".repeat(cols), "|-".repeat(cols));
            s.push_str(&fill("|\n", room() - s.len()));
            s
        }
        "table-long" => {
            let mut s = String::from("|a|b|\n|-|-|\n");
            s.push_str(&fill("|x|y|\n", room() - s.len()));
            s
        }
        "link-defs" => lines(|k| format!("[l{k}]: https://example.org/{k} \"t\"")),
        "link-def-long" => framed("[a]: https://example.org/ \"", "x", "\"\n\n[a]\n"),
        "link-refs" => {
            let mut s = String::from("[a]: https://example.org/\n\n");
            s.push_str(&fill("[a] ", room() - s.len()));
            s
        }
        "footnotes" => lines(|k| format!("x[^{k}]\n\n[^{k}]: note {k}")),
        "entities" => framed("", "&amp;&#123;&#x1F600;", "\n"),
        // Characters the HTML must escape, each one an entity for the sanitiser to read.
        "escapes" => framed("", "<&\"", "\n"),
        "autolinks" => framed("", "<https://a.example/> ", "\n"),
        "html-comments" => framed("", "<!-- ", "\n"),
        "headings-same" => lines(|_| "## Same\n".to_owned()),
        "headings-many" => lines(|k| format!("## {k}. Section\n\nText {k}.\n")),
        "one-line" => framed("", "word ", "\n"),
        "tiny-words" => framed("", "a\n", ""),
        "blank-lines" => framed("x\n", "\n", ""),
        _ => return None,
    };
    Some(body)
}

const CASES: &[&str] = &[
    "nest-max",
    "divs-max",
    "lists-max",
    "emphasis-max",
    "attrs-max",
    "items-max",
    "cells-max",
    "links-max",
    "raw-links-max",
    "headings-max",
    "escapes-max",
    "runs-max",
    "combined-max",
    "quotes-60k",
    "quotes-100k",
    "quotes-1mib",
    "quote-stairs",
    "divs-90k",
    "divs-1mib",
    "divs-closed",
    "inline-html",
    "html-lines",
    "attributes",
    "lists-1mib",
    "list-stairs",
    "ordered-stairs",
    "stars",
    "underscores",
    "emphasis-open",
    "emphasis-nested",
    "emphasis-mixed",
    "strike-nested",
    "strike",
    "brackets",
    "bracket-links",
    "images",
    "backtick-run",
    "backtick-stairs",
    "table-wide",
    "table-long",
    "link-defs",
    "link-def-long",
    "link-refs",
    "footnotes",
    "entities",
    "escapes",
    "autolinks",
    "html-comments",
    "headings-same",
    "headings-many",
    "one-line",
    "tiny-words",
    "blank-lines",
];

/// The body with two words in three replaced by new words, lines kept.
fn rewrite(body: &str) -> String {
    let mut out = String::with_capacity(body.len() * 2);
    let mut n = 0usize;
    for line in body.split_inclusive('\n') {
        for word in line.split_whitespace() {
            n += 1;
            if n % 3 == 0 {
                out.push_str(word);
            } else {
                out.push_str(&format!("w{n}"));
            }
            out.push(' ');
        }
        out.push('\n');
    }
    out
}

/// The milliseconds of each step run so far.
#[derive(Default)]
struct Timings(Vec<(&'static str, f64)>);

impl Timings {
    /// Times one step, printing its figure at once (a step that never ends shows which).
    /// With `--runs N`, the step runs N times and its median counts.
    fn step<T: Default>(&mut self, label: &'static str, f: impl Fn() -> T) -> T {
        if ONLY
            .get()
            .is_some_and(|only| !only.iter().any(|o| o == label))
        {
            return T::default();
        }
        let mut out = T::default();
        let mut times = Vec::new();
        for _ in 0..*RUNS.get().unwrap_or(&1) {
            let start = Instant::now();
            out = f();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let ms = times[times.len() / 2];
        self.0.push((label, ms));
        print!("  {label} {ms:>7.1}");
        let _ = std::io::stdout().flush();
        out
    }

    fn of(&self, labels: &[&str]) -> f64 {
        self.0
            .iter()
            .filter(|(l, _)| labels.contains(l))
            .map(|(_, ms)| ms)
            .sum()
    }
}

/// Times one case and prints its line.
fn run(name: &str, body: &str) {
    let file = format!("{FRONT}{body}");
    let mut t = Timings::default();
    print!("{name:<16} {:>8} B", body.len());
    let verdict = t.step("validate", || match Chapter::parse("worst.md", &file) {
        Ok(_) => "accepted".to_owned(),
        Err(e) => {
            let line = e.line.map_or("-".to_owned(), |l| l.to_string());
            format!("refused at line {line}")
        }
    });
    let plain = t.step("plain", || markdown::plain_text(body).text.len());
    let cut = t.step("sections", || sections(body).len());
    let html = t.step("render", || markdown::render(body).html.len());
    // An edit at the very start and one at the very end.
    let edited = format!("New opening.\n\n{body}\nAnd a last word.\n");
    let diffs = t.step("section-diff", || section_diffs(body, &edited).len());
    let similarity = t.step("similarity", || words::similarity(body, &edited));
    // A rewrite keeping one word in three: the similarity the re-read verdict is unsure of.
    let rewritten = rewrite(body);
    let rewrite_similarity = t.step("rewrite", || words::similarity(body, &rewritten));
    println!(
        "  validate+render {:>7.1} ms  all {:>8.1} ms  {verdict}  [{html} B html, {plain} B text, \
         {cut} sections, {diffs} diffs, similarity {similarity:.2}, rewrite {rewrite_similarity:.2}]",
        t.of(&["validate", "render"]),
        t.of(&[
            "validate",
            "plain",
            "sections",
            "render",
            "section-diff",
            "similarity",
            "rewrite"
        ]),
    );
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for name in CASES {
            println!("{name}");
        }
        return ExitCode::SUCCESS;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--only" {
            let steps = args.next().map_or("", String::as_str);
            let _ = ONLY.set(steps.split(',').map(str::to_owned).collect());
        } else if arg == "--runs" {
            match args.next().and_then(|n| n.parse::<usize>().ok()) {
                Some(n) if n > 0 => {
                    let _ = RUNS.set(n);
                }
                _ => {
                    eprintln!("render-worst: --runs takes a positive number");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            names.push(arg);
        }
    }
    if names.is_empty() {
        names = CASES.to_vec();
    }
    for name in names {
        let Some(body) = case(name) else {
            eprintln!("render-worst: unknown case {name:?} (see --list)");
            return ExitCode::FAILURE;
        };
        run(name, &body);
    }
    ExitCode::SUCCESS
}
