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
        };
        let mut html = template.render().expect("notice template renders");
        html.push('\n');
        html
    }
}
