//! Where a subcommand reads the log: the data directory itself, or the
//! server that holds it.

use std::path::Path;
use std::time::Duration;

use leadline_storage::{LogError, SledLog, SledOptions};

use super::output::Failure;
use super::remote::Remote;

pub use crate::config::{DataArgs, ServerArgs};

impl ServerArgs {
    /// The key given, if any. Surrounding whitespace (a key pasted from
    /// a file with its newline) is dropped, and an empty key counts as none.
    pub fn key(&self) -> Option<String> {
        let given = |key: String| Some(key.trim().to_owned()).filter(|k| !k.is_empty());
        self.key
            .clone()
            .and_then(given)
            .or_else(|| self.admin_key.clone().and_then(given))
    }

    /// The server, when a key was given.
    pub fn remote(&self, timeout: Duration) -> Result<Option<Remote>, Failure> {
        self.key()
            .map(|key| Remote::new(&self.url, &key, timeout))
            .transpose()
    }
}

/// Where the log is read from.
pub enum Source {
    /// The data directory, opened by this process.
    Local(SledLog),
    /// A server holds the directory (or it is not here), and a key was given.
    Server(Remote),
}

/// sled's data file: a directory without it holds no log.
fn holds_a_log(dir: &Path) -> bool {
    dir.join("db").is_file()
}

/// Opens the data directory, or falls back on the server when one holds
/// it and a key was given. `timeout` bounds each request to the server.
pub fn open(data: &DataArgs, server: &ServerArgs, timeout: Duration) -> Result<Source, Failure> {
    let dir = &data.data;
    if !holds_a_log(dir) {
        // Asking a server elsewhere is what --url and --key are for.
        if let Some(remote) = server.remote(timeout)? {
            return Ok(Source::Server(remote));
        }
        return Err(format!(
            "there is no Leadline log in {}; pass --data (or set LEADLINE_DATA) to the \
             directory `leadline serve` uses, or --url and --key to ask a running server",
            dir.display()
        )
        .into());
    }
    match SledLog::open(dir, SledOptions::default()) {
        Ok(log) => Ok(Source::Local(log)),
        Err(LogError::Locked { .. }) => match server.remote(timeout)? {
            Some(remote) => {
                eprintln!(
                    "{} is held by a running server; asking it at {}",
                    dir.display(),
                    remote.url()
                );
                Ok(Source::Server(remote))
            }
            None => Err(held_by_a_server(dir).into()),
        },
        Err(e) => Err(format!("cannot open the log in {}: {e}", dir.display()).into()),
    }
}

fn held_by_a_server(dir: &Path) -> String {
    format!(
        "the data directory {} is held by a server (a running `leadline serve`), and only one \
         process can open it; pass --url and --key (or set LEADLINE_URL and LEADLINE_API_KEY) \
         to ask that server, or stop the server",
        dir.display()
    )
}

/// Closes a log this process opened, making sure nothing is left queued.
pub fn close(log: SledLog) -> Result<(), Failure> {
    log.close()
        .map_err(|e| Failure::Message(format!("closing the log: {e}")))
}
