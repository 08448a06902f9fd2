//! Webhooks out, black-box: a real `leadline serve` delivering to a small
//! hand-written HTTP receiver on 127.0.0.1 that drops connections, answers
//! 500 and goes away for a while, while campaigns run on the simulator and
//! the server is killed and restarted.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Server;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

const ADMIN_KEY: &str = "admin-key-for-the-subscription-tests";
/// The server's flags for every test that delivers to 127.0.0.1.
const SERVE_ARGS: [&str; 5] = [
    "--allow-insecure-webhooks",
    "--sim-call-ms",
    "50",
    "--stale-call-ms",
    "1000",
];

// --- The API ---

common::http::api_client!();

impl Api {
    fn user(&self, name: &str) -> String {
        let (status, body) = self.post(
            ADMIN_KEY,
            "/api/v1/users",
            json!({"name": name, "concurrent_calls_limit": 3}),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["api_key"].as_str().expect("api key").to_owned()
    }

    /// A draft campaign calling each lead once.
    fn draft(&self, key: &str, name: &str) -> String {
        let (status, created) = self.post(
            key,
            "/api/v1/campaigns",
            // Dialed on the real clock at any hour: jurisdiction rules off.
            json!({"name": name, "default_region": "IN", "retry": {"max_attempts": 1},
                "jurisdiction_rules": false}),
        );
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["id"].as_str().expect("id").to_owned()
    }

    fn start(&self, key: &str, campaign: &str) {
        let (status, started) = self.post(
            key,
            &format!("/api/v1/campaigns/{campaign}/start"),
            json!({}),
        );
        assert_eq!(status, StatusCode::OK, "{started}");
    }

    /// A campaign of `phones`, started.
    fn campaign(&self, key: &str, name: &str, phones: &[&str]) -> String {
        let id = self.draft(key, name);
        self.leads(key, &id, phones);
        self.start(key, &id);
        id
    }

    fn leads(&self, key: &str, campaign: &str, phones: &[&str]) {
        let leads: Vec<Value> = phones.iter().map(|p| json!({"phone": p})).collect();
        let (status, report) = self.post(
            key,
            &format!("/api/v1/campaigns/{campaign}/leads"),
            json!({"leads": leads}),
        );
        assert_eq!(status, StatusCode::OK, "{report}");
    }

    fn subscribe(&self, key: &str, body: Value) -> Subscription {
        let (status, created) = self.post(key, "/api/v1/subscriptions", body);
        assert_eq!(status, StatusCode::CREATED, "{created}");
        Subscription {
            id: created["id"].as_str().expect("id").to_owned(),
            secret: created["secret"].as_str().expect("secret").to_owned(),
            start: created["last_delivered_position"]
                .as_u64()
                .expect("position"),
        }
    }

    fn position(&self) -> u64 {
        let (_, health) = self.get(ADMIN_KEY, "/healthz");
        health["position"].as_u64().expect("position")
    }

    fn status(&self, campaign: &str, key: &str) -> String {
        let (_, body) = self.get(key, &format!("/api/v1/campaigns/{campaign}"));
        body["status"].as_str().unwrap_or_default().to_owned()
    }

    /// Every event `key` may read after `after` (of `campaign`), as
    /// `GET /api/v1/events` pages them.
    fn events(&self, key: &str, after: u64, campaign: Option<&str>) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = after;
        loop {
            let mut path = format!("/api/v1/events?after={after}&limit=1000");
            if let Some(campaign) = campaign {
                path.push_str(&format!("&campaign_id={campaign}"));
            }
            let (status, page) = self.get(key, &path);
            assert_eq!(status, StatusCode::OK, "{page}");
            let last = page["last_position"].as_u64().expect("last position");
            all.extend(page["events"].as_array().cloned().unwrap_or_default());
            if last <= after {
                return all;
            }
            after = last;
        }
    }
}

struct Subscription {
    id: String,
    secret: String,
    /// The position it was created at: it receives what follows.
    start: u64,
}

/// Polls `check` until it holds or `seconds` pass.
fn eventually(what: &str, seconds: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

// --- The receiver ---

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Ok,
    Error,
    Dropped,
}

#[derive(Clone, Debug)]
struct Received {
    path: String,
    delivery: String,
    signature: String,
    body: Vec<u8>,
    answer: Answer,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON delivery")
    }

    fn event_ids(&self) -> Vec<String> {
        self.json()["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["id"].as_str().expect("event id").to_owned())
            .collect()
    }
}

/// A receiver on 127.0.0.1. With `faulty`, each path's deliveries go:
/// connection dropped, 200, 500, 200, and again; otherwise always 200.
/// It can be taken down (its port closed) and brought back on the same
/// port.
struct Receiver {
    port: u16,
    /// How long it takes to answer.
    slow_ms: Arc<AtomicU64>,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(faulty: bool) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let receiver = Receiver {
            port,
            slow_ms: Arc::new(AtomicU64::new(0)),
            up: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(AtomicBool::new(false)),
            received: Arc::new(Mutex::new(Vec::new())),
        };
        let (slow_ms, up, stop, received) = (
            receiver.slow_ms.clone(),
            receiver.up.clone(),
            receiver.stop.clone(),
            receiver.received.clone(),
        );
        std::thread::spawn(move || {
            let mut listener = Some(listener);
            let mut counts: HashMap<String, usize> = HashMap::new();
            while !stop.load(Ordering::Relaxed) {
                if !up.load(Ordering::Relaxed) {
                    listener = None;
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                let Some(open) = listener.as_ref() else {
                    match TcpListener::bind(("127.0.0.1", port)) {
                        Ok(l) => {
                            l.set_nonblocking(true).expect("nonblocking");
                            listener = Some(l);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                    continue;
                };
                open.set_nonblocking(true).expect("nonblocking");
                match open.accept() {
                    Ok((stream, _)) => {
                        let slow = Duration::from_millis(slow_ms.load(Ordering::Relaxed));
                        if let Some(request) = read_request(stream, faulty, slow, &mut counts) {
                            received.lock().expect("lock").push(request);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        receiver
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn down(&self) {
        self.up.store(false, Ordering::Relaxed);
    }

    fn back_up(&self) {
        self.up.store(true, Ordering::Relaxed);
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Event ids received at `path`, first arrivals only, in arrival order.
    fn distinct_ids(&self, path: &str) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut ids = Vec::new();
        for request in self.at(path) {
            for id in request.event_ids() {
                if seen.insert(id.clone()) {
                    ids.push(id);
                }
            }
        }
        ids
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one request and answers it as the fault plan says.
fn read_request(
    stream: TcpStream,
    faulty: bool,
    slow: Duration,
    counts: &mut HashMap<String, usize>,
) -> Option<Received> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let count = counts.entry(path.clone()).or_default();
    *count += 1;
    let answer = match (faulty, *count % 4) {
        (true, 1) => Answer::Dropped,
        (true, 3) => Answer::Error,
        _ => Answer::Ok,
    };
    let mut stream = reader.into_inner();
    std::thread::sleep(slow);
    match answer {
        Answer::Dropped => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Answer::Error => {
            let _ = stream.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\noops",
            );
        }
        Answer::Ok => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    }
    Some(Received {
        path,
        delivery: headers
            .get("leadline-delivery")
            .cloned()
            .unwrap_or_default(),
        signature: headers
            .get("leadline-signature")
            .cloned()
            .unwrap_or_default(),
        body,
        answer,
    })
}

/// Checks `Leadline-Signature: t=…,v1=…` against the body and the secret.
fn verifies(request: &Received, secret: &str) -> bool {
    let Some((t, v1)) = request
        .signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&request.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap_or(0);
    expected == v1 && (0..600).contains(&age)
}

/// What a subscription must have received: exactly `expected`, each
/// first arrival in log order, every request signed and well-formed, and
/// acknowledged events sent again in at most `resent_max` batches (a kill
/// -9 between the receiver's 2xx and the checkpoint's fsync sends that
/// one batch again).
fn check_deliveries(
    receiver: &Receiver,
    path: &str,
    subscription: &Subscription,
    expected: &[Value],
    resent_max: usize,
) {
    let expected_ids: Vec<String> = expected
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(!expected_ids.is_empty(), "{path}: nothing was expected");
    assert_eq!(
        receiver.distinct_ids(path),
        expected_ids,
        "{path}: every event, once each, in log order"
    );
    let requests = receiver.at(path);
    let mut acknowledged = BTreeSet::new();
    let mut resent = BTreeSet::new();
    let mut bodies: HashMap<String, Vec<u8>> = HashMap::new();
    for request in &requests {
        assert!(
            verifies(request, &subscription.secret),
            "{path}: bad signature"
        );
        let body = request.json();
        assert_eq!(body["subscription_id"], subscription.id.as_str());
        let positions: Vec<u64> = body["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["position"].as_u64().expect("position"))
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{path}: a batch in log order: {positions:?}"
        );
        // The same delivery id is the same batch.
        let same = bodies
            .entry(request.delivery.clone())
            .or_insert_with(|| request.body.clone());
        assert_eq!(same, &request.body, "{path}: delivery {}", request.delivery);
        let ids = request.event_ids();
        if ids.iter().any(|id| acknowledged.contains(id)) {
            resent.insert(request.delivery.clone());
        }
        if request.answer == Answer::Ok {
            acknowledged.extend(ids);
        }
    }
    assert!(
        resent.len() <= resent_max,
        "{path}: acknowledged events were sent again in batches {resent:?}"
    );
}

#[test]
fn every_event_arrives_in_order_through_faults_an_outage_and_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_with(dir.path(), ADMIN_KEY, &SERVE_ARGS, &[]);
    let mut api = Api::new(&server);
    let receiver = Receiver::start(true);
    let asha = api.user("Asha");
    let ben = api.user("Ben");

    // Asha's two campaigns and Ben's, created before the subscriptions so
    // that one can name a campaign.
    let first = api.draft(&asha, "First");
    let all = api.subscribe(
        &asha,
        json!({"url": receiver.url("/asha"), "events": ["*"]}),
    );
    let answered = api.subscribe(
        &asha,
        json!({"url": receiver.url("/asha-first"), "events": ["LeadDialed", "CallAnswered"],
               "campaign_id": first}),
    );
    let bens = api.subscribe(&ben, json!({"url": receiver.url("/ben")}));

    // The simulator's outcome is the number's last digit: every outcome.
    let phones: Vec<String> = (0..40).map(|i| format!("98765{:05}", i)).collect();
    let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
    api.leads(&asha, &first, &phones);
    api.start(&asha, &first);
    let second = api.campaign(&asha, "Second", &["9876500110", "9876500111"]);
    let theirs = api.campaign(&ben, "Theirs", &["9876500210", "9876500212"]);
    eventually("the campaigns to complete", 60, || {
        [(&first, &asha), (&second, &asha), (&theirs, &ben)]
            .iter()
            .all(|(c, k)| api.status(c, k) == "completed")
    });

    // The receiver goes away; new events wait for it, and the status says
    // why.
    receiver.down();
    let (status, _) = api.post(
        &asha,
        "/api/v1/contacts",
        json!({"phone": "+919876500999", "name": "While down"}),
    );
    assert_eq!(status, StatusCode::CREATED);
    eventually("a failure to show", 30, || {
        let (_, view) = api.get(&asha, &format!("/api/v1/subscriptions/{}", all.id));
        view["consecutive_failures"].as_u64() >= Some(1) && view["last_error"].is_string()
    });
    let metrics = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .and_then(|r| r.text())
        .expect("metrics");
    assert!(
        metrics.contains(&format!(
            "leadline_webhook_consecutive_failures{{subscription_id=\"{}\"}}",
            all.id
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("leadline_webhook_lag_positions{"),
        "{metrics}"
    );

    // Killed in the middle of it (kill -9), started again on the same data.
    drop(server);
    server = Server::start_with(dir.path(), ADMIN_KEY, &SERVE_ARGS, &[]);
    api = Api::new(&server);
    let phones: Vec<String> = (0..30).map(|i| format!("98766{:05}", i)).collect();
    let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
    let third = api.campaign(&asha, "Third", &phones);
    std::thread::sleep(Duration::from_secs(2));

    // Back, but slow to answer; killed again while deliveries flow.
    receiver.slow_ms.store(300, Ordering::Relaxed);
    let before = receiver.at("/asha").len();
    receiver.back_up();
    eventually("deliveries to flow again", 60, || {
        receiver.at("/asha").len() > before
    });
    drop(server);
    server = Server::start_with(dir.path(), ADMIN_KEY, &SERVE_ARGS, &[]);
    api = Api::new(&server);
    receiver.slow_ms.store(0, Ordering::Relaxed);
    eventually("the third campaign to complete", 60, || {
        api.status(&third, &asha) == "completed"
    });

    // Everything arrives; then a graceful stop and start resends nothing
    // acknowledged.
    let caught_up = |api: &Api, key: &str, subscription: &Subscription| {
        let (_, view) = api.get(key, &format!("/api/v1/subscriptions/{}", subscription.id));
        view["lag"] == 0 && view["consecutive_failures"] == 0
    };
    eventually("every delivery", 120, || {
        caught_up(&api, &asha, &all)
            && caught_up(&api, &asha, &answered)
            && caught_up(&api, &ben, &bens)
    });
    let status = server.terminate();
    assert!(status.success(), "a graceful stop: {status}");
    server = Server::start_with(dir.path(), ADMIN_KEY, &SERVE_ARGS, &[]);
    api = Api::new(&server);
    let (status, _) = api.post(
        &asha,
        "/api/v1/contacts",
        json!({"phone": "+919876500998", "name": "After the restart"}),
    );
    assert_eq!(status, StatusCode::CREATED);
    eventually("the last event", 60, || {
        caught_up(&api, &asha, &all)
            && api.events(&asha, all.start, None).len() == receiver.distinct_ids("/asha").len()
    });

    // What arrived is exactly what GET /events shows each user.
    let expected = api.events(&asha, all.start, None);
    assert!(expected.iter().any(|e| e["type"] == "CallAnswered"));
    check_deliveries(&receiver, "/asha", &all, &expected, 2);
    let of_first: Vec<Value> = api
        .events(&asha, answered.start, Some(&first))
        .into_iter()
        .filter(|e| e["type"] == "LeadDialed" || e["type"] == "CallAnswered")
        .collect();
    check_deliveries(&receiver, "/asha-first", &answered, &of_first, 2);
    let expected = api.events(&ben, bens.start, None);
    check_deliveries(&receiver, "/ben", &bens, &expected, 2);
    let asha_streams: BTreeSet<String> = receiver
        .at("/asha")
        .iter()
        .flat_map(|r| r.json()["events"].as_array().cloned().unwrap_or_default())
        .map(|e| e["stream"].as_str().unwrap_or_default().to_owned())
        .collect();
    for request in receiver.at("/ben") {
        for event in request.json()["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let stream = event["stream"].as_str().unwrap_or_default();
            assert!(!asha_streams.contains(stream), "Ben got Asha's {event}");
        }
    }
    // The faults really happened.
    let answers: BTreeSet<String> = receiver
        .at("/asha")
        .iter()
        .map(|r| format!("{:?}", r.answer))
        .collect();
    assert_eq!(answers.len(), 3, "{answers:?}");

    // Deleting stops deliveries.
    let (status, deleted) = api.delete(&ben, &format!("/api/v1/subscriptions/{}", bens.id));
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["id"], bens.id.as_str());
    let before = receiver.at("/ben").len();
    api.campaign(&ben, "After the delete", &["9876500410"]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        receiver.at("/ben").len(),
        before,
        "delivered after its delete"
    );
    let (status, _) = api.get(&ben, &format!("/api/v1/subscriptions/{}", bens.id));
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The secret is shown once: never in the log's views.
    let log = api
        .client
        .get(format!("{}/api/v1/events?limit=1000", api.base))
        .bearer_auth(ADMIN_KEY)
        .send()
        .and_then(|r| r.text())
        .expect("events");
    assert!(log.contains("SubscriptionCreated"), "{log}");
    for secret in [&all.secret, &answered.secret, &bens.secret] {
        assert!(!log.contains(secret.as_str()), "a secret in /events");
    }
    assert!(log.contains("[redacted]"));
}

#[test]
fn subscriptions_are_owned_filtered_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No --allow-insecure-webhooks; 127.0.0.1 allow-listed by name.
    let server = Server::start_with(
        dir.path(),
        ADMIN_KEY,
        &["--webhook-allow-hosts", "127.0.0.1,hooks.internal"],
        &[],
    );
    let api = Api::new(&server);
    let asha = api.user("Asha");
    let ben = api.user("Ben");
    let theirs = api.draft(&ben, "Theirs");

    // Bad input: 4xx problem+json, and nothing written.
    let position = api.position();
    let refused = [
        (
            json!({"url": "http://localhost:9/x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "https",
        ),
        (
            json!({"url": "http://example.com/x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "https",
        ),
        (
            json!({"url": "https://10.1.2.3/x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a public address",
        ),
        (
            json!({"url": "https://[fd00::1]/x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a public address",
        ),
        (
            json!({"url": "https://169.254.169.254/latest"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a public address",
        ),
        (
            json!({"url": "https://localhost/x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a public address",
        ),
        (
            json!({"url": "https://127.0.0.1/x", "events": ["CallAnswered", "CallAnsered"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "LeadDialed",
        ),
        (
            json!({"url": "https://127.0.0.1/x", "events": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "event types",
        ),
        (
            json!({"url": format!("https://127.0.0.1/{}", "a".repeat(3000))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "longer",
        ),
        (
            json!({"url": "https://127.0.0.1/x", "campaign_id": theirs}),
            StatusCode::NOT_FOUND,
            "campaign",
        ),
        (
            json!({"url": "https://127.0.0.1/x", "campaign_id": "c_nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "campaign",
        ),
        (
            json!({"url": "https://127.0.0.1/x", "colour": "blue"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "colour",
        ),
        (
            json!({"events": ["*"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url",
        ),
    ];
    for (body, status, says) in refused {
        let (got, problem) = api.post(&asha, "/api/v1/subscriptions", body.clone());
        assert_eq!(got, status, "{body}: {problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(says), "{body}: {detail}");
    }
    let (status, problem) = api.call(
        api.client
            .post(format!("{}/api/v1/subscriptions", api.base))
            .bearer_auth(&asha)
            .header("content-type", "application/json")
            .body("{\"url\": "),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, problem) = api.call(
        api.client
            .post(format!("{}/api/v1/subscriptions", api.base))
            .bearer_auth(&asha)
            .header("content-type", "application/json")
            .body(vec![b' '; 100 * 1024]),
    );
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(api.position(), position, "nothing written");

    // Create, read, list: the secret once, another user's is 404.
    let (status, created) = api.post(
        &asha,
        "/api/v1/subscriptions",
        json!({"url": "https://127.0.0.1:9/hook", "events": ["CallAnswered", "CallAnswered"]}),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(created["secret"]
        .as_str()
        .is_some_and(|s| s.starts_with("whsec_") && s.len() > 40));
    assert_eq!(created["events"], json!(["CallAnswered"]));
    assert_eq!(created["campaign_id"], Value::Null);
    for field in [
        "last_delivered_position",
        "lag",
        "consecutive_failures",
        "last_error",
    ] {
        assert!(created.get(field).is_some(), "{field}: {created}");
    }
    let (status, read) = api.get(&asha, &format!("/api/v1/subscriptions/{id}"));
    assert_eq!(status, StatusCode::OK);
    assert!(read.get("secret").is_none(), "{read}");
    assert_eq!(read["url"], "https://127.0.0.1:9/hook");
    let (status, list) = api.get(&asha, "/api/v1/subscriptions");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["subscriptions"].as_array().map(Vec::len), Some(1));
    let (_, list) = api.get(&ben, "/api/v1/subscriptions");
    assert_eq!(list["subscriptions"], json!([]));
    let (status, _) = api.get(&ben, &format!("/api/v1/subscriptions/{id}"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.delete(&ben, &format!("/api/v1/subscriptions/{id}"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get(ADMIN_KEY, &format!("/api/v1/subscriptions/{id}"));
    assert_eq!(status, StatusCode::OK, "the admin sees all");
    let (status, _) = api.get(&asha, "/api/v1/subscriptions/sub_nope");
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A subscription's events are its owner's alone in the log.
    let (_, log) = api.get(&ben, "/api/v1/events?limit=1000");
    assert!(!log.to_string().contains("SubscriptionCreated"), "{log}");
    let (_, log) = api.get(&asha, "/api/v1/events?limit=1000");
    assert!(log.to_string().contains("SubscriptionCreated"), "{log}");

    // The routes are documented.
    let document = api
        .client
        .get(format!("{}/openapi.json", api.base))
        .send()
        .and_then(|r| r.text())
        .expect("openapi");
    for path in [
        "\"/api/v1/subscriptions\"",
        "\"/api/v1/subscriptions/{id}\"",
    ] {
        assert!(
            document.contains(path),
            "{path} is not in the OpenAPI document"
        );
    }

    // The cap is per user.
    for _ in 1..20 {
        let (status, body) = api.post(
            &asha,
            "/api/v1/subscriptions",
            json!({"url": "https://127.0.0.1:9/hook"}),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = api.post(
        &asha,
        "/api/v1/subscriptions",
        json!({"url": "https://127.0.0.1:9/hook"}),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, deleted) = api.delete(&asha, &format!("/api/v1/subscriptions/{id}"));
    assert_eq!(status, StatusCode::OK, "{deleted}");
    let (status, _) = api.delete(&asha, &format!("/api/v1/subscriptions/{id}"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api.post(
        &asha,
        "/api/v1/subscriptions",
        json!({"url": "https://127.0.0.1:9/hook"}),
    );
    assert_eq!(
        status,
        StatusCode::CREATED,
        "room again after a delete: {body}"
    );
}
