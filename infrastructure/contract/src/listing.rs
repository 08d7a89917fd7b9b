//! The activity listing: what buyers may see, newest first, a page at a time.

use chrono::{DateTime, Duration, TimeZone, Utc};
use seckiller_domain::ports::{ActivityRecord, ActivityRepository, ProductRepository};
use seckiller_domain::{ActivityId, ActivityState};
use uuid::Uuid;

use crate::activities::a_stored_product;
use crate::fixtures::{an_activity, whole_second_now};

fn ids(records: &[ActivityRecord]) -> Vec<ActivityId> {
    records.iter().map(|r| r.activity.id).collect()
}

/// The public list shows published and cancelled sales but never drafts; admins see all three.
pub async fn drafts_are_listed_only_when_asked<P, A>(products: &P, activities: &A)
where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let now = whole_second_now();
    let draft = an_activity(product_id, now);
    let mut published = an_activity(product_id, now);
    published
        .activity
        .publish(now)
        .expect("a draft can be published");
    let mut cancelled = an_activity(product_id, now);
    cancelled
        .activity
        .cancel(now)
        .expect("a draft can be cancelled");
    for record in [&draft, &published, &cancelled] {
        activities
            .insert(record)
            .await
            .expect("a new activity is stored");
    }

    let public = activities.list(false, u32::MAX, 0).await.expect("list");
    assert!(
        public
            .iter()
            .all(|r| r.activity.state != ActivityState::Draft),
        "no draft is public"
    );
    assert!(
        public.contains(&published),
        "the published sale is listed whole"
    );
    assert!(
        public.contains(&cancelled),
        "the cancelled sale is listed whole"
    );

    let everything = ids(&activities.list(true, u32::MAX, 0).await.expect("list"));
    for record in [&draft, &published, &cancelled] {
        assert!(
            everything.contains(&record.activity.id),
            "admins see every state"
        );
    }
}

/// A random whole second in 2031, so this check's activities sit next to each other in the
/// listing even when the store holds other checks' data.
fn a_private_instant() -> DateTime<Utc> {
    let start = Utc
        .with_ymd_and_hms(2031, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    let offset = (Uuid::now_v7().as_u128() as u64 % 31_000_000) as i64;
    start + Duration::seconds(offset)
}

/// Newer activities come first; equal creation times are ordered by id, newest id first; pages
/// cut that order without gaps or repeats.
pub async fn the_list_is_newest_first_and_paged<P, A>(products: &P, activities: &A)
where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let t = a_private_instant();
    let oldest = an_activity(product_id, t);
    let (mut tied_low, mut tied_high) = (
        an_activity(product_id, t + Duration::seconds(1)),
        an_activity(product_id, t + Duration::seconds(1)),
    );
    if tied_low.activity.id > tied_high.activity.id {
        std::mem::swap(&mut tied_low, &mut tied_high);
    }
    // Inserted out of order, so a listing in insertion order fails.
    for record in [&tied_low, &oldest, &tied_high] {
        activities
            .insert(record)
            .await
            .expect("a new activity is stored");
    }
    let expected = [
        tied_high.activity.id,
        tied_low.activity.id,
        oldest.activity.id,
    ];

    let everything = ids(&activities.list(true, u32::MAX, 0).await.expect("list"));
    let start = everything
        .iter()
        .position(|id| *id == tied_high.activity.id)
        .expect("the newest activity is listed");
    assert_eq!(
        everything.get(start..start + 3),
        Some(&expected[..]),
        "newest first, ties by id"
    );

    let offset = u32::try_from(start).expect("a small store");
    let first_page = activities.list(true, 2, offset).await.expect("list");
    assert_eq!(first_page, vec![tied_high, tied_low]);
    let second_page = activities.list(true, 2, offset + 2).await.expect("list");
    assert_eq!(second_page.first(), Some(&oldest));
    assert!(
        activities.list(true, 0, 0).await.expect("list").is_empty(),
        "a zero limit lists nothing"
    );
}
