//! The `prasasti` command: parses the arguments and runs the library's [`prasasti::cli`].

use clap::Parser;
use prasasti::cli::{Cli, run};

/// mimalloc instead of the system's allocator: an append allocates and
/// frees many small buffers on several threads, and with glibc's allocator
/// that was a fifth of the server's CPU time (README, "Measured").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "prasasti=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
