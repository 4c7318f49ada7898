//! Typed helpers over the real HTTP API: an operator, partners that sign their
//! calls, end users with tokens. Signing and minting are written here again,
//! from the contract (SPEC §2, §3), not borrowed from the server's code, so a
//! bug shared by both sides cannot hide.

use super::{Backend, TestServer};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

pub const OPERATOR_TOKEN: &str = "test-operator-token-0123456789abcdef";

pub fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Hex HMAC-SHA256 of "<t>.<METHOD>.<path?query>.<body>".
pub fn partner_signature(secret: &str, t: i64, method: &str, path: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{method}.{path}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Debug, Clone)]
pub struct PartnerCreds {
    pub id: String,
    pub api_secret: String,
    pub jwt_secret: String,
}

impl PartnerCreds {
    /// An HS256 JWT for a user of this partner, valid for `ttl` seconds.
    pub fn jwt(&self, sub: &str) -> String {
        self.jwt_with(json!({ "iss": self.id, "sub": sub, "iat": now_s(), "exp": now_s() + 600 }))
    }

    pub fn jwt_with(&self, claims: Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.jwt_secret.as_bytes()),
        )
        .unwrap()
    }
}

/// Status and JSON body (Null when the body is empty).
pub type Answer = (StatusCode, Value);

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")) };
    (status, body)
}

impl TestServer {
    /// A server with the admin API on.
    pub async fn spawn_platform(backend: Backend) -> Self {
        Self::spawn_with(backend, &[("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN)]).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.request(method, path).bearer_auth(OPERATOR_TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.unwrap()).await
    }

    /// Admin call that must succeed; returns the body.
    pub async fn admin_ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self.admin(method.clone(), path, body).await;
        assert!(status.is_success(), "{method} {path} → {status}: {body}");
        body
    }

    pub async fn create_partner(&self, id: &str) -> PartnerCreds {
        let body = self.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": id, "name": format!("Partner {id}") }))).await;
        PartnerCreds {
            id: body["partnerId"].as_str().unwrap().into(),
            api_secret: body["apiSecret"].as_str().unwrap().into(),
            jwt_secret: body["jwtSecret"].as_str().unwrap().into(),
        }
    }

    /// A signed partner call, body sent byte for byte as signed.
    pub async fn partner(&self, p: &PartnerCreds, method: Method, path: &str, body: Option<&Value>) -> Answer {
        self.partner_raw(p, method, path, body.map(|b| b.to_string().into_bytes()).unwrap_or_default(), self.fresh_t(), &[]).await
    }

    /// A timestamp no earlier call used (now, or just after the last one).
    pub fn fresh_t(&self) -> i64 {
        use std::sync::atomic::Ordering;
        let mut t = now_s();
        let last = self.last_t.fetch_max(t, Ordering::SeqCst);
        if last >= t {
            t = self.last_t.fetch_add(1, Ordering::SeqCst) + 1;
        }
        t
    }

    pub async fn partner_raw(&self, p: &PartnerCreds, method: Method, path: &str, body: Vec<u8>, t: i64, extra: &[(&str, &str)]) -> Answer {
        let sig = partner_signature(&p.api_secret, t, method.as_str(), path, &body);
        let mut req = self.request(method, path).header("x-partner-id", &p.id).header("x-signature", sig);
        if !body.is_empty() {
            req = req.header("content-type", "application/json").body(body);
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        answer(req.send().await.unwrap()).await
    }

    /// A consumer call with a bearer token (JWT or session).
    pub async fn me(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.request(method, path).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.unwrap()).await
    }
}

/// A small catalog made through the admin API: one merchant with a
/// geolocated outlet (KLCC, 150 m) and one without coordinates, another
/// merchant with one outlet, and a published voucher per call to `voucher`.
pub struct Catalog {
    pub merchant: String,
    pub outlet: String,
    pub outlet_no_gps: String,
    pub other_merchant: String,
    pub other_outlet: String,
}

pub const KLCC: (f64, f64) = (3.1579, 101.7123);

impl Catalog {
    pub async fn create(app: &TestServer) -> Self {
        let merchant =
            app.admin_ok(Method::POST, "/admin/merchants", Some(json!({ "name": "Kopi Kita" }))).await["id"].as_str().unwrap().to_string();
        let outlet = app
            .admin_ok(
                Method::POST,
                &format!("/admin/merchants/{merchant}/outlets"),
                Some(json!({ "name": "KLCC", "lat": KLCC.0, "lng": KLCC.1, "radiusM": 150 })),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let outlet_no_gps =
            app.admin_ok(Method::POST, &format!("/admin/merchants/{merchant}/outlets"), Some(json!({ "name": "Kiosk" }))).await["id"]
                .as_str()
                .unwrap()
                .to_string();
        let other_merchant =
            app.admin_ok(Method::POST, "/admin/merchants", Some(json!({ "name": "Bloom" }))).await["id"].as_str().unwrap().to_string();
        let other_outlet = app
            .admin_ok(
                Method::POST,
                &format!("/admin/merchants/{other_merchant}/outlets"),
                Some(json!({ "name": "Bloom Bangsar", "lat": 3.13, "lng": 101.67 })),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        Catalog { merchant, outlet, outlet_no_gps, other_merchant, other_outlet }
    }

    /// Creates and publishes a voucher of the first merchant; `extra` adds fields.
    pub async fn voucher(&self, app: &TestServer, title: &str, extra: Value) -> String {
        let mut body = json!({ "merchantId": self.merchant, "title": title });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let id = app.admin_ok(Method::POST, "/admin/vouchers", Some(body)).await["id"].as_str().unwrap().to_string();
        app.admin_ok(Method::POST, &format!("/admin/vouchers/{id}/publish"), None).await;
        id
    }
}
