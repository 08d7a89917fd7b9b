use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ports::{MockUserRepository, StorageError, TokenError};
use seckiller_domain::{Password, Role, Username};

use super::*;
use crate::testing::{TestAdapters, t0};

fn accounts() -> (Accounts<TestAdapters>, Arc<TestAdapters>) {
    let adapters = Arc::new(TestAdapters::memory());
    (
        Accounts::new(adapters.clone(), Duration::hours(1)),
        adapters,
    )
}

fn name(s: &str) -> Username {
    Username::parse(s).unwrap()
}

fn pw(s: &str) -> Password {
    Password::parse(s).unwrap()
}

#[tokio::test]
async fn a_registered_buyer_can_sign_in_and_is_recognised_by_the_token() {
    let (accounts, _) = accounts();
    let user = accounts
        .register(name("alice"), pw("password1"))
        .await
        .unwrap();
    assert_eq!(user.role, Role::Buyer);
    let session = accounts.sign_in("Alice", "password1").await.unwrap();
    assert_eq!(session.access.expires_at, t0() + Duration::hours(1));
    let caller = accounts.authenticate(&session.access.token).unwrap();
    assert_eq!(
        caller,
        Caller {
            user_id: user.id,
            role: Role::Buyer
        }
    );
    assert_eq!(
        accounts.me(&caller).await.unwrap().username.as_str(),
        "alice"
    );
}

#[tokio::test]
async fn a_username_can_be_registered_only_once_whatever_its_case() {
    let (accounts, _) = accounts();
    accounts
        .register(name("bob"), pw("password1"))
        .await
        .unwrap();
    assert_eq!(
        accounts.register(name("BOB"), pw("password2")).await,
        Err(RegisterError::UsernameTaken)
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_names_get_the_same_answer() {
    let (accounts, _) = accounts();
    accounts
        .register(name("carol"), pw("password1"))
        .await
        .unwrap();
    assert_eq!(
        accounts.sign_in("carol", "password2").await,
        Err(SignInError::BadCredentials)
    );
    assert_eq!(
        accounts.sign_in("nobody", "password1").await,
        Err(SignInError::BadCredentials)
    );
    assert_eq!(
        accounts.sign_in("x", "").await,
        Err(SignInError::BadCredentials)
    );
}

#[tokio::test]
async fn a_token_stops_working_when_the_session_expires() {
    let (accounts, adapters) = accounts();
    accounts
        .register(name("dave"), pw("password1"))
        .await
        .unwrap();
    let session = accounts.sign_in("dave", "password1").await.unwrap();
    adapters.clock.advance(Duration::hours(1));
    assert_eq!(
        accounts.authenticate(&session.access.token),
        Err(TokenError::Expired)
    );
    assert_eq!(accounts.authenticate("forged"), Err(TokenError::Invalid));
}

#[tokio::test]
async fn ensure_admin_creates_the_admin_once() {
    let (accounts, _) = accounts();
    assert!(
        accounts
            .ensure_admin(name("admin"), pw("adminpass"))
            .await
            .unwrap()
    );
    assert!(
        !accounts
            .ensure_admin(name("admin"), pw("other-pass"))
            .await
            .unwrap()
    );
    let session = accounts.sign_in("admin", "adminpass").await.unwrap();
    assert_eq!(
        accounts.authenticate(&session.access.token).unwrap().role,
        Role::Admin
    );
}

#[tokio::test]
async fn a_storage_failure_is_reported_as_unavailable() {
    let mut users = MockUserRepository::new();
    users
        .expect_by_username()
        .returning(|_| Box::pin(async { Err(StorageError("down".into())) }));
    let adapters = TestAdapters::memory().with_users(users);
    let accounts = Accounts::new(Arc::new(adapters), Duration::hours(1));
    assert!(matches!(
        accounts.sign_in("erin", "password1").await,
        Err(SignInError::Unavailable(_))
    ));
}

#[tokio::test]
async fn an_admin_creates_buyers_in_bulk_each_with_a_working_session() {
    let accounts = Accounts::new(Arc::new(TestAdapters::memory()), Duration::hours(1));
    let admin = Caller {
        user_id: UserId::from_uuid(uuid::Uuid::now_v7()),
        role: Role::Admin,
    }
    .admin()
    .unwrap();
    let buyers = accounts.create_buyers(&admin, 25).await.unwrap();
    assert_eq!(buyers.len(), 25);
    let names: std::collections::HashSet<_> =
        buyers.iter().map(|b| b.user.username.clone()).collect();
    assert_eq!(names.len(), 25);
    for b in &buyers {
        let caller = accounts.authenticate(&b.session.token).unwrap();
        assert_eq!((caller.user_id, caller.role), (b.user.id, Role::Buyer));
    }
    assert_eq!(
        accounts.create_buyers(&admin, 0).await,
        Err(BulkBuyersError::BadCount {
            max: MAX_BULK_BUYERS
        })
    );
    assert_eq!(
        accounts.create_buyers(&admin, MAX_BULK_BUYERS + 1).await,
        Err(BulkBuyersError::BadCount {
            max: MAX_BULK_BUYERS
        })
    );
}
