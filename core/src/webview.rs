//! A partner's webview settings beyond its look (SPEC §13): the language its
//! users get when nothing else says, the time zone every date and time is
//! shown in, and where the help screen sends users for support (the seed's
//! help page is the partner's own support).

use crate::{error::ApiError, locale::Locale};

/// The partner a webview page is shown for, named by `clientId` in its query
/// string: percent-decoded, and only when it is a well-formed partner id
/// ([`crate::partners::valid_partner_id`]). The one reading of `clientId` for
/// the SSO sign-in, the framing policy, the language settings and the pages.
pub fn client_id(query: Option<&str>) -> Option<crate::types::PartnerId> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "clientId")
        .map(|(_, v)| v.into_owned())
        .filter(|id| crate::partners::valid_partner_id(id))
        .map(crate::types::PartnerId::new)
}
use serde::{Deserialize, Serialize};

/// The payment page the webview opens: the provider's page (`pay_url`), told
/// to come back to the order's screen once the payment is settled
/// (`return=webview`), with the method chosen at checkout preselected and the
/// partner's `clientId` kept.
pub fn pay_url_from_webview(pay_url: &str, method: &str, client_id: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("return", "webview").append_pair("method", method);
    if let Some(id) = client_id.filter(|id| crate::partners::valid_partner_id(id)) {
        query.append_pair("clientId", id);
    }
    let sep = if pay_url.contains('?') { '&' } else { '?' };
    format!("{pay_url}{sep}{}", query.finish())
}

/// Where a provider's page opened by [`pay_url_from_webview`] sends the user
/// once the payment is settled: the order's screen in the webview, which
/// tells the host the outcome (`from=payment`). `None` when the page was
/// opened another way (the API's `payUrl` as it is): it then says the outcome
/// itself. The path is always the order's own: never a redirect elsewhere.
pub fn back_to_webview(order_id: &str, query: Option<&str>) -> Option<String> {
    let from_webview = url::form_urlencoded::parse(query?.as_bytes()).any(|(k, v)| k == "return" && v == "webview");
    from_webview.then(|| {
        let mut back = format!("/consumer/orders/{order_id}?from=payment");
        if let Some(id) = client_id(query) {
            back.push_str("&clientId=");
            back.extend(url::form_urlencoded::byte_serialize(id.as_str().as_bytes()));
        }
        back
    })
}

/// The payment method a webview checkout chose (`method=upi|card`), to preselect.
pub fn chosen_method(query: Option<&str>) -> Option<&'static str> {
    url::form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == "method").and_then(|(_, v)| match v.as_ref() {
        "upi" => Some("upi"),
        "card" => Some("card"),
        _ => None,
    })
}

#[cfg(test)]
mod return_tests {
    use super::*;

    #[test]
    fn a_payment_opened_from_the_webview_comes_back_to_its_order_and_nowhere_else() {
        let url = pay_url_from_webview("/pay/sandbox/pay_1", "card", Some("demo"));
        assert_eq!(url, "/pay/sandbox/pay_1?return=webview&method=card&clientId=demo");
        let query = url.split_once('?').map(|(_, q)| q);
        assert_eq!(back_to_webview("ord_1", query).as_deref(), Some("/consumer/orders/ord_1?from=payment&clientId=demo"));
        assert_eq!(chosen_method(query), Some("card"));
        // Opened from the API's payUrl as it is: the page says the outcome itself.
        assert_eq!(back_to_webview("ord_1", None), None);
        assert_eq!(back_to_webview("ord_1", Some("method=upi")), None);
        // A clientId that is not a partner id is dropped, not echoed into a URL.
        assert_eq!(
            back_to_webview("ord_1", Some("return=webview&clientId=%2F%2Fevil.example")).as_deref(),
            Some("/consumer/orders/ord_1?from=payment")
        );
        assert_eq!(pay_url_from_webview("/pay/x", "upi", Some("a b")), "/pay/x?return=webview&method=upi");
        assert_eq!(chosen_method(Some("method=cash")), None);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebviewSettings {
    /// The language when neither `?locale=`, the user's `locale` nor the
    /// browser's `Accept-Language` names a shipped one (`en`, `ms`, `hi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_locale: Option<Locale>,
    /// IANA name, e.g. `Asia/Kuala_Lumpur`; dates and times are shown in it (UTC when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The support address shown on the help screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    /// The partner's own help centre (https), linked from the help screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    /// A short paragraph at the top of the help screen (plain text, ≤ 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_text: Option<String>,
}

impl WebviewSettings {
    /// Every value checked, each wrong field named.
    pub fn check(&self) -> Result<(), ApiError> {
        let mut bad = Vec::new();
        if let Some(tz) = &self.time_zone
            && crate::locale::TimeZone::named(tz).is_none()
        {
            bad.push(("timeZone", "is not an IANA time zone such as Asia/Kuala_Lumpur".to_string()));
        }
        if let Some(email) = &self.support_email
            && !crate::people::plausible_email(email)
        {
            bad.push(("supportEmail", "is not an email address".to_string()));
        }
        if let Some(link) = &self.support_url {
            let https = url::Url::parse(link).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
            if !https || link.len() > 2000 {
                bad.push(("supportUrl", "must be an https URL".to_string()));
            }
        }
        if let Some(text) = &self.help_text
            && (text.chars().count() > 1000 || text.chars().any(|c| c.is_control() && c != '\n'))
        {
            bad.push(("helpText", "must be plain text of at most 1000 characters".to_string()));
        }
        if bad.is_empty() { Ok(()) } else { Err(ApiError::validation(bad)) }
    }

    /// The time zone to show dates and times in.
    pub fn zone(&self) -> crate::locale::TimeZone {
        self.time_zone.as_deref().and_then(crate::locale::TimeZone::named).unwrap_or_else(crate::locale::TimeZone::utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_is_read_decoded_and_only_when_well_formed() {
        assert_eq!(client_id(Some("a=1&clientId=acme-bank&b=2")).as_ref().map(|id| id.as_str()), Some("acme-bank"));
        assert_eq!(client_id(Some("clientId=acme%5Fbank")).as_ref().map(|id| id.as_str()), Some("acme_bank"));
        for bad in ["clientId=", "clientId=Acme", "clientId=a", "clientId=%3Cscript%3E", "client=acme"] {
            assert_eq!(client_id(Some(bad)), None, "{bad}");
        }
        assert_eq!(client_id(None), None);
    }

    #[test]
    fn each_wrong_value_is_refused_and_named() {
        let good = WebviewSettings {
            default_locale: Some(Locale::Ms),
            time_zone: Some("Asia/Kuala_Lumpur".into()),
            support_email: Some("help@kopi.example".into()),
            support_url: Some("https://help.kopi.example/tessera".into()),
            help_text: Some("Ask us anything.\nWe answer within a day.".into()),
        };
        assert!(good.check().is_ok());
        for (field, bad) in [
            ("timeZone", WebviewSettings { time_zone: Some("Asia/Atlantis".into()), ..good.clone() }),
            ("supportEmail", WebviewSettings { support_email: Some("help@localhost".into()), ..good.clone() }),
            ("supportEmail", WebviewSettings { support_email: Some("<a>@x.example".into()), ..good.clone() }),
            ("supportUrl", WebviewSettings { support_url: Some("http://help.example".into()), ..good.clone() }),
            ("supportUrl", WebviewSettings { support_url: Some("javascript:alert(1)".into()), ..good.clone() }),
            ("helpText", WebviewSettings { help_text: Some("x".repeat(1001)), ..good.clone() }),
        ] {
            let e = bad.check().expect_err(field);
            assert!(format!("{:?}", e).contains(field), "{field}: {e:?}");
        }
    }

    #[test]
    fn an_unset_zone_is_utc() {
        assert_eq!(WebviewSettings::default().zone().name(), "UTC");
        let kl = WebviewSettings { time_zone: Some("Asia/Kuala_Lumpur".into()), ..Default::default() };
        assert_eq!(kl.zone().name(), "Asia/Kuala_Lumpur");
    }
}
