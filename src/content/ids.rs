//! Identifier newtypes: manual ids, chapter ids and release names, valid by construction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not valid: {rule}")]
pub struct InvalidId {
    what: &'static str,
    value: String,
    rule: &'static str,
}

const MAX_ID_LEN: usize = 100;

/// The refusal of `value`, quoted (and cut) for a message.
fn refusal(what: &'static str, value: &str, rule: &'static str) -> Result<(), InvalidId> {
    Err(InvalidId {
        what,
        value: value.chars().take(120).collect(),
        rule,
    })
}

fn check_slug(what: &'static str, value: &str) -> Result<(), InvalidId> {
    let refuse = |rule| refusal(what, value, rule);
    if value.is_empty() {
        return refuse("it is empty");
    }
    if value.len() > MAX_ID_LEN {
        return refuse("it is longer than 100 characters");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return refuse("use only lower-case letters a-z, digits 0-9 and '-'");
    }
    if value.starts_with('-') {
        return refuse("it must start with a letter or a digit");
    }
    Ok(())
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                $check($what, s)?;
                Ok(Self(s.to_owned()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                $check($what, &s)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

slug_type!(
    /// A manual's id: its top-level folder in the store (`children`, `adults`).
    ManualId,
    "manual id",
    check_slug
);
slug_type!(
    /// A chapter's id, unique within a manual (`section-47-enquiries`).
    ChapterId,
    "chapter id",
    check_slug
);
slug_type!(
    /// A release's name (`2024-04`): `[A-Za-z0-9._-]+`, not starting with `.` or `-`, usable
    /// in a git tag name and on a command line.
    ReleaseName,
    "release name",
    check_release_name
);

fn check_release_name(what: &'static str, value: &str) -> Result<(), InvalidId> {
    let refuse = |rule| refusal(what, value, rule);
    if value.is_empty() {
        return refuse("it is empty");
    }
    if value.len() > 64 {
        return refuse("it is longer than 64 characters");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return refuse("use only letters, digits, '.', '_' and '-'");
    }
    // A name starting with '-' reads as an option on any command line it is given to.
    if value.starts_with('-') {
        return refuse("it may not start with '-'");
    }
    // What git refuses in a tag name, refused here with a clearer message.
    if value.starts_with('.') || value.contains("..") || value.ends_with(".lock") {
        return refuse("it may not start with '.', contain '..' or end with '.lock'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapter_ids_accept_slugs_and_refuse_path_tricks() {
        assert!("section-47-enquiries".parse::<ChapterId>().is_ok());
        for bad in ["", "../etc", "a/b", "Upper", "with space", "dot.md", "é"] {
            assert!(bad.parse::<ChapterId>().is_err(), "{bad:?} accepted");
        }
        assert!("x".repeat(101).parse::<ChapterId>().is_err());
    }

    #[test]
    fn ids_start_with_a_letter_or_a_digit() {
        for good in ["a", "7", "3-strategy", "a-", "a--b", "2024"] {
            assert!(good.parse::<ChapterId>().is_ok(), "{good:?} refused");
            assert!(good.parse::<ManualId>().is_ok(), "{good:?} refused");
        }
        for bad in ["-", "-x", "--", "-1"] {
            let err = bad.parse::<ChapterId>().unwrap_err().to_string();
            assert!(err.contains("must start with a letter or a digit"), "{err}");
            assert!(bad.parse::<ManualId>().is_err(), "{bad:?} accepted");
            assert!(bad.parse::<ReleaseName>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn release_names_follow_the_tag_rules() {
        for good in [
            "2024-04",
            "v1.2",
            "spring_2024",
            "2024-04-rc1",
            "_x",
            "2024-",
        ] {
            assert!(good.parse::<ReleaseName>().is_ok(), "{good:?} refused");
        }
        for bad in [
            "", ".hidden", "a..b", "x.lock", "a/b", "a b", "2024:04", "~1",
        ] {
            assert!(bad.parse::<ReleaseName>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn error_names_the_rule() {
        let err = "../x".parse::<ChapterId>().unwrap_err().to_string();
        assert!(err.contains("chapter id \"../x\""), "{err}");
        assert!(err.contains("lower-case"), "{err}");
    }
}
