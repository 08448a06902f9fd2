//! Reading a provider's settings ([`from_env`]): the adapter and the
//! webhook secrets it needs, with every missing variable named at once.
//! Kept apart so that configuration errors and their wording live in one
//! place, away from placing calls and reading callbacks.

use std::sync::Arc;

use super::{
    bolna, echo, exotel, retell, twilio, vapi, ProviderAdapter, ProviderName, Secret,
    TwilioWebhook, WebhookSecrets,
};
use crate::limits::WEBHOOK_TOKEN_BYTES_MIN;

/// Configuration read from the environment.
pub struct ProviderSetup {
    pub adapter: Arc<dyn ProviderAdapter>,
    pub webhooks: WebhookSecrets,
}

/// Reads `provider`'s settings through `env` (a lookup, so tests need not
/// touch the process environment). Every missing variable is named in the
/// one error.
pub fn from_env(
    provider: ProviderName,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderSetup, String> {
    let mut missing = Vec::new();
    let mut required = |name: &'static str| {
        let value = env(name).filter(|v| !v.trim().is_empty());
        if value.is_none() {
            missing.push(name);
        }
        value.unwrap_or_default()
    };
    let setup = match provider {
        ProviderName::Exotel => {
            let api_key = Secret::new(required("EXOTEL_API_KEY"));
            let api_token = Secret::new(required("EXOTEL_API_TOKEN"));
            let account_sid = required("EXOTEL_ACCOUNT_SID");
            let public_url = required("LEADLINE_PUBLIC_URL");
            let token = Secret::new(required("LEADLINE_WEBHOOK_TOKEN"));
            let subdomain = env("EXOTEL_SUBDOMAIN").unwrap_or_else(|| "api.exotel.com".into());
            let api_base = env("LEADLINE_EXOTEL_API_BASE")
                .unwrap_or_else(|| format!("https://{}", subdomain.trim_matches('/')));
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            checked_secret("LEADLINE_WEBHOOK_TOKEN", &token)?;
            ProviderSetup {
                adapter: Arc::new(exotel::Exotel {
                    api_base: checked_url("LEADLINE_EXOTEL_API_BASE", &api_base)?,
                    account_sid,
                    api_key,
                    api_token,
                    public_url: checked_url("LEADLINE_PUBLIC_URL", &public_url)?,
                    webhook_token: token.clone(),
                }),
                webhooks: WebhookSecrets {
                    exotel_token: Some(token),
                    ..WebhookSecrets::default()
                },
            }
        }
        ProviderName::Twilio => {
            let account_sid = required("TWILIO_ACCOUNT_SID");
            let auth_token = Secret::new(required("TWILIO_AUTH_TOKEN"));
            let public_url = required("LEADLINE_PUBLIC_URL");
            let api_base =
                env("LEADLINE_TWILIO_API_BASE").unwrap_or_else(|| twilio::API_BASE.into());
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            let public_url = checked_url("LEADLINE_PUBLIC_URL", &public_url)?;
            ProviderSetup {
                adapter: Arc::new(twilio::Twilio {
                    api_base: checked_url("LEADLINE_TWILIO_API_BASE", &api_base)?,
                    account_sid,
                    auth_token: auth_token.clone(),
                    public_url: public_url.clone(),
                }),
                webhooks: WebhookSecrets {
                    twilio: Some(TwilioWebhook {
                        auth_token,
                        public_url,
                    }),
                    ..WebhookSecrets::default()
                },
            }
        }
        ProviderName::Retell => {
            let api_key = Secret::new(required("RETELL_API_KEY"));
            let api_base =
                env("LEADLINE_RETELL_API_BASE").unwrap_or_else(|| retell::API_BASE.into());
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            ProviderSetup {
                adapter: Arc::new(retell::Retell {
                    api_base: checked_url("LEADLINE_RETELL_API_BASE", &api_base)?,
                    api_key: api_key.clone(),
                }),
                webhooks: WebhookSecrets {
                    retell_api_key: Some(api_key),
                    ..WebhookSecrets::default()
                },
            }
        }
        ProviderName::Bolna => {
            let api_key = Secret::new(required("BOLNA_API_KEY"));
            let token = Secret::new(required("LEADLINE_WEBHOOK_TOKEN"));
            let api_base = env("LEADLINE_BOLNA_API_BASE").unwrap_or_else(|| bolna::API_BASE.into());
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            checked_secret("LEADLINE_WEBHOOK_TOKEN", &token)?;
            ProviderSetup {
                adapter: Arc::new(bolna::Bolna {
                    api_base: checked_url("LEADLINE_BOLNA_API_BASE", &api_base)?,
                    api_key,
                }),
                webhooks: WebhookSecrets {
                    bolna_token: Some(token),
                    ..WebhookSecrets::default()
                },
            }
        }
        ProviderName::Vapi => {
            let api_key = Secret::new(required("VAPI_API_KEY"));
            let secret = Secret::new(required("VAPI_WEBHOOK_SECRET"));
            let phone_number_id = env("VAPI_PHONE_NUMBER_ID")
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty());
            let api_base = env("LEADLINE_VAPI_API_BASE").unwrap_or_else(|| vapi::API_BASE.into());
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            checked_secret("VAPI_WEBHOOK_SECRET", &secret)?;
            ProviderSetup {
                adapter: Arc::new(vapi::Vapi {
                    api_base: checked_url("LEADLINE_VAPI_API_BASE", &api_base)?,
                    api_key,
                    phone_number_id,
                }),
                webhooks: WebhookSecrets {
                    vapi_secret: Some(secret),
                    ..WebhookSecrets::default()
                },
            }
        }
    };
    Ok(setup)
}

fn missing_error(provider: ProviderName, missing: &[&str]) -> String {
    format!(
        "--provider {provider} needs these environment variables: {}",
        missing.join(", ")
    )
}

/// A secret that alone authenticates callbacks: long enough not to guess.
fn checked_secret(variable: &str, secret: &Secret) -> Result<(), String> {
    if secret.expose().len() < WEBHOOK_TOKEN_BYTES_MIN {
        return Err(format!(
            "{variable} must be at least {WEBHOOK_TOKEN_BYTES_MIN} characters"
        ));
    }
    Ok(())
}

/// An http(s) origin or base URL, without a trailing slash.
fn checked_url(variable: &str, url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.to_owned())
    } else {
        Err(format!(
            "{variable} must start with https:// or http:// (got `{}`)",
            echo(url)
        ))
    }
}
