//! Following the store: releases made by other processes (an import, plain git) reach
//! the running server's pages and search index.

use std::time::Duration;

use super::AppState;

/// How often the store is looked at for releases made by another process.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Looks at the store every [`LOOK_EVERY`]; when its releases changed on disk (a release
/// made by another process), lets current views go and catches the search index up. The
/// first look catches up too (releases made while the server started), and a catch-up
/// that failed is tried again at the next look. Runs while the server does.
pub async fn follow_store(state: AppState) {
    let mut seen = None;
    let mut index_behind = true;
    let mut last_failure = None;
    loop {
        tokio::select! {
            () = tokio::time::sleep(LOOK_EVERY) => {},
            () = state.look_now.notified() => {},
        }
        let Ok(now) = state.app.blocking(|app| app.store().releases_stamp()).await else {
            continue;
        };
        if seen.as_ref() != Some(&now) {
            // Only the manuals whose tags moved (all, when packed refs moved or this is
            // the first look).
            match seen
                .as_ref()
                .and_then(|earlier| now.changed_manuals(earlier))
            {
                Some(manuals) => state.pages.invalidate_manuals(&manuals),
                None => state.written(),
            }
            seen = Some(now);
            index_behind = true;
        }
        if !index_behind {
            continue;
        }
        let failure = match state.app.blocking(|app| app.follow_releases()).await {
            Ok(Ok(changed)) => {
                if changed {
                    // Pages made while the index was behind may list stale search hits.
                    state.pages.invalidate_site();
                }
                index_behind = false;
                None
            }
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(format!("the catch-up task failed: {e}")),
        };
        if failure.is_some() && failure != last_failure {
            let error = failure.as_deref().unwrap_or_default();
            tracing::error!(
                error,
                "the search index could not catch up with the store; trying again"
            );
        }
        last_failure = failure;
    }
}
