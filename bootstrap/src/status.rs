//! `seckiller status [--watch]`: an operator's view of one node without Grafana — each live
//! sale's stock (gate and database), backlog, books and purchase outcomes, the circuit breakers,
//! the queue lag and the node's load — read from its `/metrics` page. With `--watch` the view is
//! redrawn in place every few seconds, with rates since the last refresh.

mod scrape;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

pub use scrape::{Sample, Scrape, parse};

use crate::config::Settings;

/// Why the node could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// No answer, or not a metrics page.
    #[error("reading {url}: {cause}")]
    Unreadable {
        /// The address asked.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// Writing the view failed.
    #[error("writing the status: {0}")]
    Output(#[from] std::io::Error),
}

/// The metrics address of the node `settings` describe: its own metrics listener if it has one,
/// else its API listener; an address bound to every interface is asked on loopback.
pub fn default_url(settings: &Settings) -> String {
    let at = settings.metrics_listen.unwrap_or(settings.listen);
    let ip = match at.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/metrics", SocketAddr::new(ip, at.port()))
}

/// Reads the node's metrics page once.
///
/// # Errors
/// [`StatusError::Unreadable`] when it does not answer 200 within a few seconds.
pub async fn read(client: &reqwest::Client, url: &str) -> Result<Scrape, StatusError> {
    let unreadable = |cause: String| StatusError::Unreadable {
        url: url.to_owned(),
        cause,
    };
    let response = client
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    if !response.status().is_success() {
        return Err(unreadable(format!("answered {}", response.status())));
    }
    let text = response
        .text()
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(Scrape::of(&text))
}

/// Shows the node at `url` once, or, with `every`, again and again in place until interrupted.
///
/// # Errors
/// [`StatusError`] when the node cannot be read (in watch mode, only on the first read) or
/// the output cannot be written.
pub async fn run(
    url: &str,
    every: Option<Duration>,
    out: &mut impl std::io::Write,
) -> Result<(), StatusError> {
    let client = reqwest::Client::new();
    let mut last = read(&client, url).await?;
    let Some(every) = every else {
        out.write_all(render(url, &last, None).as_bytes())?;
        return Ok(());
    };
    let mut view = render(url, &last, None);
    loop {
        // Clear the screen and draw from its top left corner.
        out.write_all(b"\x1b[2J\x1b[H")?;
        out.write_all(view.as_bytes())?;
        out.flush()?;
        tokio::time::sleep(every).await;
        view = match read(&client, url).await {
            Ok(now) => {
                let view = render(url, &now, Some((&last, every)));
                last = now;
                view
            }
            Err(e) => format!("{e}\n(retrying every {} s)\n", every.as_secs()),
        };
    }
}

fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"))
}

fn mib(bytes: Option<f64>) -> String {
    bytes.map_or_else(|| "-".to_owned(), |b| format!("{:.1} MiB", b / 1_048_576.0))
}

fn state_name(value: f64) -> &'static str {
    match value {
        v if v < 0.5 => "closed",
        v if v < 1.5 => "half open",
        _ => "open",
    }
}

/// A counter and, with an earlier scrape `seconds` before, its rate since then.
fn counted(now: Option<f64>, before: Option<f64>, seconds: Option<f64>) -> String {
    match (now, before, seconds) {
        (Some(now), Some(before), Some(seconds)) if seconds > 0.0 => {
            format!("{now:.0} ({:.1}/s)", (now - before).max(0.0) / seconds)
        }
        (now, _, _) => figure(now),
    }
}

/// The view of one scrape, with rates against `before` (an earlier scrape, so long ago) when
/// given.
pub fn render(url: &str, now: &Scrape, before: Option<(&Scrape, Duration)>) -> String {
    let seconds = before.map(|(_, took)| took.as_secs_f64());
    let earlier = |name: &str, with: &[(&str, &str)]| before.and_then(|(b, _)| b.sum(name, with));
    let mut text = String::new();
    let version = now
        .label_values("seckiller_build_info", "version")
        .pop()
        .unwrap_or_else(|| "?".to_owned());
    let _ = writeln!(text, "SecKiller {version} at {url}");
    let server_errors: f64 = now
        .all("seckiller_http_requests_total", &[])
        .filter(|s| s.labels.get("status").is_some_and(|v| v.starts_with('5')))
        .map(|s| s.value)
        .sum();
    let _ = writeln!(
        text,
        "in flight {} / {}   connections {} / {}   queue lag {}   5xx answers {}",
        figure(now.sum("seckiller_http_in_flight_requests", &[])),
        match now.sum("seckiller_http_max_in_flight_requests", &[]) {
            Some(cap) if cap > 0.0 => format!("{cap:.0}"),
            _ => "no cap".to_owned(),
        },
        figure(now.sum("seckiller_connections_open", &[])),
        figure(now.sum("seckiller_connections_max", &[])),
        figure(now.sum("seckiller_queue_lag_purchases", &[])),
        format_args!("{server_errors:.0}"),
    );
    let breakers: Vec<String> = now
        .all("seckiller_breaker_state", &[])
        .map(|s| {
            let dependency = s.labels.get("dependency").map_or("?", String::as_str);
            format!("{dependency} {}", state_name(s.value))
        })
        .collect();
    let _ = writeln!(
        text,
        "breakers: {}",
        if breakers.is_empty() {
            "none (every dependency is in the process)".to_owned()
        } else {
            breakers.join(" · ")
        }
    );
    let lifecycle = |name: &str| counted(now.sum(name, &[]), earlier(name, &[]), seconds);
    let _ = writeln!(
        text,
        "orders: written {} · paid {} · cancelled {} · expired {} · items back on sale {}",
        lifecycle("seckiller_order_writer_orders_total"),
        lifecycle("seckiller_orders_paid_total"),
        lifecycle("seckiller_orders_cancelled_total"),
        lifecycle("seckiller_orders_expired_total"),
        lifecycle("seckiller_stock_returned_items_total"),
    );
    let _ = writeln!(
        text,
        "process: cpu {} s · memory {} · files {} / {}",
        now.sum("seckiller_process_cpu_seconds_total", &[])
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}")),
        mib(now.sum("seckiller_process_resident_memory_bytes", &[])),
        figure(now.sum("seckiller_process_open_fds", &[])),
        figure(now.sum("seckiller_process_max_fds", &[])),
    );
    let sales = now.label_values("seckiller_sale_open", "sale");
    if sales.is_empty() {
        let _ = writeln!(text, "\nno live sale");
        return text;
    }
    let _ = writeln!(
        text,
        "\n{:<36}  {:<6} {:<9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>5}  {:<6} {:>16} {:>16} {:>9}",
        "sale",
        "state",
        "preheated",
        "total",
        "gate",
        "avail",
        "held",
        "sold",
        "lag",
        "books",
        "accepted",
        "sold out",
        "refused"
    );
    for sale in &sales {
        let one = [("sale", sale.as_str())];
        let place = |place: &str| {
            figure(now.sum(
                "seckiller_sale_stock_items",
                &[("sale", sale.as_str()), ("place", place)],
            ))
        };
        let flag = |name: &str| now.sum(name, &one).is_some_and(|v| v > 0.5);
        let outcome = |outcome: &str| {
            let with = [("sale", sale.as_str()), ("outcome", outcome)];
            counted(
                Some(now.sum("seckiller_purchases_total", &with).unwrap_or(0.0)),
                earlier("seckiller_purchases_total", &with).or(before.map(|_| 0.0)),
                seconds,
            )
        };
        let all = now.sum("seckiller_purchases_total", &one).unwrap_or(0.0);
        let kept = ["accepted", "sold_out"]
            .iter()
            .filter_map(|o| {
                now.sum(
                    "seckiller_purchases_total",
                    &[("sale", sale.as_str()), ("outcome", o)],
                )
            })
            .sum::<f64>();
        let _ = writeln!(
            text,
            "{:<36}  {:<6} {:<9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>5}  {:<6} {:>16} {:>16} {:>9}",
            sale,
            if flag("seckiller_sale_open") {
                "open"
            } else {
                "closed"
            },
            if flag("seckiller_sale_preheated") {
                "yes"
            } else {
                "NO"
            },
            place("total"),
            place("gate"),
            place("available"),
            place("held"),
            place("sold"),
            figure(now.sum("seckiller_sale_queue_lag_purchases", &one)),
            if flag("seckiller_sale_ledger_balanced") {
                "ok"
            } else {
                "OFF"
            },
            outcome("accepted"),
            outcome("sold_out"),
            format!("{:.0}", (all - kept).max(0.0)),
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALE: &str = "0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21";

    fn scrape(accepted: u32, redis: u8) -> Scrape {
        Scrape::of(&format!(
            "seckiller_build_info{{version=\"1.2.3\"}} 1\n\
             seckiller_breaker_state{{dependency=\"redis\"}} {redis}\n\
             seckiller_queue_lag_purchases 4\n\
             seckiller_http_requests_total{{route=\"other\",method=\"GET\",status=\"503\"}} 2\n\
             seckiller_sale_open{{sale=\"{SALE}\"}} 1\n\
             seckiller_sale_preheated{{sale=\"{SALE}\"}} 1\n\
             seckiller_sale_ledger_balanced{{sale=\"{SALE}\"}} 0\n\
             seckiller_sale_stock_items{{sale=\"{SALE}\",place=\"gate\"}} 17\n\
             seckiller_purchases_total{{sale=\"{SALE}\",outcome=\"accepted\"}} {accepted}\n\
             seckiller_purchases_total{{sale=\"{SALE}\",outcome=\"limit_reached\"}} 5\n"
        ))
    }

    #[test]
    fn the_view_names_each_sale_its_figures_and_the_breakers() {
        let view = render("http://n/metrics", &scrape(10, 2), None);
        assert!(
            view.contains("SecKiller 1.2.3 at http://n/metrics"),
            "{view}"
        );
        assert!(view.contains("redis open"), "{view}");
        assert!(view.contains("queue lag 4"), "{view}");
        assert!(view.contains("5xx answers 2"), "{view}");
        let row = view.lines().find(|l| l.starts_with(SALE)).unwrap();
        for cell in ["open", "yes", "17", "OFF", "10", "5"] {
            assert!(row.split_whitespace().any(|c| c == cell), "{cell} in {row}");
        }
    }

    #[test]
    fn watching_shows_rates_since_the_last_refresh() {
        let before = scrape(10, 0);
        let view = render("u", &scrape(30, 0), Some((&before, Duration::from_secs(4))));
        assert!(view.contains("30 (5.0/s)"), "{view}");
        assert!(view.contains("redis closed"));
    }

    #[test]
    fn a_node_listening_everywhere_is_asked_on_loopback() {
        let settings = Settings {
            listen: "0.0.0.0:8080".parse().unwrap(),
            ..Settings::default()
        };
        assert_eq!(default_url(&settings), "http://127.0.0.1:8080/metrics");
        let own = Settings {
            metrics_listen: Some("[::]:9100".parse().unwrap()),
            ..settings
        };
        assert_eq!(default_url(&own), "http://[::1]:9100/metrics");
    }
}
