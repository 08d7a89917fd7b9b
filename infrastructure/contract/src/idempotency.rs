//! Idempotency keys: one request runs per key, its answer replays, another request under the same
//! key is refused, a request that changed nothing frees its key, and old records are forgotten.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{Claim, IdempotencyStore, KeyClaim};
use seckiller_domain::{
    ClaimHolder, IdempotencyKey, IdempotencyScope, RecordedAnswer, RequestFingerprint, UserId,
};
use uuid::Uuid;

use crate::fixtures::whole_second_now;

/// One store's idempotency keys, as handed to [`idempotency_contract!`](crate::idempotency_contract).
pub trait IdempotencyStores {
    /// The adapter under test; cloned into concurrent tasks.
    type Keys: IdempotencyStore + Clone;

    /// The keys.
    fn keys(&self) -> &Self::Keys;
}

/// A claim running elsewhere (a spawned task), as the concurrent check hands it to the harness.
pub type ClaimCall = Pin<Box<dyn Future<Output = Claim> + Send>>;

/// A caller's scope no other check uses.
fn a_scope() -> IdempotencyScope {
    IdempotencyScope::caller(UserId::from_uuid(Uuid::now_v7()))
}

fn a_key() -> IdempotencyKey {
    IdempotencyKey::parse(&format!("key-{}", Uuid::now_v7())).expect("a valid key")
}

fn fingerprint(of: &str) -> RequestFingerprint {
    RequestFingerprint::new(format!("{of:0>64}"))
}

fn a_claim(
    scope: &IdempotencyScope,
    key: &IdempotencyKey,
    of: &str,
    now: DateTime<Utc>,
) -> KeyClaim {
    KeyClaim {
        scope: scope.clone(),
        key: key.clone(),
        fingerprint: fingerprint(of),
        holder: ClaimHolder::from_uuid(Uuid::now_v7()),
        now,
        lease_until: now + Duration::seconds(60),
        expires_at: now + Duration::hours(24),
    }
}

fn an_answer(status: u16) -> RecordedAnswer {
    RecordedAnswer {
        status,
        media_type: "application/json; charset=utf-8".to_owned(),
        body: format!(r#"{{"id":"{}","note":"ünïcode ✓"}}"#, Uuid::now_v7()),
    }
}

/// A new key runs; once its answer is recorded, the same request gets that answer back intact.
pub async fn a_new_key_runs_once_and_its_answer_replays<S: IdempotencyStore>(keys: &S) {
    let (scope, key, now) = (a_scope(), a_key(), whole_second_now());
    let first = a_claim(&scope, &key, "a", now);
    assert_eq!(keys.claim(&first).await.expect("claim"), Claim::Fresh);
    let answer = an_answer(201);
    assert!(
        keys.complete(&scope, &key, first.holder, &answer)
            .await
            .expect("complete"),
        "the holder records its answer"
    );
    let retry = a_claim(&scope, &key, "a", now + Duration::seconds(5));
    assert_eq!(
        keys.claim(&retry).await.expect("claim"),
        Claim::Replay(answer.clone())
    );
    assert!(
        !keys
            .complete(&scope, &key, retry.holder, &an_answer(200))
            .await
            .expect("complete"),
        "a request that did not run cannot overwrite the answer"
    );
    assert_eq!(
        keys.claim(&retry).await.expect("claim"),
        Claim::Replay(answer)
    );
}

/// The same key on another request is refused, before and after the first one answered.
pub async fn the_same_key_on_another_request_is_a_mismatch<S: IdempotencyStore>(keys: &S) {
    let (scope, key, now) = (a_scope(), a_key(), whole_second_now());
    let first = a_claim(&scope, &key, "a", now);
    assert_eq!(keys.claim(&first).await.expect("claim"), Claim::Fresh);
    let other = a_claim(&scope, &key, "b", now);
    assert_eq!(keys.claim(&other).await.expect("claim"), Claim::Mismatch);
    keys.complete(&scope, &key, first.holder, &an_answer(201))
        .await
        .expect("complete");
    assert_eq!(keys.claim(&other).await.expect("claim"), Claim::Mismatch);
}

/// A retry while the first request runs waits; once the runner's lease lapses (it died), the
/// retry takes the key over and the old holder can neither complete nor release it.
pub async fn a_running_key_is_in_progress_until_its_lease_lapses<S: IdempotencyStore>(keys: &S) {
    let (scope, key, now) = (a_scope(), a_key(), whole_second_now());
    let first = a_claim(&scope, &key, "a", now);
    assert_eq!(keys.claim(&first).await.expect("claim"), Claim::Fresh);
    let retry = a_claim(&scope, &key, "a", now + Duration::seconds(1));
    assert_eq!(
        keys.claim(&retry).await.expect("claim"),
        Claim::InProgress {
            lease_until: first.lease_until
        }
    );
    let late = a_claim(&scope, &key, "a", first.lease_until);
    assert_eq!(keys.claim(&late).await.expect("claim"), Claim::Fresh);
    assert!(
        !keys
            .complete(&scope, &key, first.holder, &an_answer(500))
            .await
            .expect("complete"),
        "the lapsed holder records nothing"
    );
    keys.release(&scope, &key, first.holder)
        .await
        .expect("release");
    let answer = an_answer(200);
    assert!(
        keys.complete(&scope, &key, late.holder, &answer)
            .await
            .expect("complete")
    );
    let again = a_claim(&scope, &key, "a", first.lease_until + Duration::seconds(1));
    assert_eq!(
        keys.claim(&again).await.expect("claim"),
        Claim::Replay(answer)
    );
}

/// A released key (its request changed nothing) runs again; a completed one is not released.
pub async fn a_released_key_runs_again_and_a_completed_one_stays<S: IdempotencyStore>(keys: &S) {
    let (scope, key, now) = (a_scope(), a_key(), whole_second_now());
    let first = a_claim(&scope, &key, "a", now);
    assert_eq!(keys.claim(&first).await.expect("claim"), Claim::Fresh);
    keys.release(&scope, &key, first.holder)
        .await
        .expect("release");
    let retry = a_claim(&scope, &key, "a", now);
    assert_eq!(keys.claim(&retry).await.expect("claim"), Claim::Fresh);
    let answer = an_answer(409);
    keys.complete(&scope, &key, retry.holder, &answer)
        .await
        .expect("complete");
    keys.release(&scope, &key, retry.holder)
        .await
        .expect("release");
    assert_eq!(
        keys.claim(&a_claim(&scope, &key, "a", now))
            .await
            .expect("claim"),
        Claim::Replay(answer)
    );
}

/// One key in two scopes is two keys: neither caller sees the other's request or answer.
pub async fn the_same_key_in_two_scopes_is_two_keys<S: IdempotencyStore>(keys: &S) {
    let (mine, yours, key, now) = (a_scope(), a_scope(), a_key(), whole_second_now());
    let first = a_claim(&mine, &key, "a", now);
    assert_eq!(keys.claim(&first).await.expect("claim"), Claim::Fresh);
    let answer = an_answer(201);
    keys.complete(&mine, &key, first.holder, &answer)
        .await
        .expect("complete");
    assert_eq!(
        keys.claim(&a_claim(&yours, &key, "a", now))
            .await
            .expect("claim"),
        Claim::Fresh
    );
    assert_eq!(
        keys.claim(&a_claim(&IdempotencyScope::anonymous(), &key, "b", now))
            .await
            .expect("claim"),
        Claim::Fresh
    );
    assert_eq!(
        keys.claim(&a_claim(&mine, &key, "a", now))
            .await
            .expect("claim"),
        Claim::Replay(answer)
    );
}

/// An expired record is forgotten: its key runs again (even for another request), and a sweep
/// deletes what expired and nothing else.
pub async fn expired_records_are_forgotten_and_swept<S: IdempotencyStore>(keys: &S) {
    let (scope, old_key, kept_key, now) = (a_scope(), a_key(), a_key(), whole_second_now());
    let old = a_claim(&scope, &old_key, "a", now - Duration::hours(25));
    let old = KeyClaim {
        expires_at: now - Duration::hours(1),
        ..old
    };
    assert_eq!(keys.claim(&old).await.expect("claim"), Claim::Fresh);
    keys.complete(&scope, &old_key, old.holder, &an_answer(201))
        .await
        .expect("complete");
    let kept = a_claim(&scope, &kept_key, "a", now);
    assert_eq!(keys.claim(&kept).await.expect("claim"), Claim::Fresh);
    let kept_answer = an_answer(200);
    keys.complete(&scope, &kept_key, kept.holder, &kept_answer)
        .await
        .expect("complete");

    // The sweep may find other checks' expired records too; it deletes at least ours.
    assert!(keys.sweep(now, 10_000).await.expect("sweep") >= 1);
    assert_eq!(
        keys.claim(&a_claim(&scope, &old_key, "b", now))
            .await
            .expect("claim"),
        Claim::Fresh,
        "a swept key is new again"
    );
    assert_eq!(
        keys.claim(&a_claim(&scope, &kept_key, "a", now))
            .await
            .expect("claim"),
        Claim::Replay(kept_answer)
    );

    // Expired but not yet swept: forgotten on read all the same.
    let stale = a_claim(&scope, &a_key(), "a", now - Duration::hours(25));
    let stale = KeyClaim {
        expires_at: now - Duration::seconds(1),
        ..stale
    };
    assert_eq!(keys.claim(&stale).await.expect("claim"), Claim::Fresh);
    keys.complete(&scope, &stale.key, stale.holder, &an_answer(201))
        .await
        .expect("complete");
    assert_eq!(
        keys.claim(&a_claim(&scope, &stale.key, "b", now))
            .await
            .expect("claim"),
        Claim::Fresh
    );
}

/// Requests racing for one key: exactly one runs, the others hear it is in progress.
pub async fn racing_claims_let_exactly_one_run<S>(keys: &S, spawn: impl Fn(ClaimCall) -> ClaimCall)
where
    S: IdempotencyStore + Clone,
{
    let (scope, key, now) = (a_scope(), a_key(), whole_second_now());
    let calls: Vec<ClaimCall> = (0..8)
        .map(|_| {
            let keys = keys.clone();
            let claim = a_claim(&scope, &key, "a", now);
            spawn(Box::pin(
                async move { keys.claim(&claim).await.expect("claim") },
            ))
        })
        .collect();
    let mut fresh = 0;
    for call in calls {
        match call.await {
            Claim::Fresh => fresh += 1,
            Claim::InProgress { .. } => {}
            other => panic!("a racing claim got {other:?}"),
        }
    }
    assert_eq!(fresh, 1, "exactly one racing request runs");
}

/// Runs every check one after another on one store.
pub async fn every_idempotency_check_in_turn<S: IdempotencyStore>(keys: &S) {
    a_new_key_runs_once_and_its_answer_replays(keys).await;
    the_same_key_on_another_request_is_a_mismatch(keys).await;
    a_running_key_is_in_progress_until_its_lease_lapses(keys).await;
    a_released_key_runs_again_and_a_completed_one_stays(keys).await;
    the_same_key_in_two_scopes_is_two_keys(keys).await;
    expired_records_are_forgotten_and_swept(keys).await;
}

/// Expands to one `#[tokio::test]` per idempotency check, each opening a fresh store with `$open`
/// (an expression evaluating to a future of an [`IdempotencyStores`] value), plus one running them
/// all twice on one store. The racing check spawns its claims as tokio tasks on a multi-threaded
/// runtime.
#[macro_export]
macro_rules! idempotency_contract {
    ($open:expr) => {
        $crate::idempotency_contract!(@check $open, a_new_key_runs_once_and_its_answer_replays);
        $crate::idempotency_contract!(@check $open, the_same_key_on_another_request_is_a_mismatch);
        $crate::idempotency_contract!(@check $open, a_running_key_is_in_progress_until_its_lease_lapses);
        $crate::idempotency_contract!(@check $open, a_released_key_runs_again_and_a_completed_one_stays);
        $crate::idempotency_contract!(@check $open, the_same_key_in_two_scopes_is_two_keys);
        $crate::idempotency_contract!(@check $open, expired_records_are_forgotten_and_swept);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn racing_claims_let_exactly_one_run() {
            let store = $open.await;
            $crate::racing_claims_let_exactly_one_run(
                $crate::IdempotencyStores::keys(&store),
                |call: $crate::ClaimCall| -> $crate::ClaimCall {
                    let task = ::tokio::spawn(call);
                    Box::pin(async move {
                        match task.await {
                            Ok(claim) => claim,
                            Err(failed) => panic!("a claim did not finish: {failed}"),
                        }
                    })
                },
            )
            .await;
        }

        #[tokio::test]
        async fn every_idempotency_check_passes_twice_on_one_shared_store() {
            let store = $open.await;
            $crate::every_idempotency_check_in_turn($crate::IdempotencyStores::keys(&store)).await;
            $crate::every_idempotency_check_in_turn($crate::IdempotencyStores::keys(&store)).await;
        }
    };
    (@check $open:expr, $check:ident) => {
        #[tokio::test]
        async fn $check() {
            let store = $open.await;
            $crate::$check($crate::IdempotencyStores::keys(&store)).await;
        }
    };
}
