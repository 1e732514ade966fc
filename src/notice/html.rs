//! The HTML notice: a fragment to paste into a newsletter or embed in a page.

use askama::Template;

use super::{Entry, Links, Notice};

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticeHtml<'a> {
    anchor: String,
    heading: String,
    groups: Vec<(&'a str, Vec<Entry>)>,
    empty: bool,
    /// For a notice too long to list: its counts, and where to read it whole.
    brief: Option<(String, String)>,
}

impl Notice {
    /// The notice as an HTML `<section>`, every text escaped.
    pub fn to_html(&self, links: &Links) -> String {
        let template = NoticeHtml {
            anchor: format!("notice-{}-{}", self.manual, self.to.name),
            heading: self.heading(),
            groups: self
                .entries(links)
                .into_iter()
                .filter(|(_, entries)| !entries.is_empty())
                .collect(),
            empty: self.diff.is_empty(),
            brief: None,
        };
        let mut html = template.render().expect("notice template renders");
        html.push('\n');
        html
    }

    /// The notice as [`Notice::to_html`] has it, or, when it is too long to list among
    /// others ([`Notice::is_long`]), its counts and a link to the whole notice.
    pub fn to_html_brief(&self, links: &Links) -> String {
        if !self.is_long() {
            return self.to_html(links);
        }
        let template = NoticeHtml {
            anchor: format!("notice-{}-{}", self.manual, self.to.name),
            heading: self.heading(),
            groups: Vec::new(),
            empty: false,
            brief: Some((
                format!("{}.", self.counts()),
                links.release(&self.manual, &self.to.name),
            )),
        };
        let mut html = template.render().expect("notice template renders");
        html.push('\n');
        html
    }
}
