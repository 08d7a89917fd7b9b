//! Sessions and their refresh tokens: rotation hands out one successor per token, a retired
//! token presented again revokes its whole family, and revocation ends a session for good.

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    NewSession, RefreshGrant, RefreshRefusal, Rotation, SessionStore, TokenDigest, UserRepository,
};
use seckiller_domain::{Role, SessionId, UserId};
use uuid::Uuid;

use crate::Repositories;
use crate::fixtures::{a_user, whole_second_now};

/// One store's repositories including sessions, as handed to
/// [`session_contract!`](crate::session_contract).
pub trait SessionRepositories: Repositories {
    /// The sessions adapter under test.
    type Sessions: SessionStore;

    /// The sessions and refresh tokens.
    fn sessions(&self) -> &Self::Sessions;
}

fn a_grant(now: DateTime<Utc>, lifetime: Duration) -> RefreshGrant {
    RefreshGrant {
        digest: TokenDigest::new(format!("{:064x}", Uuid::now_v7().as_u128())),
        issued_at: now,
        expires_at: now + lifetime,
    }
}

/// A stored user with one open session; the session, its first token and the user.
async fn a_session<S: SessionRepositories>(
    store: &S,
    now: DateTime<Utc>,
) -> (SessionId, RefreshGrant, UserId) {
    let user = a_user(Role::Buyer);
    store.users().insert(&user).await.expect("a user is stored");
    let session = NewSession {
        id: SessionId::from_uuid(Uuid::now_v7()),
        user_id: user.id,
        created_at: now,
    };
    let first = a_grant(now, Duration::days(30));
    store
        .sessions()
        .open(&session, &first)
        .await
        .expect("a session is opened");
    (session.id, first, user.id)
}

/// A live token is exchanged once: its successor works, and it itself is then spent.
pub async fn a_refresh_token_rotates_to_a_working_successor<S: SessionRepositories>(store: &S) {
    let now = whole_second_now();
    let (session_id, first, user_id) = a_session(store, now).await;
    let second = a_grant(now, Duration::days(30));
    assert_eq!(
        store.sessions().rotate(&first.digest, &second, now).await,
        Ok(Rotation::Rotated {
            session_id,
            user_id
        })
    );
    let third = a_grant(now, Duration::days(30));
    assert_eq!(
        store
            .sessions()
            .rotate(&second.digest, &third, now + Duration::minutes(1))
            .await,
        Ok(Rotation::Rotated {
            session_id,
            user_id
        })
    );
}

/// A retired token presented again revokes the family: even the live successor stops working.
pub async fn a_reused_refresh_token_revokes_its_whole_session<S: SessionRepositories>(store: &S) {
    let now = whole_second_now();
    let (session_id, first, user_id) = a_session(store, now).await;
    let second = a_grant(now, Duration::days(30));
    store
        .sessions()
        .rotate(&first.digest, &second, now)
        .await
        .expect("the first exchange");
    assert_eq!(
        store
            .sessions()
            .rotate(&first.digest, &a_grant(now, Duration::days(30)), now)
            .await,
        Ok(Rotation::Reused {
            session_id,
            user_id
        })
    );
    assert_eq!(
        store
            .sessions()
            .rotate(&second.digest, &a_grant(now, Duration::days(30)), now)
            .await,
        Ok(Rotation::Refused(RefreshRefusal::Revoked))
    );
}

/// Unknown and expired tokens are refused and change nothing.
pub async fn unknown_and_expired_refresh_tokens_are_refused<S: SessionRepositories>(store: &S) {
    let now = whole_second_now();
    let unknown = a_grant(now, Duration::days(1));
    assert_eq!(
        store
            .sessions()
            .rotate(&unknown.digest, &a_grant(now, Duration::days(1)), now)
            .await,
        Ok(Rotation::Refused(RefreshRefusal::Unknown))
    );
    let (session_id, first, user_id) = a_session(store, now).await;
    let expiry = first.expires_at;
    assert_eq!(
        store
            .sessions()
            .rotate(&first.digest, &a_grant(expiry, Duration::days(1)), expiry)
            .await,
        Ok(Rotation::Refused(RefreshRefusal::Expired))
    );
    // Refused, not spent: just before its expiry it still works.
    assert_eq!(
        store
            .sessions()
            .rotate(
                &first.digest,
                &a_grant(now, Duration::days(1)),
                expiry - Duration::seconds(1)
            )
            .await,
        Ok(Rotation::Rotated {
            session_id,
            user_id
        })
    );
}

/// Revoking a session needs its owner, ends its refresh tokens, and happens once.
pub async fn a_revoked_session_refreshes_no_more<S: SessionRepositories>(store: &S) {
    let now = whole_second_now();
    let (session_id, first, user_id) = a_session(store, now).await;
    let stranger = UserId::from_uuid(Uuid::now_v7());
    assert_eq!(
        store.sessions().revoke(session_id, stranger, now).await,
        Ok(false)
    );
    assert_eq!(
        store.sessions().revoke(session_id, user_id, now).await,
        Ok(true)
    );
    assert_eq!(
        store.sessions().revoke(session_id, user_id, now).await,
        Ok(false)
    );
    assert_eq!(
        store
            .sessions()
            .rotate(&first.digest, &a_grant(now, Duration::days(1)), now)
            .await,
        Ok(Rotation::Refused(RefreshRefusal::Revoked))
    );
}

/// Revoking all of a user's sessions (a password change) leaves other users' sessions alone.
pub async fn revoking_all_sessions_of_a_user_spares_the_others<S: SessionRepositories>(store: &S) {
    let now = whole_second_now();
    let (_, first, user_id) = a_session(store, now).await;
    let second_session = NewSession {
        id: SessionId::from_uuid(Uuid::now_v7()),
        user_id,
        created_at: now,
    };
    let second = a_grant(now, Duration::days(1));
    store
        .sessions()
        .open(&second_session, &second)
        .await
        .expect("a second session");
    let (other_session, other, other_user) = a_session(store, now).await;
    assert_eq!(store.sessions().revoke_all(user_id, now).await, Ok(2));
    assert_eq!(store.sessions().revoke_all(user_id, now).await, Ok(0));
    for digest in [&first.digest, &second.digest] {
        assert_eq!(
            store
                .sessions()
                .rotate(digest, &a_grant(now, Duration::days(1)), now)
                .await,
            Ok(Rotation::Refused(RefreshRefusal::Revoked))
        );
    }
    assert_eq!(
        store
            .sessions()
            .rotate(&other.digest, &a_grant(now, Duration::days(1)), now)
            .await,
        Ok(Rotation::Rotated {
            session_id: other_session,
            user_id: other_user
        })
    );
}

/// Runs every session check one after another on one store.
pub async fn every_session_check_in_turn<S: SessionRepositories>(store: &S) {
    a_refresh_token_rotates_to_a_working_successor(store).await;
    a_reused_refresh_token_revokes_its_whole_session(store).await;
    unknown_and_expired_refresh_tokens_are_refused(store).await;
    a_revoked_session_refreshes_no_more(store).await;
    revoking_all_sessions_of_a_user_spares_the_others(store).await;
}

/// Expands to one `#[tokio::test]` per session check, each on a fresh store opened by `$open`,
/// plus one running them all twice on a single store.
#[macro_export]
macro_rules! session_contract {
    ($open:expr) => {
        $crate::session_contract!(@check $open, a_refresh_token_rotates_to_a_working_successor);
        $crate::session_contract!(@check $open, a_reused_refresh_token_revokes_its_whole_session);
        $crate::session_contract!(@check $open, unknown_and_expired_refresh_tokens_are_refused);
        $crate::session_contract!(@check $open, a_revoked_session_refreshes_no_more);
        $crate::session_contract!(@check $open, revoking_all_sessions_of_a_user_spares_the_others);

        #[tokio::test]
        async fn every_session_check_passes_twice_on_one_shared_store() {
            let store = $open.await;
            $crate::every_session_check_in_turn(&store).await;
            $crate::every_session_check_in_turn(&store).await;
        }
    };
    (@check $open:expr, $check:ident) => {
        #[tokio::test]
        async fn $check() {
            let store = $open.await;
            $crate::$check(&store).await;
        }
    };
}
