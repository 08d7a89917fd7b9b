use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ports::TokenError;
use seckiller_domain::{Password, Username};

use super::*;
use crate::testing::{TestAdapters, t0};

fn accounts() -> (Accounts<TestAdapters>, Arc<TestAdapters>) {
    let adapters = Arc::new(TestAdapters::memory());
    (
        Accounts::new(adapters.clone(), Duration::minutes(15)).with_refresh_ttl(Duration::days(30)),
        adapters,
    )
}

async fn signed_in(accounts: &Accounts<TestAdapters>, name: &str) -> SignedIn {
    accounts
        .register(
            Username::parse(name).unwrap(),
            Password::parse("maple-otter-47").unwrap(),
        )
        .await
        .unwrap();
    accounts.sign_in(name, "maple-otter-47").await.unwrap()
}

#[tokio::test]
async fn sign_in_gives_a_short_access_token_and_a_long_refresh_token() {
    let (accounts, _) = accounts();
    let session = signed_in(&accounts, "alice").await;
    assert_eq!(session.access.expires_at, t0() + Duration::minutes(15));
    assert_eq!(session.refresh_expires_at, t0() + Duration::days(30));
    assert_ne!(session.refresh_token, session.access.token);
    let (_, session_id) = accounts
        .authenticate_session(&session.access.token)
        .unwrap();
    assert_eq!(session_id, session.session_id);
}

#[tokio::test]
async fn a_refresh_returns_a_new_pair_in_the_same_session_and_spends_the_old_token() {
    let (accounts, adapters) = accounts();
    let first = signed_in(&accounts, "alice").await;
    adapters.clock.advance(Duration::minutes(20));
    let second = accounts.refresh(&first.refresh_token).await.unwrap();
    assert_eq!(second.session_id, first.session_id);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        second.access.expires_at,
        t0() + Duration::minutes(35),
        "a fresh access token"
    );
    assert_eq!(
        accounts.authenticate(&first.access.token),
        Err(TokenError::Expired)
    );
    let caller = accounts.authenticate(&second.access.token).unwrap();
    assert_eq!(caller.role, seckiller_domain::Role::Buyer);
    let third = accounts.refresh(&second.refresh_token).await.unwrap();
    assert_eq!(third.session_id, first.session_id);
}

#[tokio::test]
async fn a_spent_refresh_token_presented_again_revokes_the_whole_session() {
    let (accounts, _) = accounts();
    let first = signed_in(&accounts, "alice").await;
    let second = accounts.refresh(&first.refresh_token).await.unwrap();
    // The thief (or the owner) replays the spent token: refused, and the family is revoked.
    assert_eq!(
        accounts.refresh(&first.refresh_token).await,
        Err(RefreshError::Refused)
    );
    assert_eq!(
        accounts.refresh(&second.refresh_token).await,
        Err(RefreshError::Refused),
        "the live successor dies with its family"
    );
    // Other sessions of the same account are untouched.
    let other = accounts.sign_in("alice", "maple-otter-47").await.unwrap();
    assert!(accounts.refresh(&other.refresh_token).await.is_ok());
}

#[tokio::test]
async fn signing_out_ends_the_refresh_tokens_and_leaves_the_access_token_its_short_life() {
    let (accounts, adapters) = accounts();
    let session = signed_in(&accounts, "alice").await;
    let (caller, session_id) = accounts
        .authenticate_session(&session.access.token)
        .unwrap();
    accounts.sign_out(&caller, session_id).await.unwrap();
    accounts.sign_out(&caller, session_id).await.unwrap();
    assert_eq!(
        accounts.refresh(&session.refresh_token).await,
        Err(RefreshError::Refused)
    );
    // Verification takes no IO: the access token works until its expiry, and not after.
    assert!(accounts.authenticate(&session.access.token).is_ok());
    adapters.clock.advance(Duration::minutes(15));
    assert_eq!(
        accounts.authenticate(&session.access.token),
        Err(TokenError::Expired)
    );
}

#[tokio::test]
async fn one_account_cannot_sign_another_out() {
    let (accounts, _) = accounts();
    let alice = signed_in(&accounts, "alice").await;
    let bob = signed_in(&accounts, "bob").await;
    let bob_caller = accounts.authenticate(&bob.access.token).unwrap();
    accounts
        .sign_out(&bob_caller, alice.session_id)
        .await
        .unwrap();
    assert!(accounts.refresh(&alice.refresh_token).await.is_ok());
}

#[tokio::test]
async fn a_refresh_token_past_its_expiry_is_refused() {
    let (accounts, adapters) = accounts();
    let session = signed_in(&accounts, "alice").await;
    adapters.clock.advance(Duration::days(30));
    assert_eq!(
        accounts.refresh(&session.refresh_token).await,
        Err(RefreshError::Refused)
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let (accounts, _) = accounts();
    assert_eq!(
        accounts.refresh("refresh-made-up").await,
        Err(RefreshError::Refused)
    );
}

#[tokio::test]
async fn revoking_all_sessions_ends_every_session_of_the_account_only() {
    let (accounts, _) = accounts();
    let first = signed_in(&accounts, "alice").await;
    let second = accounts.sign_in("alice", "maple-otter-47").await.unwrap();
    let bob = signed_in(&accounts, "bob").await;
    let alice = accounts.authenticate(&first.access.token).unwrap();
    assert_eq!(accounts.revoke_all_sessions(alice.user_id).await, Ok(2));
    for token in [&first.refresh_token, &second.refresh_token] {
        assert_eq!(accounts.refresh(token).await, Err(RefreshError::Refused));
    }
    assert!(accounts.refresh(&bob.refresh_token).await.is_ok());
}
