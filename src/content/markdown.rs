//! What a chapter's Markdown says, as plain text: for the search index and its snippets.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use super::limits::{Budget, OPTIONS, check_line_starts};

/// A chapter body read as a practitioner reads it: the words, and the section headings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainText {
    /// The body without markup, one line per block.
    pub text: String,
    /// Level-2 and level-3 headings as written.
    pub headings: Vec<String>,
}

/// A chapter body rendered for reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised HTML.
    pub html: String,
    /// The level-2 headings: (anchor, text), the anchor being the heading's `id`.
    pub toc: Vec<(String, String)>,
}

/// The prefix of every `id` in rendered chapters, so that no id written in a chapter can
/// clash with the page's own.
const ID_PREFIX: &str = "s-";

/// Renders a chapter body as HTML for reading. Raw HTML and scripts in the Markdown are
/// sanitised away (ammonia): only safe elements and attributes, and only http(s) and
/// mailto links, reach a page.
pub fn to_html(body: &str) -> String {
    render(body).html
}

/// Renders a chapter body as HTML, its level-2 headings given anchors for a table of
/// contents.
///
/// Bodies are checked against the markup limits when they are written; one stored before
/// the limits existed and beyond them is shown as preformatted text, which costs nothing
/// to sanitise, rather than tying up the server for minutes.
pub fn render(body: &str) -> Rendered {
    let mut budget = Budget::default();
    let events: Option<Vec<Event<'_>>> = check_line_starts(body).ok().and_then(|()| {
        Parser::new_ext(body, OPTIONS)
            .map(|e| budget.see(&e).map(|()| e))
            .collect::<Result<_, _>>()
            .ok()
    });
    let Some(mut events) = events else {
        let mut html = String::from("<pre>");
        // Writing to a String cannot fail.
        let _ = pulldown_cmark_escape::escape_html(&mut html, body);
        html.push_str("</pre>");
        return Rendered {
            html,
            toc: Vec::new(),
        };
    };
    let mut toc = Vec::new();
    let mut used = HashSet::new();
    // The last number given to each repeated heading, so that a thousand headings alike
    // cost a thousand anchors, not a million tries.
    let mut repeats: HashMap<String, usize> = HashMap::new();
    for i in 0..events.len() {
        let Event::Start(Tag::Heading {
            level: HeadingLevel::H2,
            ..
        }) = &events[i]
        else {
            continue;
        };
        let text: String = events[i + 1..]
            .iter()
            .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect::<String>();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let base = slug(&text);
        let mut anchor = base.clone();
        if !used.insert(anchor.clone()) {
            let n = repeats.entry(base.clone()).or_insert(1);
            loop {
                *n += 1;
                anchor = format!("{base}-{n}");
                if used.insert(anchor.clone()) {
                    break;
                }
            }
        }
        if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
            *id = Some(anchor.clone().into());
        }
        toc.push((format!("{ID_PREFIX}{anchor}"), text));
    }
    let mut unsafe_html = String::with_capacity(body.len() * 3 / 2);
    // A line break inside a paragraph reads as a space; written as one, it spares the
    // sanitiser a token per line (a body of one-letter lines has half a million).
    let events = events.into_iter().map(|e| match e {
        Event::SoftBreak => Event::Text(" ".into()),
        e => e,
    });
    pulldown_cmark::html::push_html(&mut unsafe_html, events);
    let html = ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .add_tag_attributes("h2", ["id"])
        .id_prefix(Some(ID_PREFIX))
        .clean(&unsafe_html)
        .to_string();
    Rendered { html, toc }
}

/// A heading as an anchor: lower-case letters and digits joined by hyphens.
fn slug(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        "section".to_owned()
    } else {
        words.join("-")
    }
}

/// Strips Markdown down to its words. Raw HTML is dropped: it is markup, not words.
pub fn plain_text(body: &str) -> PlainText {
    let mut out = PlainText::default();
    let mut heading: Option<String> = None;
    for event in Parser::new(body) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2 | HeadingLevel::H3,
                ..
            }) => {
                heading = Some(String::new());
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2 | HeadingLevel::H3)) => {
                if let Some(h) = heading.take() {
                    out.headings.push(h.trim().to_owned());
                }
                out.text.push('\n');
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = &mut heading {
                    h.push_str(&t);
                }
                out.text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => out.text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::TableCell,
            ) => {
                out.text.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// Text escaped for HTML (pages and emails that are not written through a template).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    pulldown_cmark_escape::escape_html(&mut out, text).expect("writing to a String");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_rendered_and_sanitised() {
        let html = to_html(
            "## 1. Scope\n\nText with <script>alert(1)</script> and \
             [bad](javascript:alert(1)) and <img src=x onerror=alert(1)> and [good](https://gov.uk).\n",
        );
        assert!(
            html.contains("<h2 id=\"s-1-scope\">1. Scope</h2>"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(html.contains("href=\"https://gov.uk\""), "{html}");
    }

    #[test]
    fn sections_get_anchors_for_the_table_of_contents() {
        let r = render(
            "## 1. Scope\n\nA.\n\n## 1. Scope\n\nB.\n\n## <b>!</b>\n\n<p id=\"main\">x</p>\n",
        );
        let anchors: Vec<&str> = r.toc.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(anchors, ["s-1-scope", "s-1-scope-2", "s-section"]);
        for anchor in anchors {
            assert!(r.html.contains(&format!("id=\"{anchor}\"")), "{}", r.html);
        }
        // An id written in the chapter cannot take one of the page's own.
        assert!(!r.html.contains("id=\"main\""), "{}", r.html);
    }

    #[test]
    fn markup_is_dropped_and_headings_collected() {
        let p = plain_text(
            "Intro with **bold** and [a link](https://x.example).\n\n## 1. Scope\n\n- one\n- two\n\n\
             ### 1.1 Detail\n\n<script>alert(1)</script>\n\nEnd `code`.\n",
        );
        assert_eq!(p.headings, ["1. Scope", "1.1 Detail"]);
        assert!(p.text.contains("Intro with bold and a link."), "{}", p.text);
        assert!(p.text.contains("one\ntwo"), "{}", p.text);
        assert!(!p.text.contains("script"), "{}", p.text);
        assert!(p.text.contains("End code."), "{}", p.text);
    }
}
