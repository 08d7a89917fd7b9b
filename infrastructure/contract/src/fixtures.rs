//! Test data with distinct values in every field, so an adapter that swaps two columns or drops
//! one fails a round trip. Every fixture gets fresh ids (and usernames), so checks sharing a store
//! never collide; every time is a whole second, so it survives storage on every backend.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use seckiller_domain::ports::ActivityRecord;
use seckiller_domain::{
    Activity, ActivityId, Currency, Description, ImageUrl, Money, Name, NewActivity, NewProduct,
    PasswordHash, PaymentWindow, Product, ProductId, Quantity, Role, SaleWindow, StockLedger, User,
    UserId, Username,
};
use uuid::Uuid;

/// The current time cut to whole seconds.
pub fn whole_second_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// A username no other fixture will ever produce: the 32 hex digits of a fresh UUIDv7.
pub fn unique_username() -> Username {
    Username::parse(&Uuid::now_v7().simple().to_string()).expect("32 hex digits are a username")
}

/// A new account with a unique username.
pub fn a_user(role: Role) -> User {
    User {
        id: UserId::from_uuid(Uuid::now_v7()),
        username: unique_username(),
        password_hash: PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        role,
        created_at: whole_second_now(),
    }
}

/// A currency by its code.
pub fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("a fixture currency is valid")
}

/// A new catalogue item created at `now`, with a picture and a two-line description.
pub fn a_product(now: DateTime<Utc>) -> Product {
    Product::create(
        ProductId::from_uuid(Uuid::now_v7()),
        NewProduct {
            name: Name::parse("Phone X").expect("a fixture name is valid"),
            description: Description::parse("A phone.\nWith a screen.")
                .expect("a fixture description is valid"),
            image_url: Some(
                ImageUrl::parse("https://cdn.example/phone.png").expect("a fixture link is valid"),
            ),
            price: Money::new(129_900, currency("USD")).expect("a fixture price is valid"),
        },
        now,
    )
}

/// A draft sale of `product_id`, planned at `now` to open an hour later for an hour, with a fresh
/// ledger: 100 items, 3 per buyer, 10 minutes to pay, at 99.90 EUR.
pub fn an_activity(product_id: ProductId, now: DateTime<Utc>) -> ActivityRecord {
    let window = SaleWindow::new(now + Duration::hours(1), now + Duration::hours(2))
        .expect("a fixture window ends after it starts");
    let activity = Activity::plan(
        ActivityId::from_uuid(Uuid::now_v7()),
        NewActivity {
            product_id,
            title: Name::parse("Phone X at half price").expect("a fixture title is valid"),
            sale_price: Money::new(9_990, currency("EUR")).expect("a fixture price is valid"),
            total_stock: Quantity::new(100).expect("a fixture stock is positive"),
            per_user_limit: Quantity::new(3).expect("a fixture limit is positive"),
            window,
            payment_window: PaymentWindow::from_seconds(600)
                .expect("a fixture payment window is valid"),
        },
        now,
    )
    .expect("a fixture window has not ended when planned");
    ActivityRecord {
        activity,
        stock: StockLedger::new(100),
    }
}
