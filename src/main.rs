//! The `chapterhouse` command: parse arguments, load config, call the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    chapterhouse::cli::main()
}
