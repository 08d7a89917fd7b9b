//! The node's background work: the order writer, the preheater, the expiry sweeper (which also
//! forgets expired idempotency keys), the reconciler, the live sales' figures for the metrics,
//! and the restock listener that clears sold-out flags. All of them stop when the
//! node shuts down.

use seckiller_domain::ports::chain;
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use seckiller_application::Adapters;
use seckiller_application::order_writer::OrderWriter;
use seckiller_application::preheat::Preheater;
use seckiller_application::reconciler::Reconciler;
use seckiller_application::sale_figures::SaleFigures;
use seckiller_application::sold_out::SoldOutFlags;
use seckiller_application::stock_returns::StockReturns;
use seckiller_application::sweeper::Sweeper;
use seckiller_domain::ports::PurchaseFeed;
use seckiller_interfaces::{Metrics, OrderEvents};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::wiring::{Node, RestockSource};

/// How long one fetch waits for purchases before looking again.
const FETCH_WAIT: Duration = Duration::from_millis(500);
/// Pause after a failure before retrying, so a dead dependency is not hammered.
const BACKOFF: Duration = Duration::from_secs(1);
/// How often the queue's lag is read for the metrics.
const LAG_EVERY: Duration = Duration::from_secs(1);
/// How often the preheater looks for sales about to open (publishing loads a sale at once;
/// this catches a load that failed then, and sales whose gate data was lost).
const PREHEAT_EVERY: Duration = Duration::from_secs(1);

/// How often the live sales' figures are read for the metrics (a few reads per sale).
const SALE_FIGURES_EVERY: Duration = Duration::from_secs(2);
/// How long after its end a sale's figures stay in the metrics.
const SALE_FIGURES_RETENTION: ChronoDuration = ChronoDuration::minutes(10);

/// Running background workers.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    restock: Option<seckiller_nats::ListenerHandle>,
}

impl Workers {
    /// Starts every worker of `node`.
    ///
    /// # Errors
    /// A message when the restock listener cannot subscribe.
    pub async fn start(
        node: &Node,
        settings: &Settings,
        metrics: &Metrics,
    ) -> Result<Self, String> {
        let (stop, stopped) = watch::channel(false);
        let writer = OrderWriter::new(node.adapters.clone(), node.cache.clone());
        let batch = usize::try_from(settings.order_batch_size)
            .unwrap_or(256)
            .max(1);
        let preheater = Preheater::new(
            node.adapters.clone(),
            ChronoDuration::seconds(i64::from(settings.preheat_lead_seconds)),
        );
        let flags = node.services.purchases.sold_out_flags().clone();
        let preheater = Arc::new(preheater);
        let sweeper = Arc::new(Sweeper::new(
            node.adapters.clone(),
            StockReturns::new(node.adapters.clone(), flags.clone()),
            settings.sweep_batch_size,
        ));
        let idempotency = node.services.idempotency.clone();
        let forget_batch = settings.sweep_batch_size;
        let reconciler = Arc::new(Reconciler::new(
            node.adapters.clone(),
            ChronoDuration::seconds(i64::from(settings.reconcile_grace_seconds)),
        ));
        let reconciled = metrics.clone();
        let figures = Arc::new(SaleFigures::new(
            node.adapters.clone(),
            SALE_FIGURES_RETENTION,
        ));
        let figured = metrics.clone();
        let tasks = vec![
            tokio::spawn(write_orders(
                writer,
                batch,
                node.services.order_events.clone(),
                metrics.clone(),
                stopped.clone(),
            )),
            tokio::spawn(read_queue_lag(
                node.adapters.clone(),
                metrics.clone(),
                stopped.clone(),
            )),
            tokio::spawn(repeat(
                "preheat",
                PREHEAT_EVERY,
                stopped.clone(),
                move || {
                    let preheater = preheater.clone();
                    async move { preheater.run_once().await.map(drop) }
                },
            )),
            tokio::spawn(repeat(
                "expiry sweep",
                Duration::from_millis(settings.sweep_interval_millis.max(10)),
                stopped.clone(),
                move || {
                    let sweeper = sweeper.clone();
                    let idempotency = idempotency.clone();
                    async move {
                        let report = sweeper.run_once().await?;
                        // Idempotency keys past their retention go with the same pass.
                        let forgotten = idempotency.sweep(forget_batch).await?;
                        if forgotten > 0 {
                            tracing::debug!(forgotten, "forgot expired idempotency keys");
                        }
                        if report.expired > 0 || report.release.released > 0 {
                            tracing::info!(
                                expired = report.expired,
                                released = report.release.released,
                                refunded = report.release.refunded,
                                "expired unpaid orders and returned their stock"
                            );
                        }
                        Ok(())
                    }
                },
            )),
            tokio::spawn(repeat(
                "reconcile",
                Duration::from_millis(settings.reconcile_interval_millis.max(10)),
                stopped.clone(),
                move || {
                    let reconciler = reconciler.clone();
                    let metrics = reconciled.clone();
                    async move {
                        let report = reconciler.run_once().await?;
                        metrics.republished(report.republished.len());
                        Ok(())
                    }
                },
            )),
            tokio::spawn(repeat(
                "sale figures",
                SALE_FIGURES_EVERY,
                stopped,
                move || {
                    let figures = figures.clone();
                    let metrics = figured.clone();
                    async move {
                        metrics.set_sales(&figures.read().await?);
                        Ok(())
                    }
                },
            )),
        ];
        let restock = listen_for_restock(&node.restock_source, flags).await?;
        Ok(Self {
            stop,
            tasks,
            restock,
        })
    }

    /// Stops every worker and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Some(listener) = self.restock {
            listener.stop().await;
        }
    }
}

async fn listen_for_restock(
    source: &RestockSource,
    flags: SoldOutFlags,
) -> Result<Option<seckiller_nats::ListenerHandle>, String> {
    match source {
        RestockSource::Local(notifier) => {
            notifier.listen(move |activity| flags.clear(activity));
            Ok(None)
        }
        RestockSource::Nats { client, prefix } => {
            seckiller_nats::listen_for_restock(client, prefix, move |activity| {
                flags.clear(activity)
            })
            .await
            .map(Some)
            .map_err(|e| e.to_string())
        }
    }
}

async fn write_orders<A: seckiller_application::Adapters>(
    writer: OrderWriter<A>,
    batch: usize,
    events: OrderEvents,
    metrics: Metrics,
    mut stopped: watch::Receiver<bool>,
) {
    // The stop is looked at between batches only: a batch being written is finished (its
    // transaction committed and its buyers told), never dropped halfway.
    while !*stopped.borrow() {
        let started = std::time::Instant::now();
        match writer.write_batch(batch, FETCH_WAIT).await {
            Ok(report) => {
                if report.handled() > 0 {
                    // The fetch's wait for purchases to arrive is not part of the commit.
                    metrics.order_batch(
                        report.handled(),
                        report.created.len(),
                        report.rejected.len(),
                        report.writing.unwrap_or_else(|| started.elapsed()),
                    );
                }
                for id in report.created.iter().chain(report.rejected.iter()) {
                    events.settled(*id);
                }
            }
            Err(e) => {
                metrics.order_batch_failed();
                tracing::warn!(error = %chain(&e), "order writer: batch failed; the purchases will be delivered again");
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = tokio::time::sleep(BACKOFF) => {}
                }
            }
        }
    }
}

/// Reads the queue's lag every second into the metrics; a failed read keeps the last value
/// (the queue's breaker and readiness report the outage).
async fn read_queue_lag<A: Adapters>(
    adapters: Arc<A>,
    metrics: Metrics,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        match adapters.queue().lag().await {
            Ok(lag) => metrics.set_queue_lag(lag),
            Err(e) => tracing::debug!(error = %chain(&e), "reading the queue lag failed"),
        }
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep(LAG_EVERY) => {}
        }
    }
}

/// Runs `pass` every `every` until the node stops; a failed pass is logged and retried on the
/// next tick, since every pass is idempotent.
async fn repeat<F, Fut>(
    name: &'static str,
    every: Duration,
    mut stopped: watch::Receiver<bool>,
    pass: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), seckiller_application::Unavailable>>,
{
    while !*stopped.borrow() {
        if let Err(e) = pass().await {
            tracing::warn!(error = %chain(&e), "{name} pass failed; retrying");
        }
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
