//! The worst chapter bodies we know how to write: each case fills a chapter file of at most
//! `MAX_CHAPTER_BYTES` with one kind of markup (deep nesting, many elements, escapes,
//! attributes ...), or is one of the inputs reported when rendering was unbounded. The
//! `*-max` cases are the worst bodies *within* the limits.

use chapterhouse::content::{
    MAX_ATTRIBUTES, MAX_CHAPTER_BYTES, MAX_ELEMENTS, MAX_ESCAPES, MAX_NESTING, MAX_TEXT_RUNS,
};

pub const FRONT: &str = "+++\ntitle = \"Worst case\"\n+++\n";

/// Bytes kept free for the `id = "<case>"` line and the longer title a snapshot's
/// chapter file has (`--write`).
pub const ID_ROOM: usize = 64;

/// Room for the body in a chapter file of at most `MAX_CHAPTER_BYTES`.
fn room() -> usize {
    MAX_CHAPTER_BYTES - FRONT.len() - ID_ROOM
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

pub fn case(name: &str) -> Option<String> {
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

pub const CASES: &[&str] = &[
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
