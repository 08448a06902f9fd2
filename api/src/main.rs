//! `leadline`: the server and the admin/auditor CLI.

use leadline::config::{Cli, Command};
use leadline::{cli, server};

fn main() -> std::process::ExitCode {
    let cli = Cli::read();
    let result = match cli.command {
        Command::Serve(args) => server::serve(*args),
        Command::Demo(args) => cli::demo::demo(args),
        Command::Import(args) => cli::import(args),
        Command::History(args) => cli::history(args),
        Command::Rebuild(args) => cli::rebuild(args),
        Command::Verify(args) => cli::verify(args),
        Command::Export(args) => cli::export(args),
        Command::Audit(command) => cli::audit(command),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("leadline: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
