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

/// Releases shown under "Latest releases", newest first.
const LATEST_NOTICES: usize = 20;

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    run_page(&state, move |app| {
        let links = Links::new("");
        let mut manuals = Vec::new();
        let mut latest = Vec::new();
        for summary in app.manual_summaries()? {
            if let Some(current) = &summary.current {
                latest.push((current.date, summary.id.clone(), current.clone()));
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
        latest.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let notices = latest
            .into_iter()
            .take(LATEST_NOTICES)
            .map(|(_, manual, release)| {
                Ok(app.release_notice(&manual, &release)?.to_html_brief(&links))
            })
            .collect::<Result<_, crate::app::AppError>>()?;
        let html = HomePage {
            site: Site::plain(),
            manuals,
            notices,
        }
        .render()?;
        Ok(page(&headers, html, Caching::Revalidate))
    })
    .await
}
