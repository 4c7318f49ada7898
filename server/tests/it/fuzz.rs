//! Every operation of the OpenAPI document, called with hostile text in every
//! path parameter, query parameter and string field of its body — NUL
//! characters, quotes, very long and odd Unicode — authenticated as its
//! security scheme asks, on both engines (what the schemathesis runs found,
//! kept in CI): never a 500, and every refusal in SPEC §9's shape with a
//! catalogued code.

use crate::support::{
    Backend, TestServer,
    api::{OPERATOR_TOKEN, now_s},
};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

const HOSTILE: &[&str] =
    &["\u{0}", "a\u{0}b", "'; DROP TABLE users; --", "%", "%00", "../../admin", "🙂\u{202e}é", "", " ", "-1", "99999999999999999999999999"];

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(spec, &spec["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A value for `schema` with `text` in every free-text string.
fn example(spec: &Value, schema: &Value, text: &str, depth: usize) -> Value {
    let schema = resolve(spec, schema);
    if depth > 6 {
        return Value::Null;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(o) = example(spec, part, text, depth + 1) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array).and_then(|a| a.first()) {
        return example(spec, first, text, depth + 1);
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return e.clone();
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match kind {
        "object" => {
            let mut o = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    o.insert(k.clone(), example(spec, v, text, depth + 1));
                }
            }
            Value::Object(o)
        }
        "array" => json!([example(spec, &schema["items"], text, depth + 1)]),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => json!(text),
    }
}

async fn no_operation_answers_500_to_hostile_text(backend: Backend) {
    let app = TestServer::spawn_with(
        backend,
        &[
            ("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN),
            ("TESSERA_RATE_LIMIT_PARTNER_PER_MINUTE", "100000"),
            ("TESSERA_RATE_LIMIT_USER_PER_MINUTE", "100000"),
            ("TESSERA_RATE_LIMIT_SESSION_PER_MINUTE", "100000"),
        ],
    )
    .await;
    let p = app.create_partner("fuzzer").await;
    let (_, spec) = app.get_json("/openapi.json").await;
    let codes: Vec<String> = spec["x-error-codes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect();
    let mut calls = 0;
    let mut failures: Vec<String> = Vec::new();
    for (template, methods) in spec["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let security: Vec<String> =
                op["security"].as_array().into_iter().flatten().flat_map(|s| s.as_object().unwrap().keys().cloned()).collect();
            for text in HOSTILE {
                let mut path = template.clone();
                let mut query = Vec::new();
                for param in op["parameters"].as_array().into_iter().flatten() {
                    let name = param["name"].as_str().unwrap();
                    match param["in"].as_str() {
                        Some("path") => path = path.replace(&format!("{{{name}}}"), &encode(text)),
                        Some("query") => query.push(format!("{name}={}", encode(text))),
                        _ => {}
                    }
                }
                if !query.is_empty() {
                    path = format!("{path}?{}", query.join("&"));
                }
                let body = op["requestBody"]["content"]["application/json"]["schema"]
                    .as_object()
                    .map(|_| example(&spec, &op["requestBody"]["content"]["application/json"]["schema"], text, 0).to_string().into_bytes());
                let (status, answer) = if security.iter().any(|s| s == "partner_hmac") {
                    app.partner_raw(&p, method.clone(), &path, body.unwrap_or_default(), now_s(), &[]).await
                } else {
                    let mut req = app.request(method.clone(), &path);
                    if security.iter().any(|s| s == "operator") {
                        req = req.bearer_auth(OPERATOR_TOKEN);
                    } else if security.iter().any(|s| s == "bearer") {
                        req = req.bearer_auth(p.jwt("fuzz-user"));
                    }
                    if let Some(b) = body {
                        req = req.header("content-type", "application/json").body(b);
                    }
                    let res = req.send().await.unwrap();
                    let status = res.status();
                    (status, res.json::<Value>().await.unwrap_or(Value::Null))
                };
                calls += 1;
                let what = format!("{method} {template} with {text:?} → {status}: {answer}");
                if status == StatusCode::INTERNAL_SERVER_ERROR {
                    failures.push(what);
                } else if !status.is_success() && status != StatusCode::NOT_FOUND || answer.get("error").is_some() {
                    match answer["error"]["code"].as_str() {
                        Some(code) if codes.iter().any(|c| c == code) => {}
                        _ if status.is_success() || status == StatusCode::NOT_FOUND && answer.is_null() => {}
                        _ => failures.push(format!("not a catalogued §9 error: {what}")),
                    }
                }
            }
        }
    }
    assert!(calls > 700, "only {calls} calls: the document lost its operations?");
    assert!(failures.is_empty(), "{} of {calls} calls failed:\n{}", failures.len(), failures.join("\n"));
}

crate::backend_tests!(no_operation_answers_500_to_hostile_text);
