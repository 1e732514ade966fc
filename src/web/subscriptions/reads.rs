//! `/acknowledge`: the "I have read this change" link of a digest or immediate notice,
//! signed for one subscriber, chapter and release. Opening it (`GET`, as mail scanners do)
//! shows the change and one button and records nothing; the button (`POST` to the same
//! address) records the reading once, and a second press says it was recorded already.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{failed, gone_link, private};
use crate::app::ChangeToRead;
use crate::db::{Change, Reading};
use crate::web::http::page_with_status;
use crate::web::site::Site;
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "pages/acknowledge.html")]
struct AcknowledgePage {
    site: Site,
    heading: &'static str,
    change: ChangeToRead,
    /// What the page says of the reading: recorded now, or when it was recorded before.
    said: Option<String>,
    /// The button's action, while nothing is recorded.
    action: Option<String>,
}

/// The link's four parts: manual, release, chapter and token.
struct Link {
    manual: String,
    release: String,
    chapter: String,
    token: String,
}

impl Link {
    fn of(params: &HashMap<String, String>) -> Link {
        let get = |k: &str| {
            params
                .get(k)
                .map(|v| v.chars().take(200).collect())
                .unwrap_or_default()
        };
        Link {
            manual: get("manual"),
            release: get("release"),
            chapter: get("chapter"),
            token: get("token"),
        }
    }

    fn change(&self) -> Change<'_> {
        Change {
            manual: &self.manual,
            release: &self.release,
            chapter: &self.chapter,
        }
    }

    /// The address the page's button posts to: this link again.
    fn action(&self) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("manual", &self.manual)
            .append_pair("release", &self.release)
            .append_pair("chapter", &self.chapter)
            .append_pair("token", &self.token)
            .finish();
        format!("/acknowledge?{query}")
    }
}

type Params = Query<HashMap<String, String>>;

/// `GET /acknowledge`: the change and the button; nothing is recorded.
pub(super) async fn page(State(state): State<AppState>, Query(params): Params) -> Response {
    answer(&state, Link::of(&params), false).await
}

/// `POST /acknowledge`: records the reading, once.
pub(super) async fn record(State(state): State<AppState>, Query(params): Params) -> Response {
    answer(&state, Link::of(&params), true).await
}

async fn answer(state: &AppState, link: Link, press: bool) -> Response {
    let found = state
        .run_raw(
            move |app| -> Result<Option<(Link, ChangeToRead, Reading)>, WebError> {
                let db = app.db()?;
                // A link we never made (or of an ended subscription) is told apart from a
                // change that is not in the release before anything else is looked up.
                let reading = db.reading(&link.token, &link.change())?;
                if reading == Reading::Unknown {
                    return Ok(None);
                }
                let change = app.change_to_read(&link.manual, &link.release, &link.chapter)?;
                let reading = if press {
                    db.acknowledge(&link.token, &link.change())?
                } else {
                    reading
                };
                Ok(Some((link, change, reading)))
            },
        )
        .await;
    let (link, change, reading) = match found {
        Ok(Ok(Some(found))) => found,
        Ok(Ok(None)) => return gone_link(),
        Ok(Err(e)) | Err(e) => return failed(e),
    };
    let page = match reading {
        Reading::Unknown => return gone_link(),
        Reading::Open(_) if press => {
            metrics::counter!("chapterhouse_reads_confirmed_total").increment(1);
            AcknowledgePage {
                site: Site::plain(),
                heading: "Thank you: your reading is recorded",
                change,
                said: Some("Your partnership can now see that you have read this change.".into()),
                action: None,
            }
        }
        Reading::Open(_) => AcknowledgePage {
            site: Site::plain(),
            heading: "Confirm that you have read this change",
            change,
            said: None,
            action: Some(link.action()),
        },
        Reading::Recorded(_, at) => AcknowledgePage {
            site: Site::plain(),
            heading: "Your reading was recorded already",
            change,
            said: Some(format!(
                "You confirmed reading this change on {}. Nothing more is needed.",
                when(&at)
            )),
            action: None,
        },
    };
    match page.render() {
        Ok(html) => private(page_with_status(StatusCode::OK, html)),
        Err(e) => failed(WebError::internal(e.to_string())),
    }
}

/// "3 May 2024 at 09:12 UTC" from a stored RFC 3339 time.
fn when(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at).map_or_else(
        |_| at.to_owned(),
        |t| t.to_utc().format("%-d %B %Y at %H:%M UTC").to_string(),
    )
}
