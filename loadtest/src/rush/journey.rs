//! One buyer's journey: take a purchase token, buy, follow the purchase to its order, pay (or
//! not, by the crowd's seeded coin), and buy again until told `sold_out` or `limit_reached`, or
//! time is up. Answers that say "try again" (503, 425, no answer) are retried after a short
//! pause; a purchase is retried with the same idempotency key, so a retry never buys twice. A
//! request without an answer moves the buyer on to the next node ([`Route::fail_over`]): a
//! node that is down does not end the journeys that started on it.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::{Accepted, Payment, PaymentOutcome, Resolution, Shared};
use crate::api::{Answer, Route};
use crate::metrics::{Endpoint, Phase};
use crate::progress::Tally;
use crate::setup::Buyer;

/// Tries of one purchase or payment that got no answer or a 503.
const TRIES: u32 = 3;
/// How long one long poll may wait, in seconds (the service allows up to 10).
const LONG_POLL: u32 = 5;

/// Why a step did not go on to the next.
enum Detour {
    /// Try again after a pause.
    Retry,
    /// The purchase token is no longer good: take another.
    NewToken,
    /// The journey is over.
    Stop,
}

fn pause(attempt: u32) -> Duration {
    Duration::from_millis(20 * u64::from(attempt.clamp(1, 10)))
}

/// The label an answer is counted under: its problem code, `success` for an answer without
/// one, or why there was no answer.
fn label(answer: &Result<Answer, reqwest::Error>, success: &str) -> String {
    match answer {
        Ok(a) => a.code().unwrap_or(success).to_owned(),
        Err(e) if e.is_timeout() => "timeout".to_owned(),
        Err(_) => "no_answer".to_owned(),
    }
}

pub(super) async fn journey(s: &Shared, i: usize, buyer: &Buyer) {
    let api = &Route::of_buyer(&s.nodes, i);
    let mut token: Option<String> = None;
    let (mut retries, mut fresh_tokens) = (0, 0);
    let mut later = Vec::new();
    while Instant::now() < s.plan.until {
        let step = match &token {
            None => take_token(s, api, buyer).await.map(|t| token = Some(t)),
            Some(t) => match buy(s, api, buyer, t, i).await {
                Ok(accepted) if s.plan.follow_after_rush => {
                    later.push(accepted);
                    Ok(())
                }
                Ok(accepted) => {
                    settle(s, api, buyer, accepted).await;
                    Ok(())
                }
                Err(d) => Err(d),
            },
        };
        match step {
            Ok(()) => retries = 0,
            Err(Detour::Retry) => {
                retries += 1;
                tokio::time::sleep(pause(retries)).await;
            }
            // A token refused again and again (nodes that disagree on the signing key) would
            // otherwise spin until time is up.
            Err(Detour::NewToken) if fresh_tokens >= TRIES => {
                s.note(|c| c.gave_up += 1);
                break;
            }
            Err(Detour::NewToken) => {
                fresh_tokens += 1;
                token = None;
            }
            Err(Detour::Stop) => break,
        }
    }
    for accepted in later {
        settle(s, api, buyer, accepted).await;
    }
}

/// Follows an accepted purchase to its order, pays it by the crowd's coin, and records both.
async fn settle(s: &Shared, api: &Route<'_>, buyer: &Buyer, mut accepted: Accepted) {
    accepted.resolution = follow(s, api, buyer, &accepted.purchase_id).await;
    let payment = match &accepted.resolution {
        Resolution::Ordered { order_id } if s.pays() => Some(pay(s, api, buyer, order_id).await),
        _ => None,
    };
    s.note(|c| {
        c.accepted.push(accepted);
        c.payments.extend(payment);
    });
}

async fn take_token(s: &Shared, api: &Route<'_>, buyer: &Buyer) -> Result<String, Detour> {
    let path = format!("/api/v1/activities/{}/purchase-tokens", s.plan.activity);
    let sent = Instant::now();
    let answer = api
        .api()
        .post(&path, Some(&buyer.token), &json!({}), None)
        .await;
    let code = label(&answer, "created");
    s.recorder
        .call(Endpoint::PurchaseToken, sent, answer.as_ref(), &code);
    let a = answer.map_err(|_| {
        api.fail_over();
        Detour::Retry
    })?;
    match (a.status, a.code()) {
        (StatusCode::CREATED, _) => a.body["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or(Detour::Stop),
        (_, Some("sold_out")) => {
            s.counters.count(&s.bars.rush, Tally::SoldOut, false);
            s.note(|c| c.sold_out += 1);
            Err(Detour::Stop)
        }
        (StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_EARLY, _) => Err(Detour::Retry),
        _ => {
            s.note(|c| c.gave_up += 1);
            Err(Detour::Stop)
        }
    }
}

async fn buy(
    s: &Shared,
    api: &Route<'_>,
    buyer: &Buyer,
    token: &str,
    i: usize,
) -> Result<Accepted, Detour> {
    let path = format!("/api/v1/activities/{}/purchases", s.plan.activity);
    let key = uuid::Uuid::now_v7().to_string();
    let body = json!({"purchase_token": token, "quantity": s.plan.quantity});
    let mut unknown = false;
    for attempt in 1..=TRIES {
        let sent = Instant::now();
        let answer = api
            .api()
            .post(&path, Some(&buyer.token), &body, Some(&key))
            .await;
        let code = label(&answer, "accepted");
        s.recorder
            .call(Endpoint::Purchase, sent, answer.as_ref(), &code);
        s.recorder.phase(Phase::Rush, sent);
        let count = |t| s.counters.count(&s.bars.rush, t, true);
        let a = match answer {
            Ok(a) => a,
            Err(_) => {
                count(Tally::Other);
                unknown = true;
                api.fail_over();
                tokio::time::sleep(pause(attempt)).await;
                continue;
            }
        };
        return match (a.status, a.code()) {
            (StatusCode::ACCEPTED, _) => {
                count(Tally::Accepted);
                s.bars.settled.inc_length(1);
                let Some(id) = a.body["purchase_id"].as_str() else {
                    s.note(|c| c.gave_up += 1);
                    return Err(Detour::Stop);
                };
                Ok(Accepted {
                    buyer: i,
                    purchase_id: id.to_owned(),
                    quantity: s.plan.quantity,
                    at: Instant::now(),
                    resolution: Resolution::Unresolved {
                        last: "not followed".into(),
                    },
                })
            }
            (_, Some("sold_out")) => {
                count(Tally::SoldOut);
                s.note(|c| c.sold_out += 1);
                Err(Detour::Stop)
            }
            (_, Some("limit_reached")) => {
                count(Tally::LimitReached);
                s.note(|c| c.limit_reached += 1);
                Err(Detour::Stop)
            }
            (_, Some("bad_token")) => {
                count(Tally::Other);
                Err(Detour::NewToken)
            }
            (StatusCode::SERVICE_UNAVAILABLE, _) => {
                // Nothing was bought; the same key may be tried again.
                count(Tally::Other);
                unknown = false;
                tokio::time::sleep(pause(attempt)).await;
                continue;
            }
            (StatusCode::TOO_EARLY, _) => {
                count(Tally::Other);
                Err(Detour::Retry)
            }
            _ => {
                count(Tally::Other);
                s.note(|c| c.gave_up += 1);
                Err(Detour::Stop)
            }
        };
    }
    if unknown {
        s.note(|c| c.purchase_unknown.push(i));
    }
    Err(Detour::Retry)
}

/// Long-polls the purchase until it is ordered or rejected, or the crowd stops waiting.
async fn follow(s: &Shared, api: &Route<'_>, buyer: &Buyer, purchase_id: &str) -> Resolution {
    let from = Instant::now();
    let path = format!("/api/v1/purchases/{purchase_id}?wait={LONG_POLL}");
    let mut last = "never asked".to_owned();
    while Instant::now() < s.plan.settle_until {
        let sent = Instant::now();
        let answer = api.api().get(&path, Some(&buyer.token)).await;
        if answer.is_err() {
            api.fail_over();
        }
        last = match &answer {
            Ok(a) if a.status == StatusCode::OK => {
                a.body["status"].as_str().unwrap_or("?").to_owned()
            }
            _ => label(&answer, "?"),
        };
        s.recorder
            .call(Endpoint::PurchaseStatus, sent, answer.as_ref(), &last);
        let resolution = match &answer {
            Ok(a) if a.status == StatusCode::OK => match (last.as_str(), &a.body["order_id"]) {
                ("ordered", id) => id.as_str().map(|id| Resolution::Ordered {
                    order_id: id.to_owned(),
                }),
                ("rejected", _) => Some(Resolution::Rejected {
                    reason: a.body["reason"].as_str().unwrap_or("?").to_owned(),
                }),
                _ => None,
            },
            _ => None,
        };
        if let Some(r) = resolution {
            s.recorder.phase(Phase::Settle, from);
            s.bars.settled.inc(1);
            return r;
        }
        // A long poll that came back at once (an error, or a node that does not wait) must
        // not become a busy loop.
        if sent.elapsed() < Duration::from_millis(50) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Resolution::Unresolved { last }
}

/// Pays `order_id`; paying is idempotent, so a payment without an answer is simply asked again.
async fn pay(s: &Shared, api: &Route<'_>, buyer: &Buyer, order_id: &str) -> Payment {
    let path = format!("/api/v1/orders/{order_id}/payment");
    s.bars.payments.inc_length(1);
    let mut outcome = PaymentOutcome::Refused {
        status: 0,
        code: "never asked".into(),
    };
    for attempt in 1..=TRIES {
        let sent = Instant::now();
        let answer = api
            .api()
            .post(&path, Some(&buyer.token), &json!({}), None)
            .await;
        if answer.is_err() {
            api.fail_over();
        }
        let code = label(&answer, "paid");
        s.recorder
            .call(Endpoint::Payment, sent, answer.as_ref(), &code);
        let status = answer.as_ref().map_or(0, |a| a.status.as_u16());
        outcome = match (status, code.as_str()) {
            (200, _) => {
                s.recorder.phase(Phase::Payments, sent);
                PaymentOutcome::Paid
            }
            (_, "order_expired") => PaymentOutcome::Expired,
            _ => PaymentOutcome::Refused { status, code },
        };
        if status != 0 && status != 503 {
            break;
        }
        tokio::time::sleep(pause(attempt)).await;
    }
    s.bars.payments.inc(1);
    Payment {
        order_id: order_id.to_owned(),
        outcome,
    }
}
