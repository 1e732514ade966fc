//! Which release a page shows (`?at=YYYY-MM-DD`, `?release=NAME` or today's), how long it
//! may be cached, and the banner over a version that is not today's.

use std::collections::HashMap;

use super::long_date;
use crate::app::Chapterhouse;
use crate::content::ManualId;
use crate::store::Release;
use crate::web::error::PageError;
use crate::web::http::{Caching, date_param, param};

/// The banner over a past (or scheduled) version.
pub struct PastBanner {
    pub text: String,
    pub current_href: String,
}

/// The release a page shows, and the banner when it is not today's.
pub struct Reading {
    pub release: Release,
    pub past: Option<PastBanner>,
    pub caching: Caching,
    /// The query string that selects this version (`?release=…`), for links within it.
    pub version_query: String,
}

/// The version a request asks for; `current_href` is the same page as it reads today.
pub fn reading(
    app: &Chapterhouse,
    manual: &ManualId,
    params: &HashMap<String, String>,
    current_href: String,
) -> Result<Reading, PageError> {
    let at = date_param(params, "at")?;
    let named = param(params, "release");
    let today = app.today();
    let release = app.resolve_release(manual, at, named)?;
    let current = app.current_release(manual)?;
    let is_current = current.as_ref().is_some_and(|c| c.name == release.name);
    let scheduled = release.date > today;
    let past = if scheduled {
        Some(format!(
            "This version is scheduled: it comes into force on {} (release {}).",
            long_date(release.date),
            release.name
        ))
    } else if let Some(day) = at.filter(|_| !is_current) {
        Some(format!(
            "This is the version in force on {} (release {}, in force from {}).",
            long_date(day),
            release.name,
            long_date(release.date)
        ))
    } else if named.is_some() {
        Some(format!(
            "This is the version published in release {}, in force from {}.",
            release.name,
            long_date(release.date)
        ))
    } else {
        None
    };
    // A named release in force is fixed forever; anything else may change.
    let caching = if named.is_some() && !scheduled {
        Caching::Immutable
    } else {
        Caching::Revalidate
    };
    let version_query = if past.is_some() {
        format!("?release={}", release.name)
    } else {
        String::new()
    };
    Ok(Reading {
        past: past.map(|text| PastBanner { text, current_href }),
        release,
        caching,
        version_query,
    })
}
