//! The worst chapter bodies we know how to write, timed through everything a chapter goes
//! through: validation (`Chapter::parse`, steps `validate`), plain text for the search
//! index (`plain`), the section split (`sections`), rendering for reading (`render`), the
//! section-by-section diff page against a lightly edited copy (`section-diff`), and the
//! release diff's word similarity against that copy (`similarity`) and against a rewrite
//! keeping one word in three (`rewrite`).
//!
//! ```text
//! cargo run --release --example render-worst -- [--list] [--only STEP,...] [--runs N] [CASE...]
//! cargo run --release --example render-worst -- --write DIR [CASE...]
//! ```
//!
//! `--write DIR` times nothing: it writes the cases validation accepts as a manual's
//! snapshot folder (`DIR/manual.toml`, `DIR/<case>.md`, the case's name as the chapter
//! id) for `chapterhouse import`, and names the refused ones on stderr.
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

mod cases;

use cases::{CASES, FRONT, case};
use chapterhouse::content::{Chapter, markdown};
use chapterhouse::diff::{chapter::section_diffs, sections, words};

/// The steps to run (`--only a,b`); all when unset.
static ONLY: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
/// How many times each step runs (`--runs N`); 1 when unset.
static RUNS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();

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
    let mut write_to = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--only" {
            let steps = args.next().map_or("", String::as_str);
            let _ = ONLY.set(steps.split(',').map(str::to_owned).collect());
        } else if arg == "--write" {
            let Some(dir) = args.next() else {
                eprintln!("render-worst: --write takes a folder");
                return ExitCode::FAILURE;
            };
            write_to = Some(std::path::PathBuf::from(dir));
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
    let mut bodies = Vec::new();
    for name in names {
        let Some(body) = case(name) else {
            eprintln!("render-worst: unknown case {name:?} (see --list)");
            return ExitCode::FAILURE;
        };
        bodies.push((name, body));
    }
    match write_to {
        Some(dir) => match write(&dir, &bodies) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("render-worst: {}: {e}", dir.display());
                ExitCode::FAILURE
            }
        },
        None => {
            for (name, body) in &bodies {
                run(name, body);
            }
            ExitCode::SUCCESS
        }
    }
}

/// Writes the accepted cases as a snapshot folder of one manual.
fn write(dir: &std::path::Path, bodies: &[(&str, String)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("manual.toml"),
        "title = \"The worst chapters\"\ndescription = \"The worst bodies within the limits.\"\n",
    )?;
    for (name, body) in bodies {
        let file = format!("+++\ntitle = \"Worst case {name}\"\nid = \"{name}\"\n+++\n{body}");
        match Chapter::parse(&format!("{name}.md"), &file) {
            Ok(_) => std::fs::write(dir.join(format!("{name}.md")), file)?,
            Err(e) => eprintln!("render-worst: {name} refused: {e}"),
        }
    }
    Ok(())
}
