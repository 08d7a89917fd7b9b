//! The report as one self-contained HTML page: inline CSS, inline SVG charts (see [`chart`]), no
//! script, no web font, nothing fetched. It opens from a CI artefact or an e-mail as it is.
//!
//! [`chart`]: super::chart

use std::fmt::Write;
use std::ops::Range;

use super::Report;

mod figures;

/// `text` made safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:920px;
  color:#1d2330;background:#fafbfc;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #d8dde6;padding-bottom:.2rem}
.sub{color:#5b6475;margin-top:0}
.verdict{display:inline-block;padding:.3rem .9rem;border-radius:4px;font-weight:700;color:#fff}
.ok{background:#1f8a4c}.bad{background:#c23030}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.92rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e7ee;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.pass{color:#1f8a4c;font-weight:700}td.fail{color:#c23030;font-weight:700}
svg.chart{width:100%;height:auto;background:#fff;border:1px solid #e3e7ee;border-radius:4px;
  margin:.5rem 0;font-size:12px}
svg .title{font-weight:700;font-size:13px}svg .axis{fill:#5b6475}
svg .grid{stroke:#e8ebf0;stroke-width:1}
";

/// A table row; the cells numbered in `numeric` are right-aligned.
fn row(out: &mut String, cells: &[String], numeric: Range<usize>) {
    out.push_str("<tr>");
    for (i, c) in cells.iter().enumerate() {
        let class = if numeric.contains(&i) {
            " class=\"n\""
        } else {
            ""
        };
        let _ = write!(out, "<td{class}>{}</td>", escape(c));
    }
    out.push_str("</tr>");
}

/// Opens a table with its header row; the columns numbered in `numeric` are right-aligned.
fn head(out: &mut String, cells: &[&str], numeric: Range<usize>) {
    out.push_str("<table><tr>");
    for (i, c) in cells.iter().enumerate() {
        let class = if numeric.contains(&i) {
            " class=\"n\""
        } else {
            ""
        };
        let _ = write!(out, "<th{class}>{}</th>", escape(c));
    }
    out.push_str("</tr>");
}

fn f(v: f64) -> String {
    format!("{v:.2}")
}

/// Renders the page.
pub fn render(r: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let c = &r.config;
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>SecKiller crowd: {}</title><style>{STYLE}</style></head><body>\
         <h1>SecKiller crowd report</h1><p class=\"sub\">{} buyers on {} node(s): {}; stock {}, \
         limit {}, quantity {}, pay probability {}, seed {}</p>",
        if r.verdict.correct {
            "correct"
        } else {
            "WRONG"
        },
        c.buyers,
        r.nodes.len(),
        escape(&r.nodes.join(", ")),
        c.stock,
        c.limit,
        c.quantity,
        c.pay_probability,
        c.seed
    );
    let (class, word) = if r.verdict.correct {
        ("ok", "CORRECT")
    } else {
        ("bad", "WRONG")
    };
    let _ = write!(out, "<p class=\"verdict {class}\">{word}</p>");
    verdict(&mut out, r);
    phases(&mut out, r);
    out.push_str("<h2>Over time</h2>");
    out.push_str(&figures::throughput(r));
    latency(&mut out, r);
    if !r.stats_samples.is_empty() {
        out.push_str("<h2>The sale's books</h2>");
        out.push_str(&figures::stock(r));
    }
    outcomes(&mut out, r);
    out.push_str("<p class=\"sub\">Made by seckiller-crowd.</p></body></html>\n");
    out
}

fn verdict(out: &mut String, r: &Report) {
    out.push_str("<h2>Verdict</h2>");
    head(out, &["check", "result", "found"], 0..0);
    for check in &r.verdict.checks {
        let (class, word) = if check.passed {
            ("pass", "pass")
        } else {
            ("fail", "FAIL")
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"{class}\">{word}</td><td>{}</td></tr>",
            escape(check.name),
            escape(&check.detail)
        );
    }
    out.push_str("</table>");
}

fn phases(out: &mut String, r: &Report) {
    out.push_str("<h2>Phases</h2>");
    head(
        out,
        &["phase", "seconds", "done", "per second", "notes"],
        1..4,
    );
    let (s, ru, st, p, e) = (&r.setup, &r.rush, &r.settle, &r.payments, &r.expiry);
    let rows = [
        [
            "setup buyers".into(),
            f(s.seconds),
            s.buyers.to_string(),
            f(s.per_second),
            String::new(),
        ],
        [
            "rush: attempts".into(),
            f(ru.seconds),
            ru.attempts.to_string(),
            f(ru.attempts_per_second),
            format!(
                "told sold out {}, at limit {}, other {}",
                ru.sold_out, ru.limit_reached, ru.gave_up
            ),
        ],
        [
            "rush: accepted".into(),
            f(ru.seconds),
            ru.accepted.to_string(),
            f(ru.accepted_per_second),
            format!("{} unanswered", ru.unanswered),
        ],
        [
            "settle: orders".into(),
            f(st.seconds),
            st.ordered.to_string(),
            f(st.per_second),
            format!("{} rejected, {} unresolved", st.rejected, st.unresolved),
        ],
        [
            "payments".into(),
            f(p.seconds),
            p.paid.to_string(),
            f(p.per_second),
            format!(
                "{} tried, {} expired first, {} refused",
                p.attempted, p.expired, p.refused
            ),
        ],
        [
            "expiry wait".into(),
            f(e.seconds),
            String::new(),
            String::new(),
            format!(
                "{}; books {}",
                if e.waited_for_expiry {
                    "waited for unpaid orders to expire"
                } else {
                    "did not wait for expiry"
                },
                if e.settled {
                    "settled"
                } else {
                    "did NOT settle"
                }
            ),
        ],
    ];
    for cells in rows {
        row(out, &cells, 1..4);
    }
    out.push_str("</table>");
}

fn latency(out: &mut String, r: &Report) {
    out.push_str("<h2>Latency per endpoint</h2>");
    out.push_str(&figures::latency(r));
    head(
        out,
        &[
            "endpoint", "answers", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
        ],
        1..7,
    );
    for l in &r.latency {
        let p = &l.latency;
        let cells = [
            l.endpoint.name().to_owned(),
            p.count.to_string(),
            f(p.p50_ms),
            f(p.p90_ms),
            f(p.p99_ms),
            f(p.p999_ms),
            f(p.max_ms),
        ];
        row(out, &cells, 1..7);
    }
    out.push_str("</table><p class=\"sub\">purchase-status is a long poll: its latency is the wait for the order.</p>");
}

fn outcomes(out: &mut String, r: &Report) {
    out.push_str("<h2>Answers</h2>");
    head(out, &["endpoint", "status", "code", "count"], 3..4);
    for o in &r.outcomes {
        let status = if o.status == 0 {
            "none".into()
        } else {
            o.status.to_string()
        };
        row(
            out,
            &[
                o.endpoint.name().to_owned(),
                status,
                o.code.clone(),
                o.count.to_string(),
            ],
            3..4,
        );
    }
    out.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Config, ExpiryPhase, Run, SetupPhase};
    use crate::verdict::{Check, Verdict};

    fn report() -> anyhow::Result<Report> {
        let recorder = crate::metrics::Recorder::new(std::time::Instant::now())?;
        Ok(Report::new(Run {
            nodes: vec!["http://127.0.0.1:1/<x>".into()],
            config: Config {
                buyers: 2,
                stock: 1,
                limit: 1,
                quantity: 1,
                seconds: 1,
                opens_in_seconds: 1,
                pay_probability: 0.5,
                seed: 1,
                payment_window_seconds: 1,
                wait_expiry: true,
                bulk_buyers: true,
            },
            setup: SetupPhase {
                buyers: 2,
                seconds: 0.1,
                per_second: 20.0,
            },
            crowd: crate::rush::Crowd::default(),
            measured: recorder.measured(),
            expiry: ExpiryPhase {
                waited_for_expiry: true,
                seconds: 1.0,
                settled: false,
            },
            samples: Vec::new(),
            final_stats: None,
            verdict: Verdict {
                correct: false,
                checks: vec![Check {
                    name: "the ledger balances",
                    passed: false,
                    detail: "problems: <b>held</b> & sold".into(),
                }],
            },
        }))
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_what_it_shows() -> anyhow::Result<()> {
        let page = render(&report()?);
        assert!(page.starts_with("<!doctype html>") && page.trim_end().ends_with("</html>"));
        for outside in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!page.contains(outside), "the page refers to {outside}");
        }
        assert!(page.contains("problems: &lt;b&gt;held&lt;/b&gt; &amp; sold"));
        assert!(page.contains("127.0.0.1:1/&lt;x&gt;"));
        assert!(page.contains("WRONG") && page.contains("<svg"));
        Ok(())
    }

    #[test]
    fn escaping_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("plain ü"), "plain ü");
    }
}
