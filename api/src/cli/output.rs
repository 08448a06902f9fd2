//! How the subcommands end and write to stdout.
//!
//! Output goes through one buffered writer on a locked stdout, and a
//! closed pipe (`leadline export | head`) is not an error: the reader has
//! what it wanted, so the command stops quietly with exit code 0.

use std::fmt;
use std::io::{self, BufWriter, StdoutLock, Write};
use std::process::ExitCode;

use serde::Serialize;

/// Why a subcommand stopped early.
pub enum Failure {
    /// Something the user can act on; printed as `leadline: message`.
    Message(String),
    /// Whoever read stdout closed it.
    ClosedPipe,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Message(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Message(message.to_owned())
    }
}

pub type Outcome = Result<ExitCode, Failure>;

/// What `main` expects: a closed pipe ends the command successfully.
pub fn finish(outcome: Outcome) -> Result<ExitCode, String> {
    match outcome {
        Ok(code) => Ok(code),
        Err(Failure::ClosedPipe) => Ok(ExitCode::SUCCESS),
        Err(Failure::Message(message)) => Err(message),
    }
}

fn write_failed(error: io::Error) -> Failure {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Failure::ClosedPipe
    } else {
        Failure::Message(format!("cannot write to standard output: {error}"))
    }
}

/// Buffered standard output.
pub struct Out {
    writer: BufWriter<StdoutLock<'static>>,
    /// One JSON line is built here first, so that a serialisation error
    /// is never confused with a write error.
    scratch: Vec<u8>,
}

impl Out {
    pub fn new() -> Self {
        Out {
            writer: BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
            scratch: Vec::new(),
        }
    }

    /// Writes one line of text.
    pub fn line(&mut self, text: fmt::Arguments<'_>) -> Result<(), Failure> {
        self.writer.write_fmt(text).map_err(write_failed)?;
        self.writer.write_all(b"\n").map_err(write_failed)
    }

    /// Writes `value` as one line of compact JSON.
    pub fn json_line(&mut self, value: &impl Serialize) -> Result<(), Failure> {
        self.scratch.clear();
        serde_json::to_writer(&mut self.scratch, value)
            .map_err(|e| Failure::Message(format!("cannot write JSON: {e}")))?;
        self.scratch.push(b'\n');
        self.writer.write_all(&self.scratch).map_err(write_failed)
    }

    /// Writes `value` as indented JSON.
    pub fn json_pretty(&mut self, value: &impl Serialize) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::Message(format!("cannot write JSON: {e}")))?;
        self.line(format_args!("{text}"))
    }

    /// Flushes what is buffered; everything written must pass through
    /// here, because a `BufWriter` dropped unflushed loses its errors.
    pub fn flush(&mut self) -> Result<(), Failure> {
        self.writer.flush().map_err(write_failed)
    }
}

/// Compact JSON text of a value, for one field of a text line.
pub fn compact_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("<not JSON: {e}>"))
}
