//! What only the database session store has to prove: two nodes exchanging the same refresh
//! token at the same instant, each through its own connection pool, make exactly one new token;
//! the other exchange is a reuse, which revokes the session — so no race hands out two live
//! successors of one token, and a sign-out racing exchanges leaves none.

use chrono::Duration;
use seckiller_contract::fixtures::{a_user, whole_second_now};
use seckiller_domain::ports::{
    NewSession, RefreshGrant, RefreshRefusal, Rotation, SessionStore, TokenDigest, UserRepository,
};
use seckiller_domain::{Role, SessionId};
use seckiller_persistence::{SeaSessionStore, connect};
use uuid::Uuid;

use crate::harness::Store;

on_both_backends!(
    racing_exchanges_of_one_token_make_one_successor,
    a_sign_out_racing_exchanges_leaves_no_live_token,
);

fn grant(now: chrono::DateTime<chrono::Utc>) -> RefreshGrant {
    RefreshGrant {
        digest: TokenDigest::new(format!("{:064x}", Uuid::now_v7().as_u128())),
        issued_at: now,
        expires_at: now + Duration::days(1),
    }
}

/// A stored session and two more nodes' stores over the same database.
async fn a_session_and_nodes(
    store: &Store,
) -> (NewSession, RefreshGrant, SeaSessionStore, SeaSessionStore) {
    let now = whole_second_now();
    let user = a_user(Role::Buyer);
    store.users.insert(&user).await.expect("a user");
    let session = NewSession {
        id: SessionId::from_uuid(Uuid::now_v7()),
        user_id: user.id,
        created_at: now,
    };
    let first = grant(now);
    store
        .sessions
        .open(&session, &first)
        .await
        .expect("a session");
    let a = SeaSessionStore::new(&connect(&store.url).await.expect("node a"));
    let b = SeaSessionStore::new(&connect(&store.url).await.expect("node b"));
    (session, first, a, b)
}

async fn racing_exchanges_of_one_token_make_one_successor(store: Store) {
    let now = whole_second_now();
    for _ in 0..5 {
        let (session, first, a, b) = a_session_and_nodes(&store).await;
        let (next_a, next_b) = (grant(now), grant(now));
        let (one, other) = tokio::join!(
            tokio::spawn({
                let (digest, next) = (first.digest.clone(), next_a.clone());
                async move { a.rotate(&digest, &next, now).await }
            }),
            tokio::spawn({
                let (digest, next) = (first.digest.clone(), next_b.clone());
                async move { b.rotate(&digest, &next, now).await }
            }),
        );
        let outcomes = [
            one.expect("task a").expect("exchange a"),
            other.expect("task b").expect("exchange b"),
        ];
        let rotated = outcomes
            .iter()
            .filter(|o| matches!(o, Rotation::Rotated { .. }))
            .count();
        let reused = outcomes
            .iter()
            .filter(|o| matches!(o, Rotation::Reused { .. }))
            .count();
        assert_eq!((rotated, reused), (1, 1), "{outcomes:?}");
        // The reuse revoked the session: neither successor works.
        for next in [&next_a, &next_b] {
            assert!(matches!(
                store.sessions.rotate(&next.digest, &grant(now), now).await,
                Ok(Rotation::Refused(_))
            ));
        }
        assert_eq!(
            store
                .sessions
                .revoke(session.id, session.user_id, now)
                .await,
            Ok(false),
            "already revoked"
        );
    }
}

async fn a_sign_out_racing_exchanges_leaves_no_live_token(store: Store) {
    let now = whole_second_now();
    for _ in 0..5 {
        let (session, first, a, b) = a_session_and_nodes(&store).await;
        let next = grant(now);
        let (exchanged, signed_out) = tokio::join!(
            tokio::spawn({
                let (digest, next) = (first.digest.clone(), next.clone());
                async move { a.rotate(&digest, &next, now).await }
            }),
            tokio::spawn(async move { b.revoke(session.id, session.user_id, now).await }),
        );
        exchanged.expect("task a").expect("exchange");
        assert_eq!(signed_out.expect("task b"), Ok(true));
        // Whichever went first, the successor is dead (revoked, or never made).
        let after = store.sessions.rotate(&next.digest, &grant(now), now).await;
        assert!(
            matches!(
                after,
                Ok(Rotation::Refused(
                    RefreshRefusal::Revoked | RefreshRefusal::Unknown
                ))
            ),
            "{after:?}"
        );
        assert!(matches!(
            store.sessions.rotate(&first.digest, &grant(now), now).await,
            Ok(Rotation::Refused(RefreshRefusal::Revoked))
        ));
    }
}
