//! Why the application refused a request. Nothing is written when one of these is returned;
//! the web layer maps each to a status in one place.

use chrono::NaiveDate;

use crate::content::{ContentError, ManualId, ReleaseName};
use crate::db::DbError;
use crate::search::SearchError;
use crate::store::StoreError;

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Refused(String),
    #[error("this instance is a read replica (store.follow): changes are made on the writer")]
    Replica,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("unknown manual {0:?}")]
    UnknownManual(String),
    #[error("manual {0} has no releases yet")]
    NoReleases(ManualId),
    #[error(
        "nothing to report: release {name} of {manual} would change no chapter since release {since}"
    )]
    NothingToReport {
        manual: ManualId,
        name: ReleaseName,
        since: ReleaseName,
    },
    #[error(
        "release {name} is dated {date}, before the latest release {latest} ({latest_date}); releases are published in date order"
    )]
    DateBeforeLatest {
        name: ReleaseName,
        date: NaiveDate,
        latest: ReleaseName,
        latest_date: NaiveDate,
    },
    #[error(
        "the draft of {manual} changed since this release was proposed; it must be proposed and approved again"
    )]
    DraftMoved { manual: ManualId },
    #[error("{file}: {reason}")]
    Notes { file: String, reason: String },
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no release of {manual} was in force on {day}")]
    NothingInForce { manual: ManualId, day: NaiveDate },
    #[error("manual {manual} has no chapter {id:?} in release {release}")]
    UnknownChapter {
        manual: ManualId,
        id: String,
        release: ReleaseName,
    },
}

impl From<crate::db::SubscriberError> for AppError {
    fn from(e: crate::db::SubscriberError) -> AppError {
        use crate::db::SubscriberError;
        match e {
            SubscriberError::Db(e) => AppError::Db(e),
            SubscriberError::Invalid(m) | SubscriberError::Unknown(m) => AppError::Refused(m),
        }
    }
}
