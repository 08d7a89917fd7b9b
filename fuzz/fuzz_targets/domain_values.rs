//! The domain's constructors take any input without panicking, and what they accept keeps
//! their promises: trimmed, bounded, lower-cased, ordered.

#![no_main]

use arbitrary::Arbitrary;
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use seckiller_domain::{
    Currency, Description, ImageUrl, Money, Name, Password, PaymentWindow, Quantity, SaleWindow,
    Username,
};

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    Money {
        amount: i64,
        currency: &'a str,
    },
    Quantity {
        n: u32,
        wide: i64,
        max: u32,
    },
    Texts(&'a str),
    Account {
        username: &'a str,
        password: &'a str,
    },
    Window {
        start: i64,
        end: i64,
        nanos: u32,
        payment: i64,
    },
}

fuzz_target!(|input: Input| match input {
    Input::Money { amount, currency } => {
        if let Ok(currency) = Currency::parse(currency) {
            assert_eq!(currency.as_str(), currency.to_string());
            assert_eq!(Currency::parse(currency.as_str()), Ok(currency));
            if let Ok(money) = Money::new(amount, currency) {
                assert!(money.amount_minor() >= 0);
                assert_eq!(money.currency(), currency);
                let total = money.times(Quantity::new(u32::MAX).unwrap_or(Quantity::ONE));
                assert!(total >= 0);
            }
        }
    }
    Input::Quantity { n, wide, max } => {
        if let Ok(q) = Quantity::new(n) {
            assert!(q.get() >= 1);
        }
        if let Ok(q) = Quantity::bounded(wide, max) {
            assert!(q.get() >= 1 && q.get() <= max);
            assert_eq!(i64::from(q.get()), wide);
        }
    }
    Input::Texts(text) => {
        if let Ok(name) = Name::parse(text) {
            assert!(!name.as_str().is_empty());
            assert_eq!(name.as_str(), name.as_str().trim());
            assert!(name.as_str().chars().count() <= Name::MAX_CHARS);
            assert!(!name.as_str().chars().any(char::is_control));
        }
        if let Ok(description) = Description::parse(text) {
            assert!(description.as_str().chars().count() <= Description::MAX_CHARS);
        }
        if let Ok(url) = ImageUrl::parse(text) {
            let lower = url.as_str().to_ascii_lowercase();
            assert!(lower.starts_with("http://") || lower.starts_with("https://"));
            assert!(!url.as_str().chars().any(|c| c.is_control() || c == ' '));
        }
    }
    Input::Account { username, password } => {
        if let Ok(name) = Username::parse(username) {
            assert_eq!(name.as_str(), name.as_str().to_ascii_lowercase());
            assert_eq!(Username::parse(name.as_str()), Ok(name.clone()));
        }
        if let Ok(password) = Password::parse(password) {
            // Its Debug never depends on the text.
            if let Ok(other) = Password::parse("another password, another text") {
                assert_eq!(format!("{password:?}"), format!("{other:?}"));
            }
        }
    }
    Input::Window {
        start,
        end,
        nanos,
        payment,
    } => {
        let (Some(start), Some(end)) = (
            DateTime::from_timestamp(start, nanos),
            DateTime::from_timestamp(end, 0),
        ) else {
            return;
        };
        if let Ok(window) = SaleWindow::new(start, end) {
            assert!(window.starts_at() < window.ends_at());
            assert!(window.has_started(window.starts_at()));
            assert!(!window.has_ended(window.starts_at()));
            assert!(window.has_ended(window.ends_at()));
        }
        if let Ok(window) = PaymentWindow::from_seconds(payment) {
            assert_eq!(i64::from(window.seconds()), payment);
            assert!(window.seconds() >= PaymentWindow::MIN_SECONDS);
            assert!(window.seconds() <= PaymentWindow::MAX_SECONDS);
        }
    }
});
