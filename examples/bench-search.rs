//! In-process search benchmark, run by `bench/search.sh`.
//!
//! ```text
//! bench-search latency --data DIR --queries FILE [--rounds 5] [--warmup 1] [--json FILE]
//! bench-search publish --data DIR --snapshot DIR --manual ID --release NAME --date YYYY-MM-DD
//!                      --word WORD --chapter ID [--json FILE]
//! ```
//!
//! `latency` runs every query of FILE (`<kind>\t<at>\t<query>` per line, `<at>` being
//! `current` for today or a `YYYY-MM-DD` date; written by `bench/fts5.py queries`) through
//! `Chapterhouse::search`, the call the web server and command line make (query parsing,
//! glossary, typo tolerance, count, facets, top 10, snippets, release lookup): `warmup`
//! unmeasured rounds, then `rounds` measured ones, all in one process with the index open.
//! It then does the same with `SearchIndex::search` alone (no release lookup, no check
//! that the index is current) to show where the time goes.
//!
//! `publish` opens the data folder as a server would (index open, one search made), then
//! times `Chapterhouse::import` of the snapshot followed by searches for WORD until a hit
//! names chapter ID: the time from publishing a release to finding its new text.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chapterhouse::app::{Chapterhouse, Import};
use chapterhouse::config::Config;
use chapterhouse::search::{SearchRequest, SearchResults};
use chrono::NaiveDate;
use serde_json::json;

/// The server's allocator (src/main.rs), so that searches are timed as the server runs them.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const USAGE: &str = "\
usage: bench-search latency --data DIR --queries FILE [--rounds N] [--warmup N] [--json FILE]
       bench-search publish --data DIR --snapshot DIR --manual ID --release NAME
                            --date YYYY-MM-DD --word WORD --chapter ID [--json FILE]";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let command = args.remove(0);
    let result = parse_flags(&args).and_then(|flags| match command.as_str() {
        "latency" => latency(&flags),
        "publish" => publish(&flags),
        other => bail!("unknown command {other:?}"),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-search: {e:#}\n\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

struct Flags(BTreeMap<String, String>);

impl Flags {
    fn get(&self, name: &str) -> anyhow::Result<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("--{name} is required"))
    }

    fn count(&self, name: &str, default: usize) -> anyhow::Result<usize> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .with_context(|| format!("--{name} wants a whole number, not {v:?}")),
        }
    }
}

fn parse_flags(args: &[String]) -> anyhow::Result<Flags> {
    let mut out = BTreeMap::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg.strip_prefix("--") else {
            bail!("unexpected argument {arg:?}");
        };
        let value = it.next().with_context(|| format!("{arg} needs a value"))?;
        out.insert(name.to_owned(), value.clone());
    }
    Ok(Flags(out))
}

fn open(data: &str) -> anyhow::Result<Chapterhouse> {
    let mut config = Config::default();
    config.data.dir = PathBuf::from(data);
    // The engine is measured, not the server's cache of recent answers.
    config.search.cached_results = 0;
    let app = Chapterhouse::open(config)?;
    app.catch_up_index()?;
    Ok(app)
}

fn date(s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("{s:?} is not a date"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile, as `bench/fts5.py` computes it.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.max(1) - 1]
}

fn summary(values: &[f64]) -> serde_json::Value {
    if values.is_empty() {
        return serde_json::Value::Null;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    json!({
        "n": sorted.len(),
        "p50": percentile(&sorted, 0.50),
        "p99": percentile(&sorted, 0.99),
        "mean": sorted.iter().sum::<f64>() / sorted.len() as f64,
        "max": sorted[sorted.len() - 1],
    })
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

struct Query {
    kind: String,
    at_label: String,
    request: SearchRequest,
}

fn read_queries(path: &str, today: NaiveDate) -> anyhow::Result<Vec<Query>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let mut parts = line.splitn(3, '\t');
        let (Some(kind), Some(at), Some(query)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("{path}:{}: want <kind>\\t<at>\\t<query>", n + 1);
        };
        let at_date = if at == "current" { today } else { date(at)? };
        out.push(Query {
            kind: kind.to_owned(),
            at_label: at.to_owned(),
            request: SearchRequest {
                query: query.to_owned(),
                manual: None,
                at: at_date,
                limit: 10,
            },
        });
    }
    Ok(out)
}

/// Runs every query `warmup + rounds` times; returns the measured times (ms) per query and
/// the last results.
fn run_rounds(
    queries: &[Query],
    warmup: usize,
    rounds: usize,
    mut search: impl FnMut(&SearchRequest) -> anyhow::Result<SearchResults>,
) -> anyhow::Result<(Vec<Vec<f64>>, Vec<SearchResults>)> {
    let mut times = vec![Vec::with_capacity(rounds); queries.len()];
    let mut last = Vec::with_capacity(queries.len());
    for round in 0..warmup + rounds {
        for (i, q) in queries.iter().enumerate() {
            let started = Instant::now();
            let results = search(&q.request)?;
            let elapsed = started.elapsed();
            if round >= warmup {
                times[i].push(ms(elapsed));
            }
            if round + 1 == warmup + rounds {
                last.push(results);
            }
        }
    }
    Ok((times, last))
}

fn summarise(queries: &[Query], times: &[Vec<f64>]) -> serde_json::Value {
    let pick = |f: &dyn Fn(&Query) -> bool| -> Vec<f64> {
        queries
            .iter()
            .zip(times)
            .filter(|(q, _)| f(q))
            .flat_map(|(_, t)| t.iter().copied())
            .collect()
    };
    let mut by_kind = serde_json::Map::new();
    let mut kinds: Vec<&str> = queries.iter().map(|q| q.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        by_kind.insert(kind.to_owned(), summary(&pick(&|q| q.kind == kind)));
    }
    json!({
        "current": summary(&pick(&|q| q.at_label == "current")),
        "point_in_time": summary(&pick(&|q| q.at_label != "current")),
        "all": summary(&pick(&|_| true)),
        "by_kind": by_kind,
    })
}

fn print_line(label: &str, s: &serde_json::Value) {
    let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    eprintln!(
        "{label}: p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, max {:.2} ms ({} runs)",
        f("p50"),
        f("p99"),
        f("mean"),
        f("max"),
        s["n"]
    );
}

fn latency(flags: &Flags) -> anyhow::Result<()> {
    let app = open(flags.get("data")?)?;
    let today = app.today();
    let queries = read_queries(flags.get("queries")?, today)?;
    let rounds = flags.count("rounds", 5)?;
    let warmup = flags.count("warmup", 1)?;
    if rounds == 0 {
        bail!("--rounds must be at least 1");
    }

    let (times, last) = run_rounds(&queries, warmup, rounds, |r| Ok(app.search(r)?))?;
    let index = app.index()?;
    let (index_times, _) = run_rounds(&queries, warmup, rounds, |r| Ok(index.search(r)?))?;

    let full = summarise(&queries, &times);
    let index_only = summarise(&queries, &index_times);
    for (label, s) in [
        ("current", &full["current"]),
        ("point-in-time", &full["point_in_time"]),
    ] {
        print_line(&format!("chapterhouse {label}"), s);
    }
    for (label, s) in [
        ("current", &index_only["current"]),
        ("point-in-time", &index_only["point_in_time"]),
    ] {
        print_line(&format!("  of which SearchIndex::search, {label}"), s);
    }

    let per_query: Vec<serde_json::Value> = queries
        .iter()
        .zip(&times)
        .zip(&index_times)
        .zip(&last)
        .map(|(((q, t), it), r)| {
            json!({
                "kind": q.kind,
                "at": q.at_label,
                "query": q.request.query,
                "median_ms": median(t),
                "max_ms": t.iter().copied().fold(0.0, f64::max),
                "index_median_ms": median(it),
                "total": r.total,
                "fuzzy": r.fuzzy,
                "hits": r.hits.len(),
                "ids": r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = json!({
        "engine": "chapterhouse",
        "today": today.to_string(),
        "rounds": rounds,
        "warmup": warmup,
        "current": full["current"],
        "point_in_time": full["point_in_time"],
        "all": full["all"],
        "by_kind": full["by_kind"],
        "index_only": index_only,
        "queries": per_query,
    });
    if let Ok(path) = flags.get("json") {
        std::fs::write(path, serde_json::to_string_pretty(&out)?)
            .with_context(|| format!("writing {path}"))?;
    }
    Ok(())
}

fn publish(flags: &Flags) -> anyhow::Result<()> {
    let app = open(flags.get("data")?)?;
    let word = flags.get("word")?;
    let chapter = flags.get("chapter")?;
    let search = |app: &Chapterhouse| -> anyhow::Result<SearchResults> {
        Ok(app.search(&SearchRequest {
            query: word.to_owned(),
            manual: None,
            at: app.today(),
            limit: 10,
        })?)
    };
    // As a running server would be: index open, searched before.
    app.search(&SearchRequest {
        query: "strategy discussion".into(),
        manual: None,
        at: app.today(),
        limit: 10,
    })?;
    if search(&app)?.hits.iter().any(|h| h.id == chapter) {
        bail!("{word:?} already finds {chapter} before the import");
    }
    let import = Import {
        snapshot_dir: PathBuf::from(flags.get("snapshot")?),
        manual: flags.get("manual")?.parse()?,
        release: flags.get("release")?.parse()?,
        date: Some(date(flags.get("date")?)?),
        notes: Default::default(),
        author: "Bench <bench@example.org>"
            .parse()
            .map_err(anyhow::Error::msg)?,
    };

    let started = Instant::now();
    let release = match app.import(&import)? {
        chapterhouse::app::Imported::Released(release) => release,
        chapterhouse::app::Imported::Reviewed { .. } => bail!("the import made no release"),
    };
    let imported = started.elapsed();
    let mut searches = 0;
    let found = loop {
        searches += 1;
        let results = search(&app)?;
        if results.hits.iter().any(|h| h.id == chapter) {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("{word:?} still does not find {chapter} two minutes after the import");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    eprintln!(
        "published {}/{}: import {:.0} ms, searchable after {:.0} ms ({searches} search{})",
        release.manual,
        release.name,
        ms(imported),
        ms(found),
        if searches == 1 { "" } else { "es" }
    );
    let out = json!({
        "import_ms": ms(imported),
        "searchable_ms": ms(found),
        "searches": searches,
        "release": release.name.to_string(),
    });
    if let Ok(path) = flags.get("json") {
        std::fs::write(path, serde_json::to_string_pretty(&out)?)
            .with_context(|| format!("writing {path}"))?;
    }
    Ok(())
}
