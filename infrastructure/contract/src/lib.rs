//! The contract every storage adapter must honour, written once against the domain's port traits
//! and run against each adapter (memory, SQLite, Postgres), so the embedded default and production
//! cannot drift apart.
//!
//! Each check is a `pub async fn` generic over the ports it needs. It creates its own data (unique
//! ids and usernames), so checks may run one after another against one store; run them in
//! parallel only on separate stores. Times in fixtures are whole seconds (one check uses whole
//! microseconds), because Postgres keeps no finer: a round trip must compare equal everywhere.
//!
//! [`repository_contract!`] turns the whole suite into one `#[tokio::test]` per check. This crate
//! is test support: it depends on the domain only, and adapters take it as a dev-dependency.

#![allow(
    clippy::expect_used,
    reason = "a contract check is a test: a failed step must fail it loudly, with what was expected"
)]

mod activities;
mod feed;
pub mod fixtures;
pub mod gate;
mod idempotency;
mod listing;
mod orders;
mod products;
mod sessions;
mod users;

use seckiller_domain::ports::{ActivityRepository, ProductRepository, UserRepository};

pub use activities::{
    a_products_live_sales_are_its_published_unended_ones, a_stale_version_is_a_conflict,
    an_activity_and_its_ledger_round_trip, an_update_keeps_the_stored_stock_movements,
    an_update_of_a_missing_activity_is_a_conflict,
    an_update_overwrites_the_activity_and_its_ledger,
    the_total_cannot_change_once_stock_is_committed,
};
pub use feed::{
    FeedStore, a_dead_lettered_purchase_leaves_the_feed,
    a_delivery_handed_back_comes_again_before_its_ack_deadline,
    a_published_purchase_is_fetched_intact, a_purchase, a_purchase_of,
    acked_purchases_are_not_fetched_again, concurrent_publishes_are_all_stored_once,
    fetch_waits_for_a_publish, lag_counts_unacked_purchases, publishing_twice_stores_once,
};
pub use idempotency::{
    ClaimCall, IdempotencyStores, a_new_key_runs_once_and_its_answer_replays,
    a_released_key_runs_again_and_a_completed_one_stays,
    a_running_key_is_in_progress_until_its_lease_lapses, every_idempotency_check_in_turn,
    expired_records_are_forgotten_and_swept, racing_claims_let_exactly_one_run,
    the_same_key_in_two_scopes_is_two_keys, the_same_key_on_another_request_is_a_mismatch,
};
pub use listing::{drafts_are_listed_only_when_asked, the_list_is_newest_first_and_paged};
pub use orders::{
    OrderCall, OrderOutcome, OrderRepositories, SpawnOrderCall,
    a_batch_with_a_duplicate_makes_one_order,
    a_buyer_cancellation_returns_the_stock_and_awaits_release, a_new_order_holds_its_stock,
    a_redelivered_purchase_makes_no_second_order,
    an_order_the_ledger_cannot_cover_is_rejected_and_recorded,
    calling_off_an_activity_cancels_only_its_pending_orders, every_order_check_in_turn,
    expiry_takes_only_overdue_pending_orders_oldest_first,
    orders_are_found_by_id_purchase_and_buyer,
    paying_at_or_after_the_deadline_is_refused_and_changes_nothing,
    paying_before_the_deadline_sells_the_stock_once,
    payments_racing_the_sweeper_settle_each_order_once,
    payments_racing_their_sales_cancellation_settle_each_order_once,
    totals_count_orders_by_where_they_are, two_sweepers_expire_every_due_order_exactly_once,
};
pub use products::{
    a_product_round_trips_and_updates, products_are_counted,
    updating_a_missing_product_changes_nothing,
};
pub use sessions::{
    SessionRepositories, a_refresh_token_rotates_to_a_working_successor,
    a_reused_refresh_token_revokes_its_whole_session, a_revoked_session_refreshes_no_more,
    every_session_check_in_turn, revoking_all_sessions_of_a_user_spares_the_others,
    unknown_and_expired_refresh_tokens_are_refused,
};
pub use users::{
    a_password_hash_is_replaced_for_its_account_only,
    a_taken_username_is_refused_case_insensitively, a_user_is_found_by_id_and_by_name,
    unknown_ids_find_nothing,
};

/// One store's repositories, as handed to [`repository_contract!`]: a test harness returns a value
/// implementing this (typically also owning the database, dropped when the test ends).
pub trait Repositories {
    /// The accounts adapter under test.
    type Users: UserRepository;
    /// The catalogue adapter under test.
    type Products: ProductRepository;
    /// The activities adapter under test.
    type Activities: ActivityRepository;

    /// The accounts.
    fn users(&self) -> &Self::Users;
    /// The catalogue.
    fn products(&self) -> &Self::Products;
    /// The activities and their ledgers.
    fn activities(&self) -> &Self::Activities;
}

/// Runs every check one after another on one store: the checks must not depend on an empty
/// store or on each other. Keep this list in step with [`repository_contract!`].
pub async fn every_check_in_turn<R: Repositories>(store: &R) {
    let (users, products, activities) = (store.users(), store.products(), store.activities());
    a_user_is_found_by_id_and_by_name(users).await;
    a_taken_username_is_refused_case_insensitively(users).await;
    a_password_hash_is_replaced_for_its_account_only(users).await;
    unknown_ids_find_nothing(users, products, activities).await;
    a_product_round_trips_and_updates(products).await;
    updating_a_missing_product_changes_nothing(products).await;
    products_are_counted(products).await;
    an_activity_and_its_ledger_round_trip(products, activities).await;
    an_update_overwrites_the_activity_and_its_ledger(products, activities).await;
    a_stale_version_is_a_conflict(products, activities).await;
    an_update_of_a_missing_activity_is_a_conflict(activities).await;
    an_update_keeps_the_stored_stock_movements(products, activities).await;
    the_total_cannot_change_once_stock_is_committed(products, activities).await;
    a_products_live_sales_are_its_published_unended_ones(products, activities).await;
    drafts_are_listed_only_when_asked(products, activities).await;
    the_list_is_newest_first_and_paged(products, activities).await;
}

/// Expands to one `#[tokio::test]` per contract check, each opening a fresh store with `$open`
/// (an expression evaluating to a future of a [`Repositories`] value), plus one test running them
/// all twice on a single store, which proves the checks can share one. The calling crate needs
/// `tokio` with the `macros` and `rt` features as a dev-dependency.
///
/// ```ignore
/// mod sqlite {
///     seckiller_contract::repository_contract!(crate::harness::sqlite());
/// }
/// ```
#[macro_export]
macro_rules! repository_contract {
    ($open:expr) => {
        $crate::repository_contract!(@check $open, a_user_is_found_by_id_and_by_name(users));
        $crate::repository_contract!(@check $open, a_taken_username_is_refused_case_insensitively(users));
        $crate::repository_contract!(@check $open, a_password_hash_is_replaced_for_its_account_only(users));
        $crate::repository_contract!(@check $open, unknown_ids_find_nothing(users, products, activities));
        $crate::repository_contract!(@check $open, a_product_round_trips_and_updates(products));
        $crate::repository_contract!(@check $open, updating_a_missing_product_changes_nothing(products));
        $crate::repository_contract!(@check $open, products_are_counted(products));
        $crate::repository_contract!(@check $open, an_activity_and_its_ledger_round_trip(products, activities));
        $crate::repository_contract!(@check $open, an_update_overwrites_the_activity_and_its_ledger(products, activities));
        $crate::repository_contract!(@check $open, a_stale_version_is_a_conflict(products, activities));
        $crate::repository_contract!(@check $open, an_update_of_a_missing_activity_is_a_conflict(activities));
        $crate::repository_contract!(@check $open, an_update_keeps_the_stored_stock_movements(products, activities));
        $crate::repository_contract!(@check $open, the_total_cannot_change_once_stock_is_committed(products, activities));
        $crate::repository_contract!(@check $open, a_products_live_sales_are_its_published_unended_ones(products, activities));
        $crate::repository_contract!(@check $open, drafts_are_listed_only_when_asked(products, activities));
        $crate::repository_contract!(@check $open, the_list_is_newest_first_and_paged(products, activities));

        #[tokio::test]
        async fn every_check_passes_twice_on_one_shared_store() {
            let store = $open.await;
            $crate::every_check_in_turn(&store).await;
            $crate::every_check_in_turn(&store).await;
        }
    };
    (@check $open:expr, $check:ident($($repo:ident),+)) => {
        #[tokio::test]
        async fn $check() {
            let store = $open.await;
            $crate::$check($($crate::Repositories::$repo(&store)),+).await;
        }
    };
}
