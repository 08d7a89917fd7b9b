//! Accounts: found by id and by name, one account per name.

use seckiller_domain::ports::{
    ActivityRepository, InsertUserError, ProductRepository, UserRepository,
};
use seckiller_domain::{ActivityId, PasswordHash, ProductId, Role, User, UserId, Username};
use uuid::Uuid;

use crate::fixtures::{a_user, unique_username};

/// A stored account comes back whole, by its id and by its username.
pub async fn a_user_is_found_by_id_and_by_name<U: UserRepository>(users: &U) {
    let admin = a_user(Role::Admin);
    let buyer = a_user(Role::Buyer);
    users.insert(&admin).await.expect("a new admin is stored");
    users.insert(&buyer).await.expect("a new buyer is stored");

    assert_eq!(
        users.by_id(admin.id).await.expect("lookup by id"),
        Some(admin.clone())
    );
    assert_eq!(
        users.by_id(buyer.id).await.expect("lookup by id"),
        Some(buyer.clone())
    );
    assert_eq!(
        users
            .by_username(&admin.username)
            .await
            .expect("lookup by name"),
        Some(admin)
    );
    assert_eq!(
        users
            .by_username(&buyer.username)
            .await
            .expect("lookup by name"),
        Some(buyer)
    );
}

/// A second account under a name that differs only in case is refused, and the first one stays.
pub async fn a_taken_username_is_refused_case_insensitively<U: UserRepository>(users: &U) {
    let first = a_user(Role::Buyer);
    users.insert(&first).await.expect("a new user is stored");

    let shouted =
        Username::parse(&first.username.as_str().to_ascii_uppercase()).expect("still a username");
    let second = User {
        username: shouted.clone(),
        ..a_user(Role::Admin)
    };
    assert_eq!(
        users.insert(&second).await,
        Err(InsertUserError::UsernameTaken)
    );

    assert_eq!(users.by_id(second.id).await.expect("lookup by id"), None);
    assert_eq!(
        users.by_username(&shouted).await.expect("lookup by name"),
        Some(first)
    );
}

/// A new password hash replaces the old one for that account only; an unknown id changes nothing.
pub async fn a_password_hash_is_replaced_for_its_account_only<U: UserRepository>(users: &U) {
    let changed = a_user(Role::Buyer);
    let other = a_user(Role::Buyer);
    users.insert(&changed).await.expect("a new user is stored");
    users.insert(&other).await.expect("a new user is stored");
    let new_hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA".to_owned());

    assert!(
        users
            .set_password_hash(changed.id, &new_hash)
            .await
            .expect("the hash is replaced")
    );
    assert_eq!(
        users.by_id(changed.id).await.expect("lookup by id"),
        Some(User {
            password_hash: new_hash.clone(),
            ..changed.clone()
        })
    );
    assert_eq!(
        users.by_id(other.id).await.expect("lookup by id"),
        Some(other)
    );
    assert!(
        !users
            .set_password_hash(UserId::from_uuid(Uuid::now_v7()), &new_hash)
            .await
            .expect("an unknown id is not a failure")
    );
}

/// Looking up what was never stored finds nothing rather than failing.
pub async fn unknown_ids_find_nothing<U, P, A>(users: &U, products: &P, activities: &A)
where
    U: UserRepository,
    P: ProductRepository,
    A: ActivityRepository,
{
    assert_eq!(
        users
            .by_id(UserId::from_uuid(Uuid::now_v7()))
            .await
            .expect("lookup by id"),
        None
    );
    assert_eq!(
        users
            .by_username(&unique_username())
            .await
            .expect("lookup by name"),
        None
    );
    assert_eq!(
        products
            .by_id(ProductId::from_uuid(Uuid::now_v7()))
            .await
            .expect("lookup by id"),
        None
    );
    assert_eq!(
        activities
            .by_id(ActivityId::from_uuid(Uuid::now_v7()))
            .await
            .expect("lookup by id"),
        None
    );
}
