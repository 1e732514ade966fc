//! Who has read what, for editors: `GET /edit/manuals/{manual}/reads` lists the manual's
//! releases with how many subscribers were sent each and how many confirmed reading it;
//! `…/reads/{release}` shows each chapter of the notice with its confirmations, and
//! `…/reads/{release}/download` is the evidence as CSV.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::overview::signed_page;
use super::{Desk, html, manual_id, no_store};
use crate::app::{ChapterReads, ReleaseReads};
use crate::web::AppState;
use crate::web::site::Site;

#[derive(Template)]
#[template(path = "edit/reads.html")]
struct ReadsPage {
    site: Site,
    desk: Desk,
    manual: String,
    title: String,
    releases: Vec<ReleaseReads>,
}

#[derive(Template)]
#[template(path = "edit/release_reads.html")]
struct ReleaseReadsPage {
    site: Site,
    desk: Desk,
    manual: String,
    title: String,
    release: String,
    heading: String,
    sent: i64,
    long: bool,
    chapters: Vec<ChapterReads>,
}

pub async fn list(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
) -> Response {
    signed_page(&state, &headers, move |app, session| {
        let manual = manual_id(&manual)?;
        let page = ReadsPage {
            site: Site::plain(),
            desk: Desk::of(&session),
            title: app.draft_overview(&manual)?.title,
            releases: app.release_reads(&manual)?,
            manual: manual.to_string(),
        };
        Ok(html(StatusCode::OK, page.render()))
    })
    .await
}

pub async fn release(
    State(state): State<AppState>,
    Path((manual, release)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    signed_page(&state, &headers, move |app, session| {
        let manual = manual_id(&manual)?;
        let reads = app.notice_reads(manual.as_str(), &release)?;
        let page = ReleaseReadsPage {
            site: Site::plain(),
            desk: Desk::of(&session),
            title: app.draft_overview(&manual)?.title,
            manual: manual.to_string(),
            release,
            heading: reads.heading,
            sent: reads.sent,
            long: reads.long,
            chapters: reads.chapters,
        };
        Ok(html(StatusCode::OK, page.render()))
    })
    .await
}

pub async fn download(
    State(state): State<AppState>,
    Path((manual, release)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    signed_page(&state, &headers, move |app, _| {
        let manual = manual_id(&manual)?;
        let csv = app.read_evidence_csv(manual.as_str(), &release)?;
        // The release was found, so its name is a release name: safe in a header.
        let name = format!("attachment; filename=\"{manual}-{release}-reads.csv\"");
        let mut response = (StatusCode::OK, csv).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(value) = HeaderValue::from_str(&name) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        Ok(no_store(response))
    })
    .await
}
