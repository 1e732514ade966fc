//! Plain-text and Markdown notices.

use std::fmt::Write;

use super::{Links, Notice};

impl Notice {
    /// The notice as plain text, e.g. for a text/plain email part.
    pub fn to_text(&self, links: &Links) -> String {
        let mut out = format!("{}\n", self.heading());
        for (label, entries) in self.entries(links) {
            if entries.is_empty() {
                continue;
            }
            let _ = write!(out, "\n{label}\n");
            for e in entries {
                if e.text.is_empty() {
                    let _ = writeln!(out, "- {}", e.title);
                } else {
                    let _ = writeln!(out, "- {} – {}", e.title, e.text);
                }
            }
        }
        if self.diff.is_empty() {
            out.push_str("\nNo chapters changed.\n");
        }
        out
    }

    /// The notice as Markdown, with links to each chapter and its changes.
    pub fn to_markdown(&self, links: &Links) -> String {
        let mut out = format!("# {}\n", escape_md(&self.heading()));
        for (label, entries) in self.entries(links) {
            if entries.is_empty() {
                continue;
            }
            let _ = write!(out, "\n## {label}\n\n");
            for e in entries {
                let _ = write!(out, "- [{}](<{}>)", escape_md(&e.title), e.href);
                if !e.text.is_empty() {
                    let _ = write!(out, " – {}", escape_md(&e.text));
                }
                if let Some(diff) = &e.diff_href {
                    let _ = write!(out, " ([see changes](<{diff}>))");
                }
                out.push('\n');
            }
        }
        if self.diff.is_empty() {
            out.push_str("\nNo chapters changed.\n");
        }
        out
    }
}

/// Escapes the characters that would turn text into Markdown markup.
fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
