//! The admin and auditor subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The campaign to import into.
    #[arg(long)]
    pub campaign: String,
    /// The CSV file.
    pub file: PathBuf,
}

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// The lead id.
    pub lead: String,
}

#[derive(clap::Args)]
pub struct RebuildArgs {}

#[derive(clap::Args)]
pub struct VerifyArgs {}

#[derive(clap::Args)]
pub struct ExportArgs {}

pub fn import(_args: ImportArgs) -> Result<ExitCode, String> {
    Err("import is not available yet".into())
}

pub fn history(_args: HistoryArgs) -> Result<ExitCode, String> {
    Err("history is not available yet".into())
}

pub fn rebuild(_args: RebuildArgs) -> Result<ExitCode, String> {
    Err("rebuild is not available yet".into())
}

pub fn verify(_args: VerifyArgs) -> Result<ExitCode, String> {
    Err("verify is not available yet".into())
}

pub fn export(_args: ExportArgs) -> Result<ExitCode, String> {
    Err("export is not available yet".into())
}
