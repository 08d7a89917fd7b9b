//! A payment provider simulated in process, for the embedded default, demos and tests of the
//! payment flow: no money moves, but it keeps the promises of the real port (one charge per
//! order however often asked, one refund per charge), and can be told at run time to approve,
//! decline or hang, so the unhappy paths can be exercised end to end.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use seckiller_domain::OrderId;
use seckiller_domain::ports::{PaymentError, PaymentProvider, PaymentReceipt};
use uuid::Uuid;

/// How long a charge in [`PaymentMode::Timeout`] waits before answering, unless
/// [`SimulatedPaymentProvider::with_timeout`] says otherwise: about what a real client would
/// wait for a provider before giving up.
pub const DEFAULT_PAYMENT_TIMEOUT: Duration = Duration::from_secs(2);

/// How the simulated provider answers new charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMode {
    /// Every charge goes through.
    Approve,
    /// Every new charge is refused ([`PaymentError::Declined`]); nothing is taken.
    Decline,
    /// The provider is unreachable: every charge waits out the timeout, then answers
    /// [`PaymentError::Unavailable`]; nothing is taken.
    Timeout,
}

impl PaymentMode {
    /// Reads a mode from configuration: `approve`, `decline` or `timeout` (any case, surrounding
    /// blanks ignored).
    ///
    /// # Errors
    /// [`UnknownPaymentMode`] for any other text.
    pub fn parse(text: &str) -> Result<Self, UnknownPaymentMode> {
        let text = text.trim();
        [Self::Approve, Self::Decline, Self::Timeout]
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| UnknownPaymentMode(text.to_owned()))
    }

    /// The configuration name [`PaymentMode::parse`] reads back.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Decline => "decline",
            Self::Timeout => "timeout",
        }
    }
}

impl fmt::Display for PaymentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PaymentMode {
    type Err = UnknownPaymentMode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Configuration named a payment mode that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPaymentMode(pub String);

impl fmt::Display for UnknownPaymentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown payment mode {:?} (expected approve, decline or timeout)",
            self.0
        )
    }
}

impl std::error::Error for UnknownPaymentMode {}

/// One order's charge, kept after its refund so a repeated charge still answers its receipt.
#[derive(Debug, Clone)]
struct Charge {
    reference: String,
    amount_minor: i128,
    currency: String,
    refunded: bool,
}

#[derive(Debug)]
struct State {
    mode: PaymentMode,
    charges: HashMap<OrderId, Charge>,
}

/// The simulated [`PaymentProvider`]. Clones share the mode and the charges, so a test (or an
/// admin switch) can change how the provider answers while the service holds a clone.
///
/// What may be relied on:
/// - A charge is decided by the mode when it is asked; it takes effect (and is visible through
///   [`is_charged`](Self::is_charged)) when it answers, after the latency.
/// - An order charged once answers its first receipt to every later charge, whatever the mode
///   (except [`PaymentMode::Timeout`], where nothing answers) and even after a refund, as a
///   provider's idempotency key does. Declines and timeouts are not remembered: the same order
///   may be charged once the mode allows it.
/// - Refunds are answered at once in every mode: the modes simulate the charge path only.
/// - Receipt references are `sim_` and a UUIDv7, unique per order.
///
/// Latency and timeout wait on tokio's timer, so a charge that waits must run on a tokio
/// runtime with time enabled; with neither configured nothing waits.
#[derive(Debug, Clone)]
pub struct SimulatedPaymentProvider {
    state: Arc<Mutex<State>>,
    latency: Duration,
    timeout: Duration,
}

impl SimulatedPaymentProvider {
    /// A provider answering in `mode`, without latency, whose timeouts take
    /// [`DEFAULT_PAYMENT_TIMEOUT`].
    pub fn new(mode: PaymentMode) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                mode,
                charges: HashMap::new(),
            })),
            latency: Duration::ZERO,
            timeout: DEFAULT_PAYMENT_TIMEOUT,
        }
    }

    /// Makes every approved or declined charge answer only after `latency`, so a test can let a
    /// payment overlap with the order's expiry.
    #[must_use]
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// How long a charge waits in [`PaymentMode::Timeout`] before answering.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Changes how every clone answers charges asked from now on.
    pub fn set_mode(&self, mode: PaymentMode) {
        self.lock().mode = mode;
    }

    /// How charges are answered now.
    pub fn mode(&self) -> PaymentMode {
        self.lock().mode
    }

    /// How many distinct orders were charged (refunded ones included).
    pub fn charges(&self) -> usize {
        self.lock().charges.len()
    }

    /// How many charges were refunded.
    pub fn refunds(&self) -> usize {
        self.lock()
            .charges
            .values()
            .filter(|charge| charge.refunded)
            .count()
    }

    /// Whether `order` was charged (refunded or not).
    pub fn is_charged(&self, order: OrderId) -> bool {
        self.lock().charges.contains_key(&order)
    }

    /// Whether `order`'s charge was refunded.
    pub fn is_refunded(&self, order: OrderId) -> bool {
        self.lock()
            .charges
            .get(&order)
            .is_some_and(|charge| charge.refunded)
    }

    /// What `order` was charged, in minor units and currency, so a test can check the amount.
    pub fn amount_charged(&self, order: OrderId) -> Option<(i128, String)> {
        self.lock()
            .charges
            .get(&order)
            .map(|charge| (charge.amount_minor, charge.currency.clone()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is one insert or one flag under the lock, so a panic elsewhere cannot
        // leave it half made.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Waits `delay` on tokio's timer; nothing at all when it is zero, so an instant provider needs
/// no timer.
async fn wait(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

impl PaymentProvider for SimulatedPaymentProvider {
    async fn charge(
        &self,
        order: OrderId,
        amount_minor: i128,
        currency: &str,
    ) -> Result<PaymentReceipt, PaymentError> {
        let approve = match self.mode() {
            PaymentMode::Approve => true,
            PaymentMode::Decline => false,
            PaymentMode::Timeout => {
                wait(self.timeout).await;
                return Err(PaymentError::Unavailable(format!(
                    "simulated provider did not answer within {:?}",
                    self.timeout
                )));
            }
        };
        wait(self.latency).await;
        let mut state = self.lock();
        if let Some(charge) = state.charges.get(&order) {
            return Ok(PaymentReceipt {
                reference: charge.reference.clone(),
            });
        }
        if !approve {
            return Err(PaymentError::Declined(
                "simulated provider declined the charge".to_owned(),
            ));
        }
        let reference = format!("sim_{}", Uuid::now_v7().simple());
        state.charges.insert(
            order,
            Charge {
                reference: reference.clone(),
                amount_minor,
                currency: currency.to_owned(),
                refunded: false,
            },
        );
        Ok(PaymentReceipt { reference })
    }

    async fn refund(&self, order: OrderId) -> Result<bool, PaymentError> {
        match self.lock().charges.get_mut(&order) {
            Some(charge) if !charge.refunded => {
                charge.refunded = true;
                Ok(true)
            }
            Some(_) | None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use seckiller_domain::OrderId;
    use seckiller_domain::ports::{PaymentError, PaymentProvider};
    use tokio::time::Instant;
    use uuid::Uuid;

    use super::{PaymentMode, SimulatedPaymentProvider};

    fn an_order() -> OrderId {
        OrderId::from_uuid(Uuid::now_v7())
    }

    #[tokio::test]
    async fn charging_an_order_twice_charges_once_and_answers_the_same_receipt() {
        let provider = SimulatedPaymentProvider::new(PaymentMode::Approve);
        let order = an_order();
        let first = provider.charge(order, 19_980, "EUR").await.unwrap();
        let second = provider.charge(order, 19_980, "EUR").await.unwrap();
        assert_eq!(first, second);
        assert!(first.reference.starts_with("sim_"), "{}", first.reference);
        assert_eq!(provider.charges(), 1);
        assert!(provider.is_charged(order));
        assert_eq!(
            provider.amount_charged(order),
            Some((19_980, "EUR".to_owned()))
        );
    }

    #[tokio::test]
    async fn every_order_gets_its_own_reference() {
        let provider = SimulatedPaymentProvider::new(PaymentMode::Approve);
        let one = provider.charge(an_order(), 100, "EUR").await.unwrap();
        let other = provider.charge(an_order(), 100, "EUR").await.unwrap();
        assert_ne!(one.reference, other.reference);
        assert_eq!(provider.charges(), 2);
    }

    #[tokio::test]
    async fn a_declined_charge_takes_nothing() {
        let provider = SimulatedPaymentProvider::new(PaymentMode::Decline);
        let order = an_order();
        let answer = provider.charge(order, 100, "EUR").await;
        assert!(
            matches!(answer, Err(PaymentError::Declined(_))),
            "{answer:?}"
        );
        assert_eq!(provider.charges(), 0);
        assert!(!provider.is_charged(order));
        assert!(!provider.refund(order).await.unwrap(), "nothing to refund");
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_out_charge_waits_then_answers_unavailable_and_takes_nothing() {
        let timeout = Duration::from_secs(30);
        let provider = SimulatedPaymentProvider::new(PaymentMode::Timeout).with_timeout(timeout);
        let order = an_order();
        let asked = Instant::now();
        let answer = provider.charge(order, 100, "EUR").await;
        assert!(
            matches!(answer, Err(PaymentError::Unavailable(_))),
            "{answer:?}"
        );
        assert!(
            asked.elapsed() >= timeout,
            "the paused clock moved past the timeout"
        );
        assert_eq!(provider.charges(), 0);
        assert!(!provider.is_charged(order));
    }

    #[tokio::test]
    async fn a_charge_is_refunded_once() {
        let provider = SimulatedPaymentProvider::new(PaymentMode::Approve);
        let order = an_order();
        let receipt = provider.charge(order, 100, "EUR").await.unwrap();
        assert!(provider.refund(order).await.unwrap());
        assert!(!provider.refund(order).await.unwrap());
        assert_eq!(provider.refunds(), 1);
        assert!(provider.is_refunded(order));
        assert!(
            provider.is_charged(order),
            "a refunded charge still happened"
        );
        assert_eq!(
            provider.charge(order, 100, "EUR").await.unwrap(),
            receipt,
            "a refunded order is not charged again"
        );
        assert_eq!(provider.charges(), 1);
    }

    #[tokio::test]
    async fn refunding_an_order_never_charged_refunds_nothing() {
        let provider = SimulatedPaymentProvider::new(PaymentMode::Approve);
        let order = an_order();
        assert!(!provider.refund(order).await.unwrap());
        assert_eq!(provider.refunds(), 0);
        assert!(!provider.is_refunded(order));
    }

    #[tokio::test(start_paused = true)]
    async fn switching_the_mode_changes_how_later_charges_are_answered_by_every_clone() {
        let provider = SimulatedPaymentProvider::new(PaymentMode::Approve)
            .with_timeout(Duration::from_secs(5));
        let switch = provider.clone();
        let (charged, declined) = (an_order(), an_order());
        let receipt = provider.charge(charged, 100, "EUR").await.unwrap();

        switch.set_mode(PaymentMode::Decline);
        assert_eq!(provider.mode(), PaymentMode::Decline);
        assert!(matches!(
            provider.charge(declined, 100, "EUR").await,
            Err(PaymentError::Declined(_))
        ));
        assert_eq!(
            provider.charge(charged, 100, "EUR").await.unwrap(),
            receipt,
            "a charged order answers its receipt whatever the mode"
        );

        switch.set_mode(PaymentMode::Timeout);
        assert!(matches!(
            provider.charge(charged, 100, "EUR").await,
            Err(PaymentError::Unavailable(_))
        ));
        assert!(
            provider.refund(charged).await.unwrap(),
            "refunds are answered in every mode"
        );

        switch.set_mode(PaymentMode::Approve);
        provider.charge(declined, 100, "EUR").await.unwrap();
        assert!(provider.is_charged(declined), "a decline is not remembered");
        assert_eq!(provider.charges(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_charge_takes_effect_when_it_answers_after_the_latency() {
        let latency = Duration::from_millis(800);
        let provider = SimulatedPaymentProvider::new(PaymentMode::Approve).with_latency(latency);
        let order = an_order();
        let asked = Instant::now();
        let charging = tokio::spawn({
            let provider = provider.clone();
            async move { provider.charge(order, 100, "EUR").await }
        });
        tokio::task::yield_now().await;
        assert!(!provider.is_charged(order), "still in flight");
        charging.await.unwrap().unwrap();
        assert!(provider.is_charged(order));
        assert!(asked.elapsed() >= latency);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_charges_of_one_order_charge_it_once() {
        let provider = SimulatedPaymentProvider::new(PaymentMode::Approve)
            .with_latency(Duration::from_millis(1));
        let order = an_order();
        let charging: Vec<_> = (0..64)
            .map(|_| {
                let provider = provider.clone();
                tokio::spawn(async move { provider.charge(order, 100, "EUR").await })
            })
            .collect();
        let mut references = Vec::new();
        for charge in charging {
            references.push(charge.await.unwrap().unwrap().reference);
        }
        references.dedup();
        assert_eq!(references.len(), 1, "every caller saw the one receipt");
        assert_eq!(provider.charges(), 1);
    }

    #[test]
    fn modes_are_read_from_configuration() {
        for mode in [
            PaymentMode::Approve,
            PaymentMode::Decline,
            PaymentMode::Timeout,
        ] {
            assert_eq!(PaymentMode::parse(mode.as_str()), Ok(mode));
            assert_eq!(mode.to_string().parse::<PaymentMode>(), Ok(mode));
        }
        assert_eq!(PaymentMode::parse(" Decline "), Ok(PaymentMode::Decline));
        let unknown = PaymentMode::parse("maybe").unwrap_err();
        assert!(unknown.to_string().contains("maybe"), "{unknown}");
    }
}
