//! The SSO callback (SPEC §3, seed 001): `/consumer?clientId=P&token=T` makes
//! Tessera `POST {integrationBaseUrl}/sso {"token": T}` with the integration
//! secret in `X-Tessera-Secret` (5 s). A 200 with a `userId` identifies the
//! user (profile and cohorts written through); `{"userId": null}`, another
//! status, a body that is not that JSON, or no answer refuses. For sandbox
//! partners a refusal carries what was called and answered, and a curl
//! command reproducing it (the secret masked), for the debug panel.

use crate::error::ErrorCode;
use crate::types::ExternalUserId;
use crate::{
    Platform, outbound,
    partners::{Partner, SECRET_HEADER},
    users::Profile,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most of a partner's answer shown in the debug panel.
const BODY_SHOWN: usize = 2048;

/// Who the partner says the token belongs to.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoUser {
    pub user_id: ExternalUserId,
    /// The profile facts the reply carries, written through to the user.
    #[serde(flatten)]
    pub profile: Profile,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reply {
    user_id: Option<serde_json::Value>,
}

/// The call as made and answered, for a sandbox partner's debug panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoDebug {
    pub url: String,
    pub method: String,
    pub status: Option<u16>,
    pub body: String,
    pub curl: String,
}

/// Why the SSO sign-in was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoFailure {
    /// `sso_unavailable`, `sso_refused` or `sso_failed` (or, refused before the
    /// call, `rate_limited`, `unknown_partner`, …).
    pub code: ErrorCode,
    pub message: String,
    /// Only for sandbox partners.
    pub debug: Option<SsoDebug>,
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Asks the partner's backend who `token` is.
#[tracing::instrument(skip_all, fields(partner_id = %partner.id))]
pub async fn identify(p: &Platform, partner: &Partner, token: &str) -> Result<SsoUser, SsoFailure> {
    let (result, _) = ask(p, partner, token, partner.is_sandbox()).await;
    p.metrics.sso(match &result {
        Ok(_) => "ok".to_string(),
        Err(f) => f.code.as_str().to_string(),
    });
    result
}

/// The console's and portal's test call: the same call, with the debug
/// panel whatever the partner (its own people, or an operator, are looking),
/// and on success too.
#[tracing::instrument(skip_all, fields(partner_id = %partner.id))]
pub async fn test_call(p: &Platform, partner: &Partner, token: &str) -> (Result<SsoUser, SsoFailure>, Option<SsoDebug>) {
    ask(p, partner, token, true).await
}

/// The call; with `reveal`, what was called and answered goes with a refusal
/// (and is answered beside a success).
async fn ask(p: &Platform, partner: &Partner, token: &str, reveal: bool) -> (Result<SsoUser, SsoFailure>, Option<SsoDebug>) {
    let fail =
        |code: ErrorCode, message: String, debug: Option<SsoDebug>| SsoFailure { code, message, debug: if reveal { debug } else { None } };
    let Some(integration) = partner.integration() else {
        return (Err(fail(ErrorCode::SsoUnavailable, "This partner has no SSO endpoint set up.".into(), None)), None);
    };
    let url = integration.url("sso");
    let body = json!({ "token": token });
    let curl = format!(
        "curl -i -X POST {} -H 'content-type: application/json' -H '{SECRET_HEADER}: ****' --data {}",
        shell_quote(&url),
        shell_quote(&body.to_string())
    );
    let debug =
        |status: Option<u16>, text: String| SsoDebug { url: url.clone(), method: "POST".into(), status, body: text, curl: curl.clone() };
    let request = match integration.call(&p.outbound, reqwest::Method::POST, "sso") {
        Ok(r) => r,
        Err(refused) => {
            let why = format!("not called: {refused}");
            return (
                Err(fail(
                    ErrorCode::SsoFailed,
                    "The app's sign-in service is set up at an address Tessera may not call.".into(),
                    Some(debug(None, why.clone())),
                )),
                reveal.then(|| debug(None, why)),
            );
        }
    };
    let sent = request.send(Some(&body)).await;
    let answer = match sent {
        Ok(a) => a,
        Err(e) => {
            let why = outbound::describe(&e);
            let failure =
                fail(ErrorCode::SsoFailed, format!("The app's sign-in service did not answer ({why})."), Some(debug(None, why.clone())));
            return (Err(failure), reveal.then(|| debug(None, why)));
        }
    };
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.unwrap_or_default();
    let text: String = String::from_utf8_lossy(&bytes).chars().take(BODY_SHOWN).collect();
    // Only a test call shows the answer beside a success: a sign-in copies nothing more.
    let shown = reveal.then(|| debug(Some(status), text.clone()));
    (judge(&bytes, status, text, fail, &debug), shown)
}

/// What the answer says: the user, or why not.
// The failure is what `identify` answers: large, and made once per sign-in.
#[allow(clippy::result_large_err)]
fn judge(
    bytes: &[u8],
    status: u16,
    text: String,
    fail: impl Fn(ErrorCode, String, Option<SsoDebug>) -> SsoFailure,
    debug: &dyn Fn(Option<u16>, String) -> SsoDebug,
) -> Result<SsoUser, SsoFailure> {
    if status != 200 {
        return Err(fail(
            ErrorCode::SsoFailed,
            format!("The app's sign-in service answered HTTP {status}."),
            Some(debug(Some(status), text)),
        ));
    }
    let reply: Reply = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(_) => {
            return Err(fail(
                ErrorCode::SsoFailed,
                "The app's sign-in service answered something that is not {\"userId\": …}.".into(),
                Some(debug(Some(status), text)),
            ));
        }
    };
    match reply.user_id {
        Some(serde_json::Value::String(id)) if !id.trim().is_empty() && id.len() <= 200 => {
            let user: SsoUser = serde_json::from_slice(bytes).map_err(|e| {
                fail(
                    ErrorCode::SsoFailed,
                    format!("The app's sign-in answer has a field of the wrong type ({e})."),
                    Some(debug(Some(status), text.clone())),
                )
            })?;
            Ok(user)
        }
        Some(serde_json::Value::Null) | None => Err(fail(
            ErrorCode::SsoRefused,
            "The app did not recognise this sign-in link; it may have expired.".into(),
            Some(debug(Some(status), text)),
        )),
        Some(_) => Err(fail(
            ErrorCode::SsoFailed,
            "The app's sign-in answer has a userId that is not a string of 1–200 characters.".into(),
            Some(debug(Some(status), text)),
        )),
    }
}
