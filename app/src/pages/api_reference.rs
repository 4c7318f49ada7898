use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reference {
    pub title: String,
    pub version: String,
    pub description: String,
    pub sections: Vec<Section>,
    pub schemas: Vec<(String, String)>,
    pub errors: Vec<(String, u16, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Section {
    pub tag: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Operation {
    /// The OpenAPI operationId: the operation's anchor (`/docs/api#upsert_user`).
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub params: Vec<(String, String, bool, String)>,
    pub request: Option<String>,
    pub responses: Vec<(String, String, Option<String>)>,
}

/// The API reference, read from the OpenAPI document the server generated.
#[server]
pub async fn api_reference() -> Result<Reference, AppError> {
    let doc = use_context::<tessera_core::ApiReference>()
        .ok_or_else(|| AppError { code: tessera_core::codes::ErrorCode::InternalError, message: "No API document.".into() })?;
    Ok(Reference::from_openapi(&doc.0))
}

#[cfg(feature = "ssr")]
impl Reference {
    /// The reference as the OpenAPI document describes it.
    pub fn from_openapi(doc: &serde_json::Value) -> Reference {
        use serde_json::Value;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let schema_name = |v: &Value| -> Option<String> {
            let s = &v["content"]["application/json"]["schema"];
            let r = s["$ref"].as_str().or_else(|| s["items"]["$ref"].as_str())?;
            let name = r.rsplit('/').next()?.to_string();
            Some(if s["items"].is_object() { format!("[{name}]") } else { name })
        };
        let mut sections: Vec<Section> = doc["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| Section { tag: text(&t["name"]), description: text(&t["description"]), operations: vec![] })
            .collect();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let tag = op["tags"][0].as_str().unwrap_or("other");
                let operation = Operation {
                    id: text(&op["operationId"]),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().or(op["description"].as_str()).unwrap_or_default().to_string(),
                    params: op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| (text(&p["name"]), text(&p["in"]), p["required"].as_bool().unwrap_or(false), text(&p["description"])))
                        .collect(),
                    request: op.get("requestBody").and_then(schema_name),
                    responses: op["responses"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(status, r)| (status.clone(), text(&r["description"]), schema_name(r)))
                        .collect(),
                };
                if let Some(section) = sections.iter_mut().find(|s| s.tag == tag) {
                    section.operations.push(operation);
                }
            }
        }
        let schemas = doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, s)| (name.clone(), serde_json::to_string_pretty(s).unwrap_or_default()))
            .collect();
        let errors = doc["x-error-codes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| (text(&e["code"]), e["status"].as_u64().unwrap_or(0) as u16, text(&e["description"])))
            .collect();
        Reference {
            title: text(&doc["info"]["title"]),
            version: text(&doc["info"]["version"]),
            description: text(&doc["info"]["description"]),
            sections,
            schemas,
            errors,
        }
    }

    /// The reference as Markdown (`docs/api.md`, for reading it in the repository),
    /// with the anchors `/docs/api` has: each operationId, `tag-…`, `errors`,
    /// `error-…`, `schemas`, `schema-…` — so a guide's `api.md#upsert_user` link
    /// works on both.
    pub fn markdown(&self) -> String {
        use std::fmt::Write;
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut md = format!(
            "# {} {} — API reference\n\n<!-- Generated from openapi.json by `tessera openapi --write`; do not edit. \
             Served, with the same anchors, at /docs/api. -->\n\n{}\n\n",
            self.title, self.version, self.description
        );
        for s in &self.sections {
            let _ = write!(md, "<a id=\"tag-{}\"></a>\n\n## {}\n\n{}\n\n", s.tag, s.tag, s.description);
            for op in &s.operations {
                let _ = write!(md, "<a id=\"{}\"></a>\n\n### `{} {}`\n\n{}\n\n", op.id, op.method, op.path, op.summary);
                if !op.params.is_empty() {
                    md.push_str("| parameter | in | required | |\n| --- | --- | --- | --- |\n");
                    for (name, place, required, description) in &op.params {
                        let _ = writeln!(md, "| `{name}` | {place} | {} | {} |", if *required { "yes" } else { "no" }, cell(description));
                    }
                    md.push('\n');
                }
                if let Some(request) = &op.request {
                    let _ = write!(md, "Body: {}\n\n", schema_link(request));
                }
                md.push_str("| status | | body |\n| --- | --- | --- |\n");
                for (status, description, schema) in &op.responses {
                    let _ =
                        writeln!(md, "| {status} | {} | {} |", cell(description), schema.as_deref().map(schema_link).unwrap_or_default());
                }
                md.push('\n');
            }
        }
        md.push_str("<a id=\"errors\"></a>\n\n## Error codes\n\n| code | status | meaning |\n| --- | --- | --- |\n");
        for (code, status, description) in &self.errors {
            let _ = writeln!(md, "| <a id=\"error-{code}\"></a>`{code}` | {status} | {} |", cell(description));
        }
        md.push_str("\n<a id=\"schemas\"></a>\n\n## Schemas\n\n");
        for (name, body) in &self.schemas {
            let _ = write!(md, "<a id=\"schema-{name}\"></a>\n\n### `{name}`\n\n```json\n{body}\n```\n\n");
        }
        md
    }
}

/// `Voucher` → a link to its schema; `[Voucher]` (a list) likewise.
#[cfg(feature = "ssr")]
fn schema_link(name: &str) -> String {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    format!("[`{name}`](#schema-{bare})")
}

/// `/docs/api`: every route, schema and error code, from `/openapi.json`.
#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| api_reference());
    view! {
        <Title text="API reference · Docs"/>
        <super::docs::DocsLayout current="api".to_string()>
        <article class="docs-page docs">
            <Suspense fallback=|| view! { <p class="state state-loading">"Loading the reference…"</p> }>
                {move || Suspend::new(async move {
                    match reference.await {
                        Ok(r) => view! { <ReferenceView r/> }.into_any(),
                        Err(e) => view! { <p class="state state-error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </article>
        </super::docs::DocsLayout>
    }
}

#[component]
fn ReferenceView(r: Reference) -> impl IntoView {
    view! {
        <h1>{r.title}" "<small>{r.version}</small></h1>
        <p>{r.description}</p>
        <p><a href="/openapi.json">"Download openapi.json"</a>" (OpenAPI 3.1: import it into Postman, Insomnia or a code generator)."</p>
        <nav class="toc">
            <a href="#errors">"Error codes"</a>
            {r.sections.iter().map(|s| view! { " · " <a href=format!("#tag-{}", s.tag)>{s.tag.clone()}</a> }).collect_view()}
            " · " <a href="#schemas">"Schemas"</a>
        </nav>
        {r.sections.into_iter().map(|s| view! {
            <section id=format!("tag-{}", s.tag)>
                <h2>{s.tag.clone()}</h2>
                <p>{s.description}</p>
                {s.operations.into_iter().map(|op| view! {
                    <article class="operation" id=op.id.clone()>
                        <h3><a class="anchor" href=format!("#{}", op.id) aria-label="Link to this operation">"#"</a>" "<code class=format!("method method-{}", op.method.to_lowercase())>{op.method.clone()}</code>" "<code>{op.path.clone()}</code></h3>
                        <p>{op.summary}</p>
                        {(!op.params.is_empty()).then(|| view! {
                            <table><thead><tr><th>"Parameter"</th><th>"In"</th><th>"Required"</th><th>"Description"</th></tr></thead><tbody>
                                {op.params.into_iter().map(|(n, i, req, d)| view! { <tr><td><code>{n}</code></td><td>{i}</td><td>{if req { "yes" } else { "no" }}</td><td>{d}</td></tr> }).collect_view()}
                            </tbody></table>
                        })}
                        {op.request.map(|s| view! { <p>"Body: "<a href=format!("#schema-{}", s.trim_matches(['[', ']']))><code>{s.clone()}</code></a></p> })}
                        <table><thead><tr><th>"Status"</th><th>"Meaning"</th><th>"Body"</th></tr></thead><tbody>
                            {op.responses.into_iter().map(|(st, d, s)| view! { <tr><td>{st}</td><td>{d}</td><td>{s.map(|s| view! { <code>{s}</code> })}</td></tr> }).collect_view()}
                        </tbody></table>
                    </article>
                }.into_any()).collect_view()}
            </section>
        }.into_any()).collect_view()}
        <section id="errors">
            <h2>"Error codes"</h2>
            <p>"Every error is "<code>"{\"error\": {\"code\", \"message\", \"details\"}}"</code>" with the status below."</p>
            <table><thead><tr><th>"Code"</th><th>"Status"</th><th>"Meaning"</th></tr></thead><tbody>
                {r.errors.into_iter().map(|(c, s, d)| view! { <tr id=format!("error-{c}")><td><code>{c.clone()}</code></td><td>{s}</td><td>{d}</td></tr> }).collect_view()}
            </tbody></table>
        </section>
        <section id="schemas">
            <h2>"Schemas"</h2>
            {r.schemas.into_iter().map(|(name, body)| view! {
                <details id=format!("schema-{name}")><summary><code>{name.clone()}</code></summary><pre>{body}</pre></details>
            }.into_any()).collect_view()}
        </section>
    }
}
