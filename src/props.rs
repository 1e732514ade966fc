//! What the property tests share: their case counts, and text that looks enough like a
//! chapter to reach the parsers' corners. The properties live next to what they test
//! (`content/props.rs`, `diff/props.rs`, `search/props.rs`, `cli/props.rs`).

use proptest::prelude::*;
use proptest::test_runner::Config;

/// A property's configuration: `default_cases` cases, or `PROPTEST_CASES` when it is set
/// (for long runs: `bench/props.sh`). Failures are not written to regression files: a
/// failure found is kept as an ordinary unit test beside the property.
pub fn config(default_cases: u32) -> Config {
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        Config::default().cases
    } else {
        default_cases
    };
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Any Unicode text of up to `max` characters, controls and surrogates' neighbours included.
pub fn unicode(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

/// Pieces that mean something to Markdown, TOML or the front-matter split.
const PIECES: &[&str] = &[
    "\n",
    "\n",
    "\n\n",
    "\r\n",
    " ",
    "  ",
    "\t",
    "+++",
    "+++\n",
    "\n+++\n",
    "#",
    "## ",
    "### ",
    "## 3. ",
    "1. ",
    "- ",
    "* ",
    "> ",
    "**",
    "_",
    "`",
    "```\n",
    "~~~",
    "[",
    "]",
    "(",
    ")",
    "](",
    "](https://example.org/x)",
    "](javascript:alert(1))",
    "![",
    "<",
    ">",
    "</",
    "<b>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:x\">",
    "<h2 id=\"main\">",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x110000;",
    "|",
    "| a | b |\n",
    "|---|---|\n",
    "---\n",
    "===\n",
    "\\",
    "\"",
    "'",
    "=",
    "\"\"\"",
    "title = ",
    "id = ",
    "[x]\n",
    "{",
    "}",
    "\u{feff}",
    "\u{200b}",
    "\u{0}",
    "\u{85}",
    "\u{2028}",
    "é",
    "ß",
    "İ",
    "ǅ",
    "中文",
    "🙂",
    "\u{301}",
];

/// Text stitched from Markdown and TOML pieces, words and odd characters: up to `max`
/// pieces.
pub fn soup(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        3 => "[a-zA-Z0-9]{1,8}",
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..=max).prop_map(|pieces| pieces.concat())
}

/// `s` as a TOML basic string, escaped so that any text survives.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The index of a character boundary of `s` picked by `at`.
pub fn boundary(s: &str, at: proptest::sample::Index) -> usize {
    let mut bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
    bounds.push(s.len());
    *at.get(&bounds)
}
