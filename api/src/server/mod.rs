//! The HTTP server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use leadline_storage::{EventLog, SledLog, SledOptions};

/// Which telephony provider places calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    Simulator,
    Exotel,
    Twilio,
    Retell,
}

#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Data directory (the sled log).
    #[arg(long, env = "LEADLINE_DATA", default_value = "./leadline-data")]
    pub data: PathBuf,
    /// Listen address.
    #[arg(long, env = "LEADLINE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The admin API key; generated on first start (and printed once) when absent.
    #[arg(long, env = "LEADLINE_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Calls in flight at once across all users.
    #[arg(long, env = "LEADLINE_SYSTEM_CONCURRENT_CALLS", default_value_t = 10)]
    pub system_concurrent_calls: u32,
    /// The telephony provider.
    #[arg(long, env = "LEADLINE_PROVIDER", value_enum, default_value_t = ProviderKind::Simulator)]
    pub provider: ProviderKind,
    /// Simulated call length, dial to result.
    #[arg(long, env = "LEADLINE_SIM_CALL_MS", default_value_t = 2000)]
    pub sim_call_ms: u64,
}

pub fn serve(args: ServeArgs) -> Result<ExitCode, String> {
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
    log.close().map_err(|e| format!("closing the log: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn healthz(log: web::Data<SledLog>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "position": log.last_position(),
    }))
}
