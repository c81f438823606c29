//! Prometheus metrics, kept in the process and written as the text exposition format at
//! `/metrics`. Labels are bounded: HTTP routes are the matched route templates
//! (`/api/v1/requests/{id}`), never raw paths; an unmatched path counts as `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the request duration histogram.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Every metric of the service.
#[derive(Debug, Default)]
pub struct Metrics {
    http: Mutex<BTreeMap<(String, String, u16), u64>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
    requests: Mutex<BTreeMap<(String, String), u64>>,
    catalog_items: AtomicU64,
    catalog_errors: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    shed: AtomicU64,
    webhooks: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// Counts one HTTP request.
    pub fn observe_http(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        *lock(&self.http).entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
        let seconds = elapsed.as_secs_f64();
        let mut durations = lock(&self.durations);
        let histogram = durations.entry(route.to_owned()).or_default();
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Counts a request reaching `status` through this process.
    pub fn observe_request(&self, status: &str, item: &str) {
        *lock(&self.requests).entry((status.to_owned(), item.to_owned())).or_default() += 1;
    }

    /// Records a catalog load.
    pub fn catalog_loaded(&self, cache_hit: bool, items: usize, errors: usize) {
        let counter = if cache_hit { &self.cache_hits } else { &self.cache_misses };
        counter.fetch_add(1, Ordering::Relaxed);
        self.catalog_items.store(items as u64, Ordering::Relaxed);
        self.catalog_errors.store(errors as u64, Ordering::Relaxed);
    }

    /// Counts a verified webhook delivery.
    pub fn webhook(&self, source: &str) {
        *lock(&self.webhooks).entry(source.to_lowercase()).or_default() += 1;
    }

    /// Counts a request refused by load shedding.
    pub fn shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, version: &str, commit: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP pao_build_info Build of the running server.\n# TYPE pao_build_info gauge");
        let _ = writeln!(out, "pao_build_info{{version=\"{}\",commit=\"{}\"}} 1", escape(version), escape(commit));
        let _ = writeln!(
            out,
            "# HELP pao_http_requests_total HTTP requests handled.\n# TYPE pao_http_requests_total counter"
        );
        for ((route, method, status), count) in lock(&self.http).iter() {
            let _ = writeln!(
                out,
                "pao_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                escape(route),
                escape(method)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pao_http_request_duration_seconds Time to answer an HTTP request.\n# TYPE pao_http_request_duration_seconds histogram"
        );
        for (route, histogram) in lock(&self.durations).iter() {
            let route = escape(route);
            for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                let _ = writeln!(
                    out,
                    "pao_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "pao_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(out, "pao_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", histogram.sum);
            let _ = writeln!(out, "pao_http_request_duration_seconds_count{{route=\"{route}\"}} {}", histogram.count);
        }
        let _ = writeln!(
            out,
            "# HELP pao_requests_total Requests that reached a status through this process.\n# TYPE pao_requests_total counter"
        );
        for ((status, item), count) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "pao_requests_total{{status=\"{}\",catalog_item=\"{}\"}} {count}",
                escape(status),
                escape(item)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pao_webhook_deliveries_total Verified webhook deliveries recorded.\n# TYPE pao_webhook_deliveries_total counter"
        );
        for (source, count) in lock(&self.webhooks).iter() {
            let _ = writeln!(out, "pao_webhook_deliveries_total{{source=\"{}\"}} {count}", escape(source));
        }
        let gauges = [
            ("pao_catalog_items", "Valid documents in the catalog served.", "gauge", &self.catalog_items),
            ("pao_catalog_validation_errors", "Catalog files left out as invalid.", "gauge", &self.catalog_errors),
            (
                "pao_catalog_cache_hits_total",
                "Catalog loads answered from the tree-id cache.",
                "counter",
                &self.cache_hits,
            ),
            ("pao_catalog_cache_misses_total", "Catalog loads that parsed the catalog.", "counter", &self.cache_misses),
            ("pao_http_shed_total", "HTTP requests refused by load shedding.", "counter", &self.shed),
        ];
        for (name, help, kind, value) in gauges {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Escapes a label value (backslash, quote, newline).
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::default();
        metrics.observe_http("/api/v1/catalog", "GET", 200, Duration::from_millis(3));
        metrics.observe_request("pr_open", "pgsql");
        metrics.catalog_loaded(false, 3, 1);
        let text = metrics.render("0.1.0", "abc");
        assert!(text.contains("pao_http_requests_total{route=\"/api/v1/catalog\",method=\"GET\",status=\"200\"} 1"));
        assert!(text.contains("pao_http_request_duration_seconds_bucket{route=\"/api/v1/catalog\",le=\"0.005\"} 1"));
        assert!(text.contains("pao_http_request_duration_seconds_bucket{route=\"/api/v1/catalog\",le=\"0.0025\"} 0"));
        assert!(text.contains("pao_requests_total{status=\"pr_open\",catalog_item=\"pgsql\"} 1"));
        assert!(text.contains("pao_catalog_items 3\n"));
        assert!(text.contains("pao_catalog_cache_misses_total 1\n"));
    }
}
