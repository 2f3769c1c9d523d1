//! What one client, or all of them together, may cost the server: header
//! and request timeouts, a cap on connections and on requests in flight, a
//! per-address budget of submissions, and the security headers every answer
//! carries.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::api::error::ApiError;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take, body included, before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most open connections; further clients wait to be accepted.
pub const MAX_CONNECTIONS: usize = 4096;
/// Most requests handled at once; more are answered 503 at once.
pub const MAX_IN_FLIGHT: usize = 512;
/// Submissions one address may make per minute (and at once, as a burst).
pub const SUBMISSIONS_PER_MINUTE: u32 = 600;
/// Addresses remembered by the submission budget before idle ones are forgotten.
const TRACKED_ADDRESSES: usize = 65_536;

/// The limits a server runs with.
#[derive(Clone, Debug)]
pub struct Limits {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`MAX_IN_FLIGHT`].
    pub max_in_flight: usize,
    /// Submissions per minute per client address; 0 turns the budget off.
    pub submissions_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_in_flight: MAX_IN_FLIGHT,
            submissions_per_minute: SUBMISSIONS_PER_MINUTE,
        }
    }
}

/// Requests in flight, shared by every connection.
#[derive(Clone)]
pub(super) struct InFlight(pub(super) Arc<Semaphore>);

/// Answers 503 `busy` when [`Limits::max_in_flight`] requests are already
/// being handled, instead of queueing without bound.
pub(super) async fn limit_in_flight(
    State(in_flight): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    match in_flight.0.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            ApiError::busy("the server is handling as many requests as it can", 1).into_response()
        }
    }
}

/// A token bucket per client address for submissions.
#[derive(Clone)]
pub(super) struct SubmissionBudget {
    per_minute: u32,
    buckets: Arc<Mutex<HashMap<IpAddr, (f64, Instant)>>>,
}

impl SubmissionBudget {
    pub(super) fn new(per_minute: u32) -> SubmissionBudget {
        SubmissionBudget {
            per_minute,
            buckets: Arc::default(),
        }
    }

    /// Takes one submission from `ip`'s budget, or says how many seconds
    /// until one is available.
    fn take(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= TRACKED_ADDRESSES && !buckets.contains_key(&ip) {
            // Forget addresses whose bucket has refilled: they lose nothing.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Spends a submission of the client's budget on every `POST`, or answers
/// 429 `rate_limited` with `Retry-After`.
pub(super) async fn limit_submissions(
    State(budget): State<SubmissionBudget>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST {
        let ip = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        if let Some(ip) = ip
            && let Err(seconds) = budget.take(ip, Instant::now())
        {
            return ApiError::rate_limited(seconds).into_response();
        }
    }
    next.run(request).await
}

/// The headers every answer carries: nothing is loaded from other hosts,
/// framed, or sniffed into another type, and no address leaks in referrers.
pub(super) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Counts each request by method, route (its pattern, such as
/// `/api/v1/entries/{index}`, never the raw path) and status, and times it.
pub async fn count_requests(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let metrics = crate::metrics::metrics();
    metrics
        .http_requests
        .inc(&[&method, &route, response.status().as_str()]);
    metrics.http_duration.observe(started.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_allows_a_burst_then_refills_at_its_rate() {
        let budget = SubmissionBudget::new(60);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let start = Instant::now();
        for _ in 0..60 {
            assert_eq!(budget.take(ip, start), Ok(()));
        }
        assert_eq!(budget.take(ip, start), Err(1));
        // Another address has its own budget.
        assert_eq!(budget.take([192, 0, 2, 2].into(), start), Ok(()));
        assert_eq!(budget.take(ip, start + Duration::from_secs(1)), Ok(()));
        assert_eq!(budget.take(ip, start + Duration::from_secs(1)), Err(1));
        assert_eq!(SubmissionBudget::new(0).take(ip, start), Ok(()));
    }
}
