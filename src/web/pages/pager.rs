//! Long lists on pages (a big manual's contents, a big release's notice): shown a page of
//! entries at a time, `?page=N` (from 1), with links to the pages before and after.

use std::collections::HashMap;

use super::PageError;
use crate::notice::thousands;
use crate::web::http::param;

/// Entries on one page of a long list.
pub const PER_PAGE: usize = 500;

/// Where a page is in a long list, as the page shows it.
pub struct Pager {
    /// "Chapters 501 to 1,000 of 60,000"
    pub shown: String,
    /// "Page 2 of 120"
    pub place: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The page asked for (`?page=`, default 1) of a list of `total` entries: the entries to
/// skip, and the pager to show (`None` when the whole list fits on one page). A page that
/// is not a number from 1, or past the end, is refused with a page saying so.
pub fn page_of(
    params: &HashMap<String, String>,
    total: usize,
    address: &str,
) -> Result<(usize, Option<Pager>), PageError> {
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = match param(params, "page") {
        None => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|&p| p >= 1)
            .ok_or_else(|| {
                PageError::bad_request(
                    "No such page",
                    format!("{text:?} is not a page number: pages are numbered from 1."),
                )
            })?,
    };
    if page > pages {
        return Err(PageError::not_found(
            "No such page",
            format!(
                "This list has {} page{}; there is no page {page}.",
                thousands(pages),
                if pages == 1 { "" } else { "s" }
            ),
        )
        .link(address.to_owned(), "The first page".into()));
    }
    let skip = (page - 1) * PER_PAGE;
    if pages == 1 {
        return Ok((skip, None));
    }
    let join = if address.contains('?') { '&' } else { '?' };
    let href = |p: usize| format!("{address}{join}page={p}");
    let last = (skip + PER_PAGE).min(total);
    Ok((
        skip,
        Some(Pager {
            shown: format!(
                "Chapters {} to {} of {}",
                thousands(skip + 1),
                thousands(last),
                thousands(total)
            ),
            place: format!("Page {page} of {}", thousands(pages)),
            previous: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
        }),
    ))
}
