//! A partner's stored settings — its theme and its webview settings — read
//! and replaced after the checks of [`crate::theme`] and [`crate::webview`]
//! (which stay pure: values and their rules, no database).

use super::*;
use crate::types::PartnerId;
use crate::{theme::Theme, webview::WebviewSettings};

/// A partner's theme (the defaults if none was set).
pub async fn theme(db: &Db, partner_id: &PartnerId) -> Result<Theme, ApiError> {
    Ok(get(db, partner_id).await?.theme())
}

/// Replaces a partner's theme after checking every value, pictures included.
pub async fn set_theme(p: &Platform, partner_id: &PartnerId, theme: &Theme) -> Result<Theme, ApiError> {
    theme.check()?;
    let db = &p.db;
    use crate::images::{Kind, check_ref};
    check_ref(db, "header.logoImageId", theme.header.logo_image_id.as_deref(), Kind::HeaderLogo).await?;
    check_ref(db, "coinImageId", theme.coin_image_id.as_deref(), Kind::Coin).await?;
    for (i, banner) in theme.banners.iter().enumerate() {
        let field = format!("banners[{i}].imageId");
        check_ref(db, &field, banner.image_id.as_deref(), Kind::Voucher).await?;
    }
    store_settings(p, partner_id, Settings::Theme, theme).await?;
    self::theme(db, partner_id).await
}

/// A partner's webview settings (the defaults if none were set).
pub async fn webview_settings(db: &Db, partner_id: &PartnerId) -> Result<WebviewSettings, ApiError> {
    Ok(get(db, partner_id).await?.webview())
}

/// Replaces a partner's webview settings after checking every value.
pub async fn set_webview_settings(p: &Platform, partner_id: &PartnerId, settings: &WebviewSettings) -> Result<WebviewSettings, ApiError> {
    settings.check()?;
    store_settings(p, partner_id, Settings::Webview, settings).await?;
    webview_settings(&p.db, partner_id).await
}
