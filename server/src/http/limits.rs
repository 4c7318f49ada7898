//! Rate limits (SPEC §9): per partner on `/integrations/*`, per user on
//! `/me/*`, per client address on token exchange. Keyed GCRA limiters from
//! `governor`, checked after authentication, so nobody can spend another
//! caller's allowance by naming it.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use std::{net::IpAddr, num::NonZeroU32};
use tessera_core::error::ErrorCode;
use tessera_core::types::{PartnerId, UserId};
use tessera_core::{config::RateLimits, error::ApiError};

pub struct Limiters {
    partner: DefaultKeyedRateLimiter<String>,
    user: DefaultKeyedRateLimiter<String>,
    session: DefaultKeyedRateLimiter<IpAddr>,
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
}

/// Console and portal sign-ins a client address may try per minute (besides
/// the lock after ten failures of one account).
pub const SIGN_INS_PER_MINUTE: u32 = 20;

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute.max(1)).expect("at least 1"))
}

/// A 429 with `Retry-After`.
pub struct Limited {
    retry_after_s: u64,
}

impl From<Limited> for ApiError {
    fn from(l: Limited) -> Self {
        ApiError::new(ErrorCode::RateLimited, "Too many requests; retry after the time in Retry-After.")
            .with_details(serde_json::json!({ "retryAfterSeconds": l.retry_after_s }))
            .with_retry_after(l.retry_after_s)
    }
}

impl Limiters {
    pub fn new(limits: RateLimits) -> Self {
        Limiters {
            partner: RateLimiter::keyed(quota(limits.partner_per_minute)),
            user: RateLimiter::keyed(quota(limits.user_per_minute)),
            session: RateLimiter::keyed(quota(limits.session_per_minute)),
            sign_in: RateLimiter::keyed(quota(SIGN_INS_PER_MINUTE)),
        }
    }

    fn verdict<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), Limited> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            Limited { retry_after_s: wait.as_secs() + 1 }
        })
    }

    pub fn partner(&self, partner_id: &PartnerId) -> Result<(), Limited> {
        Self::verdict(&self.partner, &partner_id.to_string())
    }

    pub fn user(&self, user_id: &UserId) -> Result<(), Limited> {
        Self::verdict(&self.user, &user_id.to_string())
    }

    pub fn session(&self, ip: IpAddr) -> Result<(), Limited> {
        Self::verdict(&self.session, &ip)
    }

    pub fn sign_in(&self, ip: IpAddr) -> Result<(), Limited> {
        Self::verdict(&self.sign_in, &ip)
    }

    /// Forgets keys whose allowance is full again, so memory follows the active callers.
    pub fn forget_idle(&self) {
        self.partner.retain_recent();
        self.user.retain_recent();
        self.session.retain_recent();
        self.sign_in.retain_recent();
    }
}
