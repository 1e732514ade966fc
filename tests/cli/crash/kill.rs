//! Killing the real binary at random moments: the seeded dice that choose the moments, how
//! many kills a test makes, and a command run to its end or killed with SIGKILL.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Workspace;

/// SIGKILL's number on every Unix.
const SIGKILL: i32 = 9;

/// Kills per command, unless `CHAPTERHOUSE_CRASH_RUNS` says otherwise (for long runs).
pub fn runs() -> usize {
    std::env::var("CHAPTERHOUSE_CRASH_RUNS")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(30)
}

/// The random moments and words of one test, from a seed it prints so that a failure can
/// be repeated with `CHAPTERHOUSE_CRASH_SEED`.
pub struct Dice {
    rng: fastrand::Rng,
}

impl Dice {
    /// Dice for the test `name`: the seed is `CHAPTERHOUSE_CRASH_SEED` or the clock's, and
    /// each test draws its own sequence from it.
    pub fn new(name: &str) -> Dice {
        let seed = std::env::var("CHAPTERHOUSE_CRASH_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64 % 1_000_000_000)
            });
        eprintln!(
            "crash test {name}: seed {seed}, {} runs (CHAPTERHOUSE_CRASH_SEED={seed} repeats it)",
            runs()
        );
        let salt = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        Dice {
            rng: fastrand::Rng::with_seed(seed ^ salt),
        }
    }

    /// A moment in `[0, typical]`: every other one in its first quarter, where processes
    /// start and refs move (the rest of a write is mostly the search index's).
    pub fn moment(&mut self, typical: Duration) -> Duration {
        let mut micros = typical.as_micros() as u64;
        if self.rng.bool() {
            micros /= 4;
        }
        Duration::from_micros(self.rng.u64(0..=micros))
    }

    /// A made-up word of ten letters: no two words of a test are near enough for the
    /// search's typo tolerance to take one for another.
    pub fn word(&mut self) -> String {
        (0..10).map(|_| self.rng.lowercase()).collect()
    }
}

/// `chapterhouse --config <ws config> --data <ws data> ARGS...`, its output captured.
pub fn command(ws: &Workspace, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chapterhouse"));
    command
        .arg("--config")
        .arg(&ws.config)
        .arg("--data")
        .arg(&ws.data)
        .args(args)
        .env_remove("CHAPTERHOUSE_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs a command to its end, which must be a success; returns how long it took.
#[track_caller]
pub fn timed(mut command: Command) -> Duration {
    let started = Instant::now();
    let out = command.output().unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// Starts a command and kills it with SIGKILL `after` its start, unless it finished
/// first, in which case it must have succeeded. True when it was killed.
#[track_caller]
pub fn kill_after(mut command: Command, after: Duration) -> bool {
    let mut child = command.spawn().unwrap();
    std::thread::sleep(after);
    // `kill` on a child that has exited but not been waited for is harmless.
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let killed = output.status.signal() == Some(SIGKILL);
    assert!(
        killed || output.status.success(),
        "{command:?} failed before it was killed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    killed
}

/// Copies a folder and everything under it (a data folder no process has open).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// What a series of kills came to, printed at the end of a test.
#[derive(Default)]
pub struct Tally {
    pub killed: usize,
    pub finished: usize,
    /// Kills after which the operation's result was there (a release, a sent digest).
    pub landed: usize,
    /// Kills that left a new revision on main without its release.
    pub untagged: usize,
    /// Kills that left git lock files behind (for the next write to clear).
    pub locks_left: usize,
}

impl Tally {
    pub fn count(&mut self, killed: bool) {
        if killed {
            self.killed += 1;
        } else {
            self.finished += 1;
        }
    }

    pub fn report(&self, name: &str, typical: Duration, started: Instant) {
        eprintln!(
            "crash test {name}: typical run {typical:?}; {} killed, {} finished first; {} landed, {} left main moved but untagged, {} left git locks; {:?} in all",
            self.killed,
            self.finished,
            self.landed,
            self.untagged,
            self.locks_left,
            started.elapsed()
        );
    }
}
