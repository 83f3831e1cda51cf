//! `GET /metrics`: the service's counters in the Prometheus text format —
//! requests and their latency per endpoint, check decisions, the committed
//! epoch, the write backlog, the stored tuples and the served policy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use storage::CommitStats;

use super::{ApiError, AppState};

/// Latency buckets in seconds: 10 µs to 2.5 s.
const LATENCY_BUCKETS: &[f64] = &[
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5,
    1.0, 2.5,
];

/// The service's metrics, registered in their own registry.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    decisions: IntCounterVec,
    committed_epoch: IntGauge,
    epoch_lag: IntGauge,
    tuples: IntGauge,
    policy: IntGaugeVec,
    watchers: IntGauge,
}

impl Metrics {
    /// Metrics of a service at `epoch`, holding `stored` permissions under
    /// the policy `version`.
    pub fn new(
        epoch: u64,
        stored: usize,
        version: &str,
    ) -> Result<Arc<Metrics>, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("permafrost_http_requests_total", "HTTP requests answered"),
            &["endpoint", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "permafrost_http_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["endpoint"],
        )?;
        let decisions = IntCounterVec::new(
            Opts::new(
                "permafrost_check_decisions_total",
                "Checks answered (batch items included)",
            ),
            &["result"],
        )?;
        let committed_epoch = IntGauge::new("permafrost_committed_epoch", "The committed epoch")?;
        let epoch_lag = IntGauge::new(
            "permafrost_epoch_lag",
            "Write requests accepted but not yet committed",
        )?;
        let tuples = IntGauge::new("permafrost_tuples", "Stored allow tuples")?;
        let policy = IntGaugeVec::new(
            Opts::new("permafrost_policy_info", "The served policy version"),
            &["version"],
        )?;
        let watchers = IntGauge::new("permafrost_watchers", "Open watch streams")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(decisions.clone()))?;
        registry.register(Box::new(committed_epoch.clone()))?;
        registry.register(Box::new(epoch_lag.clone()))?;
        registry.register(Box::new(tuples.clone()))?;
        registry.register(Box::new(policy.clone()))?;
        registry.register(Box::new(watchers.clone()))?;
        let metrics = Metrics {
            registry,
            requests,
            latency,
            decisions,
            committed_epoch,
            epoch_lag,
            tuples,
            policy,
            watchers,
        };
        metrics.switched(epoch, stored, version);
        Ok(Arc::new(metrics))
    }

    /// One request answered.
    fn request(&self, endpoint: &str, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[endpoint, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[endpoint])
            .observe(elapsed.as_secs_f64());
    }

    /// Checks answered: how many allowed, how many denied.
    pub fn decisions(&self, allowed: usize, denied: usize) {
        self.decisions
            .with_label_values(&["allowed"])
            .inc_by(allowed as u64);
        self.decisions
            .with_label_values(&["denied"])
            .inc_by(denied as u64);
    }

    /// An epoch of facts was committed.
    pub fn committed(&self, epoch: u64, stats: &CommitStats) {
        self.committed_epoch.set(gauge(epoch));
        self.tuples
            .add(gauge(stats.granted as u64) - gauge(stats.revoked as u64));
    }

    /// The policy `version` is served from `epoch` on, with `tuples` tuples.
    pub fn switched(&self, epoch: u64, tuples: usize, version: &str) {
        self.committed_epoch.set(gauge(epoch));
        self.tuples.set(gauge(tuples as u64));
        self.policy.reset();
        self.policy.with_label_values(&[version]).set(1);
    }

    /// A watch stream opened (`+1`) or closed (`-1`).
    pub fn watchers(&self, delta: i64) {
        self.watchers.add(delta);
    }
}

fn gauge(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Records every request's endpoint, status and latency.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .request(&endpoint, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Result<Response, ApiError> {
    let metrics = &state.metrics;
    metrics.epoch_lag.set(gauge(state.writer.queued() as u64));
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&metrics.registry.gather(), &mut text)
        .map_err(ApiError::internal)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        text,
    )
        .into_response())
}
