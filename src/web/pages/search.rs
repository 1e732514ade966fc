//! The search page: plain words or the field's acronyms, across all manuals or one, today
//! or as the procedures stood on a date. Input it cannot use becomes a message on the page,
//! never an error.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::long_date;
use crate::content::ManualId;
use crate::search::{SearchIndex, SearchRequest, SearchResults, UserQuery, glossary_words};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::http::{Params, date_param, page_with_status, param};
use crate::web::site::Site;

struct FacetLine {
    title: String,
    /// "12", or "600+" when counting stopped.
    count: String,
    href: String,
    selected: bool,
}

struct HitLine {
    href: String,
    title: String,
    manual_title: String,
    release: Option<String>,
    snippet: String,
}

struct ResultsView {
    total: usize,
    /// More than `total` match.
    more: bool,
    at_text: Option<String>,
    fuzzy: bool,
    facets: Vec<FacetLine>,
    hits: Vec<HitLine>,
    glossary: Vec<String>,
    all_manuals_href: String,
    today_href: String,
}

#[derive(Template)]
#[template(path = "pages/search.html")]
struct SearchPage {
    site: Site,
    query: String,
    manual: String,
    at: String,
    manuals: Vec<(String, String)>,
    message: Option<String>,
    results: Option<ResultsView>,
}

fn search_href(query: &str, manual: Option<&str>, at: Option<&str>) -> String {
    let mut href = format!("/search?q={}", urlencode(query));
    if let Some(m) = manual {
        href.push_str(&format!("&manual={}", urlencode(m)));
    }
    if let Some(a) = at {
        href.push_str(&format!("&at={}", urlencode(a)));
    }
    href
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// What a search asked for, as far as it could be read.
struct Asked {
    query: String,
    manual: Option<ManualId>,
    at: Option<NaiveDate>,
    /// Why part of the request was set aside, or how to ask.
    message: Option<String>,
}

/// Reads a search request; an unknown manual or an unreadable date is set aside with a
/// message saying so.
fn asked(params: &HashMap<String, String>, manuals: &[(String, String)]) -> Asked {
    let query = param(params, "q").unwrap_or_default().to_owned();
    let manual_text = param(params, "manual").unwrap_or_default();
    let mut message = None;
    let manual = if manual_text.is_empty() {
        None
    } else if manuals.iter().any(|(m, _)| m == manual_text) {
        manual_text.parse::<ManualId>().ok()
    } else {
        message = Some(format!(
            "There is no manual called “{}”; searching all manuals instead.",
            manual_text.chars().take(80).collect::<String>()
        ));
        None
    };
    let at = date_param(params, "at").unwrap_or_else(|_| {
        message = Some(format!(
            "“{}” is not a date; write it as YYYY-MM-DD. Searching today's procedures instead.",
            param(params, "at")
                .unwrap_or_default()
                .chars()
                .take(40)
                .collect::<String>()
        ));
        None
    });
    if UserQuery::parse(&query).is_empty() && !query.is_empty() {
        message = Some(
            "Type a few words or an acronym to search for, such as “bruising in babies” or “LADO”."
                .into(),
        );
    }
    Asked {
        query,
        manual,
        at,
        message,
    }
}

/// The results as the page lists them: facets per manual, hits, and the glossary's
/// alternatives when nothing was found.
fn results_view(
    index: &SearchIndex,
    asked: &Asked,
    found: &SearchResults,
    title_of: impl Fn(&str) -> String,
) -> ResultsView {
    let query = &asked.query;
    let glossary = if found.hits.is_empty() {
        index
            .glossary()
            .alternatives(&glossary_words(query))
            .into_iter()
            .take(5)
            .map(|form| format!("Also searched for: “{}”.", form.join(" ")))
            .collect()
    } else {
        Vec::new()
    };
    let manual_param = asked.manual.as_ref().map(ToString::to_string);
    let at_param = asked.at.map(|d| d.to_string());
    let counted = |n: u64| {
        if found.more {
            format!("{n}+")
        } else {
            n.to_string()
        }
    };
    let mut facets: Vec<FacetLine> = found
        .facets
        .iter()
        .map(|(id, count)| FacetLine {
            title: title_of(id),
            count: counted(*count),
            href: search_href(query, Some(id), at_param.as_deref()),
            selected: manual_param.as_deref() == Some(id.as_str()),
        })
        .collect();
    if asked.manual.is_some() && !facets.is_empty() {
        facets.insert(
            0,
            FacetLine {
                title: "All manuals".into(),
                count: counted(found.facets.values().sum()),
                href: search_href(query, None, at_param.as_deref()),
                selected: false,
            },
        );
    }
    // Hits of a past date link to the version they were found in.
    let version = |release: &Option<String>| match (asked.at, release) {
        (Some(_), Some(r)) => format!("?release={r}"),
        _ => String::new(),
    };
    ResultsView {
        total: found.total,
        more: found.more,
        at_text: asked.at.map(long_date),
        fuzzy: found.fuzzy,
        facets,
        hits: found
            .hits
            .iter()
            .map(|h| HitLine {
                href: format!(
                    "/manuals/{}/chapters/{}{}",
                    h.manual,
                    h.id,
                    version(&h.release)
                ),
                title: h.title.clone(),
                manual_title: title_of(&h.manual),
                release: h.release.clone(),
                snippet: h.snippet.clone(),
            })
            .collect(),
        glossary,
        all_manuals_href: search_href(query, None, at_param.as_deref()),
        today_href: search_href(query, manual_param.as_deref(), None),
    }
}

pub async fn search(State(state): State<AppState>, Query(params): Params) -> Response {
    let manuals = match state.manual_titles().await {
        Ok(titles) => titles,
        Err(e) => return PageError::from(e).into_response(),
    };
    let limit = state.search_limit;
    let today = state.today();
    let made = state.search(move |index| {
        let asked = asked(&params, &manuals);
        let title_of = |id: &str| {
            manuals
                .iter()
                .find(|(m, _)| m == id)
                .map_or_else(|| id.to_owned(), |(_, t)| t.clone())
        };
        let results = if UserQuery::parse(&asked.query).is_empty() {
            None
        } else {
            let found = index.search(&SearchRequest {
                query: asked.query.clone(),
                manual: asked.manual.clone(),
                at: asked.at.unwrap_or(today),
                limit,
            })?;
            Some(results_view(index, &asked, &found, title_of))
        };
        Ok(SearchPage {
            site: Site::with_query(asked.query.clone()),
            manual: asked
                .manual
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            at: asked.at.map(|d| d.to_string()).unwrap_or_default(),
            manuals: manuals.to_vec(),
            message: asked.message,
            query: asked.query,
            results,
        })
    });
    let html = made
        .await
        .map_err(PageError::from)
        .and_then(|page| page.render().map_err(PageError::from));
    match html {
        Ok(html) => page_with_status(StatusCode::OK, html),
        Err(e) => e.into_response(),
    }
}
