//! A chapter's edit page: the form, its preview (the chapter as practitioners will see it,
//! and its redline against the last release), saving, the conflict page when a colleague
//! saved first, new chapters and deletion.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::form::{ChapterForm, FieldErrors, field_of};
use super::{Desk, html, reader, see_other, writer};
use crate::app::{AppError, BasedOn, ChapterEdit, Chapterhouse, EditError, Precondition};
use crate::content::{ChapterKind, ManualId, markdown};
use crate::db::Session;
use crate::store::StoreError;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::http::{Params, param};
use crate::web::pages::diff::{DiffSection, section_views};
use crate::web::site::Site;

/// The chapter as practitioners will see it.
struct Preview {
    title: String,
    html: String,
    link_url: Option<String>,
}

/// A colleague's save that came first: their text and how it differs from the editor's.
struct Conflict {
    text: String,
    sections: Vec<DiffSection>,
}

#[derive(Template)]
#[template(path = "edit/chapter.html")]
struct ChapterPage {
    site: Site,
    desk: Desk,
    manual: String,
    manual_title: String,
    heading: String,
    action: String,
    new: bool,
    form: ChapterForm,
    is_link: bool,
    errors: FieldErrors,
    notice: Option<String>,
    preview: Option<Preview>,
    /// Against the last release: its name and the sections.
    redline: Option<(String, Vec<DiffSection>)>,
    conflict: Option<Conflict>,
}

impl ChapterPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

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

fn manual_id(text: &str) -> Result<ManualId, PageError> {
    text.parse().map_err(|_| {
        PageError::not_found("Manual not found", "There is no manual at this address.")
    })
}

fn no_chapter(manual: &ManualId, id: &str) -> PageError {
    PageError::not_found(
        "Chapter not found",
        format!(
            "The draft of {manual} has no chapter {:?}.",
            id.chars().take(80).collect::<String>()
        ),
    )
    .links(vec![(
        format!("/edit/manuals/{manual}"),
        "The manual's chapters".into(),
    )])
}

/// Runs page work for an editor; its refusals become pages.
async fn work(
    state: &AppState,
    job: impl FnOnce(&Chapterhouse) -> Result<Response, PageError> + Send + 'static,
) -> Response {
    match state.run_raw(job).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => e.into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

impl ChapterPage {
    fn blank(
        app: &Chapterhouse,
        session: &Session,
        manual: &ManualId,
        new: bool,
    ) -> Result<ChapterPage, PageError> {
        let title = app
            .contents_at_revision(
                manual,
                &app.store()
                    .head()?
                    .ok_or_else(|| AppError::UnknownManual(manual.to_string()))?,
            )?
            .info
            .title
            .clone();
        Ok(ChapterPage {
            site: Site::plain(),
            desk: Desk::of(session),
            manual: manual.to_string(),
            manual_title: title,
            heading: "New chapter".into(),
            action: format!("/edit/manuals/{manual}/chapters/new"),
            new,
            form: ChapterForm::default(),
            is_link: false,
            errors: FieldErrors::new(),
            notice: None,
            preview: None,
            redline: None,
            conflict: None,
        })
    }

    fn for_chapter(
        app: &Chapterhouse,
        session: &Session,
        manual: &ManualId,
        form: ChapterForm,
    ) -> Result<ChapterPage, PageError> {
        let mut page = ChapterPage::blank(app, session, manual, false)?;
        page.heading = format!("Edit: {}", form.title);
        page.action = format!("/edit/manuals/{manual}/chapters/{}", form.id);
        page.is_link = form.is_link();
        page.form = form;
        Ok(page)
    }

    /// Adds the preview of `text` and its redline against the latest release.
    fn preview(
        &mut self,
        app: &Chapterhouse,
        manual: &ManualId,
        text: &str,
    ) -> Result<(), PageError> {
        let chapter =
            match crate::content::Chapter::parse(&format!("{manual}/{}.md", self.form.id), text) {
                Ok(chapter) => chapter,
                Err(e) => {
                    self.errors.insert(field_of(&e.to_string()), e.to_string());
                    return Ok(());
                }
            };
        let rendered = markdown::render(&chapter.body);
        self.preview = Some(Preview {
            title: chapter.title.clone(),
            html: rendered.html,
            link_url: chapter.url.clone(),
        });
        if let Ok(latest) = app.latest_release(manual) {
            let old = app.chapter_at(manual, &latest, chapter.id.as_str())?;
            let old_body = old.as_ref().map_or("", |o| o.chapter.body.as_str());
            // Only the changed sections: none left means the text reads as released.
            let changed = section_views(old_body, &chapter.body)
                .into_iter()
                .filter(|s| s.changed)
                .collect();
            self.redline = Some((latest.name.to_string(), changed));
        }
        Ok(())
    }

    fn answer(self, status: StatusCode) -> Response {
        html(status, self.render())
    }
}

/// `GET /edit/manuals/{m}/chapters/{id}`
pub async fn edit_form(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let session = match reader(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let manual = match manual_id(&manual) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    work(&state, move |app| {
        let (chapter, _, blob) = app.draft_file(&manual, &id)?.ok_or_else(|| no_chapter(&manual, &id))?;
        let mut page = ChapterPage::for_chapter(app, &session, &manual, ChapterForm::from_chapter(&chapter, &blob))?;
        page.notice = match param(&params, "saved") {
            Some("1") => Some("Saved. The change is in the draft; practitioners will see it once the next release is published.".into()),
            Some(_) => Some("Nothing to save: the chapter already read exactly so.".into()),
            None => None,
        };
        Ok(page.answer(StatusCode::OK))
    })
    .await
}

/// `GET /edit/manuals/{m}/chapters/new`
pub async fn new_form(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
) -> Response {
    let session = match reader(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let manual = match manual_id(&manual) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    work(&state, move |app| {
        let mut page = ChapterPage::blank(app, &session, &manual, true)?;
        page.form.kind = Some(ChapterKind::Chapter);
        Ok(page.answer(StatusCode::OK))
    })
    .await
}

/// `POST /edit/manuals/{m}/chapters/{id}`: `action=preview` or `action=save`.
pub async fn save(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, fields) = match writer(&state, &headers, &body).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let manual = match manual_id(&manual) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let saving = fields.get("action") == "save";
    let mut form = ChapterForm::from_fields(&fields);
    work(&state, move |app| {
        let (original, raw, _) = app
            .draft_file(&manual, &id)?
            .ok_or_else(|| no_chapter(&manual, &id))?;
        form.id = id.clone();
        form.kind = Some(original.kind);
        let mut page = ChapterPage::for_chapter(app, &session, &manual, form)?;
        let text = match page.form.file_text(Some(&raw), false) {
            Ok(text) => text,
            Err(errors) => {
                page.errors = errors;
                return Ok(page.answer(StatusCode::UNPROCESSABLE_ENTITY));
            }
        };
        if !saving {
            page.preview(app, &manual, &text)?;
            let status = if page.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Ok(page.answer(status));
        }
        write(app, &session, &manual, page, text, false)
    })
    .await
}

/// `POST /edit/manuals/{m}/chapters/new`: preview or create, with the `id` field.
pub async fn create(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, fields) = match writer(&state, &headers, &body).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let manual = match manual_id(&manual) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let saving = fields.get("action") == "save";
    let form = ChapterForm::from_fields(&fields);
    work(&state, move |app| {
        let mut page = ChapterPage::blank(app, &session, &manual, true)?;
        page.is_link = form.is_link();
        page.form = form;
        let text = match page.form.file_text(None, true) {
            Ok(text) => text,
            Err(errors) => {
                page.errors = errors;
                return Ok(page.answer(StatusCode::UNPROCESSABLE_ENTITY));
            }
        };
        if app.draft_file(&manual, &page.form.id)?.is_some() {
            page.errors.insert(
                "id",
                format!(
                    "The manual has a chapter {:?} already: choose another id.",
                    page.form.id
                ),
            );
            return Ok(page.answer(StatusCode::UNPROCESSABLE_ENTITY));
        }
        if !saving {
            page.preview(app, &manual, &text)?;
            let status = if page.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Ok(page.answer(status));
        }
        write(app, &session, &manual, page, text, true)
    })
    .await
}

/// Saves the form's chapter file: 303 back to its page, 409 when a colleague saved
/// first, 422 when the file breaks a content rule.
fn write(
    app: &Chapterhouse,
    session: &Session,
    manual: &ManualId,
    mut page: ChapterPage,
    text: String,
    new: bool,
) -> Result<Response, PageError> {
    let base = page.form.base.clone();
    let precondition = if new {
        Precondition::Absent
    } else {
        Precondition::Matches(BasedOn::new(move |tag| tag == base))
    };
    let edit = ChapterEdit {
        manual: manual.clone(),
        id: page.form.id.clone(),
        text: Some(text),
        precondition,
        author: session.editor.author(),
    };
    match app.edit_chapter(&edit) {
        Ok(written) => Ok(see_other(&format!(
            "/edit/manuals/{manual}/chapters/{}?saved={}",
            written.id,
            u8::from(written.changed)
        ))),
        Err(EditError::Stale { .. } | EditError::NoSuchRevision { .. }) => {
            let Some((theirs, _, blob)) = app.draft_file(manual, &page.form.id)? else {
                page.notice = Some("A colleague deleted this chapter while you were editing it. Your text is below: save it again to bring the chapter back.".into());
                page.form.base.clear();
                return Ok(page.answer(StatusCode::CONFLICT));
            };
            page.notice = Some("A colleague saved this chapter after you opened it. Your text is still in the form; their version and the differences are below. Bring in what you need, then save again: it will be saved over their version.".into());
            page.conflict = Some(Conflict {
                sections: section_views(&theirs.body, &page.form.body),
                text: theirs.body,
            });
            page.form.base = blob;
            Ok(page.answer(StatusCode::CONFLICT))
        }
        Err(EditError::Exists { .. }) => {
            page.errors.insert(
                "id",
                "A chapter with this id was added meanwhile: choose another id.".into(),
            );
            Ok(page.answer(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(
            e @ (EditError::Invalid(_)
            | EditError::App(AppError::Content(_) | AppError::Store(StoreError::Content(_)))),
        ) => {
            let reason = e.to_string();
            page.errors.insert(field_of(&reason), reason);
            Ok(page.answer(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(PageError::from(crate::web::WebError::from(e))),
    }
}

/// `GET /edit/manuals/{m}/chapters/{id}/delete`: asks to confirm.
pub async fn delete_form(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let session = match reader(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let manual = match manual_id(&manual) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
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
    let (session, fields) = match writer(&state, &headers, &body).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let manual = match manual_id(&manual) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
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
