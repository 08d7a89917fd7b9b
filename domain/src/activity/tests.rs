use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::money::Currency;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
}

fn draft(starts: i64, ends: i64, now: i64) -> Activity {
    Activity::plan(
        ActivityId::from_uuid(Uuid::now_v7()),
        NewActivity {
            product_id: ProductId::from_uuid(Uuid::now_v7()),
            title: Name::parse("Deal").unwrap(),
            sale_price: Money::new(999, Currency::parse("USD").unwrap()).unwrap(),
            total_stock: Quantity::new(100).unwrap(),
            per_user_limit: Quantity::ONE,
            window: SaleWindow::new(t(starts), t(ends)).unwrap(),
            payment_window: PaymentWindow::DEFAULT,
        },
        t(now),
    )
    .unwrap()
}

#[test]
fn a_window_must_end_after_it_starts() {
    assert_eq!(
        SaleWindow::new(t(10), t(10)),
        Err(ActivityError::EndBeforeStart)
    );
    assert_eq!(
        SaleWindow::new(t(10), t(5)),
        Err(ActivityError::EndBeforeStart)
    );
}

#[test]
fn a_sale_whose_window_is_over_cannot_be_planned() {
    let result = Activity::plan(
        ActivityId::from_uuid(Uuid::now_v7()),
        NewActivity {
            product_id: ProductId::from_uuid(Uuid::now_v7()),
            title: Name::parse("Late").unwrap(),
            sale_price: Money::new(1, Currency::parse("EUR").unwrap()).unwrap(),
            total_stock: Quantity::ONE,
            per_user_limit: Quantity::ONE,
            window: SaleWindow::new(t(0), t(10)).unwrap(),
            payment_window: PaymentWindow::DEFAULT,
        },
        t(10),
    );
    assert_eq!(result, Err(ActivityError::WindowInPast));
}

#[test]
fn the_phase_follows_the_clock_and_the_stock() {
    let mut a = draft(100, 200, 0);
    assert_eq!(a.phase(t(150), 5), Phase::Draft);
    a.publish(t(1)).unwrap();
    assert_eq!(a.phase(t(99), 5), Phase::Upcoming);
    assert_eq!(a.phase(t(100), 5), Phase::Open);
    assert_eq!(a.phase(t(150), 0), Phase::SoldOut);
    assert_eq!(a.phase(t(200), 5), Phase::Ended);
    a.cancel(t(150)).unwrap();
    assert_eq!(a.phase(t(150), 5), Phase::Cancelled);
}

#[test]
fn publishing_moves_a_draft_once() {
    let mut a = draft(100, 200, 0);
    a.publish(t(1)).unwrap();
    assert_eq!(a.state, ActivityState::Published);
    assert_eq!(a.version, 2);
    assert_eq!(a.publish(t(2)), Err(ActivityError::AlreadyPublished));
}

#[test]
fn an_ended_or_cancelled_draft_cannot_be_published() {
    let mut ended = draft(100, 200, 0);
    assert_eq!(ended.publish(t(200)), Err(ActivityError::Ended));
    let mut cancelled = draft(100, 200, 0);
    cancelled.cancel(t(1)).unwrap();
    assert_eq!(cancelled.publish(t(2)), Err(ActivityError::Cancelled));
}

#[test]
fn edits_are_refused_once_a_published_sale_has_started() {
    let mut a = draft(100, 200, 0);
    a.publish(t(1)).unwrap();
    let more = ActivityChanges {
        total_stock: Some(Quantity::new(5).unwrap()),
        ..Default::default()
    };
    a.edit(more.clone(), t(50)).unwrap();
    assert_eq!(a.total_stock.get(), 5);
    assert_eq!(a.edit(more, t(100)), Err(ActivityError::AlreadyStarted));
}

#[test]
fn a_draft_may_be_edited_even_after_its_planned_start() {
    let mut a = draft(100, 200, 0);
    let changes = ActivityChanges {
        title: Some(Name::parse("New").unwrap()),
        ..Default::default()
    };
    a.edit(changes, t(150)).unwrap();
    assert_eq!(a.title.as_str(), "New");
}

#[test]
fn an_edit_cannot_move_the_window_into_the_past() {
    let mut a = draft(100, 200, 0);
    let changes = ActivityChanges {
        starts_at: Some(t(-20)),
        ends_at: Some(t(-10)),
        ..Default::default()
    };
    assert_eq!(a.edit(changes, t(0)), Err(ActivityError::WindowInPast));
    assert_eq!(a.window.starts_at(), t(100));
}

#[test]
fn an_edit_of_one_end_of_the_window_is_checked_against_the_other() {
    let mut a = draft(100, 200, 0);
    let changes = ActivityChanges {
        starts_at: Some(t(300)),
        ..Default::default()
    };
    assert_eq!(a.edit(changes, t(0)), Err(ActivityError::EndBeforeStart));
    let changes = ActivityChanges {
        ends_at: Some(t(400)),
        ..Default::default()
    };
    a.edit(changes, t(0)).unwrap();
    assert_eq!((a.window.starts_at(), a.window.ends_at()), (t(100), t(400)));
}

#[test]
fn cancelled_activities_are_final() {
    let mut a = draft(100, 200, 0);
    a.cancel(t(1)).unwrap();
    assert_eq!(a.cancel(t(2)), Err(ActivityError::Cancelled));
    assert_eq!(
        a.edit(ActivityChanges::default(), t(2)),
        Err(ActivityError::Cancelled)
    );
}

#[test]
fn a_finished_published_sale_cannot_be_cancelled() {
    let mut a = draft(100, 200, 0);
    a.publish(t(1)).unwrap();
    assert_eq!(a.cancel(t(250)), Err(ActivityError::Ended));
}

#[test]
fn payment_windows_are_bounded() {
    assert!(PaymentWindow::from_seconds(0).is_err());
    assert!(PaymentWindow::from_seconds(-3).is_err());
    assert!(PaymentWindow::from_seconds(86_401).is_err());
    assert_eq!(
        PaymentWindow::from_seconds(2).unwrap().duration(),
        Duration::seconds(2)
    );
}

#[test]
fn states_round_trip_through_their_names() {
    for s in [
        ActivityState::Draft,
        ActivityState::Published,
        ActivityState::Cancelled,
    ] {
        assert_eq!(ActivityState::parse(s.as_str()), Some(s));
    }
}

#[test]
fn a_sale_price_of_zero_is_refused_when_planned_and_when_edited() {
    let free = Money::new(0, Currency::parse("USD").unwrap()).unwrap();
    let result = Activity::plan(
        ActivityId::from_uuid(Uuid::now_v7()),
        NewActivity {
            product_id: ProductId::from_uuid(Uuid::now_v7()),
            title: Name::parse("Free").unwrap(),
            sale_price: free,
            total_stock: Quantity::ONE,
            per_user_limit: Quantity::ONE,
            window: SaleWindow::new(t(10), t(20)).unwrap(),
            payment_window: PaymentWindow::DEFAULT,
        },
        t(0),
    );
    assert_eq!(result, Err(ActivityError::FreeSale));
    let mut sale = draft(10, 20, 0);
    let before = sale.clone();
    let changes = ActivityChanges {
        sale_price: Some(free),
        ..ActivityChanges::default()
    };
    assert_eq!(sale.edit(changes, t(1)), Err(ActivityError::FreeSale));
    assert_eq!(sale, before, "a refused edit changes nothing");
}
