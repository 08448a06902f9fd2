//! `leadline`: the server and the admin CLI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use clap::{Parser, Subcommand};
use leadline_storage::{EventLog, SledLog, SledOptions};

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
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Data directory (the sled log).
    #[arg(long, env = "LEADLINE_DATA", default_value = "./leadline-data")]
    data: PathBuf,
    /// Listen address.
    #[arg(long, env = "LEADLINE_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("leadline: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let log = Arc::new(
        SledLog::open(&args.data, SledOptions::default())
            .map_err(|e| format!("cannot open {}: {e}", args.data.display()))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let app_log = log.clone();
    runtime.block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::from(app_log.clone()))
                .route("/healthz", web::get().to(healthz))
        })
        .bind(args.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?
        .shutdown_timeout(10)
        .run();
        println!(
            "leadline listening on http://{} (data in {})",
            args.bind,
            args.data.display()
        );
        server.await.map_err(|e| format!("server error: {e}"))
    })?;
    log.close().map_err(|e| format!("closing the log: {e}"))
}

async fn healthz(log: web::Data<SledLog>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "position": log.last_position(),
    }))
}
