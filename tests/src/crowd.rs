//! A crowd: every buyer takes a purchase token and buys, many at once, and each outcome is
//! reported the moment it is known — so a scenario can act in the middle of the rush (kill the
//! node after the hundredth acceptance) instead of after it.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use seckiller_client::Error;
use seckiller_client::types::Problem;
use tokio::sync::{Semaphore, mpsc};
use uuid::Uuid;

use crate::api::{Api, ApiError};
use crate::buyers::Buyer;

/// What one buyer's attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 202: the purchase is durable and its order must follow.
    Accepted {
        /// The purchase's id.
        purchase_id: Uuid,
    },
    /// Any other answer, documented or not, with the problem's `code`.
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
    /// An answer whose body does not fit the document, or a request the client could not make:
    /// a bug of the service or of the harness, never an effect of a kill.
    Malformed {
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
    activity: Uuid,
    buyers: Vec<Buyer>,
    quantity: NonZeroU64,
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
            let (api, outcomes) = (api.clone(), outcomes.clone());
            let (accepted, on_accepted) = (accepted.clone(), on_accepted.clone());
            tokio::spawn(async move {
                let answer = attempt(&api, &buyer, activity, quantity).await;
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

async fn attempt(api: &Api, buyer: &Buyer, activity: Uuid, quantity: NonZeroU64) -> Answer {
    match api.buy(&buyer.token, activity, quantity).await {
        Ok(purchase) => Answer::Accepted {
            purchase_id: purchase.purchase_id,
        },
        Err(error) => failure(error).await,
    }
}

/// Sorts a failed attempt; every variant is named, so a new one has to be sorted here.
pub(crate) async fn failure(error: ApiError) -> Answer {
    let described = format!("{error:#}");
    match error {
        Error::ErrorResponse(problem) => Answer::Refused {
            status: problem.status(),
            code: problem.into_inner().code.to_string(),
        },
        // A status the document does not list (a proxy's 502, say): still an answer, and it may
        // carry a problem all the same.
        Error::UnexpectedResponse(response) => Answer::Refused {
            status: response.status(),
            code: response
                .json::<Problem>()
                .await
                .map(|problem| problem.code.to_string())
                .unwrap_or_default(),
        },
        Error::CommunicationError(e) if e.is_builder() => Answer::Malformed { error: described },
        Error::CommunicationError(_) | Error::ResponseBodyError(_) => {
            Answer::NoAnswer { error: described }
        }
        Error::InvalidRequest(_)
        | Error::InvalidUpgrade(_)
        | Error::InvalidResponsePayload(..)
        | Error::Custom(_) => Answer::Malformed { error: described },
    }
}
