//! Pages in a real browser: headless Chromium driven over WebDriver (chromedriver), with
//! axe-core checking every page type — practitioners' and editors' — for accessibility
//! problems, and editors working in the workspace in several sessions at once.
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core from
//! `npm ci --prefix tests/browser` (`.ci/run` installs all three). Without them the tests say
//! loudly what they skipped — and fail under CI, where everything must be present.

pub mod axe;
pub mod desk;
pub mod driver;
mod every_desk_page;
mod every_page;
mod reading;
mod workspace;
