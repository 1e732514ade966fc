//! chapterhouse's integration tests: the real binary over temporary data folders. One test
//! binary, one module per capability.

mod abuse;
mod anywhere;
mod api;
mod backup;
mod bad_input;
mod browser;
// Kills with SIGKILL and reads signals from exit statuses.
#[cfg(unix)]
mod crash;
mod diff;
mod editors;
mod follow;
mod hostile;
mod import;
mod instances;
mod long_lists;
mod mail;
mod monitoring;
mod openapi;
mod pages;
mod reads;
mod releases;
mod replicas;
mod reviews;
mod sample;
mod search;
mod smtp_sink;
mod sources;
mod statement;
mod support;
mod workspace;
mod workspace_review;
