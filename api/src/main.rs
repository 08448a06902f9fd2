//! `leadline`: the server and the admin/auditor CLI.

use clap::{Parser, Subcommand};
use leadline::{cli, server};

#[derive(Parser)]
#[command(
    name = "leadline",
    version,
    about = "Leadline: an event-sourced outbound calling engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server on the embedded sled log.
    Serve(server::ServeArgs),
    /// Run a server with a sample campaign calling on the simulator.
    Demo(cli::demo::DemoArgs),
    /// Import a CSV file of leads into a campaign through a running server.
    Import(cli::ImportArgs),
    /// Show a lead's history (every event), or the lead as it was at a time.
    History(cli::HistoryArgs),
    /// Rebuild the read models from the log and report the speed.
    Rebuild(cli::RebuildArgs),
    /// Check the log and the read models; exit code 1 when problems are found.
    Verify(cli::VerifyArgs),
    /// Export the log as JSON lines.
    Export(cli::ExportArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => server::serve(args),
        Command::Demo(args) => cli::demo::demo(args),
        Command::Import(args) => cli::import(args),
        Command::History(args) => cli::history(args),
        Command::Rebuild(args) => cli::rebuild(args),
        Command::Verify(args) => cli::verify(args),
        Command::Export(args) => cli::export(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("leadline: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
