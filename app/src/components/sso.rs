use leptos::prelude::*;

/// A refused SSO sign-in, as the page shows it (see `tessera_core::sso`).
#[derive(Debug, Clone, PartialEq)]
struct Refusal {
    code: tessera_core::codes::ErrorCode,
    message: String,
    /// URL, method, status, body, curl: sandbox partners only.
    debug: Option<(String, String, Option<u16>, String, String)>,
}

#[cfg(feature = "ssr")]
fn refusal() -> Option<Refusal> {
    let parts = use_context::<http::request::Parts>()?;
    let f = parts.extensions.get::<tessera_core::sso::SsoFailure>()?.clone();
    Some(Refusal { code: f.code, message: f.message, debug: f.debug.map(|d| (d.url, d.method, d.status, d.body, d.curl)) })
}

/// When the server refused this page's SSO sign-in: the error screen (the
/// boot script tells the host `error` with the code), and for sandbox
/// partners what was called and answered, and a curl command reproducing it.
#[component]
pub fn SsoRefusal() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let refused = refusal();
    #[cfg(not(feature = "ssr"))]
    let refused: Option<Refusal> = None;
    refused.map(|r| {
        view! {
            <div class="boot-error" role="alert" data-code=r.code.as_str() data-boot-error=r.message.clone()>
                <h1>{crate::i18n::t("sso-title")}</h1>
                <p>{r.message.clone()}" "{crate::i18n::t("sso-again")}</p>
                <p class="boot-actions"><button type="button" class="button" data-bridge-close="">{crate::i18n::t("nav-close")}</button></p>
                {r.debug.map(|(url, method, status, body, curl)| view! {
                    <details class="sso-debug" open>
                        <summary>"Debug (sandbox partners only)"</summary>
                        <dl>
                            <dt>"Called"</dt><dd class="sso-url">{format!("{method} {url}")}</dd>
                            <dt>"Status"</dt><dd class="sso-status">{status.map(|s| s.to_string()).unwrap_or_else(|| "no answer".into())}</dd>
                            <dt>"Body"</dt><dd><pre class="sso-body">{body}</pre></dd>
                            <dt>"Reproduce"</dt>
                            <dd>
                                <pre class="sso-curl" id="sso-curl">{curl}</pre>
                                <button type="button" class="button secondary" data-copy="#sso-curl">"Copy the command"</button>
                            </dd>
                        </dl>
                    </details>
                })}
            </div>
        }
    })
}
