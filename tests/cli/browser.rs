//! Pages in a real browser: headless Chromium driven over WebDriver (chromedriver).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the tests say loudly that they were skipped — and fail under CI, where they must be
//! present.

pub mod driver;
mod reading;
