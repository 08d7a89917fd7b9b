//! A crowd that behaves like real buyers through an outage: each arrives at its own moment, buys
//! until told `sold_out` or `limit_reached`, and on "try again" — 503, 429, 425, no answer —
//! tries again after a short pause instead of giving up. A buyer whose node does not answer
//! moves on to the next node. Every request is timed, so a scenario can tell a fast refusal from
//! a hang, and the crowd's progress is visible while it runs, so a scenario can break a server
//! after the n-th acceptance.

mod report;

use std::num::NonZeroU64;
use std::time::Duration;

use reqwest::StatusCode;
use seckiller_client::Client;
use seckiller_client::types::PurchaseRequestDto;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use uuid::Uuid;

use crate::api::Api;
use crate::buyers::Buyer;
use crate::crowd::{Answer, failure};

pub use report::{Attempt, CrowdReport, Latencies, Step};

/// How the crowd behaves.
#[derive(Debug, Clone, Copy)]
pub struct RetryPlan {
    /// The sale.
    pub activity: Uuid,
    /// Items per purchase.
    pub quantity: NonZeroU64,
    /// Buyers arrive evenly spread over this long.
    pub arrivals_over: Duration,
    /// A buyer's pause after an accepted purchase before it buys again.
    pub think: Duration,
    /// A buyer's pause before trying again (jittered between half and one and a half of it).
    pub retry_pause: Duration,
    /// No attempt starts later than this after the crowd set off.
    pub gives_up_after: Duration,
    /// The longest wait for one answer: longer is a hang, reported as no answer.
    pub request_timeout: Duration,
}

/// A crowd on its way; see the module documentation.
#[derive(Debug)]
pub struct RetryingCrowd {
    accepted: watch::Receiver<usize>,
    started: Instant,
    task: JoinHandle<Vec<Attempt>>,
}

impl RetryingCrowd {
    /// Sets the buyers off; buyer `i` starts on node `i mod nodes`.
    pub fn start(nodes: Vec<Api>, buyers: Vec<Buyer>, plan: RetryPlan) -> Self {
        let (count, accepted) = watch::channel(0);
        let started = Instant::now();
        let spacing = plan
            .arrivals_over
            .checked_div(u32::try_from(buyers.len()).unwrap_or(u32::MAX).max(1))
            .unwrap_or_default();
        let task = tokio::spawn(async move {
            let mut journeys = JoinSet::new();
            for (i, buyer) in buyers.into_iter().enumerate() {
                let arrival = started + spacing * u32::try_from(i).unwrap_or(u32::MAX);
                let journey = Journey {
                    nodes: nodes.clone(),
                    node: i % nodes.len().max(1),
                    clients: vec![None; nodes.len()],
                    buyer,
                    seed: i,
                    plan,
                    started,
                    count: count.clone(),
                };
                journeys.spawn(async move {
                    tokio::time::sleep_until(arrival).await;
                    journey.run().await
                });
            }
            let mut attempts = Vec::new();
            while let Some(done) = journeys.join_next().await {
                attempts.extend(done.unwrap_or_default());
            }
            attempts
        });
        Self {
            accepted,
            started,
            task,
        }
    }

    /// Waits until `n` purchases have been accepted; false when the crowd ended first.
    pub async fn accepted_at_least(&mut self, n: usize) -> bool {
        self.accepted.wait_for(|count| *count >= n).await.is_ok()
    }

    /// Purchases accepted so far.
    pub fn accepted(&self) -> usize {
        *self.accepted.borrow()
    }

    /// How long ago the crowd set off: attempts are timed on the same clock.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits for every buyer to stop, and returns every attempt.
    ///
    /// # Errors
    /// When the crowd's task panicked.
    pub async fn finish(self) -> anyhow::Result<CrowdReport> {
        Ok(CrowdReport::new(self.task.await?))
    }
}

/// One buyer's way through the sale.
struct Journey {
    nodes: Vec<Api>,
    node: usize,
    clients: Vec<Option<Client>>,
    buyer: Buyer,
    seed: usize,
    plan: RetryPlan,
    started: Instant,
    count: watch::Sender<usize>,
}

/// What the buyer does after an answer.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    BuyAgain,
    TryAgain,
    TryAnotherNode,
    Stop,
}

impl Journey {
    async fn run(mut self) -> Vec<Attempt> {
        let mut attempts = Vec::new();
        let deadline = self.started + self.plan.gives_up_after;
        let mut tries: usize = 0;
        while Instant::now() < deadline && !self.nodes.is_empty() {
            let attempt = self.attempt().await;
            let next = next_step(&attempt.answer);
            if let Answer::Accepted { .. } = attempt.answer {
                self.count.send_modify(|n| *n += 1);
            }
            attempts.push(attempt);
            tries += 1;
            match next {
                Next::BuyAgain => tokio::time::sleep(self.plan.think).await,
                Next::TryAgain => tokio::time::sleep(self.pause(tries)).await,
                Next::TryAnotherNode => {
                    self.node = (self.node + 1) % self.nodes.len();
                    tokio::time::sleep(self.pause(tries)).await;
                }
                Next::Stop => break,
            }
        }
        attempts
    }

    /// A purchase token, then the purchase; the attempt is timed by its last request.
    async fn attempt(&mut self) -> Attempt {
        let node = self.node;
        let sent_at = self.started.elapsed();
        let client = match self.client(node) {
            Ok(client) => client,
            Err(error) => {
                return self
                    .record(node, sent_at, Duration::ZERO, Step::Token, error)
                    .await;
            }
        };
        let sent = Instant::now();
        let token = match client.request_purchase_token(&self.plan.activity).await {
            Ok(token) => token.into_inner(),
            Err(error) => {
                return self
                    .record(node, sent_at, sent.elapsed(), Step::Token, error)
                    .await;
            }
        };
        let request = PurchaseRequestDto {
            purchase_token: token.token,
            quantity: Some(self.plan.quantity),
        };
        let sent_at = self.started.elapsed();
        let sent = Instant::now();
        let answer = client.purchase(&self.plan.activity, None, &request).await;
        let latency = sent.elapsed();
        match answer {
            Ok(purchase) => Attempt {
                buyer: self.buyer.id,
                node,
                sent_at,
                latency,
                step: Step::Purchase,
                answer: Answer::Accepted {
                    purchase_id: purchase.into_inner().purchase_id,
                },
            },
            Err(error) => {
                self.record(node, sent_at, latency, Step::Purchase, error)
                    .await
            }
        }
    }

    async fn record(
        &self,
        node: usize,
        sent_at: Duration,
        latency: Duration,
        step: Step,
        error: crate::ApiError,
    ) -> Attempt {
        Attempt {
            buyer: self.buyer.id,
            node,
            sent_at,
            latency,
            step,
            answer: failure(error).await,
        }
    }

    #[allow(
        clippy::result_large_err,
        reason = "the generated client's own error, as every generated call returns it"
    )]
    fn client(&mut self, node: usize) -> Result<Client, crate::ApiError> {
        if let Some(Some(client)) = self.clients.get(node) {
            return Ok(client.clone());
        }
        let client = self
            .nodes
            .get(node)
            .ok_or_else(|| seckiller_client::Error::InvalidRequest(format!("no node {node}")))?
            .client_with_timeout(Some(&self.buyer.token), self.plan.request_timeout)?;
        if let Some(slot) = self.clients.get_mut(node) {
            *slot = Some(client.clone());
        }
        Ok(client)
    }

    /// The pause before try `tries`, jittered so the crowd does not come back in lockstep.
    fn pause(&self, tries: usize) -> Duration {
        let spread = (self.seed.wrapping_mul(7919) ^ tries.wrapping_mul(104_729)) % 101;
        let percent = 50 + u32::try_from(spread).unwrap_or(50);
        self.plan.retry_pause * percent / 100
    }
}

/// What a buyer does on `answer`: buy again after a success, stop on a final answer, try again
/// on "try again", and try another node when its node did not answer.
fn next_step(answer: &Answer) -> Next {
    match answer {
        Answer::Accepted { .. } => Next::BuyAgain,
        Answer::Refused { status, .. }
            if *status == StatusCode::SERVICE_UNAVAILABLE
                || *status == StatusCode::TOO_MANY_REQUESTS
                || *status == StatusCode::TOO_EARLY
                || status.is_server_error() =>
        {
            Next::TryAgain
        }
        Answer::Refused { .. } | Answer::Malformed { .. } => Next::Stop,
        Answer::NoAnswer { .. } => Next::TryAnotherNode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: StatusCode, code: &str) -> Answer {
        Answer::Refused {
            status,
            code: code.into(),
        }
    }

    #[test]
    fn a_buyer_retries_on_try_again_moves_node_on_no_answer_and_stops_on_a_final_answer() {
        let cases = [
            (
                Answer::Accepted {
                    purchase_id: Uuid::nil(),
                },
                Next::BuyAgain,
            ),
            (
                refused(StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
                Next::TryAgain,
            ),
            (
                refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
                Next::TryAgain,
            ),
            (
                refused(StatusCode::TOO_EARLY, "not_started"),
                Next::TryAgain,
            ),
            (refused(StatusCode::BAD_GATEWAY, ""), Next::TryAgain),
            (
                Answer::NoAnswer {
                    error: "connection refused".into(),
                },
                Next::TryAnotherNode,
            ),
            (refused(StatusCode::CONFLICT, "sold_out"), Next::Stop),
            (refused(StatusCode::CONFLICT, "limit_reached"), Next::Stop),
            (refused(StatusCode::FORBIDDEN, "bad_token"), Next::Stop),
        ];
        for (answer, expected) in cases {
            assert_eq!(next_step(&answer), expected, "after {answer:?}");
        }
    }
}
