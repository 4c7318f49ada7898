//! The order's state machine, written once: which step moves an order from
//! which state to which, which states are final, and which transition a
//! webhook reports. The database applies a step as a conditional update
//! (`… WHERE id = $1 AND state = <from>`) committed with that event, so a
//! step taken twice (a payment confirmed twice, a replayed callback, two
//! tabs) moves the order once.

crate::text_enum! {
    /// Where an order is (`orders.state`).
    pub enum OrderState {
        /// Priced, not yet sent to a payment provider.
        Created = "created",
        /// A payment was created at the provider; waiting for its outcome.
        PaymentPending = "payment_pending",
        /// The provider confirmed the payment; the gift card is being issued.
        Paid = "paid",
        /// Issued: the user has the gift card (`ORDER_COMPLETED`).
        Fulfilled = "fulfilled",
        /// The payment failed: no money was taken, nothing was issued.
        PaymentFailed = "payment_failed",
        /// Paid, but the gift card could not be issued: a refund is due.
        FulfilmentFailed = "fulfilment_failed",
        /// Paid, not issued, and the money given back (`ORDER_FAILED`).
        Refunded = "refunded",
        /// Issued, then taken back by an operator (`ORDER_REVERSED`).
        Reversed = "reversed",
    }
}

crate::text_enum! {
    /// The outcome a partner sees (seed 001's `orderStatus`).
    pub enum OrderOutcome {
        Pending = "PENDING",
        Completed = "COMPLETED",
        Failed = "FAILED",
        Reversed = "REVERSED",
    }
}

/// What happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// A payment was created at the provider.
    PaymentStarted,
    /// The provider confirmed the payment (signed callback or polled).
    PaymentSucceeded,
    /// The provider reported the payment failed (or it expired).
    PaymentFailed,
    /// The gift card was issued.
    Fulfilled,
    /// The gift card could not be issued.
    FulfilmentFailed,
    /// The provider confirmed the refund of a paid, unissued order.
    Refunded,
    /// An operator took an issued gift card back.
    Reversed,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::PaymentStarted,
        Step::PaymentSucceeded,
        Step::PaymentFailed,
        Step::Fulfilled,
        Step::FulfilmentFailed,
        Step::Refunded,
        Step::Reversed,
    ];
}

impl OrderState {
    /// The one table of transitions: the state `step` moves this one to, or
    /// `None` when the step does not apply here (it already happened, or
    /// cannot happen any more).
    pub fn after(self, step: Step) -> Option<OrderState> {
        use OrderState as S;
        match (self, step) {
            (S::Created, Step::PaymentStarted) => Some(S::PaymentPending),
            // A confirmation may come before the provider's "created" answer was recorded.
            (S::Created | S::PaymentPending, Step::PaymentSucceeded) => Some(S::Paid),
            (S::Created | S::PaymentPending, Step::PaymentFailed) => Some(S::PaymentFailed),
            (S::Paid, Step::Fulfilled) => Some(S::Fulfilled),
            (S::Paid, Step::FulfilmentFailed) => Some(S::FulfilmentFailed),
            (S::FulfilmentFailed, Step::Refunded) => Some(S::Refunded),
            (S::Fulfilled, Step::Reversed) => Some(S::Reversed),
            _ => None,
        }
    }

    /// The states `step` moves an order out of: the `WHERE state IN (…)` of its update.
    pub fn before(step: Step) -> Vec<OrderState> {
        OrderState::ALL.iter().copied().filter(|s| s.after(step).is_some()).collect()
    }

    /// Nothing more happens to the order by itself (an operator may still reverse a fulfilled one).
    pub fn is_final(self) -> bool {
        matches!(self, OrderState::Fulfilled | OrderState::PaymentFailed | OrderState::Refunded | OrderState::Reversed)
    }

    /// Money was taken and not (yet) given back, without a gift card: the
    /// recovery job's work (issue it, or refund it).
    pub fn owes_the_user(self) -> bool {
        matches!(self, OrderState::Paid | OrderState::FulfilmentFailed)
    }

    /// How a partner sees it: FAILED once the money is back (or was never
    /// taken), COMPLETED once issued, REVERSED, else PENDING.
    pub fn outcome(self) -> OrderOutcome {
        match self {
            OrderState::Fulfilled => OrderOutcome::Completed,
            OrderState::PaymentFailed | OrderState::Refunded => OrderOutcome::Failed,
            OrderState::Reversed => OrderOutcome::Reversed,
            OrderState::Created | OrderState::PaymentPending | OrderState::Paid | OrderState::FulfilmentFailed => OrderOutcome::Pending,
        }
    }

    /// Entering this state is reported by a webhook: the order's outcome
    /// became known. A failed payment is reported too (seed 001 sends a
    /// FAILED transaction for it), with nothing taken.
    pub fn reported(self) -> bool {
        self.outcome() != OrderOutcome::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_and_both_failures() {
        use OrderState as S;
        let walk = |steps: &[Step]| steps.iter().try_fold(S::Created, |s, step| s.after(*step));
        assert_eq!(walk(&[Step::PaymentStarted, Step::PaymentSucceeded, Step::Fulfilled]), Some(S::Fulfilled));
        assert_eq!(walk(&[Step::PaymentStarted, Step::PaymentFailed]), Some(S::PaymentFailed));
        assert_eq!(walk(&[Step::PaymentStarted, Step::PaymentSucceeded, Step::FulfilmentFailed, Step::Refunded]), Some(S::Refunded));
        assert_eq!(walk(&[Step::PaymentStarted, Step::PaymentSucceeded, Step::Fulfilled, Step::Reversed]), Some(S::Reversed));
    }

    #[test]
    fn a_step_taken_twice_moves_the_order_once() {
        for s in OrderState::ALL {
            for step in Step::ALL {
                if let Some(next) = s.after(step) {
                    assert_eq!(next.after(step), None, "{s} --{step:?}--> {next}, and again");
                }
            }
        }
    }

    #[test]
    fn a_paid_order_never_fails_its_payment_and_an_unpaid_one_is_never_refunded() {
        assert_eq!(OrderState::Paid.after(Step::PaymentFailed), None);
        assert_eq!(OrderState::PaymentPending.after(Step::Refunded), None);
        assert_eq!(OrderState::PaymentFailed.after(Step::PaymentSucceeded), None, "a late success is refunded, not fulfilled");
        assert_eq!(OrderState::before(Step::PaymentSucceeded), vec![OrderState::Created, OrderState::PaymentPending]);
    }

    #[test]
    fn only_final_states_are_reported_and_each_outcome_is_one_state_family() {
        for s in OrderState::ALL {
            assert_eq!(s.reported(), s.is_final(), "{s}");
            assert!(!(s.owes_the_user() && s.is_final()), "{s}");
        }
    }

    fn step() -> impl Strategy<Value = Step> {
        prop::sample::select(Step::ALL.to_vec())
    }

    proptest! {
        /// Whatever arrives, in whatever order and how often: an order that was
        /// paid ends issued or refunded, never both, and once final it stays
        /// final (reversal aside).
        #[test]
        fn any_sequence_of_steps_ends_in_at_most_one_outcome(steps in prop::collection::vec(step(), 0..24)) {
            let mut s = OrderState::Created;
            let mut seen = vec![s];
            for step in steps {
                if let Some(next) = s.after(step) {
                    prop_assert!(!s.is_final() || (s == OrderState::Fulfilled && next == OrderState::Reversed), "{s} left for {next}");
                    s = next;
                    seen.push(s);
                }
            }
            let issued = seen.contains(&OrderState::Fulfilled);
            let refunded = seen.contains(&OrderState::Refunded);
            let payment_failed = seen.contains(&OrderState::PaymentFailed);
            prop_assert!(!(issued && refunded), "issued and refunded: {seen:?}");
            prop_assert!(!(payment_failed && (issued || refunded || seen.contains(&OrderState::Paid))), "{seen:?}");
        }
    }
}
