//! The page's figures: the report's numbers turned into chart series.

use std::fmt::Write;

use crate::report::Report;
use crate::report::chart::{Series, log_bars, time_chart};
use crate::stats::StatsSample;

/// Requests and accepted purchases per second, then p99 latency, bucket by bucket.
pub(super) fn throughput(r: &Report) -> String {
    let mut out = String::new();
    let width = r.timeline.bucket_ms as f64 / 1000.0;
    let per_second = |n: u64| if width > 0.0 { n as f64 / width } else { 0.0 };
    let at = |ms: u64| ms as f64 / 1000.0;
    let b = &r.timeline.buckets;
    let series = [
        Series {
            name: "requests/s".into(),
            color: "#9aa7bd",
            points: b
                .iter()
                .map(|b| (at(b.start_ms), per_second(b.requests)))
                .collect(),
            bars: true,
        },
        Series {
            name: "accepted/s".into(),
            color: "#1f8a4c",
            points: b
                .iter()
                .map(|b| (at(b.start_ms), per_second(b.accepted)))
                .collect(),
            bars: true,
        },
    ];
    out.push_str(&time_chart(
        "Throughput after the opening",
        "per second",
        &series,
        width,
    ));
    let p99 = [Series {
        name: "p99 (long polls excluded)".into(),
        color: "#c2571a",
        points: b
            .iter()
            .filter_map(|b| Some((at(b.start_ms) + width / 2.0, b.p99_ms?)))
            .collect(),
        bars: false,
    }];
    out.push_str(&time_chart(
        "p99 latency after the opening",
        "ms",
        &p99,
        width,
    ));
    out
}

const PERCENTILES: [(&str, &str); 5] = [
    ("p50", "#7fb3e0"),
    ("p90", "#3d85c6"),
    ("p99", "#1c5a99"),
    ("p99.9", "#0b3866"),
    ("max", "#c23030"),
];

/// Each endpoint's percentiles as grouped bars.
pub(super) fn latency(r: &Report) -> String {
    let groups: Vec<(String, Vec<f64>)> = r
        .latency
        .iter()
        .filter(|l| l.latency.count > 0)
        .map(|l| {
            let p = &l.latency;
            (
                l.endpoint.name().to_owned(),
                vec![p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms],
            )
        })
        .collect();
    log_bars("Latency percentiles (log scale)", &PERCENTILES, &groups)
}

/// The stats readings over time, and the last one in words.
pub(super) fn stock(r: &Report) -> String {
    let mut out = String::new();
    let at = |t: i64| t as f64 / 1000.0;
    let line = |name: &str, color: &'static str, get: fn(&StatsSample) -> u64| Series {
        name: name.into(),
        color,
        points: r
            .stats_samples
            .iter()
            .filter(|s| s.t_ms >= 0)
            .map(|s| (at(s.t_ms), get(s) as f64))
            .collect(),
        bars: false,
    };
    let series = [
        line("available", "#3d85c6", |s| s.available),
        line("held", "#e0a100", |s| s.held),
        line("sold", "#1f8a4c", |s| s.sold),
        line("queue lag", "#c23030", |s| s.queue_lag),
    ];
    out.push_str(&time_chart(
        "Stock over time (stats readings)",
        "items",
        &series,
        0.25,
    ));
    if let Some(s) = &r.final_stats {
        let _ = write!(
            &mut out,
            "<p class=\"sub\">Last reading: total {}, available {}, held {}, sold {}, gate {}, \
             live orders {}, queue lag {}, balanced {}.</p>",
            s.total,
            s.available,
            s.held,
            s.sold,
            s.gate_available
                .map_or("not loaded".into(), |g| g.to_string()),
            s.live_orders,
            s.queue_lag,
            s.balanced
        );
    }
    out
}
