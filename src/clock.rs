//! The one clock: "now", "today" and the partnership's time zone. Nothing else in
//! chapterhouse reads the wall clock, so what is current, scheduled, due or expired is
//! decided against a value that tests (and rehearsals) can set.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

/// Where the clock's time comes from.
#[derive(Debug)]
enum Source {
    /// The system's wall clock.
    System,
    /// A set instant that runs on in real time from when it was set (`clock.now`, tests).
    Set { at: DateTime<Utc>, since: Instant },
}

/// "Now" and the time zone "today" is reckoned in. Cheap to clone: clones share one
/// clock, so setting the time on one sets it for all.
#[derive(Debug, Clone)]
pub struct Clock {
    source: Arc<Mutex<Source>>,
    zone: Tz,
}

impl Clock {
    /// The system clock, read in `zone`.
    pub fn system(zone: Tz) -> Clock {
        Clock {
            source: Arc::new(Mutex::new(Source::System)),
            zone,
        }
    }

    /// A clock that starts at `at` and runs on from there.
    pub fn starting_at(at: DateTime<Utc>, zone: Tz) -> Clock {
        let clock = Clock::system(zone);
        clock.set(at);
        clock
    }

    /// The clock a configuration asks for: the system's, or one starting at `clock.now`.
    pub fn from_config(config: &crate::config::Config) -> Result<Clock, String> {
        let zone: Tz = config.digest.timezone.parse().map_err(|_| {
            format!(
                "digest.timezone {:?} is not a time zone (an IANA name such as Europe/London)",
                config.digest.timezone
            )
        })?;
        match config.clock.now.as_deref().map(str::trim) {
            None | Some("") => Ok(Clock::system(zone)),
            Some(text) => Ok(Clock::starting_at(parse_instant(text, zone)?, zone)),
        }
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.source.lock().unwrap_or_else(|p| p.into_inner()) {
            Source::System => Utc::now(),
            Source::Set { at, since } => {
                *at + TimeDelta::from_std(since.elapsed()).unwrap_or(TimeDelta::zero())
            }
        }
    }

    /// The current instant in the partnership's zone.
    pub fn local_now(&self) -> DateTime<Tz> {
        self.now().with_timezone(&self.zone)
    }

    /// Today's date in the partnership's zone: what "current" and "due" are reckoned by.
    pub fn today(&self) -> NaiveDate {
        self.local_now().date_naive()
    }

    /// The zone "today" and the digest schedule are read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Sets the clock to `at`; it runs on from there.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.source.lock().unwrap_or_else(|p| p.into_inner()) = Source::Set {
            at,
            since: Instant::now(),
        };
    }

    /// Moves the clock on (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        self.set(self.now() + by);
    }
}

/// Reads `YYYY-MM-DD` (midnight in `zone`) or an RFC 3339 instant.
fn parse_instant(text: &str, zone: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let day = crate::content::parse_date(text)
        .map_err(|_| format!("clock.now {text:?} is neither YYYY-MM-DD nor an RFC 3339 time"))?;
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(zone).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("clock.now {text:?} does not exist in {zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_gives_that_day_in_its_zone_and_runs_on() {
        let london: Tz = "Europe/London".parse().unwrap();
        // 23:30 UTC in summer is already tomorrow in London.
        let clock = Clock::starting_at("2024-06-30T23:30:00Z".parse().unwrap(), london);
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2024, 7, 1).unwrap());
        let before = clock.now();
        clock.advance(TimeDelta::days(31));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2024, 8, 1).unwrap());
        assert!(clock.now() >= before + TimeDelta::days(31));
        let shared = clock.clone();
        shared.set("2025-01-01T12:00:00Z".parse().unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    }

    #[test]
    fn a_date_means_midnight_in_the_zone() {
        let london: Tz = "Europe/London".parse().unwrap();
        let at = parse_instant("2024-07-01", london).unwrap();
        assert_eq!(at.to_rfc3339(), "2024-06-30T23:00:00+00:00");
        assert!(parse_instant("yesterday", london).is_err());
    }
}
