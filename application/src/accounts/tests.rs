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
        .register(name("alice"), pw("maple-otter-47"))
        .await
        .unwrap();
    assert_eq!(user.role, Role::Buyer);
    let session = accounts.sign_in("Alice", "maple-otter-47").await.unwrap();
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
        .register(name("bob"), pw("maple-otter-47"))
        .await
        .unwrap();
    assert_eq!(
        accounts.register(name("BOB"), pw("birch-heron-58")).await,
        Err(RegisterError::UsernameTaken)
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_names_get_the_same_answer() {
    let (accounts, _) = accounts();
    accounts
        .register(name("carol"), pw("maple-otter-47"))
        .await
        .unwrap();
    assert_eq!(
        accounts.sign_in("carol", "birch-heron-58").await,
        Err(SignInError::BadCredentials)
    );
    assert_eq!(
        accounts.sign_in("nobody", "maple-otter-47").await,
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
        .register(name("dave"), pw("maple-otter-47"))
        .await
        .unwrap();
    let session = accounts.sign_in("dave", "maple-otter-47").await.unwrap();
    adapters.clock.advance(Duration::hours(1));
    assert_eq!(
        accounts.authenticate(&session.access.token),
        Err(TokenError::Expired)
    );
    assert_eq!(accounts.authenticate("forged"), Err(TokenError::Invalid));
}

const ADMIN_PW: &str = "quiet harbor lantern 42";
const NEW_ADMIN_PW: &str = "copper kettle meadow 19";

#[tokio::test]
async fn ensure_admin_creates_the_admin_once() {
    let (accounts, _) = accounts();
    assert_eq!(
        accounts
            .ensure_admin(name("admin"), pw(ADMIN_PW))
            .await
            .unwrap(),
        AdminAccount::Created
    );
    assert_eq!(
        accounts
            .ensure_admin(name("admin"), pw(ADMIN_PW))
            .await
            .unwrap(),
        AdminAccount::Unchanged
    );
    let session = accounts.sign_in("admin", ADMIN_PW).await.unwrap();
    assert_eq!(
        accounts.authenticate(&session.access.token).unwrap().role,
        Role::Admin
    );
}

#[tokio::test]
async fn a_changed_configured_admin_password_replaces_the_old_one_at_start_up() {
    let (accounts, _) = accounts();
    accounts
        .ensure_admin(name("admin"), pw(ADMIN_PW))
        .await
        .unwrap();
    // A generated first password is never applied to an existing admin.
    assert_eq!(
        accounts
            .ensure_admin(name("admin"), pw(NEW_ADMIN_PW))
            .await
            .unwrap(),
        AdminAccount::Unchanged
    );
    assert!(accounts.sign_in("admin", ADMIN_PW).await.is_ok());
    assert_eq!(
        accounts
            .apply_admin_password(name("admin"), pw(NEW_ADMIN_PW))
            .await
            .unwrap(),
        AdminAccount::PasswordChanged
    );
    assert_eq!(
        accounts
            .apply_admin_password(name("admin"), pw(NEW_ADMIN_PW))
            .await
            .unwrap(),
        AdminAccount::Unchanged
    );
    assert_eq!(
        accounts.sign_in("admin", ADMIN_PW).await,
        Err(SignInError::BadCredentials)
    );
    assert!(accounts.sign_in("admin", NEW_ADMIN_PW).await.is_ok());
}

#[tokio::test]
async fn a_weak_configured_admin_password_is_refused_and_a_buyers_name_is_left_alone() {
    let (accounts, _) = accounts();
    assert!(matches!(
        accounts
            .ensure_admin(name("admin"), pw("admin-password"))
            .await,
        Err(RegisterError::WeakPassword(_))
    ));
    accounts
        .ensure_admin(name("admin"), pw(ADMIN_PW))
        .await
        .unwrap();
    assert!(matches!(
        accounts
            .apply_admin_password(name("admin"), pw("admin-password"))
            .await,
        Err(RegisterError::WeakPassword(_))
    ));
    assert!(accounts.sign_in("admin", ADMIN_PW).await.is_ok());
    accounts
        .register(name("boss"), pw("maple-otter-47"))
        .await
        .unwrap();
    assert_eq!(
        accounts
            .apply_admin_password(name("boss"), pw(ADMIN_PW))
            .await
            .unwrap(),
        AdminAccount::TakenByBuyer
    );
    assert!(accounts.sign_in("boss", "maple-otter-47").await.is_ok());
}

#[tokio::test]
async fn weak_passwords_are_refused_at_registration_saying_why() {
    let (accounts, _) = accounts();
    for weak in ["12345678", "password", "        ", "\0\0\0\0\0\0\0\0"] {
        let refused = accounts.register(name("frank"), pw(weak)).await;
        assert!(
            matches!(refused, Err(RegisterError::WeakPassword(_))),
            "{weak:?}: {refused:?}"
        );
    }
    assert_eq!(
        accounts.sign_in("frank", "12345678").await,
        Err(SignInError::BadCredentials)
    );
}

#[tokio::test]
async fn an_unknown_username_costs_one_verification_like_a_wrong_password() {
    let (accounts, adapters) = accounts();
    accounts
        .register(name("gina"), pw("maple-otter-47"))
        .await
        .unwrap();
    accounts.prepare().await.unwrap();
    let hashes = adapters.hasher.hashes();

    let verifies = adapters.hasher.verifies();
    let wrong = accounts.sign_in("gina", "birch-heron-58").await;
    assert_eq!(adapters.hasher.verifies() - verifies, 1);

    let verifies = adapters.hasher.verifies();
    let missing = accounts.sign_in("nobody", "birch-heron-58").await;
    assert_eq!(adapters.hasher.verifies() - verifies, 1);

    assert_eq!(wrong, missing);
    assert_eq!(missing, Err(SignInError::BadCredentials));
    // The dummy hash was made once, before any sign-in: none pays for it.
    assert_eq!(adapters.hasher.hashes(), hashes);
}

#[tokio::test]
async fn the_dummy_hash_is_made_once_even_without_preparing() {
    let (accounts, adapters) = accounts();
    for _ in 0..3 {
        assert_eq!(
            accounts.sign_in("nobody", "birch-heron-58").await,
            Err(SignInError::BadCredentials)
        );
    }
    assert_eq!(
        (adapters.hasher.hashes(), adapters.hasher.verifies()),
        (1, 3)
    );
}

#[tokio::test]
async fn a_buyer_changes_its_password_with_the_current_one() {
    let (accounts, _) = accounts();
    let user = accounts
        .register(name("hank"), pw("maple-otter-47"))
        .await
        .unwrap();
    let caller = Caller {
        user_id: user.id,
        role: user.role,
    };
    assert_eq!(
        accounts
            .change_password(&caller, "birch-heron-58", pw("copper-kettle-19"))
            .await,
        Err(ChangePasswordError::WrongPassword)
    );
    assert!(matches!(
        accounts
            .change_password(&caller, "maple-otter-47", pw("password"))
            .await,
        Err(ChangePasswordError::WeakPassword(_))
    ));
    accounts
        .change_password(&caller, "maple-otter-47", pw("copper-kettle-19"))
        .await
        .unwrap();
    assert_eq!(
        accounts.sign_in("hank", "maple-otter-47").await,
        Err(SignInError::BadCredentials)
    );
    assert!(accounts.sign_in("hank", "copper-kettle-19").await.is_ok());
}

#[tokio::test]
async fn an_operator_sets_a_password_to_the_floor_of_the_accounts_role() {
    let (accounts, _) = accounts();
    accounts
        .ensure_admin(name("admin"), pw(ADMIN_PW))
        .await
        .unwrap();
    assert_eq!(
        accounts
            .set_password(&name("ghost"), pw(NEW_ADMIN_PW))
            .await,
        Err(SetPasswordError::UnknownUser)
    );
    // Enough for a buyer, not for an admin.
    assert_eq!(
        accounts
            .set_password(&name("admin"), pw("maple-otter"))
            .await,
        Err(SetPasswordError::WeakPassword(WeakPassword::TooShort {
            min: StrengthFloor::ADMIN.min_chars
        }))
    );
    let user = accounts
        .set_password(&name("admin"), pw(NEW_ADMIN_PW))
        .await
        .unwrap();
    assert_eq!(user.role, Role::Admin);
    assert!(accounts.sign_in("admin", NEW_ADMIN_PW).await.is_ok());
}

#[tokio::test]
async fn a_storage_failure_is_reported_as_unavailable() {
    let mut users = MockUserRepository::new();
    users
        .expect_by_username()
        .returning(|_| Box::pin(async { Err(StorageError::from("down".to_owned())) }));
    let adapters = TestAdapters::memory().with_users(users);
    let accounts = Accounts::new(Arc::new(adapters), Duration::hours(1));
    assert!(matches!(
        accounts.sign_in("erin", "maple-otter-47").await,
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
    // Their generated password (one per batch, nobody learns it) would pass the buyer's floor.
    let generated = Password::parse(&uuid::Uuid::now_v7().to_string()).unwrap();
    assert_eq!(
        check_new_password(&generated, Role::Buyer, &buyers[0].user.username),
        Ok(())
    );
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
