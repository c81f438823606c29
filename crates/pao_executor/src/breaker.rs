//! Circuit breakers, one per target host: after `failures` consecutive failures the breaker
//! opens and calls to that host fail fast for `open_for`; then one trial call is let through
//! (half-open): success closes it, failure opens it again. Failures are connection errors,
//! timeouts and 5xx answers; a 4xx is the caller's fault and does not count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::clock::Clock;

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail fast until `until`.
    Open {
        /// When a trial call is allowed.
        until: SystemTime,
    },
    /// One trial call is in flight.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
struct Host {
    state: BreakerState,
    consecutive: u32,
}

/// The breakers of every host, shared by all actions of a process.
#[derive(Clone)]
pub struct Breakers {
    hosts: Arc<Mutex<HashMap<String, Host>>>,
    failures: u32,
    open_for: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Breakers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breakers").field("failures", &self.failures).field("open_for", &self.open_for).finish()
    }
}

/// Why a call was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "circuit breaker for {host} is open after {failures} consecutive failures; calls fail fast until {until} (then one trial call)"
)]
pub struct CircuitOpen {
    /// The host.
    pub host: String,
    /// The threshold that opened it.
    pub failures: u32,
    /// RFC 3339.
    pub until: String,
}

impl Breakers {
    /// Breakers opening after `failures` consecutive failures, for `open_for`.
    pub fn new(failures: u32, open_for: Duration, clock: Arc<dyn Clock>) -> Self {
        Self { hosts: Arc::default(), failures: failures.max(1), open_for, clock }
    }

    fn hosts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Host>> {
        self.hosts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// May a call to `host` go out now?
    ///
    /// # Errors
    /// [`CircuitOpen`] while the breaker is open (or its trial call is in flight).
    pub fn check(&self, host: &str) -> Result<(), CircuitOpen> {
        let now = self.clock.now();
        let mut hosts = self.hosts();
        let entry = hosts.entry(host.to_owned()).or_insert(Host { state: BreakerState::Closed, consecutive: 0 });
        match entry.state {
            BreakerState::Closed => Ok(()),
            BreakerState::Open { until } if now >= until => {
                entry.state = BreakerState::HalfOpen;
                Ok(())
            }
            BreakerState::Open { until } => Err(self.open_error(host, until)),
            BreakerState::HalfOpen => Err(self.open_error(host, now)),
        }
    }

    fn open_error(&self, host: &str, until: SystemTime) -> CircuitOpen {
        CircuitOpen { host: host.to_owned(), failures: self.failures, until: crate::clock::rfc3339(until) }
    }

    /// Records a call's result.
    pub fn record(&self, host: &str, success: bool) {
        let now = self.clock.now();
        let mut hosts = self.hosts();
        let entry = hosts.entry(host.to_owned()).or_insert(Host { state: BreakerState::Closed, consecutive: 0 });
        if success {
            *entry = Host { state: BreakerState::Closed, consecutive: 0 };
            return;
        }
        entry.consecutive += 1;
        if entry.state == BreakerState::HalfOpen || entry.consecutive >= self.failures {
            entry.state = BreakerState::Open { until: now + self.open_for };
        }
    }

    /// The state of `host`'s breaker.
    pub fn state(&self, host: &str) -> BreakerState {
        self.hosts().get(host).map_or(BreakerState::Closed, |h| h.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn closed_open_half_open_closed() {
        let clock = Arc::new(ManualClock::at(1_000));
        let breakers = Breakers::new(3, Duration::from_secs(30), clock.clone());
        for _ in 0..2 {
            breakers.check("a").unwrap();
            breakers.record("a", false);
        }
        assert_eq!(breakers.state("a"), BreakerState::Closed);
        breakers.record("a", false);
        let err = breakers.check("a").unwrap_err();
        assert!(err.to_string().contains("open after 3 consecutive failures"), "{err}");
        breakers.check("b").unwrap(); // other hosts are not affected
        clock.advance(Duration::from_secs(30));
        breakers.check("a").unwrap(); // the trial call
        assert_eq!(breakers.state("a"), BreakerState::HalfOpen);
        assert!(breakers.check("a").is_err(), "only one trial call at a time");
        breakers.record("a", false);
        assert!(matches!(breakers.state("a"), BreakerState::Open { .. }));
        clock.advance(Duration::from_secs(30));
        breakers.check("a").unwrap();
        breakers.record("a", true);
        assert_eq!(breakers.state("a"), BreakerState::Closed);
    }
}
