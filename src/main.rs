//! The `chapterhouse` command: builds the one runtime and runs the command line on it.

use std::process::ExitCode;

/// jemalloc gives memory back when it is freed, whichever thread held it: the threads a
/// publish's index writer starts and ends would otherwise leave glibc's per-thread arenas
/// holding what they used, and a server's memory would grow with every release.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(chapterhouse::cli::main())
}
