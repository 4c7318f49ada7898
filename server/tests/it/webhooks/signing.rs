//! Each scheme signed and verified by an independent receiver (seed 003's and
//! Standard Webhooks' own verifiers), the event-type filter, secret rotation,
//! and the destinations calls may not reach.

use super::*;

async fn each_scheme_is_signed_verifiably_and_filtered_by_type(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[])).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    for scheme in ["tessera", "standard-webhooks", "hubble", "spaaza"] {
        let created = endpoint(&app, &p, &hooks.url(scheme), json!({ "scheme": scheme })).await;
        assert_eq!(created["scheme"], scheme);
        hooks.expect(scheme, scheme, created["secret"].as_str().unwrap());
    }
    let redemptions_only = endpoint(&app, &p, &hooks.url("filtered"), json!({ "eventTypes": ["REDEMPTION_CREATED"] })).await;
    hooks.expect("filtered", "tessera", redemptions_only["secret"].as_str().unwrap());

    let voucher = cat.voucher(&app, "{b}{r}RM38{/r}{/b} off", json!({ "codeSource": "static", "staticCode": "SECRET-CODE" })).await;
    let c = claim(&app, &p, "ana", &voucher).await;
    let (status, r) = app
        .me(&p.jwt("ana"), Method::POST, "/me/redemptions", Some(json!({ "claimId": c["id"], "outletId": cat.outlet, "location": null })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["code"], "SECRET-CODE");

    hooks.wait_for(Duration::from_secs(20), "two events at four endpoints and one at the filtered one", |got| got.len() >= 9).await;
    settled(&app.db).await;
    let got = hooks.received();
    assert_eq!(got.len(), 9, "nothing more, nothing twice: {:?}", got.iter().map(|r| (&r.path, &r.event["type"])).collect::<Vec<_>>());
    for r in &got {
        assert_eq!(r.verified, Ok(()), "{} delivery did not verify", r.path);
        assert_eq!(r.headers["content-type"], "application/json");
        let e = &r.event;
        assert!(e["id"].as_str().is_some_and(|id| !id.is_empty()) && e["createdAt"].is_string(), "{e}");
        assert!(!String::from_utf8_lossy(&r.body).contains("SECRET-CODE"), "a redemption code leaked into {}", r.path);
        assert_eq!(e["data"]["voucherTitle"], "{b}{r}RM38{/r}{/b} off", "titles keep their markup");
        assert_eq!(e["data"]["externalUserId"], "ana");
    }
    let filtered: Vec<_> = got.iter().filter(|r| r.path == "filtered").collect();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].event["type"], "REDEMPTION_CREATED");
    assert_eq!(filtered[0].event["data"]["status"], "FLAGGED");
    assert_eq!(filtered[0].event["data"]["flagReason"], "gps_unavailable");
    let claim_event = got.iter().find(|r| r.path == "hubble" && r.event["type"] == "CLAIM_CREATED").unwrap();
    assert_eq!(claim_event.event["data"]["claimId"], c["id"]);
    // The same event has the same id at every endpoint.
    let ids: std::collections::HashSet<_> =
        got.iter().filter(|r| r.event["type"] == "CLAIM_CREATED").map(|r| r.event["id"].clone()).collect();
    assert_eq!(ids.len(), 1);

    // `tessera webhook verify` agrees with the receiver, and refuses a tampered body.
    for scheme in ["tessera", "standard-webhooks", "hubble", "spaaza"] {
        let r = got.iter().find(|r| r.path == scheme).unwrap();
        let secret = hooks.secret_of(scheme);
        let headers: Vec<String> = r
            .headers
            .iter()
            .filter(|(k, _)| k.as_str().starts_with("x-") || k.as_str().starts_with("webhook-"))
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect();
        assert!(verify_cli(scheme, &secret, &headers, &r.body).await.0, "{scheme}: the CLI refused a genuine delivery");
        let mut tampered = r.body.to_vec();
        tampered.extend_from_slice(b" ");
        let (ok, output) = verify_cli(scheme, &secret, &headers, &tampered).await;
        assert!(!ok && output.contains("not valid"), "{scheme}: the CLI accepted a tampered body: {output}");
    }

    // Rotation: while the old secret lasts, `tessera` carries two v1 entries
    // (new first) and a receiver holding either secret verifies.
    let (_, list) = app.partner(&p, Method::GET, "/integrations/webhook-endpoints", None).await;
    let tessera_id =
        list.as_array().unwrap().iter().find(|e| e["url"] == hooks.url("tessera").as_str()).unwrap()["id"].as_str().unwrap().to_string();
    let old_secret = hooks.secret_of("tessera");
    let (status, rotated) = app
        .partner(
            &p,
            Method::POST,
            &format!("/integrations/webhook-endpoints/{tessera_id}/rotate-secret"),
            Some(&json!({ "graceSeconds": 3600 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    hooks.expect("tessera", "tessera", &new_secret);
    claim(&app, &p, "ben", &voucher).await;
    hooks
        .wait_for(Duration::from_secs(20), "the delivery after rotation", |got| got.iter().filter(|r| r.path == "tessera").count() == 3)
        .await;
    let after = hooks.received().into_iter().filter(|r| r.path == "tessera").nth(2).unwrap();
    assert_eq!(after.verified, Ok(()), "the new secret does not verify");
    let header = after.headers["x-signature"].to_str().unwrap().to_string();
    assert_eq!(header.matches("v1=").count(), 2, "{header}");
    let sig = vec![format!("X-Signature: {header}")];
    assert!(verify_cli("tessera", &old_secret, &sig, &after.body).await.0, "the old secret no longer verifies during the grace period");
    assert!(verify_cli("tessera", &new_secret, &sig, &after.body).await.0);
}

/// Runs `tessera webhook verify`; returns success and what it printed.
async fn verify_cli(scheme: &str, secret: &str, headers: &[String], body: &[u8]) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(crate::support::tessera_bin());
    cmd.args(["webhook", "verify", "--scheme", scheme, "--secret", secret]);
    for h in headers {
        cmd.args(["--header", h]);
    }
    let mut child =
        cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(body).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

async fn private_destinations_are_refused_unless_allowed(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await; // no allow-list
    let p = app.create_partner("acme").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "not a url",
    ] {
        let (status, body) = app.partner(&p, Method::POST, "/integrations/webhook-endpoints", Some(&json!({ "url": url }))).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{url}: {body}");
    }
    let (status, body) = app
        .partner(
            &p,
            Method::POST,
            "/integrations/webhook-endpoints",
            Some(&json!({ "url": "https://hooks.example.com/x", "eventTypes": ["NOPE"] })),
        )
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{body}");
    for (field, value) in [("secret", json!("s".repeat(257))), ("description", json!("d".repeat(501)))] {
        let mut body = json!({ "url": "https://hooks.example.com/x" });
        body[field] = value;
        let (status, answer) = app.partner(&p, Method::POST, "/integrations/webhook-endpoints", Some(&body)).await;
        assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{field}: {answer}");
        assert!(answer["error"]["details"]["fields"][field].is_string(), "{answer}");
    }
    let (status, body) = app
        .partner(
            &p,
            Method::POST,
            "/integrations/webhook-endpoints",
            Some(&json!({ "url": "https://hooks.example.com/x", "scheme": "md5" })),
        )
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"), "{body}");
    let (status, ok) = app
        .partner(
            &p,
            Method::POST,
            "/integrations/webhook-endpoints",
            Some(&json!({ "url": "https://hooks.example.com/x", "maxInFlight": 4 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ok}");
    assert!(ok["secret"].as_str().is_some_and(|s| s.starts_with("whk_")));
    // Secrets are never listed; other partners see nothing; the admin sees it.
    let (_, list) = app.partner(&p, Method::GET, "/integrations/webhook-endpoints", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none(), "{list}");
    let other = app.create_partner("other").await;
    let id = ok["id"].as_str().unwrap();
    let (status, _) = app.partner(&other, Method::GET, &format!("/integrations/webhook-endpoints/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.partner(&other, Method::DELETE, &format!("/integrations/webhook-endpoints/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin_view = app.admin_ok(Method::GET, &format!("/admin/webhook-endpoints/{id}"), None).await;
    assert_eq!(admin_view["maxInFlight"], 4);
    let rotated =
        app.admin_ok(Method::POST, &format!("/admin/webhook-endpoints/{id}/rotate-secret"), Some(json!({ "graceSeconds": 60 }))).await;
    assert!(rotated["secret"].as_str().is_some_and(|s| s != ok["secret"].as_str().unwrap()));
    assert!(rotated["previousSecretUntil"].is_string(), "{rotated}");
    let (status, _) = app.partner(&p, Method::DELETE, &format!("/integrations/webhook-endpoints/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

crate::backend_tests!(each_scheme_is_signed_verifiably_and_filtered_by_type, private_destinations_are_refused_unless_allowed,);
