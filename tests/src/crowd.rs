//! A crowd: every buyer takes a purchase token and buys, many at once, and each outcome is
//! reported the moment it is known — so a scenario can act in the middle of the rush (kill the
//! node after the hundredth acceptance) instead of after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use tokio::sync::{Semaphore, mpsc};

use crate::api::Api;
use crate::buyers::Buyer;

/// What one buyer's attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 202: the purchase is durable and its order must follow.
    Accepted {
        /// The purchase's id.
        purchase_id: String,
    },
    /// Any other answer, with the problem's `code`.
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// The problem code (`sold_out`, `limit_reached`, …), empty when there was none.
        code: String,
    },
    /// No answer: the connection was refused or broke (the node died), or it timed out. The
    /// purchase may or may not have been taken; only a 202 is a promise.
    NoAnswer {
        /// What went wrong, for failure messages.
        error: String,
    },
}

/// One buyer's attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Who tried.
    pub buyer: Buyer,
    /// What they got.
    pub answer: Answer,
}

/// Sends every buyer at `activity` to buy `quantity`, at most `in_flight` at a time, and
/// returns the outcomes as they arrive; the channel closes after the last one.
///
/// `on_accepted(n)` runs in the buyer's task the moment the `n`th 202 arrives, before the
/// outcome is queued: a scenario that acts on it (kills the node) acts while the rush goes on,
/// not after it has drained the channel up to that answer.
pub fn rush(
    api: Api,
    activity: String,
    buyers: Vec<Buyer>,
    quantity: u32,
    in_flight: usize,
    on_accepted: impl Fn(usize) + Send + Sync + 'static,
) -> mpsc::UnboundedReceiver<Outcome> {
    let (outcomes, received) = mpsc::unbounded_channel();
    let permits = Arc::new(Semaphore::new(in_flight.max(1)));
    let accepted = Arc::new(AtomicUsize::new(0));
    let on_accepted = Arc::new(on_accepted);
    tokio::spawn(async move {
        for buyer in buyers {
            // The semaphore is never closed, so acquiring fails only if it were.
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (api, activity, outcomes) = (api.clone(), activity.clone(), outcomes.clone());
            let (accepted, on_accepted) = (accepted.clone(), on_accepted.clone());
            tokio::spawn(async move {
                let answer = attempt(&api, &buyer, &activity, quantity).await;
                drop(permit);
                if let Answer::Accepted { .. } = answer {
                    on_accepted(accepted.fetch_add(1, Ordering::SeqCst) + 1);
                }
                // A scenario that stopped listening no longer cares.
                let _ = outcomes.send(Outcome { buyer, answer });
            });
        }
    });
    received
}

async fn attempt(api: &Api, buyer: &Buyer, activity: &str, quantity: u32) -> Answer {
    match api.buy(&buyer.token, activity, quantity).await {
        Ok((StatusCode::ACCEPTED, body)) => match body["purchase_id"].as_str() {
            Some(id) => Answer::Accepted {
                purchase_id: id.to_owned(),
            },
            None => Answer::Refused {
                status: StatusCode::ACCEPTED,
                code: format!("no purchase_id in {body}"),
            },
        },
        Ok((status, body)) => Answer::Refused {
            status,
            code: body["code"].as_str().unwrap_or_default().to_owned(),
        },
        Err(e) => Answer::NoAnswer {
            error: format!("{e:#}"),
        },
    }
}
