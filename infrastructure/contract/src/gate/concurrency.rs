//! Many attempts at once: the gate's decisions stay exact under contention. The attempts run as
//! separate tasks on the test's own runtime (see [`Spawn`]), so on a multi-threaded runtime they
//! really overlap.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use seckiller_domain::ports::{GateDecision, GateError, StockGate};

use super::decisions::{a_loaded_activity, left, take};
use super::fixtures::{a_buyer, a_purchase};

/// What a gate call answers.
pub type GateOutcome<T> = Result<T, GateError>;

/// One gate call, boxed so it can be handed to any runtime and run on any thread.
pub type GateCall<T> = Pin<Box<dyn Future<Output = GateOutcome<T>> + Send>>;

/// Starts gate calls as tasks of the test's runtime. This crate depends on no runtime, so the
/// test crate supplies one ([`gate_contract!`](crate::gate_contract) does, with tokio).
pub trait Spawn {
    /// Starts `call` at once and returns its outcome when awaited. A panicking call must make
    /// the check fail.
    fn spawn<T: Send + 'static>(
        &self,
        call: GateCall<T>,
    ) -> impl Future<Output = GateOutcome<T>> + Send;
}

/// Starts `count` purchase attempts, built by `purchase`, all at once, and counts the answers
/// as (accepted, sold out, limit reached).
async fn race<G, S>(
    gate: &Arc<G>,
    spawn: &S,
    count: usize,
    purchase: impl Fn() -> seckiller_domain::Purchase,
) -> (usize, usize, usize)
where
    G: StockGate,
    S: Spawn,
{
    let running: Vec<_> = (0..count)
        .map(|_| {
            let gate = Arc::clone(gate);
            let purchase = purchase();
            spawn.spawn::<GateDecision>(Box::pin(async move { gate.try_take(&purchase).await }))
        })
        .collect();
    let mut counts = (0, 0, 0);
    for attempt in running {
        match attempt.await.expect("try_take") {
            GateDecision::Accepted => counts.0 += 1,
            GateDecision::SoldOut => counts.1 += 1,
            GateDecision::LimitReached => counts.2 += 1,
            GateDecision::NotLoaded => panic!("the activity was loaded"),
            GateDecision::GivenBack => panic!("a fresh purchase was never given back"),
            GateDecision::Held { .. } => panic!("a fresh purchase held nothing before"),
        }
    }
    counts
}

/// A thousand buyers race for a hundred items: exactly a hundred win, the rest hear sold out,
/// and the stock ends at zero.
pub async fn concurrent_buyers_never_oversell<G: StockGate, S: Spawn>(gate: Arc<G>, spawn: &S) {
    let activity = a_loaded_activity(&*gate, 100, 1).await;
    let counts = race(&gate, spawn, 1000, || a_purchase(activity, a_buyer(), 1)).await;
    assert_eq!(counts, (100, 900, 0), "(accepted, sold out, limit reached)");
    assert_eq!(left(&*gate, activity).await, 0);
}

/// One buyer fires fifty attempts at once with a limit of two: exactly two are accepted.
pub async fn one_buyer_racing_himself_never_passes_the_limit<G: StockGate, S: Spawn>(
    gate: Arc<G>,
    spawn: &S,
) {
    let activity = a_loaded_activity(&*gate, 100, 2).await;
    let buyer = a_buyer();
    let counts = race(&gate, spawn, 50, || a_purchase(activity, buyer, 1)).await;
    assert_eq!(counts, (2, 0, 48), "(accepted, sold out, limit reached)");
    assert_eq!(left(&*gate, activity).await, 98);
}

/// The sweeper and a buyer's cancellation give the same purchase back at once: its stock
/// returns exactly once.
pub async fn concurrent_give_backs_return_stock_once<G: StockGate, S: Spawn>(
    gate: Arc<G>,
    spawn: &S,
) {
    let activity = a_loaded_activity(&*gate, 10, 3).await;
    let purchase = a_purchase(activity, a_buyer(), 3);
    assert_eq!(take(&*gate, &purchase).await, GateDecision::Accepted);

    let running: Vec<_> = (0..20)
        .map(|_| {
            let (gate, purchase) = (Arc::clone(&gate), purchase.clone());
            spawn.spawn::<bool>(Box::pin(async move { gate.give_back(&purchase).await }))
        })
        .collect();
    let mut returned = 0;
    for call in running {
        if call.await.expect("give_back") {
            returned += 1;
        }
    }
    assert_eq!(returned, 1);
    assert_eq!(left(&*gate, activity).await, 10);
}
