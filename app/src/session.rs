//! Who is using the webview: the platform session in the `tessera_session`
//! cookie, read on the server while rendering.

/// The cookie set by `POST /consumer/session`.
pub const COOKIE: &str = "tessera_session";

/// The signed-in user, as pages need them: their partner, Tessera's id and
/// the partner's id for them (resolved by `tessera_core::sessions::holder`).
#[cfg(feature = "ssr")]
pub use tessera_core::claims::Holder as Viewer;

/// The session token in a `Cookie` header, if any.
pub fn token_in(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// The viewer of the request being rendered, or `session_required`.
#[cfg(feature = "ssr")]
pub async fn viewer() -> Result<Viewer, crate::error::AppError> {
    use crate::error::AppError;
    let platform = crate::error::platform()?;
    let parts = leptos::prelude::use_context::<http::request::Parts>();
    let token = parts
        .as_ref()
        .and_then(|p| p.headers.get(http::header::COOKIE))
        .and_then(|v| v.to_str().ok())
        .and_then(token_in)
        .map(str::to_owned);
    let Some(token) = token else {
        return Err(AppError {
            code: tessera_core::codes::ErrorCode::SessionRequired,
            message: "Open this screen from your app to see your vouchers.".into(),
        });
    };
    Ok(tessera_core::sessions::holder(&platform.db, &token, tessera_core::clock::now_ms()).await?)
}

/// The signed-in viewer, or `None` when the request carries no valid session
/// (screens that also work signed out, such as the home page).
#[cfg(feature = "ssr")]
pub async fn viewer_if_any() -> Option<Viewer> {
    viewer().await.ok()
}

/// The `clientId` of the request being rendered, if any.
#[cfg(feature = "ssr")]
pub fn client_id() -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    tessera_core::webview::client_id(parts.uri.query()).map(tessera_core::types::PartnerId::into_string)
}

/// The partner the page is shown for: `clientId`, else the session's.
#[cfg(feature = "ssr")]
pub async fn partner() -> Option<tessera_core::partners::Partner> {
    let platform = crate::error::platform().ok()?;
    let id = match client_id() {
        Some(id) => tessera_core::types::PartnerId::new(id),
        None => viewer_if_any().await?.partner_id,
    };
    tessera_core::partners::find_recent(&platform, &id).await.ok().flatten()
}

/// An in-app link that keeps the partner's `clientId` (so a framed, signed-out
/// webview stays themed and frameable as it navigates).
pub fn href(path: &str) -> String {
    #[cfg(feature = "ssr")]
    if let Some(id) = client_id() {
        return with_client_id(path, &id);
    }
    path.to_string()
}

/// The `clientId` links must keep, for an island to build its own links in
/// the browser (where the request is not known): pass it as a prop.
pub fn link_client_id() -> Option<String> {
    #[cfg(feature = "ssr")]
    return client_id();
    #[cfg(not(feature = "ssr"))]
    None
}

/// `path` with the `clientId` of [`link_client_id`], if any.
pub fn href_with(path: &str, client_id: Option<&str>) -> String {
    match client_id {
        Some(id) => with_client_id(path, id),
        None => path.to_string(),
    }
}

/// `path` with `clientId=id` added to its query (before any `#fragment`).
pub fn with_client_id(path: &str, id: &str) -> String {
    let (path, fragment) = path.split_once('#').map_or((path, None), |(p, f)| (p, Some(f)));
    let sep = if path.contains('?') { '&' } else { '?' };
    match fragment {
        Some(f) => format!("{path}{sep}clientId={id}#{f}"),
        None => format!("{path}{sep}clientId={id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_goes_in_the_query_before_the_fragment() {
        assert_eq!(with_client_id("/docs/sso#encode-the-token", "demo"), "/docs/sso?clientId=demo#encode-the-token");
        assert_eq!(with_client_id("/consumer/search?q=a", "p1"), "/consumer/search?q=a&clientId=p1");
        assert_eq!(with_client_id("/docs", "p1"), "/docs?clientId=p1");
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        assert_eq!(token_in("a=1; tessera_session=ses_x; b=2"), Some("ses_x"));
        assert_eq!(token_in("tessera_session="), None);
        assert_eq!(token_in("other_tessera_session=ses_y"), None);
    }
}
