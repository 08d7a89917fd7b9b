//! The stock gate contract: every [`StockGate`] adapter (memory, Redis) must give the same
//! answers, so the embedded default and production decide stock alike.
//!
//! Each check is a `pub async fn` generic over the gate. It preheats its own fresh activities and
//! buyers, so checks may share one gate, in turn or in parallel. The concurrent checks take an
//! `Arc` of the gate and a [`Spawn`] to run attempts as separate tasks.
//! [`gate_contract!`](crate::gate_contract) turns the suite into one `#[tokio::test]` per check.

mod concurrency;
mod decisions;
pub mod fixtures;
mod holdings;
mod returns;

use std::sync::Arc;

use seckiller_domain::ports::StockGate;

pub use concurrency::{
    GateCall, GateOutcome, Spawn, concurrent_buyers_never_oversell,
    concurrent_give_backs_return_stock_once, one_buyer_racing_himself_never_passes_the_limit,
};
pub use decisions::{
    a_buyer_cannot_pass_the_per_user_limit, a_multi_item_purchase_counts_fully_toward_the_limit,
    an_unloaded_activity_decides_nothing, preheat_is_idempotent_first_load_wins,
    retrying_an_accepted_purchase_takes_nothing_more,
    stock_is_taken_until_sold_out_and_never_below_zero, the_limit_is_checked_before_the_stock,
};
pub use holdings::{
    a_holding_listed_twice_holds_once, a_holding_of_another_activity_loads_nothing,
    a_preheated_holding_is_given_back_exactly_once,
    accepted_ids_lists_held_and_given_back_purchases,
    holdings_count_against_the_limit_but_take_no_stock,
    holdings_lists_what_holds_stock_and_drops_what_was_given_back,
    preheating_a_loaded_activity_ignores_the_holdings,
};
pub use returns::{
    a_given_back_purchase_is_reported_unless_retaken,
    a_given_back_purchase_tried_again_is_decided_afresh, an_accepted_purchase_can_be_found_by_id,
    giving_back_an_unknown_purchase_does_nothing,
    giving_back_returns_stock_and_frees_the_limit_once, giving_back_returns_what_was_taken,
    remembered_returns_are_reported_unless_retaken,
};

/// A gate opened for one test, as handed to [`gate_contract!`](crate::gate_contract): a harness
/// returns a value implementing this, which may also own what must be cleaned up when the test
/// ends (dropped after the check, also when it panics). A bare `Arc<G>` is one.
pub trait GateUnderTest {
    /// The adapter under test.
    type Gate: StockGate;

    /// The gate, shareable with the tasks of the concurrent checks.
    fn gate(&self) -> &Arc<Self::Gate>;
}

impl<G: StockGate> GateUnderTest for Arc<G> {
    type Gate = G;

    fn gate(&self) -> &Arc<G> {
        self
    }
}

/// Runs every gate check one after another on one gate: the checks must not depend on an empty
/// gate or on each other. Keep this list in step with [`gate_contract!`](crate::gate_contract).
pub async fn every_gate_check_in_turn<G: StockGate, S: Spawn>(gate: &Arc<G>, spawn: &S) {
    let g = &**gate;
    an_unloaded_activity_decides_nothing(g).await;
    preheat_is_idempotent_first_load_wins(g).await;
    stock_is_taken_until_sold_out_and_never_below_zero(g).await;
    a_buyer_cannot_pass_the_per_user_limit(g).await;
    a_multi_item_purchase_counts_fully_toward_the_limit(g).await;
    the_limit_is_checked_before_the_stock(g).await;
    retrying_an_accepted_purchase_takes_nothing_more(g).await;
    giving_back_returns_stock_and_frees_the_limit_once(g).await;
    a_given_back_purchase_tried_again_is_decided_afresh(g).await;
    a_given_back_purchase_is_reported_unless_retaken(g).await;
    remembered_returns_are_reported_unless_retaken(g).await;
    giving_back_an_unknown_purchase_does_nothing(g).await;
    giving_back_returns_what_was_taken(g).await;
    an_accepted_purchase_can_be_found_by_id(g).await;
    holdings_count_against_the_limit_but_take_no_stock(g).await;
    a_preheated_holding_is_given_back_exactly_once(g).await;
    a_holding_listed_twice_holds_once(g).await;
    holdings_lists_what_holds_stock_and_drops_what_was_given_back(g).await;
    preheating_a_loaded_activity_ignores_the_holdings(g).await;
    a_holding_of_another_activity_loads_nothing(g).await;
    accepted_ids_lists_held_and_given_back_purchases(g).await;
    concurrent_buyers_never_oversell(Arc::clone(gate), spawn).await;
    one_buyer_racing_himself_never_passes_the_limit(Arc::clone(gate), spawn).await;
    concurrent_give_backs_return_stock_once(Arc::clone(gate), spawn).await;
}

/// Expands to one `#[tokio::test]` per gate check, each opening a fresh gate with `$open` (an
/// expression evaluating to a future of a [`GateUnderTest`] value), plus one test running them
/// all twice on a single gate. The concurrent checks run on a multi-threaded runtime with their
/// attempts spawned as tokio tasks. Invoke it once per module: it defines a `TokioSpawn` type.
/// The calling crate needs `tokio` with the `macros`, `rt` and `rt-multi-thread` features as a
/// dev-dependency.
///
/// ```ignore
/// seckiller_contract::gate_contract!(async { std::sync::Arc::new(MemoryStockGate::new()) });
/// ```
#[macro_export]
macro_rules! gate_contract {
    ($open:expr) => {
        /// Runs gate calls as tokio tasks, so concurrent checks overlap on several threads.
        struct TokioSpawn;

        impl $crate::gate::Spawn for TokioSpawn {
            fn spawn<T: Send + 'static>(
                &self,
                call: $crate::gate::GateCall<T>,
            ) -> impl ::std::future::Future<Output = $crate::gate::GateOutcome<T>> + Send {
                let task = ::tokio::spawn(call);
                async move {
                    match task.await {
                        Ok(outcome) => outcome,
                        Err(failed) => panic!("a gate call did not finish: {failed}"),
                    }
                }
            }
        }

        $crate::gate_contract!(@check $open, an_unloaded_activity_decides_nothing);
        $crate::gate_contract!(@check $open, preheat_is_idempotent_first_load_wins);
        $crate::gate_contract!(@check $open, stock_is_taken_until_sold_out_and_never_below_zero);
        $crate::gate_contract!(@check $open, a_buyer_cannot_pass_the_per_user_limit);
        $crate::gate_contract!(@check $open, a_multi_item_purchase_counts_fully_toward_the_limit);
        $crate::gate_contract!(@check $open, the_limit_is_checked_before_the_stock);
        $crate::gate_contract!(@check $open, retrying_an_accepted_purchase_takes_nothing_more);
        $crate::gate_contract!(@check $open, giving_back_returns_stock_and_frees_the_limit_once);
        $crate::gate_contract!(@check $open, a_given_back_purchase_tried_again_is_decided_afresh);
        $crate::gate_contract!(@check $open, a_given_back_purchase_is_reported_unless_retaken);
        $crate::gate_contract!(@check $open, remembered_returns_are_reported_unless_retaken);
        $crate::gate_contract!(@check $open, giving_back_an_unknown_purchase_does_nothing);
        $crate::gate_contract!(@check $open, giving_back_returns_what_was_taken);
        $crate::gate_contract!(@check $open, an_accepted_purchase_can_be_found_by_id);
        $crate::gate_contract!(@check $open, holdings_count_against_the_limit_but_take_no_stock);
        $crate::gate_contract!(@check $open, a_preheated_holding_is_given_back_exactly_once);
        $crate::gate_contract!(@check $open, a_holding_listed_twice_holds_once);
        $crate::gate_contract!(@check $open, holdings_lists_what_holds_stock_and_drops_what_was_given_back);
        $crate::gate_contract!(@check $open, preheating_a_loaded_activity_ignores_the_holdings);
        $crate::gate_contract!(@check $open, a_holding_of_another_activity_loads_nothing);
        $crate::gate_contract!(@check $open, accepted_ids_lists_held_and_given_back_purchases);
        $crate::gate_contract!(@race $open, concurrent_buyers_never_oversell);
        $crate::gate_contract!(@race $open, one_buyer_racing_himself_never_passes_the_limit);
        $crate::gate_contract!(@race $open, concurrent_give_backs_return_stock_once);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn every_gate_check_passes_twice_on_one_shared_gate() {
            let opened = $open.await;
            let gate = $crate::gate::GateUnderTest::gate(&opened);
            $crate::gate::every_gate_check_in_turn(gate, &TokioSpawn).await;
            $crate::gate::every_gate_check_in_turn(gate, &TokioSpawn).await;
        }
    };
    (@check $open:expr, $check:ident) => {
        #[tokio::test]
        async fn $check() {
            let opened = $open.await;
            let gate = $crate::gate::GateUnderTest::gate(&opened);
            $crate::gate::$check(&**gate).await;
        }
    };
    (@race $open:expr, $check:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $check() {
            let opened = $open.await;
            let gate = $crate::gate::GateUnderTest::gate(&opened);
            $crate::gate::$check(::std::sync::Arc::clone(gate), &TokioSpawn).await;
        }
    };
}
