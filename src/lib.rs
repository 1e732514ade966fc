//! chapterhouse: multi-agency safeguarding procedure manuals kept in git. Editors publish
//! releases; the difference between two releases is summarised, section by section, into
//! the "Updated / New / Removed chapters" notice that partnerships print in newsletters.
//!
//! [`content`] is the file format, [`store`] the git repository, [`diff`] the release diff,
//! [`notice`] its renderings, and [`app`] the rules that tie them together.

pub mod app;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod db;
pub mod diff;
pub mod digest;
pub mod mail;
pub mod notice;
pub mod parallel;
#[cfg(test)]
mod props;
pub mod sample;
pub mod search;
pub mod sources;
pub mod startup;
pub mod store;
pub mod tokens;
pub mod web;
pub mod weighed;
