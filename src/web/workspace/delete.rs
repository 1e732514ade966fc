//! Deleting a chapter from the draft, after a confirmation.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::chapters::{ChapterPage, no_chapter};
use super::{Desk, html, posting, see_other, viewing, work};
use crate::app::{BasedOn, ChapterEdit, Chapterhouse, EditError, Precondition};
use crate::content::ManualId;
use crate::db::Session;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::site::Site;

#[derive(Template)]
#[template(path = "edit/delete.html")]
struct DeletePage {
    site: Site,
    desk: Desk,
    manual: String,
    manual_title: String,
    id: String,
    title: String,
    base: String,
    reason: Option<String>,
}

/// `GET /edit/manuals/{m}/chapters/{id}/delete`: asks to confirm.
pub async fn delete_form(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (session, manual) = match viewing(&state, &headers, &manual).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    work(&state, move |app| {
        let (chapter, _, blob) = app
            .draft_file(&manual, &id)?
            .ok_or_else(|| no_chapter(&manual, &id))?;
        delete_page(app, &session, &manual, &chapter.title, &id, blob, None)
    })
    .await
}

fn delete_page(
    app: &Chapterhouse,
    session: &Session,
    manual: &ManualId,
    title: &str,
    id: &str,
    base: String,
    reason: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let status = reason.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let blank = ChapterPage::blank(app, session, manual, false)?;
    let page = DeletePage {
        site: Site::plain(),
        desk: Desk::of(session),
        manual: manual.to_string(),
        manual_title: blank.manual_title,
        id: id.to_owned(),
        title: title.to_owned(),
        base,
        reason: reason.map(|(_, r)| r),
    };
    Ok(html(status, page.render()))
}

/// `POST /edit/manuals/{m}/chapters/{id}/delete` with `base`: deletes the chapter.
pub async fn delete(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, fields, manual) = match posting(&state, &headers, &body, &manual).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let base = fields.get("base").trim().to_owned();
    work(&state, move |app| {
        let (chapter, _, blob) = app.draft_file(&manual, &id)?.ok_or_else(|| no_chapter(&manual, &id))?;
        let matches = base.clone();
        let edit = ChapterEdit {
            manual: manual.clone(),
            id: id.clone(),
            text: None,
            precondition: Precondition::Matches(BasedOn::new(move |tag| tag == matches)),
            author: session.editor.author(),
        };
        match app.edit_chapter(&edit) {
            Ok(_) => Ok(see_other(&format!("/edit/manuals/{manual}?deleted={id}"))),
            Err(EditError::Stale { .. }) => {
                let reason = "A colleague saved this chapter after you opened this page. Look at their version before deleting it; to delete it anyway, confirm again.".to_owned();
                Ok(delete_page(app, &session, &manual, &chapter.title, &id, blob, Some((StatusCode::CONFLICT, reason)))?)
            }
            Err(e @ EditError::Invalid(_)) => {
                Ok(delete_page(app, &session, &manual, &chapter.title, &id, blob, Some((StatusCode::UNPROCESSABLE_ENTITY, e.to_string())))?)
            }
            Err(e) => Err(PageError::from(crate::web::WebError::from(e))),
        }
    })
    .await
}
