//! A calendar month: what one monthly digest covers, and how it is named.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A calendar month: what one monthly digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    year: i32,
    month: u32,
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Period, String> {
        let bad = || format!("{s:?} is not a period: write it as YYYY-MM, e.g. 2024-04");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Period { year, month })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Period {
    pub fn of(day: NaiveDate) -> Period {
        Period {
            year: day.year(),
            month: day.month(),
        }
    }

    /// The month before the one `day` is in: what a run on `day` covers.
    pub fn before(day: NaiveDate) -> Period {
        Period::of(Period::of(day).first_day() - chrono::Duration::days(1))
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a period is a real month")
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        Period::of(day) == self
    }

    /// "April 2024"
    pub fn name(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_is_written_yyyy_mm_and_anything_else_is_refused() {
        let april: Period = "2024-04".parse().unwrap();
        assert_eq!(april.to_string(), "2024-04");
        assert_eq!(april.name(), "April 2024");
        assert_eq!(april.first_day(), day("2024-04-01"));
        for bad in ["", "2024", "2024-4", "24-04", "2024-13", "2024-00", "april"] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_run_covers_the_month_before() {
        assert_eq!(
            Period::before(day("2024-05-01")),
            "2024-04".parse().unwrap()
        );
        assert_eq!(
            Period::before(day("2024-01-15")),
            "2023-12".parse().unwrap()
        );
        let april: Period = "2024-04".parse().unwrap();
        assert!(april.contains(day("2024-04-30")));
        assert!(!april.contains(day("2024-05-01")));
    }
}
