//! Leadline's benchmark runner.
//!
//! `cargo run --release -p leadline-bench -- SUITE [--quick]` prints a table
//! and writes `target/bench/SUITE.json`. Every figure that has a target is
//! measured next to a baseline taken in the same run on the same machine.

mod alloc;
mod api;
mod dialer;
mod history;
mod projections;
mod report;
mod storage;

use clap::{Parser, ValueEnum};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

#[derive(Parser)]
#[command(name = "leadline-bench", about = "Leadline's benchmarks")]
struct Cli {
    /// The suite to run.
    suite: Suite,
    /// Smaller data sets and shorter runs (under a minute per suite).
    #[arg(long)]
    quick: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Suite {
    Storage,
    Projections,
    Dialer,
    Forecast,
    Api,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.suite {
        Suite::Storage => storage::run(cli.quick),
        Suite::Projections => projections::run(cli.quick),
        Suite::Dialer => dialer::run(cli.quick),
        Suite::Forecast => dialer::run_forecast(cli.quick),
        Suite::Api => api::run(cli.quick),
    };
    match result.and_then(|report| {
        report.print();
        report
            .write()
            .map_err(|e| format!("writing the report: {e}"))
    }) {
        Ok(path) => {
            println!("\nwritten to {}", path.display());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("leadline-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
