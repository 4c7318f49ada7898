//! The console's and portal's screens (SPEC §12), driven as a browser drives
//! them — form posts with the session cookie — against the real server, on
//! both engines: the FLAGGED review reaching the partner's backend, a
//! partner's people kept to their partner (404) and their role (403), the
//! delivery log with every attempt and a resend, a CSV pool refused whole
//! with its line, set-up screens, the audit log, and cross-site posts.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN, PartnerCreds},
    eventually,
    receiver::Receiver,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const ENV: &[(&str, &str)] = &[
    ("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ("TESSERA_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8"),
    ("TESSERA_WEBHOOK_RETRY_SCHEDULE", "200ms,200ms"),
    ("TESSERA_WEBHOOK_POLL_MILLIS", "50"),
    ("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "2"),
];

/// Someone signed in to the console or portal: their cookie.
struct Signed<'a> {
    app: &'a TestServer,
    cookie: String,
}

/// A page's text with Leptos' empty markers (`<!>`) taken out.
fn text(html: &str) -> String {
    html.replace("<!>", "")
}

impl<'a> Signed<'a> {
    /// Makes an account through the admin API and signs it in.
    async fn new(app: &'a TestServer, email: &str, role: &str, partner: Option<&str>) -> Signed<'a> {
        let made = app.admin_ok(Method::POST, "/admin/people", Some(json!({ "email": email, "role": role, "partnerId": partner }))).await;
        let password = made["password"].as_str().unwrap();
        let res = app.request(Method::POST, "/console/login").json(&json!({ "email": email, "password": password })).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        Signed { app, cookie }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self.app.request(Method::GET, path).header("cookie", &self.cookie).send().await.unwrap();
        (res.status(), text(&res.text().await.unwrap()))
    }

    /// A post with the cookie, as the browser sends it from our own page (which
    /// sends no referrer: `Origin: null`, vouched for by Sec-Fetch-Site).
    fn post_from_our_page(&self, path: &str, content_type: &str) -> reqwest::RequestBuilder {
        self.app
            .request(Method::POST, path)
            .header("cookie", &self.cookie)
            .header("content-type", content_type)
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
    }

    /// A form post as the browser sends it from our page; the status, where it
    /// redirects (if it does) and the page.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let res = self.post_from_our_page(path, "application/x-www-form-urlencoded").body(body).send().await.unwrap();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        (res.status(), location, text(&res.text().await.unwrap()))
    }

    /// A multipart post of a CSV file (field `file`) and plain fields.
    async fn upload(&self, path: &str, file: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        self.upload_file(path, "file", "codes.csv", "text/csv", file.as_bytes(), fields).await
    }

    /// A multipart post of one file and plain fields, as a browser sends it.
    async fn upload_file(
        &self,
        path: &str,
        name: &str,
        filename: &str,
        content_type: &str,
        file: &[u8],
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let boundary = "tessera-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
        for (k, v) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let res = self.post_from_our_page(path, &format!("multipart/form-data; boundary={boundary}")).body(body).send().await.unwrap();
        (res.status(), text(&res.text().await.unwrap()))
    }
}

/// An endpoint of `p` to the receiver's `path` (`extra` adds fields), its
/// secret registered with the receiver; the endpoint as made.
async fn endpoint_to(app: &TestServer, p: &PartnerCreds, receiver: &Receiver, path: &str, extra: Value) -> Value {
    let mut body = json!({ "url": receiver.url(path) });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, e) = app.partner(p, Method::POST, "/integrations/webhook-endpoints", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let scheme = e["scheme"].as_str().unwrap().to_string();
    receiver.expect(path, &scheme, e["secret"].as_str().unwrap());
    e
}

/// A FLAGGED redemption of `p`'s user `user` (no location, at an outlet with coordinates).
async fn flagged(app: &TestServer, cat: &Catalog, p: &PartnerCreds, user: &str) -> String {
    let voucher = cat.voucher(app, &format!("{{b}}Flag me{{/b}} {user}"), json!({})).await;
    let token = p.jwt(user);
    let (status, claim) = app.me(&token, Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    let body = json!({ "claimId": claim["id"], "outletId": cat.outlet, "location": null });
    let (status, r) = app.me(&token, Method::POST, "/me/redemptions", Some(body)).await;
    assert_eq!((status, r["status"].as_str()), (StatusCode::CREATED, Some("FLAGGED")), "{r}");
    r["redemptionId"].as_str().unwrap().to_string()
}

async fn an_operator_reviews_flagged_redemptions_and_the_partner_hears_each_verdict(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let receiver = Receiver::start().await;
    let p = app.create_partner("shop").await;
    endpoint_to(&app, &p, &receiver, "hooks", json!({ "eventTypes": ["REDEMPTION_REVIEWED"] })).await;
    let cat = Catalog::create(&app).await;
    let first = flagged(&app, &cat, &p, "ana").await;
    let second = flagged(&app, &cat, &p, "ben").await;

    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;
    let (status, queue) = ops.get("/console/review").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("<strong>2</strong> redemptions wait."), "{queue}");
    for id in [&first, &second] {
        assert!(queue.contains(&format!("action=\"/console/review/{id}\"")), "{id} not in the queue: {queue}");
    }
    assert!(queue.contains("No location from the device") && queue.contains("Geofence 150 m"), "{queue}");
    assert!(queue.contains("<td>Flag me ana</td>"), "the title as people read it: {queue}");

    let res = app.request(Method::GET, "/console/review?partner=shop&format=csv").header("cookie", &ops.cookie).send().await.unwrap();
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(&format!("\"{first}\",\"shop\",\"ana\"")) && csv.contains("\"gps_unavailable\""), "{csv}");
    let (status, to, _) = ops.post(&format!("/console/review/{first}"), &[("verdict", "approved"), ("note", "receipt checked")]).await;
    assert_eq!((status, to.as_deref()), (StatusCode::SEE_OTHER, Some("/console/review?done=approved")));
    let (status, to, _) = ops.post(&format!("/console/review/{second}"), &[("verdict", "rejected"), ("note", "")]).await;
    assert_eq!((status, to.as_deref()), (StatusCode::SEE_OTHER, Some("/console/review?done=rejected")));
    let (_, queue) = ops.get("/console/review?done=rejected").await;
    assert!(queue.contains("Nothing to review.") && queue.contains("Rejected: the partner is told"), "{queue}");

    // Reviewed once: a second verdict is a conflict said on the page, and changes nothing.
    let (status, _, page) = ops.post(&format!("/console/review/{first}"), &[("verdict", "rejected")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("reviewed already"), "{page}");
    // A verdict that is neither is refused by field.
    let (status, _, page) = ops.post(&format!("/console/review/{first}"), &[("verdict", "maybe")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must be approved or rejected"), "{page}");

    // The partner's backend hears each verdict, signed, once.
    receiver.wait_for(Duration::from_secs(20), "two REDEMPTION_REVIEWED", |got| got.len() >= 2).await;
    let got = receiver.received();
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        assert_eq!(r.verified, Ok(()));
        assert_eq!(r.event["type"], "REDEMPTION_REVIEWED");
    }
    let verdict_of = |id: &str| got.iter().find(|r| r.event["data"]["redemptionId"] == id).map(|r| r.event["data"].clone()).unwrap();
    let a = verdict_of(&first);
    assert_eq!(
        (a["verdict"].as_str(), a["note"].as_str(), a["externalUserId"].as_str()),
        (Some("approved"), Some("receipt checked"), Some("ana"))
    );
    let b = verdict_of(&second);
    assert_eq!((b["verdict"].as_str(), b["note"].clone(), b["externalUserId"].as_str()), (Some("rejected"), Value::Null, Some("ben")));

    // The audit log says who decided what.
    let (_, audit) = ops.get("/console/audit?action=redemption.").await;
    for (action, id) in [("redemption.approved", &first), ("redemption.rejected", &second)] {
        let line = audit.split("<tr>").find(|row| row.contains(id.as_str())).unwrap_or_else(|| panic!("no line for {id}: {audit}"));
        assert!(line.contains(action) && line.contains("ops@example.com"), "{line}");
    }
    let res = app.request(Method::GET, "/console/audit?format=csv").header("cookie", &ops.cookie).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("at,actor,action,subject,before,after\r\n"), "{csv}");
    assert!(csv.contains(&format!("\"ops@example.com\",\"redemption.approved\",\"{first}\"")), "{csv}");
}

async fn a_partners_people_see_only_their_partner_and_their_roles_jobs(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let receiver = Receiver::start().await;
    let a = app.create_partner("alpha").await;
    let b = app.create_partner("bravo").await;
    let mut endpoints = vec![];
    for p in [&a, &b] {
        let (status, e) =
            app.partner(p, Method::POST, "/integrations/webhook-endpoints", Some(&json!({ "url": receiver.url(&p.id) }))).await;
        assert_eq!(status, StatusCode::CREATED);
        endpoints.push(e["id"].as_str().unwrap().to_string());
    }
    let cat = Catalog::create(&app).await;
    let voucher = cat.voucher(&app, "Shared", json!({})).await;
    let mut events = vec![];
    for p in [&a, &b] {
        let (status, c) = app.me(&p.jwt("u1"), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        let (_, feed) = app.partner(p, Method::GET, "/integrations/events?type=CLAIM_CREATED", None).await;
        events.push(feed["items"][0]["id"].as_str().unwrap().to_string());
    }
    let (ours, theirs) = ((&endpoints[0], &events[0]), (&endpoints[1], &events[1]));

    let dev = Signed::new(&app, "dev@alpha.example", "partner_developer", Some("alpha")).await;
    let (status, list) = dev.get("/portal/endpoints").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("href=\"/portal/endpoints/{}\"", ours.0)), "{list}");
    assert!(!list.contains(theirs.0.as_str()), "another partner's endpoint listed: {list}");
    assert_eq!(dev.get(&format!("/portal/endpoints/{}", ours.0)).await.0, StatusCode::OK);
    assert_eq!(dev.get(&format!("/portal/events/{}", ours.1)).await.0, StatusCode::OK);
    // Bravo's, tried directly: not found, to read or to change.
    assert_eq!(dev.get(&format!("/portal/endpoints/{}", theirs.0)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(dev.get(&format!("/portal/events/{}", theirs.1)).await.0, StatusCode::NOT_FOUND);
    for path in [
        format!("/portal/endpoints/{}/disable", theirs.0),
        format!("/portal/endpoints/{}/rotate", theirs.0),
        format!("/portal/events/{}/resend", theirs.1),
    ] {
        assert_eq!(dev.post(&path, &[]).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _, _) = dev.post(&format!("/portal/endpoints/{}/recover", theirs.0), &[("since", "2026-01-01T00:00:00Z")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, events_page) = dev.get("/portal/events").await;
    assert!(events_page.contains(ours.1.as_str()) && !events_page.contains(theirs.1.as_str()), "{events_page}");
    // The operator's console does not exist for them.
    for path in ["/console", "/console/review", "/console/partners", "/console/partners/bravo", "/console/audit", "/console/vouchers"] {
        assert_eq!(dev.get(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(dev.post(&format!("/console/review/{}", theirs.1), &[("verdict", "approved")]).await.0, StatusCode::NOT_FOUND);
    // A developer reads the credentials' metadata but cannot rotate them.
    let (_, overview) = dev.get("/portal").await;
    assert!(overview.contains("Credentials") && !overview.contains("/portal/credentials/rotate"), "{overview}");
    assert_eq!(dev.post("/portal/credentials/rotate", &[("kind", "api")]).await.0, StatusCode::FORBIDDEN);

    // A designer has the theme only: no webhooks, no credentials.
    let designer = Signed::new(&app, "design@alpha.example", "designer", Some("alpha")).await;
    let (status, page) = designer.get("/portal/endpoints").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Your role (designer) does not include this"), "{page}");
    assert_eq!(designer.get(&format!("/portal/events/{}", ours.1)).await.0, StatusCode::FORBIDDEN);
    let (_, overview) = designer.get("/portal").await;
    assert!(!overview.contains("Credentials") && !overview.contains("/portal/endpoints"), "{overview}");

    // An admin rotates the API secret: shown once, and both secrets sign for the grace period.
    let admin = Signed::new(&app, "admin@alpha.example", "partner_admin", Some("alpha")).await;
    let (status, _, page) = admin.post("/portal/credentials/rotate", &[("kind", "api")]).await;
    assert_eq!(status, StatusCode::OK);
    let secret = page.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    assert!(secret.len() >= 32 && secret != a.api_secret, "{page}");
    let rotated = PartnerCreds { api_secret: secret, ..a.clone() };
    assert_eq!(app.partner(&rotated, Method::GET, "/integrations/webhook-endpoints", None).await.0, StatusCode::OK);
    assert_eq!(
        app.partner(&a, Method::GET, "/integrations/webhook-endpoints", None).await.0,
        StatusCode::OK,
        "the old one, within its grace"
    );
    let (_, overview) = admin.get("/portal").await;
    assert!(overview.contains("rotating: the previous one still verifies"), "{overview}");

    // A cross-site post is refused before anything is looked at.
    let res = app
        .request(Method::POST, &format!("/portal/endpoints/{}/disable", ours.0))
        .header("cookie", &admin.cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let e: Value = app.partner(&a, Method::GET, &format!("/integrations/webhook-endpoints/{}", ours.0), None).await.1;
    assert_eq!(e["status"], "enabled");
}

async fn a_developer_finds_why_deliveries_failed_and_resends(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let receiver = Receiver::start().await;
    let p = app.create_partner("shop").await;
    let dev = Signed::new(&app, "dev@shop.example", "partner_developer", Some("shop")).await;
    // Added through the portal's form: its secret shown once.
    let url = receiver.url("failing");
    let (status, _, page) =
        dev.post("/portal/endpoints", &[("url", &url), ("description", "orders"), ("profile", "tessera"), ("type", "CLAIM_CREATED")]).await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let secret = page.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    receiver.expect("failing", "tessera", &secret);
    let (_, list) = app.partner(&p, Method::GET, "/integrations/webhook-endpoints", None).await;
    let endpoint = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["eventTypes"], json!(["CLAIM_CREATED"]));
    // Edited: its description and event types; a bad address is refused with the edit form kept open.
    let edit = [
        ("url", url.as_str()),
        ("description", "claims and issues"),
        ("profile", "tessera"),
        ("type", "CLAIM_CREATED"),
        ("type", "VOUCHER_ISSUED"),
    ];
    let (status, to, page) = dev.post(&format!("/portal/endpoints/{endpoint}/edit"), &edit).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("/portal/endpoints/{endpoint}?done=saved"))), "{page}");
    let (_, e) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{endpoint}"), None).await;
    assert_eq!(
        (e["eventTypes"].clone(), e["description"].as_str(), e["scheme"].as_str()),
        (json!(["CLAIM_CREATED", "VOUCHER_ISSUED"]), Some("claims and issues"), Some("tessera"))
    );
    let (status, _, page) =
        dev.post(&format!("/portal/endpoints/{endpoint}/edit"), &[("url", "ftp://x.example"), ("description", "kept too")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("<details open") && page.contains("value=\"kept too\""), "{page}");
    dev.post(&format!("/portal/endpoints/{endpoint}/edit"), &[("url", url.as_str()), ("profile", "tessera"), ("type", "CLAIM_CREATED")])
        .await;
    // A bad URL is refused by field, the form kept.
    let (status, _, page) = dev.post("/portal/endpoints", &[("url", "ftp://nowhere.example"), ("description", "kept")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("<code>url</code>") && page.contains("value=\"kept\""), "{page}");

    // The backend answers 500 to every attempt (1 + 2 retries).
    receiver.script("failing", vec![(500, vec![]), (500, vec![]), (500, vec![])]);
    let cat = Catalog::create(&app).await;
    let voucher = cat.voucher(&app, "Hooked", json!({})).await;
    let (status, _) = app.me(&p.jwt("ana"), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED);
    let log_path = format!("/portal/endpoints/{endpoint}?status=failed");
    let log = eventually(Duration::from_secs(20), "the delivery given up", || async {
        let (_, log) = dev.get(&log_path).await;
        if log.contains("class=\"chip chip-failed\"") { Ok(log) } else { Err(log) }
    })
    .await;
    assert!(log.contains("CLAIM_CREATED") && log.contains("HTTP 500"), "{log}");
    let event = log.split("href=\"/portal/events/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let res = app
        .request(Method::GET, &format!("/portal/endpoints/{endpoint}?status=failed&format=csv"))
        .header("cookie", &dev.cookie)
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(&format!("\"{event}\",\"CLAIM_CREATED\",\"failed\",\"3\",\"500\"")), "{csv}");
    let res = app.request(Method::GET, "/portal/events?type=CLAIM_CREATED&format=csv").header("cookie", &dev.cookie).send().await.unwrap();
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("id,type,created_at,data\r\n") && csv.contains(&format!("\"{event}\",\"CLAIM_CREATED\"")), "{csv}");
    let (_, detail) = dev.get(&format!("/portal/events/{event}")).await;
    assert_eq!(detail.matches("<td>HTTP 500</td>").count(), 3, "every attempt listed: {detail}");
    assert!(detail.contains("\"type\": \"CLAIM_CREATED\""), "the payload shown: {detail}");

    // Resend: the receiver is well now, and the delivery goes through.
    let (status, to, _) = dev.post(&format!("/portal/events/{event}/resend"), &[]).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("/portal/events/{event}?done=resent"))));
    receiver
        .wait_for(Duration::from_secs(20), "the resent delivery", |got| {
            got.iter().any(|r| r.verified.is_ok() && r.event["id"] == event.as_str())
        })
        .await;
    let (_, detail) = eventually(Duration::from_secs(20), "the delivery shown delivered", || async {
        let got = dev.get(&format!("/portal/events/{event}")).await;
        if got.1.contains("class=\"chip chip-delivered\"") { Ok(got) } else { Err(got.1) }
    })
    .await;
    assert!(detail.contains("<td>HTTP 200</td>") && detail.contains("<td>HTTP 500</td>"), "{detail}");

    // Disable, enable, recover: each said, each in the audit log.
    let (status, to, _) = dev.post(&format!("/portal/endpoints/{endpoint}/disable"), &[]).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("/portal/endpoints/{endpoint}?done=disabled"))));
    let (status, _, page) = dev.post(&format!("/portal/endpoints/{endpoint}/recover"), &[("since", "2026-01-01T00:00:00Z")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "a disabled endpoint is not recovered: {page}");
    dev.post(&format!("/portal/endpoints/{endpoint}/enable"), &[]).await;
    let (status, _, page) = dev.post(&format!("/portal/endpoints/{endpoint}/recover"), &[("since", "yesterday")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must be an RFC 3339 time"), "{page}");
    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;
    let (_, audit) = ops.get("/console/audit?action=endpoint.").await;
    for action in ["endpoint.created", "endpoint.disabled", "endpoint.enabled"] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
    assert!(audit.contains("dev@shop.example"), "{audit}");
}

async fn an_operator_sets_up_a_partner_merchant_outlet_and_voucher_with_a_csv_pool(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;

    let (status, _, page) = ops
        .post("/console/partners", &[("name", "Kedai"), ("id", "kedai"), ("origins", "https://app.kedai.example"), ("sandbox", "on")])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(page.contains("shown this once") && page.matches("<code class=\"secret\">").count() == 3, "{page}");
    let (status, _, page) = ops.post("/console/partners", &[("name", "Again"), ("id", "kedai")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("value=\"Again\""), "the form kept: {page}");
    let (_, found) = ops.get("/console/partners?q=kedai").await;
    assert!(found.contains("href=\"/console/partners/kedai\""), "{found}");
    let (_, none) = ops.get("/console/partners?q=nobody").await;
    assert!(!none.contains("href=\"/console/partners/kedai\""), "{none}");
    let res = app.request(Method::GET, "/console/partners?q=kedai&format=csv").header("cookie", &ops.cookie).send().await.unwrap();
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).is_some_and(|l| l.starts_with("\"kedai\",\"Kedai\",\"https://app.kedai.example\",\"true\",")), "{csv}");
    let (status, _, page) =
        ops.post("/console/partners/kedai/people", &[("email", "admin@kedai.example"), ("role", "partner_admin")]).await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(page.contains("Invitation for admin@kedai.example — shown this once") && page.contains("/console/invite/inv_"), "{page}");

    let (status, to, _) = ops.post("/console/merchants", &[("name", "Kedai Kopi"), ("description", "Coffee")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let merchant = to.unwrap().trim_start_matches("/console/merchants/").split('?').next().unwrap().to_string();
    let outlets = format!("/console/merchants/{merchant}/outlets");
    let (status, _, page) = ops.post(&outlets, &[("name", "Bangsar"), ("lat", "3.13"), ("lng", "north")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("\"north\" is not a number") && page.contains("value=\"Bangsar\""), "{page}");
    let (status, _, _) = ops.post(&outlets, &[("name", "Bangsar"), ("lat", "3.13"), ("lng", "101.67"), ("radius", "200")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = ops.get(&format!("/console/merchants/{merchant}")).await;
    assert!(page.contains("3.13000, 101.67000") && page.contains("200 m"), "{page}");
    // An outlet's place and geofence are corrected in its own form.
    let outlet =
        app.admin_ok(Method::GET, &format!("/admin/merchants/{merchant}/outlets"), None).await[0]["id"].as_str().unwrap().to_string();
    let fix = [("name", "Bangsar"), ("address", "Jalan Telawi"), ("lat", "3.1310"), ("lng", "101.6710"), ("radius", "300")];
    let (status, to, _) = ops.post(&format!("/console/outlets/{outlet}"), &fix).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("/console/merchants/{merchant}?done=saved"))));
    let o = app.admin_ok(Method::GET, &format!("/admin/outlets/{outlet}"), None).await;
    assert_eq!((o["radiusM"].as_i64(), o["lat"].as_f64(), o["address"].as_str()), (Some(300), Some(3.131), Some("Jalan Telawi")));
    let (status, _, page) = ops.post(&format!("/console/outlets/{outlet}"), &[("name", "Bangsar"), ("lat", "95"), ("lng", "101.6")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");

    // Renamed, found by a word of its new name, exported, disabled and enabled again.
    let (status, to, _) =
        ops.post(&format!("/console/merchants/{merchant}"), &[("name", "Kedai Kopi Bangsar"), ("description", "Coffee")]).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("/console/merchants/{merchant}?done=saved"))));
    let (_, found) = ops.get("/console/merchants?q=bangsar").await;
    assert!(found.contains(&format!("<a href=\"/console/merchants/{merchant}\">Kedai Kopi Bangsar</a>")), "{found}");
    let (_, none) = ops.get("/console/merchants?q=bangsar&status=disabled").await;
    assert!(none.contains("No merchants."), "{none}");
    let res = app.request(Method::GET, "/console/merchants?q=bangsar&format=csv").header("cookie", &ops.cookie).send().await.unwrap();
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(&format!("\"{merchant}\",\"Kedai Kopi Bangsar\",\"active\"")), "{csv}");
    let (status, to, _) = ops.post(&format!("/console/merchants/{merchant}/disable"), &[]).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("/console/merchants/{merchant}?done=disabled"))));
    assert_eq!(app.admin_ok(Method::GET, &format!("/admin/merchants/{merchant}"), None).await["status"], "disabled");
    ops.post(&format!("/console/merchants/{merchant}/enable"), &[]).await;
    assert_eq!(app.admin_ok(Method::GET, &format!("/admin/merchants/{merchant}"), None).await["status"], "active");

    let (status, to, page) = ops
        .post("/console/vouchers", &[("merchant", &merchant), ("title", "Pool {b}codes{/b}"), ("code_source", "pool"), ("stock", "")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let voucher_page = to.unwrap().split('?').next().unwrap().to_string();
    let voucher = voucher_page.trim_start_matches("/console/vouchers/").to_string();
    let codes = format!("{voucher_page}/codes");
    // A bad line refuses the whole file, saying which; nothing is added.
    let (status, page) = ops.upload(&codes, "code\nK-001\nK-002\n\"\",oops\nK-004\n", &[("step", "preview")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("line 4: a code is 1–128 printable characters"), "{page}");
    let (status, page) = ops.upload(&codes, "K-001\nK-001\n", &[("step", "add")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("line 2: \"K-001\" appears twice"), "{page}");
    assert_eq!(app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await["poolCodesFree"], 0);
    // A good file: previewed (count, first rows), then added.
    let file: String = (1..=12).map(|i| format!("K-{i:03}\n")).collect();
    let (status, page) = ops.upload(&codes, &file, &[("step", "preview")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("12 codes read from the file") && page.contains("<code>K-010</code>") && !page.contains("<code>K-011</code>"),
        "{page}"
    );
    assert_eq!(app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await["poolCodesFree"], 0, "a preview adds nothing");
    // A file of 5 000 codes (over the platform's 64 KB body limit) is read whole.
    let big: String = (1..=5000).map(|i| format!("KEDAI-CODE-{i:08}\n")).collect();
    assert!(big.len() > 64 * 1024);
    let (status, big_page) = ops.upload(&codes, &big, &[("step", "preview")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(big_page.contains("5000 codes read from the file"), "{big_page}");
    let csv = page.split("name=\"csv\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let (status, page) = ops.upload(&codes, "", &[("csv", &csv.replace("&#10;", "\n")), ("step", "add")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("12 codes added (0 already there); 12 free in the pool."), "{page}");

    // Edited: only what the form changed changes; a bad number is refused with the form kept.
    let before = app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await;
    let edit = [
        ("merchant", merchant.as_str()),
        ("title", "Pool {b}codes{/b}, edited"),
        ("code_source", "pool"),
        ("per_user", "2"),
        ("stock", ""),
    ];
    let (status, to, page) = ops.post(&voucher_page, &edit).await;
    assert_eq!((status, to.as_deref()), (StatusCode::SEE_OTHER, Some(format!("{voucher_page}?done=saved").as_str())), "{page}");
    let after = app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await;
    assert_eq!((after["title"].as_str(), after["perUserLimit"].as_i64()), (Some("Pool {b}codes{/b}, edited"), Some(2)));
    for same in ["merchantId", "codeSource", "poolCodesFree", "status", "totalStock", "validUntil", "price", "imageId"] {
        assert_eq!(after[same], before[same], "{same} kept");
    }
    let (status, _, page) = ops.post(&voucher_page, &[("merchant", merchant.as_str()), ("title", "Kept title"), ("per_user", "two")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("\"two\" is not a number") && page.contains("value=\"Kept title\"") && page.contains("<details open"), "{page}");
    // Cohorts and an unlock code, from the same form.
    let mut edit = edit.to_vec();
    edit.extend([("cohorts", "vip, staff"), ("unlock_code", "KOPI-VIP")]);
    let (status, _, page) = ops.post(&voucher_page, &edit).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let v = app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await;
    assert_eq!((v["cohorts"].clone(), v["unlockCode"].as_str()), (json!(["staff", "vip"]), Some("KOPI-VIP")), "{v}");
    let (_, page) = ops.get(&voucher_page).await;
    assert!(page.contains("value=\"staff, vip\"") && page.contains("value=\"KOPI-VIP\""), "the edit form shows them: {page}");
    let (status, _, page) = ops.post(&voucher_page, &[("merchant", merchant.as_str()), ("title", "x"), ("coin_cost", "ten")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("<code>coinCost</code>"), "{page}");
    // A form that cannot be read (a field twice) is said on a page, and changes nothing.
    let (status, _, page) = ops.post(&voucher_page, &[("merchant", merchant.as_str()), ("title", "a"), ("title", "b")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("The form could not be read: ") && page.contains("duplicate field `title`") && page.contains("<main"), "{page}");
    // A picture: checked for its shape, then shown.
    let square = tessera_core::images::sample_png(400, 400, [10, 20, 30]);
    let (status, page) = ops.upload_file(&format!("{voucher_page}/image"), "image", "square.png", "image/png", &square, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let wide = tessera_core::images::sample_png(706, 397, [200, 120, 40]);
    let (status, page) = ops.upload_file(&format!("{voucher_page}/image"), "image", "wide.png", "image/png", &wide, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let image = app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await["imageId"].as_str().unwrap().to_string();
    let (_, page) = ops.get(&voucher_page).await;
    assert!(page.contains(&format!("src=\"/images/{image}/353\"")), "{page}");
    assert_eq!(app.get(&format!("/images/{image}/353")).await.status(), StatusCode::OK);

    let (status, to, _) = ops.post(&format!("{voucher_page}/publish"), &[]).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("{voucher_page}?done=published"))));
    let v = app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await;
    assert_eq!((v["status"].as_str(), v["title"].as_str()), (Some("published"), Some("Pool {b}codes{/b}, edited")));
    let (status, _, page) = ops.post(&format!("{voucher_page}/publish"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "published twice: {page}");

    let (_, audit) = ops.get("/console/audit").await;
    for action in [
        "partner.created",
        "person.invited",
        "merchant.created",
        "merchant.updated",
        "merchant.disabled",
        "merchant.enabled",
        "outlet.created",
        "outlet.updated",
        "voucher.created",
        "voucher.codes_added",
        "voucher.updated",
        "voucher.picture_set",
        "voucher.published",
    ] {
        assert!(audit.contains(action), "{action} missing: {audit}");
    }
}

async fn the_dashboard_charts_what_happened_per_partner_and_day(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let cat = Catalog::create(&app).await;
    let shop = app.create_partner("shop").await;
    let other = app.create_partner("other").await;
    for user in ["a", "b"] {
        let voucher = cat.voucher(&app, &format!("Claimed {user}"), json!({})).await;
        let (status, _) = app.me(&shop.jwt(user), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    flagged(&app, &cat, &shop, "c").await;
    let voucher = cat.voucher(&app, "Other's", json!({})).await;
    let (status, _) = app.me(&other.jwt("z"), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED);

    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;
    let (status, all) = ops.get("/console").await;
    assert_eq!(status, StatusCode::OK);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert!(all.contains("<strong>Claims</strong> — 4 from ") && all.contains(&format!(" to {today}")), "{all}");
    let (_, shop_only) = ops.get("/console?partner=shop").await;
    assert!(shop_only.contains("<strong>Claims</strong> — 3 from "), "{shop_only}");
    assert!(shop_only.contains("<strong>Redemptions</strong> — 1, of which 1 FLAGGED"), "{shop_only}");
    assert!(shop_only.contains("<strong>FLAGGED share</strong> — 100.0 % of redemptions"), "{shop_only}");
    // Today's bar is drawn, and its figures are in the table.
    let claims = shop_only.split("id=\"claims\"").nth(1).unwrap().split("</figure>").next().unwrap();
    assert_eq!(claims.matches("<rect ").count(), 1, "one day with claims: {claims}");
    assert!(claims.contains(&format!("<tr><td>{today}</td><td class=\"num\">3</td></tr>")), "{claims}");
    assert!(claims.contains("role=\"img\"") && claims.contains("<title id=\"claims-title\">Claims</title>"), "{claims}");
    // A range that ends before today has nothing of it; a date that is none is said.
    let (_, before) = ops.get("/console?partner=shop&from=2026-01-01&to=2026-01-31").await;
    assert!(before.contains("<strong>Claims</strong> — 0 from 2026-01-01 to 2026-01-31"), "{before}");
    let (_, wrong) = ops.get("/console?from=someday").await;
    assert!(wrong.contains("\"someday\" is not a date like 2026-12-06"), "{wrong}");
}

async fn an_operator_finds_an_order_and_reverses_it(backend: Backend) {
    use crate::orders::{buy, eatsure, events_of, sandbox_partner};
    let app = TestServer::spawn_with(backend, ENV).await;
    let cat = Catalog::create(&app).await;
    let p = sandbox_partner(&app, "shop").await;
    let voucher = eatsure(&app, &cat).await;
    let order = buy(&app, &p.jwt("ana"), &voucher, 50000, "k1").await;
    assert_eq!(order["state"], "fulfilled", "{order}");
    let id = order["id"].as_str().unwrap().to_string();

    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;
    let (status, list) = ops.get("/console/orders?partner=shop").await;
    assert_eq!(status, StatusCode::OK);
    let row = list.split("<tr>").find(|r| r.contains(&id)).unwrap_or_else(|| panic!("{list}"));
    assert!(row.contains("INR 500.00") && row.contains("chip-fulfilled"), "{row}");
    let (_, none) = ops.get("/console/orders?partner=nobody").await;
    assert!(none.contains("No orders."), "{none}");
    let res = app.request(Method::GET, "/console/orders?partner=shop&format=csv").header("cookie", &ops.cookie).send().await.unwrap();
    let csv = res.text().await.unwrap();
    assert!(
        csv.lines().nth(1).unwrap().starts_with(&format!("\"{id}\",\"shop\",")) && csv.contains("\"500.00\",\"500.00\",\"fulfilled\""),
        "{csv}"
    );

    let (_, detail) = ops.get(&format!("/console/orders/{id}")).await;
    assert!(detail.contains("Reverse and refund"), "{detail}");
    let (status, to, _) = ops.post(&format!("/console/orders/{id}/reverse"), &[]).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, Some(format!("/console/orders/{id}?done=reversed"))));
    let (_, detail) = ops.get(&format!("/console/orders/{id}?done=reversed")).await;
    assert!(detail.contains("chip-reversed") && !detail.contains("Reverse and refund"), "{detail}");
    assert_eq!(events_of(&app, &p, "ORDER_REVERSED").await.len(), 1);
    let (status, _, page) = ops.post(&format!("/console/orders/{id}/reverse"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert_eq!(events_of(&app, &p, "ORDER_REVERSED").await.len(), 1, "reversed once");
    let (_, audit) = ops.get("/console/audit?action=order.").await;
    assert!(audit.contains("order.reversed") && audit.contains(&id), "{audit}");
}

async fn a_test_event_goes_out_signed_once_and_its_answer_is_shown(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let receiver = Receiver::start().await;
    let p = app.create_partner("shop").await;
    let e = endpoint_to(&app, &p, &receiver, "test", json!({ "scheme": "standard-webhooks" })).await;
    let endpoint = e["id"].as_str().unwrap().to_string();
    let dev = Signed::new(&app, "dev@shop.example", "partner_developer", Some("shop")).await;

    let (status, _, page) = dev.post(&format!("/portal/endpoints/{endpoint}/test"), &[("type", "ORDER_COMPLETED")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("ORDER_COMPLETED delivered: HTTP 200 in "), "{page}");
    assert!(page.contains("answer 200"), "the backend's answer shown: {page}");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].verified, Ok(()), "signed, and as the catalog says");
    assert!(got[0].event["id"].as_str().unwrap().starts_with("test_"), "{}", got[0].event);
    assert_eq!(got[0].headers["webhook-id"], got[0].event["id"].as_str().unwrap());
    // Nothing recorded: not in the delivery log, not in the feed.
    assert!(page.contains("No deliveries."), "{page}");
    let (_, feed) = app.partner(&p, Method::GET, "/integrations/events", None).await;
    assert_eq!(feed["items"], json!([]), "{feed}");

    // The backend fails: said, with what it answered.
    receiver.script("test", vec![(500, vec![])]);
    let (_, _, page) = dev.post(&format!("/portal/endpoints/{endpoint}/test"), &[("type", "REDEMPTION_REVIEWED")]).await;
    assert!(page.contains("REDEMPTION_REVIEWED not delivered: answered HTTP 500"), "{page}");
    assert!(page.contains("answer 500"), "{page}");
    let (status, _, _) = dev.post(&format!("/portal/endpoints/{endpoint}/test"), &[("type", "NOPE")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The catalog: every type with its schema and example.
    let (status, catalog) = dev.get("/portal/catalog").await;
    assert_eq!(status, StatusCode::OK);
    for kind in ["CLAIM_CREATED", "REDEMPTION_CREATED", "VOUCHER_PUBLISHED", "ORDER_COMPLETED", "REDEMPTION_REVIEWED"] {
        assert!(catalog.contains(&format!("<section id=\"{kind}\"")), "{kind}: {catalog}");
    }
    assert!(catalog.contains("https://json-schema.org/draft/2020-12/schema"), "{catalog}");
}

async fn a_partner_admin_sets_the_backend_and_a_test_call_shows_the_debug_panel(backend: Backend) {
    use crate::support::ledger::Ledger;
    let app = TestServer::spawn_with(backend, ENV).await;
    app.create_partner("shop").await;
    let ledger = Ledger::start("placeholder").await;
    let admin = Signed::new(&app, "admin@shop.example", "partner_admin", Some("shop")).await;
    let (status, _, page) = admin.post("/portal/integration", &[("base_url", &ledger.base), ("coins_ledger", "on")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let secret = page.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    assert!(secret.starts_with("its_"), "{page}");
    ledger.set_secret(&secret);
    ledger.sso_token("tok-1", json!({ "userId": "ana" }));

    let (_, _, page) = admin.post("/portal/integration/test", &[("token", "tok-1")]).await;
    assert!(page.contains("Your backend says this token is user ana."), "{page}");
    assert!(
        page.contains(&format!("<code>{}/sso</code>", ledger.base)) && page.contains("<dd>POST</dd>") && page.contains("<dd>200</dd>"),
        "{page}"
    );
    assert!(page.contains("X-Tessera-Secret: ****") && !page.contains(&secret[4..]), "the curl masks the secret: {page}");
    // A token the backend does not know: refused, with what it answered.
    let (_, _, page) = admin.post("/portal/integration/test", &[("token", "who-is-this")]).await;
    assert!(page.contains("sso_refused") && page.contains("<pre>{\"userId\":null}</pre>"), "{page}");
    // A wrong secret: the backend's 401 is shown.
    ledger.set_secret("not-the-secret");
    let (_, _, page) = admin.post("/portal/integration/test", &[("token", "tok-1")]).await;
    assert!(page.contains("sso_failed") && page.contains("<dd>401</dd>"), "{page}");

    // A developer looks and tests, but does not change the backend; a designer does neither.
    let dev = Signed::new(&app, "dev@shop.example", "partner_developer", Some("shop")).await;
    let (status, page) = dev.get("/portal/integration").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Save and make a new secret"), "{page}");
    assert_eq!(dev.post("/portal/integration", &[("base_url", "https://elsewhere.example")]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(dev.post("/portal/integration/test", &[("token", "tok-1")]).await.0, StatusCode::OK);
    let designer = Signed::new(&app, "design@shop.example", "designer", Some("shop")).await;
    assert_eq!(designer.get("/portal/integration").await.0, StatusCode::FORBIDDEN);
    let (_, audit) = Signed::new(&app, "ops@example.com", "operator", None).await.get("/console/audit?action=partner.integration").await;
    assert!(audit.contains("partner.integration_set") && audit.contains("partner.integration_tested"), "{audit}");
}

async fn the_vouchers_list_filters_sorts_pages_and_exports(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let cat = Catalog::create(&app).await;
    for i in (1..=55).rev() {
        cat.voucher(&app, &format!("V-{i:03}"), json!({})).await;
    }
    for title in ["Draft one", "Draft two"] {
        app.admin_ok(Method::POST, "/admin/vouchers", Some(json!({ "merchantId": cat.other_merchant, "title": title }))).await;
    }
    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;
    let titles = |page: &str| -> Vec<String> {
        page.split("<tbody>")
            .nth(1)
            .unwrap_or_default()
            .split("</tbody>")
            .next()
            .unwrap_or_default()
            .split("<a href=\"/console/vouchers/")
            .skip(1)
            .map(|a| a.split('>').nth(1).unwrap_or_default().split('<').next().unwrap_or_default().to_string())
            .collect()
    };
    let (_, first) = ops.get("/console/vouchers?sort=title&q=V-").await;
    let want: Vec<String> = (1..=50).map(|i| format!("V-{i:03}")).collect();
    assert_eq!(titles(&first), want);
    let more = first.split("<p class=\"pager\"><a href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    assert!(more.starts_with("/console/vouchers?q=V-&sort=title&after="), "{more}");
    let (_, second) = ops.get(&more).await;
    assert_eq!(titles(&second), (51..=55).map(|i| format!("V-{i:03}")).collect::<Vec<_>>());
    assert!(!second.contains("class=\"pager\""), "the last page has no More");
    // Newest first: the last made first.
    let (_, newest) = ops.get("/console/vouchers").await;
    assert_eq!(titles(&newest)[..3], ["Draft two", "Draft one", "V-001"]);
    let (_, drafts) = ops.get(&format!("/console/vouchers?status=draft&merchant={}", cat.other_merchant)).await;
    assert_eq!(titles(&drafts), ["Draft two", "Draft one"]);
    let (_, some) = ops.get("/console/vouchers?q=v-05&sort=title").await;
    assert_eq!(titles(&some), ["V-050", "V-051", "V-052", "V-053", "V-054", "V-055"]);
    // Partners page on too, by id.
    for i in 0..52 {
        app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": format!("pp-{i:03}"), "name": format!("Partner {i}") }))).await;
    }
    let (_, first) = ops.get("/console/partners?q=pp-").await;
    assert_eq!(first.matches("href=\"/console/partners/pp-").count(), 50, "{first}");
    let more = first.split("<p class=\"pager\"><a href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    assert_eq!(more, "/console/partners?q=pp-&after=pp-049");
    let (_, second) = ops.get(&more).await;
    assert!(second.contains("href=\"/console/partners/pp-050\"") && second.contains("href=\"/console/partners/pp-051\""), "{second}");
    assert!(!second.contains("href=\"/console/partners/pp-049\"") && !second.contains("class=\"pager\""), "{second}");
    let res = app.request(Method::GET, "/console/vouchers?status=draft&format=csv").header("cookie", &ops.cookie).send().await.unwrap();
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"vouchers.csv\"");
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("\"Draft one\",\"draft\",\"generated\""), "{csv}");
}

async fn an_operator_unlocks_an_account_and_resets_a_lost_password(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    app.create_partner("shop").await;
    let dev = Signed::new(&app, "dev@shop.example", "partner_developer", Some("shop")).await;
    for _ in 0..10 {
        let res = app
            .request(Method::POST, "/console/login")
            .json(&json!({ "email": "dev@shop.example", "password": "wrong-password-x" }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error());
    }
    assert_eq!(dev.get("/portal").await.0, StatusCode::SEE_OTHER, "locked: the session is over");
    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;
    let (_, page) = ops.get("/console/partners/shop").await;
    let person = page.split("action=\"/console/people/").nth(1).and_then(|s| s.split('/').next()).unwrap().to_string();
    assert!(page.contains(&format!("action=\"/console/people/{person}/unlock\"")), "Unlock offered: {page}");
    let (status, _, page) = ops.post(&format!("/console/people/{person}/reset"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("New password for dev@shop.example — shown this once"), "{page}");
    let password = page.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    assert_eq!(password.len(), 24);
    let res = app
        .request(Method::POST, "/console/login")
        .json(&json!({ "email": "dev@shop.example", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "unlocked, with the new password");
    // A partner's admin cannot reset anyone: the operator's console is not theirs.
    let admin = Signed::new(&app, "admin@shop.example", "partner_admin", Some("shop")).await;
    assert_eq!(admin.post(&format!("/console/people/{person}/reset"), &[]).await.0, StatusCode::NOT_FOUND);
    let (_, audit) = ops.get("/console/audit?action=person.").await;
    assert!(audit.contains("person.password_changed") && audit.contains("person.locked") && audit.contains("person.unlocked"), "{audit}");
    assert!(!app.log().contains(&password));
}

async fn an_invitation_is_emailed_when_a_mail_server_is_configured(backend: Backend) {
    use crate::support::smtp::FakeSmtp;
    let smtp = FakeSmtp::start().await;
    let mut env = ENV.to_vec();
    env.extend([("TESSERA_SMTP_URL", smtp.url.as_str()), ("TESSERA_SMTP_FROM", "Tessera <no-reply@example.com>")]);
    let app = TestServer::spawn_with(backend, &env).await;
    app.create_partner("shop").await;
    let admin = Signed::new(&app, "admin@shop.example", "partner_admin", Some("shop")).await;
    let (status, _, page) = admin.post("/portal/team", &[("email", "dev@shop.example"), ("role", "partner_developer")]).await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(page.contains("Emailed to dev@shop.example."), "{page}");
    let link = page.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("To: dev@shop.example") && mail.contains("From: Tessera <no-reply@example.com>"), "{mail}");
    assert!(mail.contains("Subject: Your invitation to Tessera") && mail.contains("partner developer of partner shop"), "{mail}");
    assert!(mail.contains(&link), "the link in the mail: {mail}");
    // The emailed link works.
    let path = link.split_once("/console/invite/").map(|(_, t)| format!("/console/invite/{t}")).unwrap();
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
}

async fn an_invitation_that_cannot_be_emailed_says_so_and_still_works(backend: Backend) {
    // Nothing listens there: the mail server is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("smtp://{closed}");
    let mut env = ENV.to_vec();
    env.extend([("TESSERA_SMTP_URL", url.as_str()), ("TESSERA_SMTP_FROM", "no-reply@example.com")]);
    let app = TestServer::spawn_with(backend, &env).await;
    let ops = Signed::new(&app, "ops@example.com", "operator", None).await;
    let (status, _, page) = ops.post("/console/people", &[("email", "second@example.com")]).await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(page.contains("It could not be emailed (") && page.contains("give them the link yourself"), "{page}");
    let link = page.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    let path = link.split_once("/console/invite/").map(|(_, t)| format!("/console/invite/{t}")).unwrap();
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
}

crate::backend_tests!(
    an_invitation_is_emailed_when_a_mail_server_is_configured,
    an_invitation_that_cannot_be_emailed_says_so_and_still_works,
    an_operator_unlocks_an_account_and_resets_a_lost_password,
    the_vouchers_list_filters_sorts_pages_and_exports,
    a_partner_admin_sets_the_backend_and_a_test_call_shows_the_debug_panel,
    a_test_event_goes_out_signed_once_and_its_answer_is_shown,
    an_operator_finds_an_order_and_reverses_it,
    the_dashboard_charts_what_happened_per_partner_and_day,
    an_operator_reviews_flagged_redemptions_and_the_partner_hears_each_verdict,
    a_partners_people_see_only_their_partner_and_their_roles_jobs,
    a_developer_finds_why_deliveries_failed_and_resends,
    an_operator_sets_up_a_partner_merchant_outlet_and_voucher_with_a_csv_pool,
);
