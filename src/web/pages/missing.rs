//! A chapter the release asked for does not have: 301 to its new address when it was
//! renamed, 410 with where it went when it was removed, 404 otherwise.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::long_date;
use crate::app::{Chapterhouse, Missing};
use crate::content::ManualId;
use crate::store::Release;
use crate::web::error::PageError;

/// The answer for chapter `id`, which `release` of `manual` does not have; `query` is
/// carried over to a renamed chapter's new address.
pub fn missing(
    app: &Chapterhouse,
    manual: &ManualId,
    release: &Release,
    id: &str,
    query: Option<&str>,
) -> Result<Response, PageError> {
    match app.missing_chapter(manual, release, id)? {
        Missing::Renamed { to } => {
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            // 301 (not 308): the old address is read with GET only, and every client knows 301.
            Ok((
                StatusCode::MOVED_PERMANENTLY,
                [(
                    header::LOCATION,
                    format!("/manuals/{manual}/chapters/{to}{query}"),
                )],
            )
                .into_response())
        }
        Missing::Removed {
            title,
            removed_in,
            last,
        } => Err(PageError::gone(
            format!("“{title}” has been removed"),
            format!(
                "This chapter was removed from the manual in release {} ({}). The last \
                 version, from release {}, is still available to read.",
                removed_in.name,
                long_date(removed_in.date),
                last.name
            ),
        )
        .links(vec![
            (
                format!("/manuals/{manual}/chapters/{id}?release={}", last.name),
                format!("Read the last version (release {})", last.name),
            ),
            (
                format!("/manuals/{manual}/releases/{}", removed_in.name),
                format!("What changed in release {}", removed_in.name),
            ),
            (format!("/manuals/{manual}"), "The manual's contents".into()),
        ])
        .search_for(&title)),
        Missing::Unknown => Err(PageError::not_found(
            "Chapter not found",
            format!(
                "Release {} of this manual has no chapter at this address.",
                release.name
            ),
        )
        .link(format!("/manuals/{manual}"), "The manual's contents".into())
        .suggest(id)),
    }
}
