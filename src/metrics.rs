//! The server's metrics, in the Prometheus text format (version 0.0.4) at
//! `GET /metrics`: the append pipeline (batches, their size and commit
//! time, the queue, submit-to-checkpoint latency, refusals by code), the
//! tree and witnessed sizes, and HTTP requests by route and status.
//!
//! One registry per process, written with atomics on the hot path; a
//! labelled counter takes a short lock. No dependency: the format is a few
//! lines of text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Latency buckets, in seconds.
const SECONDS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Batch-size buckets, in entries.
const ENTRIES: [f64; 11] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// A histogram with fixed buckets; its sum is kept in integer units
/// (nanoseconds, or entries) and written divided by `unit`.
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum: AtomicU64,
    unit: f64,
}

impl Histogram {
    fn new(bounds: &'static [f64], unit: f64) -> Histogram {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            unit,
        }
    }

    fn observe_units(&self, units: u64) {
        let value = units as f64 / self.unit;
        let bucket = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(units, Ordering::Relaxed);
    }

    /// Records a duration.
    pub fn observe(&self, elapsed: Duration) {
        self.observe_units(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records a count.
    pub fn observe_count(&self, n: u64) {
        self.observe_units(n);
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = self
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let sum = self.sum.load(Ordering::Relaxed) as f64 / self.unit;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// A counter by label values.
pub struct Labelled {
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl Labelled {
    fn new(labels: &'static [&'static str]) -> Labelled {
        Labelled {
            labels,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one for these label values (in the order of the labels).
    pub fn inc(&self, values: &[&str]) {
        let key = values.iter().map(|v| (*v).to_owned()).collect();
        *self
            .values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_insert(0) += 1;
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        let values = self
            .values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, count) in values.iter() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .zip(key)
                .map(|(l, v)| format!("{l}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(out, "{name}{{{}}} {count}", labels.join(","));
        }
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Every metric of the process.
pub struct Metrics {
    /// Entries appended (new entries, not resubmissions).
    pub entries_appended: AtomicU64,
    /// Batches committed.
    pub batches: AtomicU64,
    /// Batches that could not be appended on the head this process last
    /// left (another process appended, a statement was already in the
    /// log, or a submission was refused) and were appended with the head
    /// read under the lock.
    pub append_fallbacks: AtomicU64,
    /// Entries per batch (submissions taken together).
    pub batch_size: Histogram,
    /// Time to check and commit one batch.
    pub batch_commit: Histogram,
    /// Submissions waiting for the appender.
    pub queue_depth: AtomicU64,
    /// From a submission to its reply with a signed checkpoint.
    pub submit_to_checkpoint: Histogram,
    /// Submissions refused, by code.
    pub refusals: Labelled,
    /// The newest signed checkpoint's size.
    pub tree_size: AtomicU64,
    /// The newest witnessed checkpoint's size.
    pub witnessed_size: AtomicU64,
    /// HTTP requests by method, route and status.
    pub http_requests: Labelled,
    /// HTTP request durations.
    pub http_duration: Histogram,
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics {
        entries_appended: AtomicU64::new(0),
        batches: AtomicU64::new(0),
        append_fallbacks: AtomicU64::new(0),
        batch_size: Histogram::new(&ENTRIES, 1.0),
        batch_commit: Histogram::new(&SECONDS, 1e9),
        queue_depth: AtomicU64::new(0),
        submit_to_checkpoint: Histogram::new(&SECONDS, 1e9),
        refusals: Labelled::new(&["code"]),
        tree_size: AtomicU64::new(0),
        witnessed_size: AtomicU64::new(0),
        http_requests: Labelled::new(&["method", "route", "status"]),
        http_duration: Histogram::new(&SECONDS, 1e9),
    })
}

impl Metrics {
    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut scalar = |name: &str, kind: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        scalar(
            "prasasti_entries_appended_total",
            "counter",
            "Entries appended to the log by this process.",
            &self.entries_appended,
        );
        scalar(
            "prasasti_append_batches_total",
            "counter",
            "Append batches committed by this process.",
            &self.batches,
        );
        scalar(
            "prasasti_append_fallbacks_total",
            "counter",
            "Batches appended with the head read under the lock after the append on the head this process left could not serve (another process appended, a statement was already in the log, or a submission was refused).",
            &self.append_fallbacks,
        );
        scalar(
            "prasasti_append_queue_depth",
            "gauge",
            "Submissions waiting for the appender.",
            &self.queue_depth,
        );
        scalar(
            "prasasti_tree_size",
            "gauge",
            "Size of the newest checkpoint this process signed.",
            &self.tree_size,
        );
        scalar(
            "prasasti_witnessed_tree_size",
            "gauge",
            "Size of the newest checkpoint this process saw witnessed.",
            &self.witnessed_size,
        );
        self.batch_size.write(
            &mut out,
            "prasasti_append_batch_size",
            "Submissions taken into one append transaction.",
        );
        self.batch_commit.write(
            &mut out,
            "prasasti_append_batch_seconds",
            "Time to check and commit one append batch.",
        );
        self.submit_to_checkpoint.write(
            &mut out,
            "prasasti_submit_to_checkpoint_seconds",
            "From a submission to its reply, durable and covered by a signed checkpoint.",
        );
        self.refusals.write(
            &mut out,
            "prasasti_refusals_total",
            "Submissions the ledger refused, by refusal code.",
        );
        self.http_requests.write(
            &mut out,
            "prasasti_http_requests_total",
            "HTTP requests by method, route and status.",
        );
        self.http_duration.write(
            &mut out,
            "prasasti_http_request_seconds",
            "HTTP request durations.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_the_text_is_prometheus() {
        let h = Histogram::new(&SECONDS, 1e9);
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let mut out = String::new();
        h.write(&mut out, "x_seconds", "A test.");
        assert!(out.starts_with("# HELP x_seconds A test.\n# TYPE x_seconds histogram\n"));
        assert!(out.contains("x_seconds_bucket{le=\"0.0005\"} 1\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"0.005\"} 2\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"2.5\"} 2\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_seconds_sum 10.0033\n"), "{out}");
        assert!(out.ends_with("x_seconds_count 3\n"), "{out}");
        let c = Labelled::new(&["code"]);
        c.inc(&["bad \"one\""]);
        c.inc(&["bad \"one\""]);
        let mut out = String::new();
        c.write(&mut out, "y_total", "Another.");
        assert!(
            out.ends_with("y_total{code=\"bad \\\"one\\\"\"} 2\n"),
            "{out}"
        );
    }
}
