//! One polite request to a provider: a conditional `GET` (`If-Modified-Since` when the
//! provider gave a `Last-Modified`), its answer read up to a size cap, or only as far as
//! the caller needs (the connection is then dropped, the rest never read).

use crate::db::SourceAnswer;

/// What a provider answered: the body read, and its `Last-Modified`.
pub struct Fetched {
    pub body: Vec<u8>,
    pub last_modified: Option<String>,
}

/// Asks `url` and reads its answer until `enough` says the body read so far suffices, or
/// to its end. An answer that is not a success, is longer than `max` bytes before it was
/// enough, or breaks off comes back as the [`SourceAnswer`] to record (a 304 as
/// [`SourceAnswer::NotModified`]).
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    accept: &str,
    last_modified: Option<&str>,
    max: usize,
    enough: impl Fn(&[u8]) -> bool,
) -> Result<Fetched, SourceAnswer> {
    let mut request = client.get(url).header(reqwest::header::ACCEPT, accept);
    if let Some(since) = last_modified {
        request = request.header(reqwest::header::IF_MODIFIED_SINCE, since);
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| SourceAnswer::Failed(format!("no answer: {e}")))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Err(SourceAnswer::NotModified);
    }
    if !status.is_success() {
        return Err(SourceAnswer::Failed(format!("HTTP {}", status.as_u16())));
    }
    let last_modified = response
        .headers()
        .get(reqwest::header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let too_large = || SourceAnswer::Failed("the answer is too large".into());
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if enough(&body) {
                    break;
                }
                if body.len() > max {
                    return Err(too_large());
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(SourceAnswer::Failed(format!("the answer broke off: {e}")));
            }
        }
    }
    Ok(Fetched {
        body,
        last_modified,
    })
}
