//! `GET /edit/manuals/{manual}/reviews`: the editors' dashboard of review dates — the
//! draft's chapters overdue, due within 30 days, later, and without a date, each with its
//! owner and sources (the page of `chapterhouse reviews`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::overview::signed_page;
use super::{Desk, html, manual_id, posting, see_other, work};
use crate::app::{ReviewState, SourceReview};
use crate::web::AppState;
use crate::web::site::Site;

struct ReviewRow {
    id: String,
    title: String,
    due: String,
    owner: String,
    sources: Vec<SourceReview>,
}

struct Group {
    key: &'static str,
    heading: &'static str,
    rows: Vec<ReviewRow>,
}

#[derive(Template)]
#[template(path = "edit/reviews.html")]
struct ReviewsPage {
    site: Site,
    desk: Desk,
    csrf: String,
    manual: String,
    title: String,
    today: String,
    groups: Vec<Group>,
}

pub async fn page(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
) -> Response {
    signed_page(&state, &headers, move |app, session| {
        let manual = manual_id(&manual)?;
        let title = app.draft_overview(&manual)?.title;
        let report = app.reviews(&manual)?;
        let groups = [
            (ReviewState::Overdue, "overdue", "Overdue"),
            (ReviewState::Due, "due", "Due within 30 days"),
            (ReviewState::Later, "later", "Later"),
            (ReviewState::None, "none", "Without a review date"),
        ]
        .into_iter()
        .map(|(state, key, heading)| Group {
            key,
            heading,
            rows: report
                .chapters
                .iter()
                .filter(|c| c.state == state)
                .map(|c| ReviewRow {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    due: c.review_due.map_or_else(
                        || "no date".to_owned(),
                        |d| d.format("%-d %B %Y").to_string(),
                    ),
                    owner: c.owner.clone().unwrap_or_else(|| "no owner".to_owned()),
                    sources: c.sources.clone(),
                })
                .collect(),
        })
        .collect();
        let page = ReviewsPage {
            site: Site::plain(),
            csrf: session.csrf.clone(),
            desk: Desk::of(&session),
            manual: manual.to_string(),
            title,
            today: report.today.format("%-d %B %Y").to_string(),
            groups,
        };
        Ok(html(StatusCode::OK, page.render()))
    })
    .await
}

/// `POST /edit/manuals/{manual}/reviews` (`chapter`, `url` or `source`, `csrf`): the signed-in editor
/// marks a source of a chapter "reviewed: no change needed"; 303 back to the page, or to
/// the chapter's page when the form came from there (`back=chapter`).
pub async fn mark_reviewed(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, fields, manual) = match posting(&state, &headers, &body, &manual).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let chapter = fields.get("chapter").trim().to_owned();
    // The chapter's page names the field `source`, its form having a `url` of its own.
    let url = match fields.get("url").trim() {
        "" => fields.get("source").trim().to_owned(),
        url => url.to_owned(),
    };
    let by = format!("{} <{}>", session.editor.name, session.editor.email);
    let to_chapter = fields.get("back") == "chapter";
    work(&state, move |app| {
        // A source the chapter does not list is refused with 422, as any refusal is.
        app.mark_source_reviewed(&manual, &chapter, &url, &by)?;
        Ok(see_other(&if to_chapter {
            format!("/edit/manuals/{manual}/chapters/{chapter}?reviewed=1")
        } else {
            format!("/edit/manuals/{manual}/reviews")
        }))
    })
    .await
}
