//! The home page: every manual with its current and scheduled release, and the latest
//! notices, newest first.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{ReleaseView, run_page};
use crate::notice::Links;
use crate::web::AppState;
use crate::web::http::{Caching, page};
use crate::web::site::Site;

struct ManualCard {
    id: String,
    title: String,
    description: Option<String>,
    current: Option<ReleaseView>,
    scheduled: Option<ReleaseView>,
}

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage {
    site: Site,
    manuals: Vec<ManualCard>,
    notices: Vec<String>,
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    run_page(&state, move |app| {
        let links = Links::new("");
        let mut manuals = Vec::new();
        let mut notices = Vec::new();
        for summary in app.manual_summaries()? {
            if let Some(current) = &summary.current {
                notices.push((
                    current.date,
                    app.release_notice(&summary.id, current)?.to_html(&links),
                ));
            }
            let scheduled = summary
                .current
                .as_ref()
                .is_none_or(|c| c.name != summary.latest.name)
                .then(|| ReleaseView::of(&summary.latest));
            manuals.push(ManualCard {
                id: summary.id.to_string(),
                title: summary.title,
                description: summary.description,
                current: summary.current.as_ref().map(ReleaseView::of),
                scheduled,
            });
        }
        notices.sort_by_key(|n| std::cmp::Reverse(n.0));
        let html = HomePage {
            site: Site::plain(),
            manuals,
            notices: notices.into_iter().map(|(_, n)| n).collect(),
        }
        .render()?;
        Ok(page(&headers, html, Caching::Revalidate))
    })
    .await
}
