//! `leadline import`: streams a CSV file to a running server.

use std::fs::File;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use leadline_domain::CampaignId;
use reqwest::blocking::Body;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use super::output::{Failure, Out, Outcome};
use super::remote::{text_of, Remote};
use super::ImportArgs;

/// A whole upload and the server's answer: a million rows take seconds,
/// so this only catches a server that stopped answering.
const IMPORT_TIMEOUT_S: u64 = 60 * 60;

pub fn run(args: ImportArgs) -> Outcome {
    let campaign: CampaignId = args
        .campaign
        .parse()
        .map_err(|e| format!("--campaign: {e}"))?;
    let path = &args.file;
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let metadata = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !metadata.is_file() {
        return Err(format!("{} is not a file", path.display()).into());
    }
    let key = args.server.key().ok_or(
        "importing needs an API key: pass --key or set LEADLINE_API_KEY \
         (the key of the campaign's owner, or the admin key)",
    )?;
    let remote = Remote::new(
        &args.server.url,
        &key,
        Duration::from_secs(IMPORT_TIMEOUT_S),
    )?;

    // Ask for the campaign first: an unreachable server, a wrong key or an
    // unknown campaign is reported before any of the file is sent (and a
    // refused connection is never mistaken for a broken upload).
    remote.get(&format!("/api/v1/campaigns/{campaign}"), &[])?;

    let bytes = metadata.len();
    let bar = upload_bar(bytes);
    // The file is streamed as it is read, never held in memory; the bar
    // advances with every read, so it shows bytes handed to the connection.
    let body = Body::sized(bar.wrap_read(file), bytes);
    let request = remote
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/campaigns/{campaign}/leads"),
        )
        .header(CONTENT_TYPE, "text/csv")
        .body(body);
    let answer = remote.send(request);
    bar.finish_and_clear();
    let report = answer?;

    let mut out = Out::new();
    if args.json {
        out.json_line(&report)?;
    } else {
        print_report(&mut out, &report)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A bar over the file's bytes on stderr; indicatif hides it when stderr
/// is not a terminal.
fn upload_bar(bytes: u64) -> ProgressBar {
    let bar = ProgressBar::new(bytes);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} uploading [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn print_report(out: &mut Out, report: &Value) -> Result<(), Failure> {
    out.line(format_args!("imported {}", count(report, "imported")))?;
    out.line(format_args!("duplicates {}", count(report, "duplicates")))?;
    out.line(format_args!("do-not-call {}", count(report, "dnc")))?;
    let invalid = report
        .get("invalid")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // The server lists the first invalid rows and counts them all.
    let total = report
        .get("invalid_total")
        .and_then(Value::as_u64)
        .unwrap_or(invalid.len() as u64);
    if total > invalid.len() as u64 {
        out.line(format_args!(
            "invalid {total} (the first {} listed)",
            invalid.len()
        ))?;
    } else {
        out.line(format_args!("invalid {total}"))?;
    }
    for row in invalid {
        let phone = row.get("phone").cloned().unwrap_or(Value::Null);
        out.line(format_args!(
            "  row {}: {}: {}",
            text_of(row, "row"),
            phone,
            text_of(row, "error")
        ))?;
    }
    Ok(())
}

fn count(report: &Value, name: &str) -> String {
    match report.get(name) {
        Some(value) if !value.is_null() => text_of(report, name),
        _ => "?".to_owned(),
    }
}
