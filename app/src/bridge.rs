//! The host bridge as the islands use it: thin calls into the boot script's
//! `window.tesseraBridge` (app/src/boot.js), which knows every host. On the
//! server these are never called (event handlers run only in the browser);
//! they compile to nothing there.

use serde::Deserialize;

/// What the device said when asked where it is.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Located {
    Granted {
        lat: f64,
        lng: f64,
        #[serde(rename = "accuracyM")]
        accuracy_m: Option<f64>,
    },
    Denied,
    Unavailable,
    Timeout,
}

impl Located {
    /// The `status` a `location_permission` analytics event reports.
    pub fn status(&self) -> &'static str {
        match self {
            Located::Granted { .. } => "granted",
            Located::Denied => "denied",
            Located::Unavailable => "unavailable",
            Located::Timeout => "timeout",
        }
    }
}

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = tesseraBridge, js_name = analytics)]
        pub fn analytics(event: &str, properties_json: &str);
        #[wasm_bindgen(js_namespace = tesseraBridge, js_name = error)]
        pub fn error(code: &str, message: &str);
        #[wasm_bindgen(js_namespace = tesseraBridge, js_name = locate)]
        pub fn locate() -> js_sys::Promise;
        #[wasm_bindgen(js_namespace = tesseraBridge, js_name = copy)]
        pub fn copy(text: &str) -> js_sys::Promise;
    }
}

/// Sends `{type: "analytics", event, properties}` to the host.
pub fn analytics(event: &str, properties: serde_json::Value) {
    #[cfg(feature = "hydrate")]
    js::analytics(event, &properties.to_string());
    #[cfg(not(feature = "hydrate"))]
    let _ = (event, properties);
}

/// Tells the host about a failure it may act on — the connection is gone, the
/// server is busy, the session ended (the host can open the webview again with
/// a fresh token): `{type: "action", action: "error", code, message, fatal: false}`.
/// A refusal the screen explains itself (out of stock, too far) is not sent.
pub fn report(error: &crate::error::AppError) {
    use tessera_core::codes::ErrorCode;
    const FOR_THE_HOST: [ErrorCode; 6] = [
        ErrorCode::NetworkError,
        ErrorCode::RequestFailed,
        ErrorCode::ServiceUnavailable,
        ErrorCode::SessionRequired,
        ErrorCode::SessionExpired,
        ErrorCode::RateLimited,
    ];
    if FOR_THE_HOST.contains(&error.code) {
        #[cfg(feature = "hydrate")]
        js::error(error.code.as_str(), &error.message);
    }
}

/// Asks the device for its position (the browser prompts the first time).
pub async fn locate() -> Located {
    #[cfg(feature = "hydrate")]
    {
        let answer = wasm_bindgen_futures::JsFuture::from(js::locate()).await.ok().and_then(|v| v.as_string());
        answer.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or(Located::Unavailable)
    }
    #[cfg(not(feature = "hydrate"))]
    Located::Unavailable
}

/// Copies text to the clipboard; true when it was copied.
pub async fn copy(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        wasm_bindgen_futures::JsFuture::from(js::copy(text)).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_boot_script_answers() {
        let granted: Located = serde_json::from_str(r#"{"status":"granted","lat":3.1,"lng":101.7,"accuracyM":12}"#).unwrap();
        assert_eq!(granted, Located::Granted { lat: 3.1, lng: 101.7, accuracy_m: Some(12.0) });
        let denied: Located = serde_json::from_str(r#"{"status":"denied"}"#).unwrap();
        assert_eq!(denied.status(), "denied");
        assert!(serde_json::from_str::<Located>(r#"{"status":"maybe"}"#).is_err());
    }
}
