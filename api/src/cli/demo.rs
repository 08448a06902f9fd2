//! `leadline demo`: a server on a fresh data directory with a sample
//! campaign on the simulator, so a newcomer sees calls move within seconds.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::config::{ProviderSettings, SIM_CALL_MS_DEFAULT, STALE_CALL_MS_DEFAULT};
use crate::limits::DEMO_LEADS_MAX;
use crate::server::{serve, ProviderKind, ServeArgs};

pub use crate::config::DemoArgs;

pub fn demo(args: DemoArgs) -> Result<ExitCode, String> {
    if args.leads == 0 || args.leads > DEMO_LEADS_MAX {
        return Err(format!("--leads must be between 1 and {DEMO_LEADS_MAX}"));
    }
    if args.data.join("db").exists() {
        return Err(format!(
            "{} already holds data; pass another --data (the demo starts fresh)",
            args.data.display()
        ));
    }
    let admin_key = crate::server::auth::new_api_key();
    let url = format!("http://{}", args.bind);
    let seeding = {
        let (url, key, leads) = (url.clone(), admin_key.clone(), args.leads);
        std::thread::spawn(move || {
            if let Err(e) = seed(&url, &key, leads) {
                eprintln!("leadline demo: seeding the sample campaign failed: {e}");
            }
        })
    };
    let result = serve(ServeArgs {
        data: args.data,
        bind: args.bind,
        admin_key: Some(admin_key),
        system_concurrent_calls: crate::limits::SYSTEM_CONCURRENT_CALLS_DEFAULT,
        provider: ProviderKind::Simulator,
        sim_call_ms: SIM_CALL_MS_DEFAULT,
        stale_call_ms: STALE_CALL_MS_DEFAULT,
        // The demo runs on this machine: scripts/webhook-receiver.py on
        // 127.0.0.1 can subscribe to it.
        allow_insecure_webhooks: true,
        webhook_allow_hosts: Vec::new(),
        provider_settings: ProviderSettings::default(),
    });
    drop(seeding);
    result
}

fn seed(url: &str, admin_key: &str, leads: u32) -> Result<(), String> {
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{url}/healthz")).send().is_err() {
        if Instant::now() > deadline {
            return Err("the server did not come up".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let call = |key: &str, path: &str, body: Value| -> Result<Value, String> {
        let response = client
            .post(format!("{url}/api/v1{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{path}: {status}: {body}"));
        }
        Ok(body)
    };
    let user = call(
        admin_key,
        "/users",
        json!({"name": "Demo operator", "concurrent_calls_limit": 5}),
    )?;
    let key = user["api_key"].as_str().ok_or("no api key")?.to_owned();
    let campaign = call(
        &key,
        "/campaigns",
        // The demo must move within seconds at any hour, and its Indian
        // numbers may only be called 09:00–21:00 IST: its campaign turns
        // the jurisdiction rules off, and its name and page say so.
        json!({
            "name": "EMI Reminder (demo: jurisdiction rules off)",
            "jurisdiction_rules": false,
            "timezone": "Asia/Kolkata",
            "default_region": "IN",
            "retry": {"delay_minutes": 2, "max_attempts": 2},
            "provider": {"agent_id": "agent-1", "caller_id": "918047495133", "next_action": "emi"}
        }),
    )?;
    let id = campaign["id"].as_str().ok_or("no campaign id")?.to_owned();
    // Last digits give the simulator's outcomes: a mix of answered,
    // no answer, busy, failed, dropped and congestion.
    let rows: Vec<Value> = (0..leads)
        .map(|i| json!({"phone": format!("98765{:05}", i), "name": format!("Customer {i}"), "priority": i64::from(i % 7 == 0)}))
        .collect();
    call(
        &key,
        &format!("/campaigns/{id}/leads"),
        json!({"leads": rows}),
    )?;
    call(&key, &format!("/campaigns/{id}/start"), json!({}))?;
    println!();
    println!("demo ready: open {url}/#/campaigns/{id} and sign in with the operator key");
    println!("  operator key:  {key}");
    println!("  admin key:     {admin_key}  (sees every user's campaigns)");
    println!("  campaign:      {url}/api/v1/campaigns/{id}");
    println!("  API docs:      {url}/docs/");
    println!(
        "  note: the demo campaign turns the jurisdiction rules off so that it dials at any hour;"
    );
    println!(
        "        a campaign you create keeps them on (India 09:00–21:00 IST, US 08:00–21:00 …)"
    );
    println!("  try: curl -s {url}/api/v1/campaigns/{id}/stats -H 'Authorization: Bearer {key}'");
    println!("  webhooks: python3 scripts/webhook-receiver.py --leadline {url} --key {key}");
    Ok(())
}
