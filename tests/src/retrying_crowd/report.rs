//! What a retrying crowd was told, attempt by attempt, and the figures a scenario reads from it:
//! who was accepted, who heard what, and how fast the refusals came.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::crowd::Answer;

/// The request an attempt ended on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The purchase-token request (refused or unanswered; the purchase was never sent).
    Token,
    /// The purchase itself.
    Purchase,
}

/// One attempt of one buyer.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Who tried.
    pub buyer: Uuid,
    /// Which node (index into the crowd's nodes).
    pub node: usize,
    /// When the last request was sent, from the crowd's start.
    pub sent_at: Duration,
    /// How long its answer took (or how long until it was given up on).
    pub latency: Duration,
    /// The request the attempt ended on.
    pub step: Step,
    /// What it got.
    pub answer: Answer,
}

impl Attempt {
    /// True for a 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(&self.answer, Answer::Refused { status, .. } if *status == StatusCode::SERVICE_UNAVAILABLE)
    }

    /// True when the request was sent within `[from, to]`.
    pub fn sent_within(&self, from: Duration, to: Duration) -> bool {
        self.sent_at >= from && self.sent_at <= to
    }

    /// A short label: `202`, or what the request the attempt ended on got — `409 sold_out
    /// (purchase)`, `503 unavailable (token)`, `no answer (purchase)`, `malformed (token)`.
    pub fn label(&self) -> String {
        let step = match self.step {
            Step::Token => "token",
            Step::Purchase => "purchase",
        };
        match &self.answer {
            Answer::Accepted { .. } => "202".into(),
            Answer::Refused { status, code } => format!("{} {code} ({step})", status.as_u16()),
            Answer::NoAnswer { .. } => format!("no answer ({step})"),
            Answer::Malformed { .. } => format!("malformed ({step})"),
        }
    }
}

/// Every attempt of the crowd.
#[derive(Debug, Clone)]
pub struct CrowdReport {
    /// In no particular order.
    pub attempts: Vec<Attempt>,
}

impl CrowdReport {
    pub(super) fn new(attempts: Vec<Attempt>) -> Self {
        Self { attempts }
    }

    /// Each accepted purchase: (buyer, purchase id).
    pub fn accepted(&self) -> Vec<(Uuid, Uuid)> {
        self.attempts
            .iter()
            .filter_map(|a| match a.answer {
                Answer::Accepted { purchase_id } => Some((a.buyer, purchase_id)),
                _ => None,
            })
            .collect()
    }

    /// The buyers told `code` (a problem code such as `sold_out`) at least once.
    pub fn told(&self, code: &str) -> HashSet<Uuid> {
        self.attempts
            .iter()
            .filter(|a| matches!(&a.answer, Answer::Refused { code: c, .. } if c == code))
            .map(|a| a.buyer)
            .collect()
    }

    /// The attempts whose answer did not fit the API document, described.
    pub fn malformed(&self) -> Vec<String> {
        self.attempts
            .iter()
            .filter_map(|a| match &a.answer {
                Answer::Malformed { error } => Some(error.clone()),
                _ => None,
            })
            .collect()
    }

    /// How many attempts got each kind of answer, e.g. `{"202": 150, "409 sold_out": 280}`.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for attempt in &self.attempts {
            *counts.entry(attempt.label()).or_default() += 1;
        }
        counts
    }

    /// The same, for the attempts sent within `[from, to]`.
    pub fn counts_within(&self, from: Duration, to: Duration) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for attempt in self.attempts.iter().filter(|a| a.sent_within(from, to)) {
            *counts.entry(attempt.label()).or_default() += 1;
        }
        counts
    }

    /// The latencies of the attempts `keep` selects.
    pub fn latencies(&self, keep: impl Fn(&Attempt) -> bool) -> Latencies {
        Latencies::of(
            self.attempts
                .iter()
                .filter(|a| keep(a))
                .map(|a| a.latency)
                .collect(),
        )
    }

    /// The latencies of every 503.
    pub fn unavailable_latencies(&self) -> Latencies {
        self.latencies(Attempt::is_unavailable)
    }
}

/// A few order statistics of some latencies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latencies {
    /// How many.
    pub count: usize,
    /// The median.
    pub p50: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The longest.
    pub max: Duration,
}

impl Latencies {
    /// The statistics of `latencies` (all zero when there are none).
    pub fn of(mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        let at = |q: usize| {
            latencies
                .get((latencies.len() * q / 100).min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        Self {
            count: latencies.len(),
            p50: at(50),
            p99: at(99),
            max: latencies.last().copied().unwrap_or_default(),
        }
    }
}

impl fmt::Display for Latencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answers, p50 {:?}, p99 {:?}, max {:?}",
            self.count, self.p50, self.p99, self.max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_pick_the_median_and_the_tail() {
        let ms = |n| Duration::from_millis(n);
        let stats = Latencies::of((1..=100).map(ms).collect());
        assert_eq!(
            (stats.count, stats.p50, stats.p99, stats.max),
            (100, ms(51), ms(100), ms(100))
        );
        assert_eq!(Latencies::of(Vec::new()), Latencies::default());
    }
}
