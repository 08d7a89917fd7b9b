use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use seckiller_domain::ports::{Claim, IdempotencyStore, KeyClaim};
use seckiller_domain::{
    ClaimHolder, IdempotencyKey, IdempotencyScope, RecordedAnswer, RequestFingerprint, UserId,
};
use uuid::Uuid;

use super::*;
use crate::testing::{TestAdapters, t0};

fn request(scope: &IdempotencyScope, body: &str) -> KeyedRequest {
    KeyedRequest {
        scope: scope.clone(),
        key: IdempotencyKey::parse("pay-order-1").unwrap(),
        fingerprint: RequestFingerprint::new(body),
    }
}

fn answer(status: u16, body: &str) -> RecordedAnswer {
    RecordedAnswer {
        status,
        media_type: "application/json".to_owned(),
        body: body.to_owned(),
    }
}

fn a_caller() -> IdempotencyScope {
    IdempotencyScope::caller(UserId::from_uuid(Uuid::now_v7()))
}

struct Setup {
    adapters: Arc<TestAdapters>,
    keys: Idempotency<TestAdapters>,
    runs: AtomicUsize,
}

fn setup() -> Setup {
    let adapters = Arc::new(TestAdapters::memory());
    Setup {
        keys: Idempotency::new(adapters.clone()),
        adapters,
        runs: AtomicUsize::new(0),
    }
}

impl Setup {
    async fn run(
        &self,
        request: KeyedRequest,
        outcome: Outcome,
    ) -> Result<Answered, IdempotencyError> {
        self.keys
            .run(request, || async {
                self.runs.fetch_add(1, Ordering::SeqCst);
                outcome
            })
            .await
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_keyed_request_runs_once_and_its_retry_replays_the_answer() {
    let s = setup();
    let me = a_caller();
    let first = s
        .run(
            request(&me, "a"),
            Outcome::Settled(answer(201, r#"{"id":1}"#)),
        )
        .await
        .unwrap();
    assert_eq!(first, Answered::Ran(answer(201, r#"{"id":1}"#)));
    let retry = s
        .run(
            request(&me, "a"),
            Outcome::Settled(answer(201, r#"{"id":2}"#)),
        )
        .await
        .unwrap();
    assert_eq!(retry, Answered::Replayed(answer(201, r#"{"id":1}"#)));
    assert_eq!(s.runs(), 1, "the retry did not run");
}

#[tokio::test]
async fn a_refusal_is_remembered_too() {
    let s = setup();
    let me = a_caller();
    let refused = answer(409, r#"{"code":"order_expired"}"#);
    s.run(request(&me, "a"), Outcome::Settled(refused.clone()))
        .await
        .unwrap();
    let retry = s
        .run(request(&me, "a"), Outcome::Settled(answer(200, "{}")))
        .await
        .unwrap();
    assert_eq!(retry, Answered::Replayed(refused));
    assert_eq!(s.runs(), 1);
}

#[tokio::test]
async fn the_key_on_another_request_is_refused_without_running() {
    let s = setup();
    let me = a_caller();
    s.run(request(&me, "a"), Outcome::Settled(answer(201, "{}")))
        .await
        .unwrap();
    let other = s
        .run(request(&me, "b"), Outcome::Settled(answer(201, "{}")))
        .await;
    assert_eq!(other, Err(IdempotencyError::KeyReused));
    assert_eq!(s.runs(), 1);
}

#[tokio::test]
async fn another_caller_with_the_same_key_runs_its_own_request() {
    let s = setup();
    s.run(
        request(&a_caller(), "a"),
        Outcome::Settled(answer(201, "1")),
    )
    .await
    .unwrap();
    let yours = s
        .run(
            request(&a_caller(), "a"),
            Outcome::Settled(answer(201, "2")),
        )
        .await
        .unwrap();
    assert_eq!(yours, Answered::Ran(answer(201, "2")));
    assert_eq!(s.runs(), 2);
}

#[tokio::test]
async fn a_retry_while_the_first_runs_is_told_to_wait_out_the_lease() {
    let s = setup();
    let me = a_caller();
    let running = request(&me, "a");
    let now = t0();
    let claimed = s
        .adapters
        .idempotency
        .claim(&KeyClaim {
            scope: running.scope.clone(),
            key: running.key.clone(),
            fingerprint: running.fingerprint.clone(),
            holder: ClaimHolder::from_uuid(Uuid::now_v7()),
            now,
            lease_until: now + Duration::seconds(30),
            expires_at: now + DEFAULT_RETENTION,
        })
        .await
        .unwrap();
    assert_eq!(claimed, Claim::Fresh);
    let retry = s
        .run(running.clone(), Outcome::Settled(answer(200, "{}")))
        .await;
    assert_eq!(
        retry,
        Err(IdempotencyError::InProgress {
            retry_after: StdDuration::from_secs(30)
        })
    );
    assert_eq!(s.runs(), 0);

    // The runner died: after its lease a retry takes the key over and runs.
    s.adapters.clock.advance(Duration::seconds(30));
    let taken_over = s
        .run(running, Outcome::Settled(answer(200, "{}")))
        .await
        .unwrap();
    assert_eq!(taken_over, Answered::Ran(answer(200, "{}")));
    assert_eq!(s.runs(), 1);
}

#[tokio::test]
async fn an_answer_that_changed_nothing_is_forgotten_so_a_retry_runs_again() {
    let s = setup();
    let me = a_caller();
    let down = answer(503, r#"{"code":"unavailable"}"#);
    let first = s
        .run(request(&me, "a"), Outcome::NothingChanged(down.clone()))
        .await
        .unwrap();
    assert_eq!(first, Answered::Ran(down));
    let retry = s
        .run(request(&me, "a"), Outcome::Settled(answer(200, "{}")))
        .await
        .unwrap();
    assert_eq!(retry, Answered::Ran(answer(200, "{}")));
    assert_eq!(s.runs(), 2);
}

#[tokio::test]
async fn an_answer_is_forgotten_after_the_retention_and_swept() {
    let s = setup();
    let me = a_caller();
    s.run(request(&me, "a"), Outcome::Settled(answer(201, "1")))
        .await
        .unwrap();
    s.adapters
        .clock
        .advance(DEFAULT_RETENTION - Duration::seconds(1));
    assert_eq!(s.keys.sweep(100).await.unwrap(), 0, "not yet expired");
    s.adapters.clock.advance(Duration::seconds(1));
    assert_eq!(s.keys.sweep(100).await.unwrap(), 1);
    let later = s
        .run(request(&me, "b"), Outcome::Settled(answer(201, "2")))
        .await
        .unwrap();
    assert_eq!(later, Answered::Ran(answer(201, "2")));
    assert_eq!(s.runs(), 2);
}
