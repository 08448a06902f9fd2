//! Configuration is read in one place: clap parses the command line and
//! the environment together (each flag names its variable), and the typed
//! settings are handed down explicitly. Nothing else in the crate reads the
//! environment, so `--help` lists every setting there is.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cli;

/// Simulated call length when none is given.
pub const SIM_CALL_MS_DEFAULT: u64 = 2000;
/// When a call without a result is reclaimed, when none is given.
pub const STALE_CALL_MS_DEFAULT: u64 = 30 * 60 * 1000;

#[derive(Parser)]
#[command(
    name = "leadline",
    version,
    about = "Leadline: an event-sourced outbound calling engine"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command line and the environment, or clap's own exit (usage,
    /// `--help`, `--version`).
    pub fn read() -> Self {
        Cli::parse()
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server on the embedded sled log.
    // Boxed: the provider settings make it much the biggest variant.
    Serve(Box<ServeArgs>),
    /// Run a server with a sample campaign calling on the simulator.
    Demo(DemoArgs),
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
    /// Audit reports: `audit compliance` judges a campaign's calls against
    /// the calling rules; exit code 3 when any call broke one.
    #[command(subcommand)]
    Audit(cli::AuditCommand),
}

/// Which telephony provider places calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    Simulator,
    Exotel,
    Twilio,
    Retell,
    Bolna,
    Vapi,
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
    #[arg(long, env = "LEADLINE_SYSTEM_CONCURRENT_CALLS", default_value_t = crate::limits::SYSTEM_CONCURRENT_CALLS_DEFAULT)]
    pub system_concurrent_calls: u32,
    /// The telephony provider. exotel, twilio, retell, bolna and vapi read
    /// their credentials from the environment: EXOTEL_API_KEY,
    /// EXOTEL_API_TOKEN, EXOTEL_ACCOUNT_SID, EXOTEL_SUBDOMAIN,
    /// LEADLINE_WEBHOOK_TOKEN; TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN;
    /// RETELL_API_KEY; BOLNA_API_KEY, LEADLINE_WEBHOOK_TOKEN (in the
    /// agent's webhook URL, ?token=); VAPI_API_KEY, VAPI_WEBHOOK_SECRET (the
    /// HMAC credential signing x-vapi-signature), VAPI_PHONE_NUMBER_ID (when
    /// a campaign's provider settings name no phone_number_id); and
    /// LEADLINE_PUBLIC_URL (how exotel and twilio reach
    /// /api/v1/webhooks/{provider} on this server).
    /// LEADLINE_{EXOTEL,TWILIO,RETELL,BOLNA,VAPI}_API_BASE replace a
    /// provider's API origin.
    #[arg(long, env = "LEADLINE_PROVIDER", value_enum, default_value_t = ProviderKind::Simulator)]
    pub provider: ProviderKind,
    /// Simulated call length, dial to result.
    #[arg(long, env = "LEADLINE_SIM_CALL_MS", default_value_t = SIM_CALL_MS_DEFAULT)]
    pub sim_call_ms: u64,
    /// A call without a result after this long is reclaimed as failed ("stale").
    #[arg(long, env = "LEADLINE_STALE_CALL_MS", default_value_t = STALE_CALL_MS_DEFAULT)]
    pub stale_call_ms: u64,
    /// Accept webhook subscriptions to loopback receivers (127.0.0.0/8,
    /// ::1, localhost), over plain http too: for local development and
    /// tests. Without it only https URLs to public addresses are accepted.
    #[arg(
        long,
        env = "LEADLINE_ALLOW_INSECURE_WEBHOOKS",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_insecure_webhooks: bool,
    /// Webhook hosts allowed although they resolve to private, loopback,
    /// link-local, CGNAT or unique-local addresses, comma separated
    /// (e.g. hooks.internal,10.0.0.7).
    #[arg(
        long,
        env = "LEADLINE_WEBHOOK_ALLOW_HOSTS",
        value_delimiter = ',',
        value_name = "HOSTS"
    )]
    pub webhook_allow_hosts: Vec<String>,
    #[command(flatten)]
    pub provider_settings: ProviderSettings,
}

/// The providers' credentials and addresses, from the environment (the
/// flags exist, hidden, so that clap is the one reader; secrets belong in
/// the environment, not in a process list).
#[derive(clap::Args, Clone, Default)]
pub struct ProviderSettings {
    #[arg(
        long = "exotel-api-key",
        env = "EXOTEL_API_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub exotel_api_key: Option<String>,
    #[arg(
        long = "exotel-api-token",
        env = "EXOTEL_API_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub exotel_api_token: Option<String>,
    #[arg(long = "exotel-account-sid", env = "EXOTEL_ACCOUNT_SID", hide = true)]
    pub exotel_account_sid: Option<String>,
    #[arg(long = "exotel-subdomain", env = "EXOTEL_SUBDOMAIN", hide = true)]
    pub exotel_subdomain: Option<String>,
    #[arg(
        long = "leadline-exotel-api-base",
        env = "LEADLINE_EXOTEL_API_BASE",
        hide = true
    )]
    pub leadline_exotel_api_base: Option<String>,
    #[arg(long = "twilio-account-sid", env = "TWILIO_ACCOUNT_SID", hide = true)]
    pub twilio_account_sid: Option<String>,
    #[arg(
        long = "twilio-auth-token",
        env = "TWILIO_AUTH_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub twilio_auth_token: Option<String>,
    #[arg(
        long = "leadline-twilio-api-base",
        env = "LEADLINE_TWILIO_API_BASE",
        hide = true
    )]
    pub leadline_twilio_api_base: Option<String>,
    #[arg(
        long = "retell-api-key",
        env = "RETELL_API_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub retell_api_key: Option<String>,
    #[arg(
        long = "leadline-retell-api-base",
        env = "LEADLINE_RETELL_API_BASE",
        hide = true
    )]
    pub leadline_retell_api_base: Option<String>,
    #[arg(
        long = "bolna-api-key",
        env = "BOLNA_API_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub bolna_api_key: Option<String>,
    #[arg(
        long = "leadline-bolna-api-base",
        env = "LEADLINE_BOLNA_API_BASE",
        hide = true
    )]
    pub leadline_bolna_api_base: Option<String>,
    #[arg(
        long = "vapi-api-key",
        env = "VAPI_API_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub vapi_api_key: Option<String>,
    #[arg(
        long = "vapi-webhook-secret",
        env = "VAPI_WEBHOOK_SECRET",
        hide = true,
        hide_env_values = true
    )]
    pub vapi_webhook_secret: Option<String>,
    #[arg(
        long = "vapi-phone-number-id",
        env = "VAPI_PHONE_NUMBER_ID",
        hide = true
    )]
    pub vapi_phone_number_id: Option<String>,
    #[arg(
        long = "leadline-vapi-api-base",
        env = "LEADLINE_VAPI_API_BASE",
        hide = true
    )]
    pub leadline_vapi_api_base: Option<String>,
    #[arg(long = "leadline-public-url", env = "LEADLINE_PUBLIC_URL", hide = true)]
    pub leadline_public_url: Option<String>,
    #[arg(
        long = "leadline-webhook-token",
        env = "LEADLINE_WEBHOOK_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub leadline_webhook_token: Option<String>,
}

impl ProviderSettings {
    /// A setting by its variable's name, as `dialer::providers::from_env`
    /// asks for it; blank counts as unset there.
    pub fn get(&self, variable: &str) -> Option<String> {
        let value = match variable {
            "EXOTEL_API_KEY" => &self.exotel_api_key,
            "EXOTEL_API_TOKEN" => &self.exotel_api_token,
            "EXOTEL_ACCOUNT_SID" => &self.exotel_account_sid,
            "EXOTEL_SUBDOMAIN" => &self.exotel_subdomain,
            "LEADLINE_EXOTEL_API_BASE" => &self.leadline_exotel_api_base,
            "TWILIO_ACCOUNT_SID" => &self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN" => &self.twilio_auth_token,
            "LEADLINE_TWILIO_API_BASE" => &self.leadline_twilio_api_base,
            "RETELL_API_KEY" => &self.retell_api_key,
            "LEADLINE_RETELL_API_BASE" => &self.leadline_retell_api_base,
            "BOLNA_API_KEY" => &self.bolna_api_key,
            "LEADLINE_BOLNA_API_BASE" => &self.leadline_bolna_api_base,
            "VAPI_API_KEY" => &self.vapi_api_key,
            "VAPI_WEBHOOK_SECRET" => &self.vapi_webhook_secret,
            "VAPI_PHONE_NUMBER_ID" => &self.vapi_phone_number_id,
            "LEADLINE_VAPI_API_BASE" => &self.leadline_vapi_api_base,
            "LEADLINE_PUBLIC_URL" => &self.leadline_public_url,
            "LEADLINE_WEBHOOK_TOKEN" => &self.leadline_webhook_token,
            _ => return None,
        };
        value.clone()
    }
}

/// Names only: the values are secrets.
impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProviderSettings { .. }")
    }
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Listen address.
    #[arg(long, env = "LEADLINE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Data directory for the demo; created fresh (refused if it holds data).
    #[arg(long, default_value = "./leadline-demo-data")]
    pub data: PathBuf,
    /// Leads in the sample campaign.
    #[arg(long, default_value_t = 300)]
    pub leads: u32,
}

/// The data directory, as `leadline serve` takes it.
#[derive(clap::Args)]
pub struct DataArgs {
    /// Data directory (the sled log).
    #[arg(
        long,
        env = "LEADLINE_DATA",
        default_value = "./leadline-data",
        value_name = "DIR"
    )]
    pub data: PathBuf,
}

/// A running server and the key to ask it.
#[derive(clap::Args)]
pub struct ServerArgs {
    /// Base URL of a running `leadline serve`.
    #[arg(
        long,
        env = "LEADLINE_URL",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    pub url: String,
    /// API key for that server: the admin key for rebuild, verify and a
    /// whole export. When neither this nor LEADLINE_API_KEY is set, the
    /// server's own LEADLINE_ADMIN_KEY is used if it is in the environment.
    #[arg(
        long,
        env = "LEADLINE_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub key: Option<String>,
    /// The server's own admin key, used when no key is given: on the
    /// server's machine `leadline verify` then needs no flag.
    #[arg(
        long = "server-admin-key",
        env = "LEADLINE_ADMIN_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub admin_key: Option<String>,
}
