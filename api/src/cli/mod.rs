//! The admin and auditor subcommands.
//!
//! `history`, `rebuild`, `verify`, `export` and `audit compliance` read the data directory
//! directly when no server holds it: sled admits one process per directory,
//! so while `leadline serve` runs they ask that server over HTTP instead
//! (given a key), or say plainly that a server holds the directory. `import`
//! always goes through a running server, because only the server decides
//! imports against the live read models (duplicates, do-not-call).
//!
//! Every subcommand writes its results to stdout and nothing else there, so
//! that `--json` output can be piped; progress bars and notes go to stderr.

mod audit;
pub mod demo;
mod export;
mod history;
mod import;
mod output;
mod rebuild;
mod remote;
mod source;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use source::{DataArgs, ServerArgs};

#[derive(clap::Args)]
#[command(after_help = "\
The server answers with the import report: rows imported, duplicates, \
numbers on the do-not-call list, and each invalid row with its number \
(counted from 1 after the header) and the reason.")]
pub struct ImportArgs {
    /// The campaign to import into (`c_<32 hex>`).
    #[arg(long, value_name = "ID")]
    pub campaign: String,
    /// The CSV file: a header row with `phone` (required), and optionally
    /// `name`, `priority`, `timezone`; other columns are kept as fields.
    pub file: PathBuf,
    /// Print the server's report as JSON instead of lines of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(clap::Args)]
#[command(after_help = "\
Reads the data directory directly; while a server holds it, asks that \
server instead when a key is given (--key or LEADLINE_API_KEY).")]
pub struct HistoryArgs {
    /// The lead id (`l_<32 hex>`).
    pub lead: String,
    /// Show the lead as it was at this time (RFC 3339, e.g.
    /// 2026-11-21T09:30:00+05:30) instead of its events.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// One JSON object per event (or the lead's state) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(clap::Args)]
#[command(after_help = "\
Offline, this folds the whole log into fresh read models, proving that it \
folds, records the position reached under the read model's checkpoint and \
reports the speed; a server rebuilds its read models from the log on every \
start anyway. While a server holds the data directory, asks it to rebuild \
its live read models (needs the admin key).")]
pub struct RebuildArgs {
    /// The projection to rebuild. Today every read model folds together,
    /// as one projection named `read-model`.
    #[arg(long, value_name = "NAME")]
    pub projection: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(clap::Args)]
#[command(after_help = "\
Report only: changes nothing. Checks the log (positions, checksums, the hash \
chain, the stream and id indexes, the stored head), then folds it and checks \
each campaign's counters against a recount of its leads, that its status \
breakdown sums to its total, and lists events that did not fit the state \
they were folded into. Exit code 0 when clean, 1 when any problem is found. \
While a server holds the data directory, asks it (needs the admin key).")]
pub struct VerifyArgs {
    /// Check only this campaign's read models (`c_<32 hex>`); the log is
    /// always checked whole.
    #[arg(long, value_name = "ID")]
    pub campaign: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(clap::Args)]
#[command(after_help = "\
Each line: {\"position\", \"stream\", \"stream_version\", \"type\", \"at\", \
\"actor\", \"correlation_id\", \"causation_id\", \"data\"}, where `data` is \
the event itself. While a server holds the data directory, pages through \
its /api/v1/events (the admin key exports everything, a user's key only \
that user's streams).")]
pub struct ExportArgs {
    /// Export only events after this log position.
    #[arg(long, value_name = "POS", default_value_t = 0)]
    pub after: u64,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// A campaign's compliance report: every call in a time range judged
    /// against every calling rule in force when it was placed.
    Compliance(ComplianceArgs),
}

#[derive(clap::Args)]
#[command(after_help = "\
Verifies the log first, then judges every call of the campaign dialed in \
[--from, --to) against each rule that applied to it when it was placed: \
campaign_window, holiday, jurisdiction_hours, local_hours, dnc, \
max_attempts, contact_cap, jurisdiction_cap, abandoned_hold, \
debt_collection, calls_in_flight. The checker folds its own state from the \
log; it does not ask the engine's own eligibility. The report ends with the \
log position checked through and the log's hash there. \
Exit code 0 when the log verified and no call broke a rule, 3 when any \
did (or the log did not verify), 1 on an error. Reads the data directory \
directly; while a server holds it, asks that server instead when a key is \
given (--key or LEADLINE_API_KEY).")]
pub struct ComplianceArgs {
    /// The campaign (`c_<32 hex>`).
    #[arg(long, value_name = "ID")]
    pub campaign: String,
    /// Judge calls dialed at or after this time (RFC 3339, e.g.
    /// 2026-11-23T00:00:00-05:00).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Judge calls dialed before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// A rules file (JSON, `{"rules": [...]}`, see the README's
    /// "Compliance report") replacing the built-in jurisdiction table.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Also check calls in flight across all users against this limit
    /// (the server's --system-concurrent-calls, which the log does not
    /// hold); not checked when absent.
    #[arg(long, value_name = "N")]
    pub system_concurrent_calls: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn audit(command: AuditCommand) -> Result<ExitCode, String> {
    match command {
        AuditCommand::Compliance(args) => output::finish(audit::run(args)),
    }
}

pub fn import(args: ImportArgs) -> Result<ExitCode, String> {
    output::finish(import::run(args))
}

pub fn history(args: HistoryArgs) -> Result<ExitCode, String> {
    output::finish(history::run(args))
}

pub fn rebuild(args: RebuildArgs) -> Result<ExitCode, String> {
    output::finish(rebuild::run(args))
}

pub fn verify(args: VerifyArgs) -> Result<ExitCode, String> {
    output::finish(verify::run(args))
}

pub fn export(args: ExportArgs) -> Result<ExitCode, String> {
    output::finish(export::run(args))
}
