//! A chapter's edit page: the form, its preview (the chapter as practitioners will see it,
//! and its redline against the last release), saving, the conflict page when a colleague
//! saved first, new chapters and deletion.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::form::{ChapterForm, FieldErrors, field_of};
use super::{Desk, html, posting, see_other, viewing, work};
use crate::app::{
    AppError, BasedOn, ChapterEdit, Chapterhouse, EditError, Precondition, SourceReview,
};
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
pub(super) struct ChapterPage {
    site: Site,
    desk: Desk,
    manual: String,
    pub(super) manual_title: String,
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
    /// The chapter's sources whose national guidance changed since it was last revised
    /// or reviewed.
    guidance: Vec<SourceReview>,
}

impl ChapterPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

pub(super) fn no_chapter(manual: &ManualId, id: &str) -> PageError {
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

impl ChapterPage {
    pub(super) fn blank(
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
            guidance: Vec::new(),
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
        page.guidance = app.changed_sources(manual, &form.id)?;
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
    let (session, manual) = match viewing(&state, &headers, &manual).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    work(&state, move |app| {
        let (chapter, _, blob) = app.draft_file(&manual, &id)?.ok_or_else(|| no_chapter(&manual, &id))?;
        let mut page = ChapterPage::for_chapter(app, &session, &manual, ChapterForm::from_chapter(&chapter, &blob))?;
        page.notice = match param(&params, "saved") {
            Some("1") => Some("Saved. The change is in the draft; practitioners will see it once the next release is published.".into()),
            Some(_) => Some("Nothing to save: the chapter already read exactly so.".into()),
            None if param(&params, "reviewed").is_some() => Some("Recorded: the source was reviewed and the chapter needs no change.".into()),
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
    let (session, manual) = match viewing(&state, &headers, &manual).await {
        Ok(v) => v,
        Err(r) => return r,
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
    let (session, fields, manual) = match posting(&state, &headers, &body, &manual).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let saving = fields.get("action") == "save";
    let mut form = ChapterForm::from_fields(&fields);
    work(&state, move |app| {
        let (original, raw, _) = app
            .draft_file(&manual, &id)?
            .ok_or_else(|| no_chapter(&manual, &id))?;
        form.id = id.clone();
        form.kind = Some(original.kind);
        let page = ChapterPage::for_chapter(app, &session, &manual, form)?;
        submit(app, &session, &manual, page, Some(&raw), saving)
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
    let (session, fields, manual) = match posting(&state, &headers, &body, &manual).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let saving = fields.get("action") == "save";
    let form = ChapterForm::from_fields(&fields);
    work(&state, move |app| {
        let mut page = ChapterPage::blank(app, &session, &manual, true)?;
        page.is_link = form.is_link();
        page.form = form;
        submit(app, &session, &manual, page, None, saving)
    })
    .await
}

/// Who last saved a chapter's file, and when: the newest of the manual's commits that
/// touched it (looked for among the last few hundred).
fn last_saved_by(app: &Chapterhouse, manual: &ManualId, path: &str) -> Option<(String, String)> {
    let head = app.store().head().ok()??;
    let mut found = None;
    let walked = app.store().walk_log(manual, &head, 500, |entry| {
        if entry.files.iter().any(|f| f == path) {
            found = Some((entry.author, super::overview::when(app, entry.at)));
            return false;
        }
        true
    });
    walked.ok().and(found)
}

/// The form's chapter file, previewed or saved; `original` is the file it edits (`None`
/// for a new chapter). Fields that cannot be used come back on the form (422).
fn submit(
    app: &Chapterhouse,
    session: &Session,
    manual: &ManualId,
    mut page: ChapterPage,
    original: Option<&str>,
    saving: bool,
) -> Result<Response, PageError> {
    let new = original.is_none();
    let text = match page.form.file_text(original, new) {
        Ok(text) => text,
        Err(errors) => {
            page.errors = errors;
            return Ok(page.answer(StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    if new && app.draft_file(manual, &page.form.id)?.is_some() {
        let taken = format!(
            "The manual has a chapter {:?} already: choose another id.",
            page.form.id
        );
        page.errors.insert("id", taken);
        return Ok(page.answer(StatusCode::UNPROCESSABLE_ENTITY));
    }
    if saving {
        return write(app, session, manual, page, text, new);
    }
    page.preview(app, manual, &text)?;
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page.answer(status))
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
                // Saving again makes the chapter anew, under the same id.
                page.notice = Some("A colleague deleted this chapter while you were editing it. Your text is below: save it to add the chapter again.".into());
                page.form.base.clear();
                page.new = true;
                page.action = format!("/edit/manuals/{manual}/chapters/new");
                return Ok(page.answer(StatusCode::CONFLICT));
            };
            let who = last_saved_by(app, manual, &theirs.path).map_or_else(
                || "A colleague".to_owned(),
                |(name, at)| format!("{name} ({at})"),
            );
            page.notice = Some(format!(
                "{who} saved this chapter after you opened it. Your text is still in the form; their version and the differences are below. Bring in what you need, then save again: it will be saved over their version."
            ));
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
