//! Inline SVG charts drawn by hand, so the HTML page needs no script, font or file of its own:
//! a time chart (bars and lines over seconds) and grouped bars on a log scale.

use std::fmt::Write;

use super::html::escape;

const W: f64 = 860.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

/// One series of a time chart.
pub struct Series {
    pub name: String,
    pub color: &'static str,
    /// (seconds, value) points.
    pub points: Vec<(f64, f64)>,
    /// Drawn as bars `bar_width` seconds wide, else as a line.
    pub bars: bool,
}

/// A round tick step and the axis top for values up to `max`: about five steps of 1, 2 or 5
/// times a power of ten.
pub fn ticks(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    (step, (max / step).ceil() * step)
}

/// A number for an axis or a label: whole when it is, else with up to two decimals.
pub fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn open(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><text class="title" x="{LEFT}" y="18">{t}</text>"#,
        t = escape(title)
    );
}

fn legend(out: &mut String, items: &[(&str, &str)]) {
    let mut x = W - RIGHT;
    for (name, color) in items.iter().rev() {
        x -= 14.0 + 7.0 * name.chars().count() as f64 + 12.0;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="9" width="10" height="10" fill="{color}"/><text x="{:.1}" y="18">{}</text>"#,
            x + 14.0,
            escape(name)
        );
    }
}

/// Bars and lines over time, `bar_width` seconds per bar, the y axis labelled `unit`.
pub fn time_chart(title: &str, unit: &str, series: &[Series], bar_width: f64) -> String {
    let mut out = String::new();
    open(&mut out, title);
    let points = || series.iter().flat_map(|s| s.points.iter());
    let x_max = points().map(|(x, _)| *x).fold(0.0, f64::max).max(bar_width) + bar_width;
    let (x_step, x_top) = ticks(x_max);
    let (y_step, y_top) = ticks(points().map(|(_, y)| *y).fold(0.0, f64::max));
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let sx = |x: f64| LEFT + x / x_top * pw;
    let sy = |y: f64| TOP + ph - y / y_top * ph;
    let mut y = 0.0;
    while y <= y_top + y_step / 2.0 {
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            sy(y) + 4.0,
            number(y),
            yy = sy(y)
        );
        y += y_step;
    }
    let mut x = 0.0;
    while x <= x_top + x_step / 2.0 {
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}s</text>"#,
            sx(x),
            H - BOTTOM + 16.0,
            number(x)
        );
        x += x_step;
    }
    let _ = write!(
        out,
        r#"<text class="axis" x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        escape(unit)
    );
    for s in series {
        if s.bars {
            let w = (bar_width / x_top * pw).max(0.5);
            for (x, y) in &s.points {
                let _ = write!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"/>"#,
                    sx(*x),
                    sy(*y),
                    (TOP + ph - sy(*y)).max(0.0),
                    s.color
                );
            }
        } else if !s.points.is_empty() {
            let path: Vec<String> = s
                .points
                .iter()
                .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
                .collect();
            let _ = write!(
                out,
                r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
                s.color,
                path.join(" ")
            );
        }
    }
    let items: Vec<(&str, &str)> = series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    legend(&mut out, &items);
    out.push_str("</svg>");
    out
}

/// A duration in milliseconds, short: `250 µs`, `12 ms`, `1.5 s`.
pub fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", number(ms / 1000.0))
    } else if ms >= 1.0 || ms <= 0.0 {
        format!("{} ms", number(ms))
    } else {
        format!("{} µs", number(ms * 1000.0))
    }
}

/// Grouped bars of milliseconds on a log scale: one group per label, one bar per `names` entry
/// in each.
pub fn log_bars(title: &str, names: &[(&str, &str)], groups: &[(String, Vec<f64>)]) -> String {
    let mut out = String::new();
    open(&mut out, title);
    let values = || {
        groups
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .filter(|v| *v > 0.0)
    };
    let low = values().fold(f64::INFINITY, f64::min);
    let high = values().fold(0.0, f64::max);
    let (lo, hi) = if high > 0.0 {
        (
            low.log10().floor(),
            high.log10().ceil().max(low.log10().floor() + 1.0),
        )
    } else {
        (0.0, 1.0)
    };
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let sy = |v: f64| {
        let l = if v > 0.0 { v.log10().clamp(lo, hi) } else { lo };
        TOP + ph - (l - lo) / (hi - lo) * ph
    };
    let mut decade = lo;
    while decade <= hi {
        let v = 10f64.powf(decade);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            sy(v) + 4.0,
            millis(v),
            y = sy(v)
        );
        decade += 1.0;
    }
    let group_w = pw / groups.len().max(1) as f64;
    let bar_w = (group_w * 0.8) / names.len().max(1) as f64;
    for (g, (label, vals)) in groups.iter().enumerate() {
        let gx = LEFT + g as f64 * group_w + group_w * 0.1;
        for (b, (v, (name, color))) in vals.iter().zip(names).enumerate() {
            let y = sy(*v);
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{color}"><title>{} {}: {}</title></rect>"#,
                gx + b as f64 * bar_w,
                (bar_w - 2.0).max(1.0),
                (TOP + ph - y).max(0.0),
                escape(label),
                escape(name),
                millis(*v)
            );
        }
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            gx + group_w * 0.4,
            H - BOTTOM + 16.0,
            escape(label)
        );
    }
    legend(&mut out, names);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(0.0), (0.2, 1.0));
        assert_eq!(ticks(7.0), (2.0, 8.0));
        assert_eq!(ticks(100.0), (20.0, 100.0));
        assert_eq!(ticks(2345.0), (500.0, 2500.0));
    }

    #[test]
    fn durations_read_in_the_fitting_unit() {
        assert_eq!(millis(0.25), "250 µs");
        assert_eq!(millis(12.0), "12 ms");
        assert_eq!(millis(1500.0), "1.5 s");
        assert_eq!(millis(100_000.0), "100 s");
    }

    #[test]
    fn numbers_drop_needless_decimals() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(0.1), "0.1");
    }

    #[test]
    fn a_time_chart_draws_each_bar_and_escapes_its_labels() {
        let svg = time_chart(
            "<requests>",
            "per s",
            &[Series {
                name: "a&b".into(),
                color: "#123456",
                points: vec![(0.0, 5.0), (0.1, 7.0)],
                bars: true,
            }],
            0.1,
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(
            svg.matches("fill=\"#123456\"").count(),
            3,
            "two bars and a legend key"
        );
        assert!(svg.contains("&lt;requests&gt;") && svg.contains("a&amp;b"));
        assert!(!svg.contains("<requests>"));
    }

    #[test]
    fn log_bars_survive_zero_and_empty_values() {
        let svg = log_bars("lat", &[("p50", "#000")], &[("x".into(), vec![0.0])]);
        assert!(svg.ends_with("</svg>") && !svg.contains("NaN") && !svg.contains("inf"));
        let svg = log_bars("lat", &[("p50", "#000")], &[]);
        assert!(!svg.contains("NaN"));
    }
}
