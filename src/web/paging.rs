//! Long lists in the JSON API (a big manual's contents, a big release's notice): answered
//! a window at a time. `?limit=` entries (at most [`MAX_LIMIT`], the default) from
//! `?cursor=`, a cursor the previous answer gave as `next` (also in a `Link: rel="next"`
//! header); the last window's `next` is null. Windows of a release never move: `next`
//! names the release the first answer was read at.

use std::collections::HashMap;

use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::Value;

use super::WebError;
use super::http::param;

/// Entries in one answer, at most and by default.
pub const MAX_LIMIT: usize = 1000;

/// The entries one answer holds: `take` of them from the `skip`-th.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub skip: usize,
    pub take: usize,
}

impl Window {
    /// The window asked for of a list of `total` entries; a cursor this API did not give
    /// or a limit out of range is refused.
    pub fn of(params: &HashMap<String, String>, total: usize) -> Result<Window, WebError> {
        let take = match param(params, "limit") {
            None => MAX_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    WebError::bad_request(format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT}"
                    ))
                })?,
        };
        let skip = match param(params, "cursor") {
            None => 0,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0 && n < total && text == n.to_string())
                .ok_or_else(|| {
                    WebError::bad_request(format!(
                        "cursor {:?} is not one this list gave: start without a cursor and follow `next`",
                        text.chars().take(40).collect::<String>()
                    ))
                })?,
        };
        Ok(Window { skip, take })
    }

    /// The cursor of the window after this one, if there is one.
    pub fn next(&self, total: usize) -> Option<usize> {
        let end = self.skip + self.take;
        (end < total).then_some(end)
    }
}

/// The address of the next window: `path` with `query` (already chosen parameters, such as
/// the release) and the cursor and limit.
pub fn next_address(path: &str, query: &[(&str, &str)], cursor: usize, window: Window) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    for (name, value) in query {
        pairs.append_pair(name, value);
    }
    pairs.append_pair("cursor", &cursor.to_string());
    if window.take != MAX_LIMIT {
        pairs.append_pair("limit", &window.take.to_string());
    }
    format!("{path}?{}", pairs.finish())
}

/// Adds `total` and `next` to a JSON object answer.
pub fn add_window_fields(value: &mut Value, total: usize, next: Option<&str>) {
    if let Value::Object(fields) = value {
        fields.insert("total".into(), total.into());
        fields.insert("next".into(), next.map_or(Value::Null, |n| n.into()));
    }
}

/// Adds `Link: <next>; rel="next"` to an answer when there is a next window.
pub fn with_next_link(mut response: Response, next: Option<&str>) -> Response {
    if let Some(next) = next
        && let Ok(value) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
    {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn windows_follow_one_another_to_the_end() {
        let w = Window::of(&params(&[("limit", "2")]), 5).unwrap();
        assert_eq!(w, Window { skip: 0, take: 2 });
        assert_eq!(w.next(5), Some(2));
        let w = Window::of(&params(&[("limit", "2"), ("cursor", "4")]), 5).unwrap();
        assert_eq!(w.next(5), None);
        assert_eq!(Window::of(&params(&[]), 5).unwrap().take, MAX_LIMIT);
    }

    #[test]
    fn cursors_and_limits_not_given_are_refused() {
        for bad in [
            &[("cursor", "x")][..],
            &[("cursor", "0")],
            &[("cursor", "5")],
            &[("cursor", "-1")],
            &[("cursor", "+2")],
            &[("cursor", "02")],
            &[("limit", "0")],
            &[("limit", "1001")],
            &[("limit", "ten")],
        ] {
            assert!(Window::of(&params(bad), 5).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_next_address_keeps_the_release() {
        let w = Window { skip: 0, take: 2 };
        assert_eq!(
            next_address(
                "/api/v1/manuals/m/chapters",
                &[("release", "2024 04")],
                2,
                w
            ),
            "/api/v1/manuals/m/chapters?release=2024+04&cursor=2&limit=2"
        );
    }
}
