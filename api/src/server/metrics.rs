//! Prometheus metrics: requests by route and status, latency, events
//! appended, and gauges read from the log and the read models at scrape
//! time (log position, calls in flight, hopper sizes).

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CampaignLabels {
    pub campaign_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SubscriptionLabels {
    pub subscription_id: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    events_appended: Counter,
    log_position: Gauge,
    read_model_position: Gauge,
    calls_in_flight: Gauge,
    hopper_leads: Family<CampaignLabels, Gauge>,
    webhook_delivered_position: Family<SubscriptionLabels, Gauge>,
    webhook_lag: Family<SubscriptionLabels, Gauge>,
    webhook_failures: Family<SubscriptionLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("leadline");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 50 µs to about 1.6 s.
            Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
        });
        let events_appended = Counter::default();
        let log_position = Gauge::default();
        let read_model_position = Gauge::default();
        let calls_in_flight = Gauge::default();
        let hopper_leads = Family::<CampaignLabels, Gauge>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register(
            "events_appended",
            "Events appended to the log by this process",
            events_appended.clone(),
        );
        registry.register(
            "log_position",
            "Last durable log position",
            log_position.clone(),
        );
        registry.register(
            "read_model_position",
            "Last log position folded into the read models",
            read_model_position.clone(),
        );
        registry.register(
            "calls_in_flight",
            "Calls in flight across all users",
            calls_in_flight.clone(),
        );
        registry.register(
            "hopper_leads",
            "Leads in the hopper of each active campaign",
            hopper_leads.clone(),
        );
        let webhook_delivered_position = Family::<SubscriptionLabels, Gauge>::default();
        let webhook_lag = Family::<SubscriptionLabels, Gauge>::default();
        let webhook_failures = Family::<SubscriptionLabels, Gauge>::default();
        registry.register(
            "webhook_last_delivered_position",
            "Log position up to which a subscription's events were acknowledged",
            webhook_delivered_position.clone(),
        );
        registry.register(
            "webhook_lag_positions",
            "Log positions a subscription is behind the folded head",
            webhook_lag.clone(),
        );
        registry.register(
            "webhook_consecutive_failures",
            "Failed tries of a subscription's batch in flight since its last success",
            webhook_failures.clone(),
        );
        Metrics {
            registry,
            webhook_delivered_position,
            webhook_lag,
            webhook_failures,
            requests,
            latency,
            events_appended,
            log_position,
            read_model_position,
            calls_in_flight,
            hopper_leads,
        }
    }

    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    pub fn events_appended(&self, count: u64) {
        self.events_appended.inc_by(count);
    }

    /// The text exposition, with the gauges set from `sample` first.
    pub fn render(&self, sample: &Sample) -> String {
        self.log_position
            .set(i64::try_from(sample.log_position).unwrap_or(i64::MAX));
        self.read_model_position
            .set(i64::try_from(sample.read_model_position).unwrap_or(i64::MAX));
        self.calls_in_flight.set(i64::from(sample.calls_in_flight));
        self.hopper_leads.clear();
        for (campaign_id, leads) in &sample.hoppers {
            self.hopper_leads
                .get_or_create(&CampaignLabels {
                    campaign_id: campaign_id.clone(),
                })
                .set(i64::try_from(*leads).unwrap_or(i64::MAX));
        }
        self.webhook_delivered_position.clear();
        self.webhook_lag.clear();
        self.webhook_failures.clear();
        for subscription in &sample.subscriptions {
            let labels = SubscriptionLabels {
                subscription_id: subscription.id.clone(),
            };
            let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            self.webhook_delivered_position
                .get_or_create(&labels)
                .set(gauge(subscription.last_delivered_position));
            self.webhook_lag
                .get_or_create(&labels)
                .set(gauge(subscription.lag));
            self.webhook_failures
                .get_or_create(&labels)
                .set(i64::from(subscription.consecutive_failures));
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Values read from the log and the read models at scrape time.
pub struct Sample {
    pub log_position: u64,
    pub read_model_position: u64,
    pub calls_in_flight: u32,
    pub hoppers: Vec<(String, usize)>,
    pub subscriptions: Vec<SubscriptionSample>,
}

/// One live webhook subscription's standing.
pub struct SubscriptionSample {
    pub id: String,
    pub last_delivered_position: u64,
    pub lag: u64,
    pub consecutive_failures: u32,
}
