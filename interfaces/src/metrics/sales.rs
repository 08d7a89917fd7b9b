//! The per-sale series: `seckiller_purchases_total{sale,outcome}` and the `seckiller_sale_*`
//! gauges. A sale id is a label value only while the node tracks the sale — published, and not
//! ended longer ago than the figures' retention (the binary's sale-figures worker decides, from
//! the database, every few seconds) — so the number of series is bounded by the live sales, never
//! by what a client sends: purchases of any other sale count under `sale="other"`. When a sale
//! stops being tracked, every series of it is removed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use seckiller_application::sale_figures::SaleFigure;
use seckiller_domain::ActivityId;

use super::RouteLabel;
use super::outcome::outcomes;

/// The `sale` label of purchases of a sale the node does not track.
const UNTRACKED: &str = "other";

/// Where a sale's stock is counted, as the `place` label.
const PLACES: [&str; 5] = ["total", "gate", "available", "held", "sold"];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct SaleOutcome {
    sale: RouteLabel,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SaleLabel {
    sale: RouteLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SalePlace {
    sale: RouteLabel,
    place: &'static str,
}

/// The per-sale families and the sales tracked now. Clones share them.
#[derive(Clone)]
pub(crate) struct SaleSeries {
    tracked: Arc<RwLock<HashMap<ActivityId, RouteLabel>>>,
    untracked: RouteLabel,
    purchases: Family<SaleOutcome, Counter>,
    stock: Family<SalePlace, Gauge>,
    open: Family<SaleLabel, Gauge>,
    preheated: Family<SaleLabel, Gauge>,
    balanced: Family<SaleLabel, Gauge>,
    lag: Family<SaleLabel, Gauge>,
    updated: Gauge,
}

fn gauge_of(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

impl SaleSeries {
    /// The families, registered in `registry`.
    pub(super) fn register(registry: &mut Registry) -> Self {
        let series = Self {
            tracked: Arc::default(),
            untracked: RouteLabel(Arc::from(UNTRACKED)),
            purchases: Family::default(),
            stock: Family::default(),
            open: Family::default(),
            preheated: Family::default(),
            balanced: Family::default(),
            lag: Family::default(),
            updated: Gauge::default(),
        };
        registry.register(
            "seckiller_purchases",
            "Purchase attempts answered, by sale (`other` for sales not tracked) and outcome",
            series.purchases.clone(),
        );
        registry.register(
            "seckiller_sale_stock_items",
            "A tracked sale's stock: total, in the gate, and available, held and sold in the database",
            series.stock.clone(),
        );
        registry.register(
            "seckiller_sale_open",
            "1 while a tracked sale is published and inside its window (open or sold out)",
            series.open.clone(),
        );
        registry.register(
            "seckiller_sale_preheated",
            "1 when the stock gate holds the tracked sale's stock",
            series.preheated.clone(),
        );
        registry.register(
            "seckiller_sale_ledger_balanced",
            "1 when every stock invariant of the tracked sale holds, 0 when one is broken",
            series.balanced.clone(),
        );
        registry.register(
            "seckiller_sale_queue_lag_purchases",
            "Accepted purchases of the tracked sale not yet written as orders",
            series.lag.clone(),
        );
        registry.register(
            "seckiller_sale_figures_updated_timestamp_seconds",
            "When the per-sale figures were last read (Unix time); they keep their values while reads fail",
            series.updated.clone(),
        );
        series
    }

    /// The `sale` label of a purchase of `sale`: its id when tracked, else `other`.
    fn label_of(&self, sale: Option<ActivityId>) -> RouteLabel {
        sale.and_then(|sale| {
            self.tracked
                .read()
                .ok()
                .and_then(|tracked| tracked.get(&sale).cloned())
        })
        .unwrap_or_else(|| self.untracked.clone())
    }

    /// One purchase attempt of `sale` answered with `outcome`.
    pub(super) fn purchase(&self, sale: Option<ActivityId>, outcome: &'static str) {
        let sale = self.label_of(sale);
        self.purchases
            .get_or_create(&SaleOutcome { sale, outcome })
            .inc();
    }

    /// The sales to track now and their figures: sales not among them are forgotten, with
    /// every series of theirs.
    pub(super) fn update(&self, figures: &[SaleFigure]) {
        let Ok(mut tracked) = self.tracked.write() else {
            return;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.updated.set(gauge_of(now));
        let keep: HashMap<ActivityId, &SaleFigure> = figures.iter().map(|f| (f.id, f)).collect();
        let gone: Vec<(ActivityId, RouteLabel)> = tracked
            .iter()
            .filter(|(id, _)| !keep.contains_key(id))
            .map(|(id, label)| (*id, label.clone()))
            .collect();
        for (id, label) in gone {
            tracked.remove(&id);
            self.forget(&label);
        }
        for figure in figures {
            let sale = tracked
                .entry(figure.id)
                .or_insert_with(|| RouteLabel(Arc::from(figure.id.to_string())))
                .clone();
            self.record(&sale, figure);
        }
    }

    fn record(&self, sale: &RouteLabel, figure: &SaleFigure) {
        let label = SaleLabel { sale: sale.clone() };
        let place = |place: &'static str| SalePlace {
            sale: sale.clone(),
            place,
        };
        self.stock
            .get_or_create(&place("total"))
            .set(gauge_of(figure.total));
        self.stock
            .get_or_create(&place("available"))
            .set(gauge_of(figure.available));
        self.stock
            .get_or_create(&place("held"))
            .set(gauge_of(figure.held));
        self.stock
            .get_or_create(&place("sold"))
            .set(gauge_of(figure.sold));
        match figure.gate {
            Some(in_gate) => {
                self.stock
                    .get_or_create(&place("gate"))
                    .set(gauge_of(in_gate));
            }
            None => {
                self.stock.remove(&place("gate"));
            }
        }
        self.open.get_or_create(&label).set(i64::from(figure.open));
        self.preheated
            .get_or_create(&label)
            .set(i64::from(figure.gate.is_some()));
        self.balanced
            .get_or_create(&label)
            .set(i64::from(figure.balanced));
        self.lag
            .get_or_create(&label)
            .set(gauge_of(figure.queue_lag));
    }

    fn forget(&self, sale: &RouteLabel) {
        for outcome in outcomes() {
            self.purchases.remove(&SaleOutcome {
                sale: sale.clone(),
                outcome,
            });
        }
        for place in PLACES {
            self.stock.remove(&SalePlace {
                sale: sale.clone(),
                place,
            });
        }
        let label = SaleLabel { sale: sale.clone() };
        for family in [&self.open, &self.preheated, &self.balanced, &self.lag] {
            family.remove(&label);
        }
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;
    use uuid::Uuid;

    use super::*;

    fn figure(id: ActivityId, gate: Option<u32>) -> SaleFigure {
        SaleFigure {
            id,
            open: true,
            total: 10,
            available: 7,
            held: 2,
            sold: 1,
            gate,
            queue_lag: 0,
            balanced: true,
        }
    }

    fn text(registry: &Registry) -> String {
        let mut text = String::new();
        encode(&mut text, registry).unwrap();
        text
    }

    #[test]
    fn only_tracked_sales_are_labels_and_forgotten_ones_leave_no_series() {
        let mut registry = Registry::default();
        let series = SaleSeries::register(&mut registry);
        let tracked = ActivityId::from_uuid(Uuid::now_v7());
        let stranger = ActivityId::from_uuid(Uuid::now_v7());
        series.update(&[figure(tracked, Some(7))]);
        series.purchase(Some(tracked), "accepted");
        series.purchase(Some(stranger), "not_found");
        series.purchase(None, "not_found");
        let shown = text(&registry);
        assert!(!shown.contains("seckiller_sale_figures_updated_timestamp_seconds 0"));
        assert!(shown.contains(&format!(
            "seckiller_purchases_total{{sale=\"{tracked}\",outcome=\"accepted\"}} 1"
        )));
        assert!(
            shown.contains("seckiller_purchases_total{sale=\"other\",outcome=\"not_found\"} 2")
        );
        assert!(!shown.contains(&stranger.to_string()));
        assert!(shown.contains(&format!(
            "seckiller_sale_stock_items{{sale=\"{tracked}\",place=\"gate\"}} 7"
        )));
        assert!(shown.contains(&format!("seckiller_sale_preheated{{sale=\"{tracked}\"}} 1")));

        // The gate losing the sale removes its gate series and says it is not preheated.
        series.update(&[figure(tracked, None)]);
        let shown = text(&registry);
        assert!(!shown.contains("place=\"gate\""));
        assert!(shown.contains(&format!("seckiller_sale_preheated{{sale=\"{tracked}\"}} 0")));

        series.update(&[]);
        let shown = text(&registry);
        assert!(!shown.contains(&tracked.to_string()), "{shown}");
        series.purchase(Some(tracked), "sold_out");
        assert!(text(&registry).contains("sale=\"other\",outcome=\"sold_out\"} 1"));
    }
}
