//! The HTTP server: `leadline serve`.

pub mod auth;
pub mod commands;
pub mod error;
pub mod limits;
pub mod methods;
pub mod metrics;
pub mod openapi;
pub mod pacing;
pub mod routes;
pub mod state;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Service;
use actix_web::{web, App, HttpResponse, HttpServer};
use leadline_projections::Projections;
use leadline_storage::{EventLog, SledLog, SledOptions};
use utoipa_swagger_ui::SwaggerUi;

use self::error::{json_config, path_config, query_config, ApiError};
use self::limits::JSON_BODY_BYTES_MAX;
use self::metrics::Metrics;
use self::state::AppState;
use crate::dialer::placer::CallPlacer;
use crate::dialer::providers::{self, HttpPlacer, ProviderName, WebhookSecrets};
use crate::dialer::simulator::Simulator;
use crate::subscriptions::{self, Deliveries, WebhookPolicy};
use crate::write::CommandRunner;

pub use crate::config::{ProviderKind, ServeArgs};

/// HTTP worker threads: the machine's cores, at least two.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

/// The placer for `--provider`, and the secrets its webhooks are checked
/// with. HTTP providers read their settings from the environment (see
/// `dialer::providers`); a missing variable stops the start, named.
fn provider_placer(args: &ServeArgs) -> Result<(Box<dyn CallPlacer>, WebhookSecrets), String> {
    let name = match args.provider {
        ProviderKind::Simulator => {
            return Ok((
                Box::new(Simulator::new(args.sim_call_ms)),
                WebhookSecrets::default(),
            ))
        }
        ProviderKind::Exotel => ProviderName::Exotel,
        ProviderKind::Twilio => ProviderName::Twilio,
        ProviderKind::Retell => ProviderName::Retell,
        ProviderKind::Bolna => ProviderName::Bolna,
        ProviderKind::Vapi => ProviderName::Vapi,
    };
    let setup = providers::from_env(name, &|variable| args.provider_settings.get(variable))?;
    let placer = HttpPlacer::start(setup.adapter)?;
    Ok((Box::new(placer), setup.webhooks))
}

pub fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    // Before anything is opened: a misconfigured provider fails fast.
    let (placer, webhooks) = provider_placer(&args)?;
    let log = Arc::new(
        SledLog::open(&args.data, SledOptions::default())
            .map_err(|e| format!("cannot open {}: {e}", args.data.display()))?,
    );
    let admin_digest = auth::admin_digest(&args.data, args.admin_key.as_deref())?;
    let shared_log: Arc<dyn EventLog> = log.clone();
    let started = Instant::now();
    let projections = Projections::open(shared_log.clone())
        .map_err(|e| format!("cannot fold the log into the read models: {e}"))?;
    eprintln!(
        "read models at position {} ({} ms)",
        projections.position(),
        started.elapsed().as_millis()
    );
    let follower = projections
        .follow()
        .map_err(|e| format!("cannot start the projections thread: {e}"))?;
    let stop_dialer = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let commands = CommandRunner::new(shared_log.clone(), projections.clone());
    let dialer_config = crate::dialer::DialerConfig {
        system_concurrent_calls: args.system_concurrent_calls,
        stale_call_ms: args.stale_call_ms,
        sim_call_ms: args.sim_call_ms,
        ..crate::dialer::DialerConfig::default()
    };
    let dialer = crate::dialer::spawn(
        commands.clone(),
        dialer_config.clone(),
        placer,
        stop_dialer.clone(),
    )
    .map_err(|e| format!("cannot start the dialer thread: {e}"))?;
    let deliveries = Arc::new(Deliveries::new(WebhookPolicy {
        allow_insecure: args.allow_insecure_webhooks,
        allow_hosts: args
            .webhook_allow_hosts
            .iter()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect(),
    }));
    let outbox = Arc::new(subscriptions::Context {
        log: shared_log.clone(),
        projections: projections.clone(),
        deliveries: deliveries.clone(),
    });
    let state = web::Data::new(AppState {
        clock: Arc::new(chrono::Utc::now),
        log: shared_log,
        projections: projections.clone(),
        commands,
        admin_digest,
        metrics: Arc::new(Metrics::new()),
        live_feeds: Arc::default(),
        webhooks,
        deliveries,
        dialer: dialer_config,
        forecasts: Arc::new(tokio::sync::Semaphore::new(
            crate::limits::FORECASTS_CONCURRENT_MAX,
        )),
        compliance_reports: Arc::new(tokio::sync::Semaphore::new(
            crate::limits::COMPLIANCE_REPORTS_CONCURRENT_MAX,
        )),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (stop_deliveries, stopping) = tokio::sync::watch::channel(false);
    let delivering = {
        let _runtime = runtime.enter();
        subscriptions::spawn(outbox, stopping)
    };
    let result = runtime.block_on(run_http(args.clone(), state));
    // Deliveries stop with the server: a batch not acknowledged yet is
    // sent again after the next start.
    let _ = stop_deliveries.send(true);
    let _ = runtime.block_on(delivering);
    stop_dialer.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = dialer.join();
    projections.stop();
    let _ = follower.join();
    log.close().map_err(|e| format!("closing the log: {e}"))?;
    result.map(|()| ExitCode::SUCCESS)
}

async fn run_http(args: ServeArgs, state: web::Data<AppState>) -> Result<(), String> {
    let server = HttpServer::new(move || app(state.clone()))
        .workers(workers())
        .bind(args.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let addresses: Vec<String> = server
        .addrs()
        .iter()
        .map(|a| format!("http://{a}"))
        .collect();
    let server = server.shutdown_timeout(10).run();
    println!(
        "leadline listening on {} (data in {})",
        addresses.join(", "),
        args.data.display()
    );
    server.await.map_err(|e| format!("server error: {e}"))
}

/// The application: routes, limits, error shapes and request metrics.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let metrics = state.metrics.clone();
    App::new()
        .app_data(state)
        .app_data(json_config(JSON_BODY_BYTES_MAX))
        .app_data(path_config())
        .app_data(query_config())
        .wrap_fn(|mut req, srv| {
            // Every body is read at a pace (see `pacing`).
            use actix_web::HttpMessage;
            let payload = req.take_payload();
            let paced: pacing::BoxedBody = Box::pin(pacing::Paced::new(payload));
            req.set_payload(actix_web::dev::Payload::from(paced));
            srv.call(req)
        })
        .wrap_fn(move |req, srv| {
            let started = Instant::now();
            let method = req.method().to_string();
            let metrics = metrics.clone();
            let response = srv.call(req);
            async move {
                let response = response.await?;
                let route = response
                    .request()
                    .match_pattern()
                    .unwrap_or_else(|| "unmatched".into());
                metrics.request(
                    &route,
                    &method,
                    response.status().as_u16(),
                    started.elapsed().as_secs_f64(),
                );
                Ok(response)
            }
        })
        .service(web::scope("/api/v1").configure(routes::configure))
        .route("/healthz", web::get().to(routes::ops::healthz))
        .route("/metrics", web::get().to(routes::ops::metrics))
        .configure(routes::dashboard::configure)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi::document()))
        .default_service(web::to(not_found))
}

/// No route took the request: 405 with `Allow` when the path is a route
/// that does not answer this method, else 404.
async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    let allowed = methods::allowed(req.path());
    if allowed.is_empty() {
        return ApiError::not_found(&format!("{} {}", req.method(), req.path())).error_response();
    }
    let allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    let mut response = ApiError::method_not_allowed(&format!(
        "{} does not answer {}; it answers {}",
        req.path(),
        req.method(),
        allow.join(", ")
    ))
    .error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow.join(", ")) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}
