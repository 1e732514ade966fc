//! Limits on a chapter body's markup (SPEC §9), so that rendering any chapter is cheap.
//!
//! How deep a body may nest, how many elements, runs of text and character references it
//! may make, how many attributes a raw HTML tag may carry. Rendering is linear in these
//! only while they are bounded: the sanitiser's HTML parser checks the open elements at
//! every tag (so nesting costs its square) and compares each attribute of a tag with the
//! ones before it. A body within the limits renders in a fraction of a second at the
//! largest size a chapter may have (see BENCHMARKS.md).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::raw_html::{Found, Lexer};

/// The deepest the HTML of a body may nest, counted as the elements it becomes: a block
/// quote, an emphasis or a link is one level, a list level two (the list and its item),
/// a raw HTML element left open one until it is closed. Procedures nest lists four or five
/// deep, inside a quote or a table at most: about fifteen levels with the paragraph and
/// its emphasis and links. Past 48, markup is machine-made, not written.
pub const MAX_NESTING: usize = 48;

/// The most elements a body may make (paragraphs, list items, table cells, emphasis,
/// links, raw HTML tags...). The sample procedures make one element per 120 bytes (86 in
/// the densest), so a chapter of the largest size, written as procedures are written,
/// makes about 10,000: five times fewer. Sanitising costs some microseconds an element
/// (a link several times more, for its address), and twice this limit made bodies that
/// took up to 2 s to render on a busy two-core machine.
pub const MAX_ELEMENTS: usize = 50_000;

/// The most attributes one raw HTML tag may carry (checked where raw HTML is read).
pub use super::raw_html::MAX_ATTRIBUTES;

/// The most runs of text a body may be cut into: one per line of a paragraph, and one
/// between any two marks (emphasis, a link, an escaped character). The sanitiser and the
/// parser spend a node on each: a 1 MiB body of one-letter lines, half a million runs,
/// took half a second. The sample procedures have one run per 40 bytes (25 in the
/// densest), some 40,000 in a chapter of the largest size.
pub const MAX_TEXT_RUNS: usize = 200_000;

/// The most characters a body may have that its HTML writes as character references —
/// `&`, `<` and `>` in text, quotes too in addresses and image descriptions — references
/// such as `&amp;` written in the body included. The sanitiser reads each one slowly: a
/// 1 MiB body of `<&"` took most of a second. Prose has a few hundred in a long chapter.
pub const MAX_ESCAPES: usize = 50_000;

/// How chapter bodies are parsed, for reading and for these checks alike.
pub(crate) const OPTIONS: Options = Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH);

/// Where a body breaks a limit: the line in the body (from 1) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkupError {
    pub line: usize,
    pub rule: String,
}

/// Checks a body against the limits: first the lines' own prefixes, so that the parser
/// is never given a line of a thousand nested quotes, then the parsed events.
pub fn check(body: &str) -> Result<(), MarkupError> {
    check_line_starts(body)?;
    let mut budget = Budget::default();
    for (event, range) in Parser::new_ext(body, OPTIONS).into_offset_iter() {
        budget.see(&event).map_err(|rule| MarkupError {
            line: 1 + body[..range.start].matches('\n').count(),
            rule,
        })?;
    }
    Ok(())
}

/// Refuses a line that opens more than [`MAX_NESTING`] levels by its markers alone
/// (`> > - 1. text`). Only a lower bound of the real nesting: markers after four spaces
/// (code) and lines inside fenced code are not counted.
pub(crate) fn check_line_starts(body: &str) -> Result<(), MarkupError> {
    let mut fence: Option<(u8, usize)> = None;
    for (n, line) in body.lines().enumerate() {
        let (levels, rest) = line_markers(line);
        let run = |c: u8| rest.bytes().take_while(|&b| b == c).count();
        match fence {
            Some((c, len)) => {
                if run(c) >= len && rest[run(c)..].trim().is_empty() {
                    fence = None;
                }
                continue;
            }
            None => {
                for c in [b'`', b'~'] {
                    if run(c) >= 3 {
                        fence = Some((c, run(c)));
                    }
                }
            }
        }
        if levels > MAX_NESTING {
            return Err(MarkupError {
                line: n + 1,
                rule: format!(
                    "the line opens {levels} levels of block quotes and lists (`>`, `-`, `1.`); \
                     markup may nest at most {MAX_NESTING} levels"
                ),
            });
        }
    }
    Ok(())
}

/// The levels a line's block-quote and list markers open (a list counts two: the list
/// and its item), and the text after them.
fn line_markers(line: &str) -> (usize, &str) {
    let b = line.as_bytes();
    let indent = b.iter().take_while(|&&c| c == b' ').count();
    if indent > 3 {
        return (0, line);
    }
    // Where the line's tail of one rule character (`-`, `*`, `_`) and spaces starts: a
    // marker there begins a rule (`- - -`, `* * *`), not a list.
    let trimmed = line.trim_end_matches([' ', '\t']).as_bytes();
    let rule_char = trimmed
        .last()
        .copied()
        .filter(|c| matches!(c, b'-' | b'*' | b'_'));
    let rule_from = rule_char.map_or(b.len(), |r| {
        trimmed.len()
            - trimmed
                .iter()
                .rev()
                .take_while(|&&c| c == r || c == b' ' || c == b'\t')
                .count()
    });
    let (mut i, mut levels) = (indent, 0);
    loop {
        let marker_end = match b.get(i) {
            Some(b'>') => {
                levels += 1;
                i += 1;
                while matches!(b.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                continue;
            }
            Some(b'-' | b'*' | b'+') => i + 1,
            Some(b'0'..=b'9') => {
                let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                match b.get(i + digits) {
                    Some(b'.' | b')') if digits <= 9 => i + digits + 1,
                    _ => break,
                }
            }
            _ => break,
        };
        let spaced = matches!(b.get(marker_end), Some(b' ' | b'\t'));
        if !spaced || (i >= rule_from && Some(b[i]) == rule_char) {
            break;
        }
        levels += 2;
        i = marker_end;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
    }
    (levels, &line[i..])
}

/// Elements without content: they never stay open.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// Elements the next of their kind closes (`<li>…<li>`): they never nest by themselves.
const SELF_ENDING: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rb",
    "rt", "rp", "rtc", "colgroup", "html", "head", "body",
];

/// The running count of a body's events against the limits.
#[derive(Default)]
pub(crate) struct Budget {
    /// Markdown elements open.
    depth: usize,
    /// Raw HTML elements open, by name.
    open: Vec<String>,
    elements: usize,
    runs: usize,
    escapes: usize,
    /// Images open: their text becomes an attribute, where quotes are escaped too.
    images: usize,
    /// Raw HTML read so far, in the middle of a tag when a block's line ends there.
    lexer: Lexer,
}

impl Budget {
    /// Counts one event; the rule broken, if any.
    pub(crate) fn see(&mut self, event: &Event<'_>) -> Result<(), String> {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                self.count_escapes(html, if self.images > 0 { b"&<>\"'" } else { b"&" })?;
                return self.raw_html(html);
            }
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => return Ok(()),
            Event::Text(text) | Event::Code(text) => {
                let special: &[u8] = if self.images > 0 { b"&<>\"'" } else { b"&<>" };
                self.count_escapes(text, special)?;
                self.count_run()?;
            }
            Event::SoftBreak | Event::HardBreak => self.count_run()?,
            Event::Start(
                Tag::Link {
                    dest_url, title, ..
                }
                | Tag::Image {
                    dest_url, title, ..
                },
            ) => {
                self.count_escapes(dest_url, b"&<>\"'")?;
                self.count_escapes(title, b"&<>\"'")?;
            }
            _ => {}
        }
        match event {
            Event::Start(Tag::Image { .. }) => self.images += 1,
            Event::End(TagEnd::Image) => self.images = self.images.saturating_sub(1),
            _ => {}
        }
        // Whatever the Markdown makes of the rest starts with a tag of its own, which
        // ends any raw tag left unfinished.
        self.lexer = Lexer::Text;
        match event {
            Event::Start(_) => {
                self.depth += 1;
                self.count_element()?;
                self.check_depth()
            }
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                Ok(())
            }
            Event::Code(_)
            | Event::Rule
            | Event::HardBreak
            | Event::TaskListMarker(_)
            | Event::FootnoteReference(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_) => self.count_element(),
            _ => Ok(()),
        }
    }

    fn count_element(&mut self) -> Result<(), String> {
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(format!(
                "the body makes more than {MAX_ELEMENTS} elements (paragraphs, list items, \
                 table cells, emphasis, links, HTML tags); split the chapter"
            ));
        }
        Ok(())
    }

    fn count_run(&mut self) -> Result<(), String> {
        self.runs += 1;
        if self.runs > MAX_TEXT_RUNS {
            return Err(format!(
                "the body's text is cut into more than {MAX_TEXT_RUNS} runs (one per line \
                 and between any two marks); split the chapter"
            ));
        }
        Ok(())
    }

    fn count_escapes(&mut self, text: &str, special: &[u8]) -> Result<(), String> {
        // One comparison chain per byte that the compiler vectorises, rather than a search
        // of `special` for each byte of every chapter checked.
        let bytes = text.as_bytes();
        self.escapes += match special {
            b"&" => bytes.iter().filter(|&&b| b == b'&').count(),
            b"&<>" => bytes
                .iter()
                .filter(|&&b| matches!(b, b'&' | b'<' | b'>'))
                .count(),
            b"&<>\"'" => bytes
                .iter()
                .filter(|&&b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
                .count(),
            other => bytes.iter().filter(|b| other.contains(b)).count(),
        };
        if self.escapes > MAX_ESCAPES {
            return Err(format!(
                "the body has more than {MAX_ESCAPES} characters that HTML writes as \
                 references (`&`, `<`, `>`, and references such as `&amp;`)"
            ));
        }
        Ok(())
    }

    fn check_depth(&self) -> Result<(), String> {
        let depth = self.depth + self.open.len();
        if depth > MAX_NESTING {
            let html = match self.open.last() {
                Some(name) => format!(
                    ", {} of them raw HTML elements not yet closed (the last <{name}>)",
                    self.open.len()
                ),
                _ => String::new(),
            };
            return Err(format!(
                "markup nested {depth} levels deep here (block quotes, lists, emphasis, \
                 links{html}); it may nest at most {MAX_NESTING} levels"
            ));
        }
        Ok(())
    }

    /// Reads raw HTML for its tags.
    fn raw_html(&mut self, html: &str) -> Result<(), String> {
        for &c in html.as_bytes() {
            match self.lexer.step(c)? {
                Some(Found::Start(name)) => {
                    self.count_element()?;
                    if !VOID.contains(&name.as_str()) && !SELF_ENDING.contains(&name.as_str()) {
                        self.open.push(name);
                        self.check_depth()?;
                    }
                }
                Some(Found::End(name)) => {
                    if let Some(i) = self.open.iter().rposition(|n| *n == name) {
                        self.open.remove(i);
                    }
                }
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
