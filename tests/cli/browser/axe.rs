//! Accessibility checked, not assumed: axe-core (from npm, see `tests/browser/package.json`)
//! run in the browser on each page, at a desktop width and a phone's. Serious and critical
//! violations fail the test; minor and moderate ones are printed.
//!
//! axe-core is injected through WebDriver's script execution, which the pages' Content
//! Security Policy (`default-src 'none'`, so no page script may run) does not govern: the
//! pages themselves stay script-free.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Client;
use fantoccini::wd::TimeoutConfiguration;
use serde::Deserialize;

use super::driver::{fits_the_width, skipped};

/// A width every page is looked at: it must not scroll sideways at any of them, and
/// axe-core runs at those marked so.
#[derive(Clone, Copy)]
struct View {
    width: u32,
    device: &'static str,
    axe: bool,
}

const VIEWS: [View; 3] = [
    View {
        width: 1280,
        device: "desktop",
        axe: true,
    },
    View {
        width: 360,
        device: "phone",
        axe: true,
    },
    // WCAG 1.4.10 (reflow): readable 320 CSS pixels wide without scrolling sideways, which
    // the accessibility statement promises.
    View {
        width: 320,
        device: "reflow",
        axe: false,
    },
];

/// Where `npm ci --prefix tests/browser` puts axe-core; `AXE_CORE` names another copy.
fn axe_core_path() -> PathBuf {
    std::env::var_os("AXE_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/browser/node_modules/axe-core/axe.min.js")
        })
}

/// Runs axe-core and answers with what the report needs, or the error it met.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(r => done({ violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({ target: n.target.map(String), summary: n.failureSummary || '' })),
  })) }))
  .catch(e => done({ error: String((e && e.stack) || e) }));
"#;

/// What the accessibility statement promises of every page beyond axe-core's rules, as a
/// list of what the open page lacks: a language, a skip link to the main landmark, one
/// main heading, a label for every form field, and no script.
const STRUCTURE: &str = r##"
const missing = [];
if (document.documentElement.lang !== 'en-GB') missing.push('no lang="en-GB" on <html>');
if (!document.querySelector('a.skip[href="#main"]') || !document.getElementById('main'))
  missing.push('no "Skip to main content" link to #main');
const h1 = document.querySelectorAll('h1').length;
if (h1 !== 1) missing.push(`${h1} main headings (<h1>) instead of one`);
if (document.querySelector('script')) missing.push('a <script> element');
for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  if (field.labels.length === 0) missing.push(`no <label> for the field ${field.name || field.id}`);
return missing;
"##;

#[derive(Deserialize)]
struct Outcome {
    #[serde(default)]
    violations: Vec<Violation>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    #[serde(rename = "helpUrl")]
    help_url: String,
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    target: Vec<String>,
    summary: String,
}

impl Violation {
    fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }

    /// The rule, what it asks, each element that breaks it and why, where to read more.
    fn describe(&self, page: &str) -> String {
        let impact = self.impact.as_deref().unwrap_or("unrated");
        let mut text = format!("{page}: {} [{impact}] {}\n", self.id, self.help);
        for node in &self.nodes {
            let why = node
                .summary
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(text, "    {}  — {why}", node.target.join(" "));
        }
        let _ = writeln!(text, "    see {}", self.help_url);
        text
    }
}

/// Opens each of `paths` (addresses under `base`, such as `/search?q=LADO`) in `client`'s
/// session — signed in or not, as the pages need — 1280 and 360 px wide, and runs axe-core
/// on it. Fails listing every serious or critical violation (rule, help, elements, page),
/// any page that scrolls sideways at those widths or at 320 px, and any that lacks what
/// [`STRUCTURE`] asks; prints minor and moderate ones. Without axe-core it says loudly
/// that it checks the rest only, and fails under CI.
pub async fn check_pages(client: &Client, base: &str, paths: &[&str]) {
    let mut report = Report::start(client).await;
    for view in &VIEWS {
        set_width(client, view.width).await;
        for path in paths {
            client.goto(&format!("{base}{path}")).await.unwrap();
            report.look(client, view, path).await;
        }
    }
    report.finish();
}

/// Checks the page the browser shows now, as [`check_pages`] checks each of its pages,
/// without loading it again: for pages that answer a form (a preview, a conflict), which
/// no address shows. `label` names the page in the failure's message.
pub async fn check_current(client: &Client, label: &str) {
    let mut report = Report::start(client).await;
    for view in &VIEWS {
        set_width(client, view.width).await;
        report.look(client, view, label).await;
    }
    report.finish();
}

/// What the checks found so far.
struct Report {
    axe: Option<String>,
    failures: Vec<String>,
    checked: usize,
}

impl Report {
    /// Loads axe-core's source (or says loudly it is missing) and gives scripts time.
    async fn start(client: &Client) -> Report {
        let path = axe_core_path();
        let axe = std::fs::read_to_string(&path).ok();
        if axe.is_none() {
            skipped(&format!(
                "axe-core accessibility checks SKIPPED: no {} (npm ci --prefix tests/browser, \
                 or set AXE_CORE)",
                path.display()
            ));
        }
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                None,
                None,
            ))
            .await
            .unwrap();
        Report {
            axe,
            failures: Vec::new(),
            checked: 0,
        }
    }

    /// Checks the open page at the window's width, `view`.
    async fn look(&mut self, client: &Client, view: &View, page: &str) {
        let View { width, device, axe } = *view;
        let label = format!("{page} at {width} px ({device})");
        if !fits_the_width(client).await {
            self.failures
                .push(format!("{label}: the page scrolls sideways\n"));
        }
        let missing = client.execute(STRUCTURE, vec![]).await.unwrap();
        for what in missing.as_array().into_iter().flatten() {
            self.failures
                .push(format!("{label}: {}\n", what.as_str().unwrap_or_default()));
        }
        let Some(source) = self.axe.as_deref().filter(|_| axe) else {
            return;
        };
        for violation in run(client, source, &label).await {
            let text = violation.describe(&label);
            if violation.is_serious() {
                self.failures.push(text);
            } else {
                eprint!("axe (not failing): {text}");
            }
        }
        self.checked += 1;
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} accessibility problem(s) (serious or critical to axe-core, sideways \
             scrolling, or a missing language, skip link, heading or label) in {} page \
             views:\n{}",
            self.failures.len(),
            self.checked,
            self.failures.concat()
        );
    }
}

/// Makes the page area `width` CSS pixels wide (headless Chromium has no window frame).
async fn set_width(client: &Client, width: u32) {
    client.set_window_size(width, 900).await.unwrap();
    let inner = client
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(inner.as_u64(), Some(u64::from(width)), "the window's width");
}

/// Loads axe-core into the open page and runs it.
async fn run(client: &Client, source: &str, label: &str) -> Vec<Violation> {
    client.execute(source, vec![]).await.unwrap();
    let loaded = client
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .unwrap();
    assert_eq!(
        loaded.as_bool(),
        Some(true),
        "axe-core did not load into {label}"
    );
    let answer = client.execute_async(RUN_AXE, vec![]).await.unwrap();
    let outcome: Outcome = serde_json::from_value(answer)
        .unwrap_or_else(|e| panic!("axe-core's answer on {label} is not a report: {e}"));
    if let Some(error) = outcome.error {
        panic!("axe-core failed on {label}: {error}");
    }
    outcome.violations
}
