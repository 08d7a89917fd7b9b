//! The rush: at the opening second every buyer sets off on its journey (see [`journey`]) at once.
//! What each buyer was told is collected here; every call is measured by the [`Recorder`].

mod journey;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use tokio::task::JoinSet;

use crate::api::Nodes;
use crate::metrics::Recorder;
use crate::progress::{Progress, RushCounters};
use crate::rng::Rng;
use crate::setup::Buyer;

/// How the crowd behaves.
pub struct Plan {
    pub activity: String,
    /// Items per purchase.
    pub quantity: u32,
    /// Chance that a buyer pays an order it won.
    pub pay_probability: f64,
    pub seed: u64,
    /// The opening, on the local clock.
    pub opens_at: Instant,
    /// No new purchase attempt starts after this.
    pub until: Instant,
    /// Purchases still pending after this are reported unresolved.
    pub settle_until: Instant,
    /// Follow purchases (and pay) only once the buyer's rush is over.
    pub follow_after_rush: bool,
}

/// The bars the journeys move.
struct Bars {
    rush: ProgressBar,
    settled: ProgressBar,
    payments: ProgressBar,
}

/// What became of an accepted purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Ordered {
        order_id: String,
    },
    Rejected {
        reason: String,
    },
    /// Still pending (or unreadable) when the crowd stopped asking; `last` says what it saw.
    Unresolved {
        last: String,
    },
}

/// A purchase answered 202.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub buyer: usize,
    pub purchase_id: String,
    pub quantity: u32,
    /// When the 202 arrived.
    pub at: Instant,
    pub resolution: Resolution,
}

/// What a payment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Paid,
    /// 409 `order_expired`: the window closed first.
    Expired,
    /// Anything else, by status and code (status 0: no answer).
    Refused {
        status: u16,
        code: String,
    },
}

/// A payment attempt on an order a buyer won.
#[derive(Debug, Clone)]
pub struct Payment {
    pub order_id: String,
    pub outcome: PaymentOutcome,
}

/// What the crowd was told.
#[derive(Debug, Default)]
pub struct Crowd {
    pub accepted: Vec<Accepted>,
    pub payments: Vec<Payment>,
    /// The buyer of each purchase attempt that got no answer even after retrying with the same
    /// idempotency key: each may or may not have bought.
    pub purchase_unknown: Vec<usize>,
    /// Buyers told `sold_out` (by the token or the purchase endpoint).
    pub sold_out: u64,
    /// Buyers told `limit_reached`.
    pub limit_reached: u64,
    /// Buyers that stopped on any other answer.
    pub gave_up: u64,
}

/// Everything a journey needs, shared by the whole crowd.
struct Shared {
    plan: Plan,
    nodes: Arc<Nodes>,
    recorder: Arc<Recorder>,
    bars: Bars,
    counters: RushCounters,
    /// Whether a won order is paid: one seeded stream, drawn in the order orders are won.
    coin: Mutex<Rng>,
    crowd: Mutex<Crowd>,
}

impl Shared {
    fn note(&self, f: impl FnOnce(&mut Crowd)) {
        f(&mut self.crowd.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Whether the buyer of the next order won pays it.
    fn pays(&self) -> bool {
        let p = self.plan.pay_probability;
        self.coin
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .chance(p)
    }
}

/// Waits for the opening, lets every buyer loose, and returns what they were told once every
/// journey has ended (payments included).
pub async fn rush(
    plan: Plan,
    nodes: Arc<Nodes>,
    recorder: Arc<Recorder>,
    buyers: &[Buyer],
    progress: &Progress,
) -> Crowd {
    let rush = progress.rush();
    rush.set_message("waiting for the opening");
    tokio::time::sleep_until((plan.opens_at + Duration::from_millis(20)).into()).await;
    rush.reset_elapsed();
    rush.set_message("");
    let plan_seed = plan.seed;
    let bars = Bars {
        rush,
        settled: progress.settled(),
        payments: progress.payments(),
    };
    let shared = Arc::new(Shared {
        plan,
        nodes,
        recorder,
        bars,
        counters: RushCounters::default(),
        coin: Mutex::new(Rng::new(plan_seed)),
        crowd: Mutex::new(Crowd::default()),
    });
    let mut tasks = JoinSet::new();
    for (i, buyer) in buyers.iter().enumerate() {
        let (shared, buyer) = (shared.clone(), buyer.clone());
        tasks.spawn(async move { journey::journey(&shared, i, &buyer).await });
    }
    while tasks.join_next().await.is_some() {}
    // `abandon` keeps each bar where it is (`finish` would jump to its length).
    shared.bars.rush.abandon();
    shared.bars.settled.abandon();
    shared.bars.payments.abandon();
    std::mem::take(&mut *shared.crowd.lock().unwrap_or_else(PoisonError::into_inner))
}
