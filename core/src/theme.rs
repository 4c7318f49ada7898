//! A partner's theme (SPEC §6): design tokens rendered on the server as CSS
//! custom properties, so the first response is already in the partner's
//! colours. Every value is checked before it is stored: only colours, sizes
//! and font names that cannot break out of a CSS declaration.

use crate::{db::Db, error::ApiError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Light,
    Dark,
    #[default]
    Auto,
}

/// Colours as CSS hex (`#rgb`, `#rrggbb` or `#rrggbbaa`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Palette {
    pub primary: Option<String>,
    pub on_primary: Option<String>,
    pub secondary: Option<String>,
    pub background: Option<String>,
    pub surface: Option<String>,
    pub text: Option<String>,
    pub muted: Option<String>,
    pub danger: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    pub background: Option<String>,
    pub text: Option<String>,
    /// https URL of a logo shown in the header.
    pub logo_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Banner {
    /// https URL of the image.
    pub image_url: String,
    /// A webview deep link (`/consumer/…`) opened on tap.
    pub link: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ButtonStyle {
    #[default]
    Filled,
    Outline,
    Pill,
}

/// Everything a designer can set; absent values keep Tessera's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Theme {
    /// light, dark, or auto (follows the device).
    #[serde(default)]
    pub mode: Mode,
    /// Colours in light mode (and in dark mode for what `dark` leaves out).
    #[serde(default)]
    pub light: Palette,
    /// Colours in dark mode.
    #[serde(default)]
    pub dark: Palette,
    /// Corner radius in CSS pixels, 0–32.
    pub radius_px: Option<u8>,
    /// A font-family list of names, e.g. `"Inter", system-ui, sans-serif`.
    pub font_family: Option<String>,
    /// Text size factor, 0.8–1.4.
    pub font_scale: Option<f32>,
    #[serde(default)]
    pub header: Header,
    #[serde(default)]
    pub button_style: ButtonStyle,
    pub search_placeholder: Option<String>,
    /// https URL of the partner's coin image.
    pub coin_image_url: Option<String>,
    #[serde(default)]
    pub banners: Vec<Banner>,
}

fn is_colour(v: &str) -> bool {
    let hex = v.strip_prefix('#').unwrap_or("");
    matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_https(v: &str) -> bool {
    // Nothing that could end a CSS string or url() either: the logo goes into one.
    let inert = !v.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'()\\<>".contains(c));
    inert && url::Url::parse(v).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

impl Theme {
    /// Every problem, by field, or nothing.
    pub fn check(&self) -> Result<(), ApiError> {
        let mut problems: Vec<(String, String)> = Vec::new();
        for (prefix, palette) in [("light", &self.light), ("dark", &self.dark)] {
            for (name, value) in palette.entries() {
                if !is_colour(value) {
                    problems.push((format!("{prefix}.{name}"), "must be a hex colour like #0f766e".into()));
                }
            }
        }
        for (name, value) in [("header.background", &self.header.background), ("header.text", &self.header.text)] {
            if value.as_deref().is_some_and(|v| !is_colour(v)) {
                problems.push((name.into(), "must be a hex colour like #0f766e".into()));
            }
        }
        if self.radius_px.is_some_and(|r| r > 32) {
            problems.push(("radiusPx".into(), "must be 0–32".into()));
        }
        if self.font_scale.is_some_and(|s| !(0.8..=1.4).contains(&s)) {
            problems.push(("fontScale".into(), "must be 0.8–1.4".into()));
        }
        if let Some(f) = &self.font_family {
            let safe = f.chars().all(|c| c.is_ascii_alphanumeric() || " ,-_'\"".contains(c));
            if f.trim().is_empty() || f.len() > 200 || !safe {
                problems.push(("fontFamily".into(), "must be font names: letters, digits, spaces, commas, quotes, - and _".into()));
            }
        }
        for (name, value) in [("header.logoUrl", &self.header.logo_url), ("coinImageUrl", &self.coin_image_url)] {
            if value.as_deref().is_some_and(|v| !is_https(v)) {
                problems.push((name.into(), "must be an https URL".into()));
            }
        }
        if self.search_placeholder.as_deref().is_some_and(|p| p.chars().count() > 80) {
            problems.push(("searchPlaceholder".into(), "must be at most 80 characters".into()));
        }
        if self.banners.len() > 10 {
            problems.push(("banners".into(), "at most 10".into()));
        }
        for (i, b) in self.banners.iter().enumerate() {
            if !is_https(&b.image_url) {
                problems.push((format!("banners[{i}].imageUrl"), "must be an https URL".into()));
            }
            if !b.link.starts_with("/consumer") || b.link.contains("//") {
                problems.push((format!("banners[{i}].link"), "must be a webview deep link starting with /consumer".into()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(problems.iter().map(|(f, m)| (f.as_str(), m.clone())).collect()))
        }
    }

    /// The CSS that applies the theme over the stylesheet's defaults.
    pub fn css(&self) -> String {
        let mut root = String::new();
        let decl = |out: &mut String, var: &str, value: &str| out.push_str(&format!("--t-{var}:{value};"));
        if let Some(r) = self.radius_px {
            decl(&mut root, "radius", &format!("{r}px"));
        }
        if let Some(f) = &self.font_family {
            decl(&mut root, "font", f);
        }
        if let Some(s) = self.font_scale {
            decl(&mut root, "font-scale", &format!("{s}"));
        }
        if let Some(c) = &self.header.background {
            decl(&mut root, "header-background", c);
        }
        if let Some(c) = &self.header.text {
            decl(&mut root, "header-text", c);
        }
        if let Some(logo) = &self.header.logo_url {
            // Checked by `check`: an https URL without quotes, brackets or spaces.
            decl(&mut root, "header-logo", &format!("url(\"{logo}\")"));
            decl(&mut root, "header-logo-display", "inline-block");
        }
        match self.button_style {
            ButtonStyle::Pill => decl(&mut root, "button-radius", "999px"),
            ButtonStyle::Outline => {
                decl(&mut root, "button-background", "transparent");
                decl(&mut root, "button-text", "var(--t-primary)");
            }
            ButtonStyle::Filled => {}
        }
        let palette = |p: &Palette| {
            let mut out = String::new();
            for (name, value) in p.entries() {
                decl(&mut out, name, value);
            }
            out
        };
        let (light, dark) = (palette(&self.light), palette(&self.dark));
        let mut css = format!(":root{{{root}{light}}}");
        match self.mode {
            Mode::Auto => {
                if !dark.is_empty() {
                    css.push_str(&format!("@media (prefers-color-scheme: dark){{:root{{{dark}}}}}"));
                }
            }
            // Light always: the light values win over the stylesheet's dark defaults too.
            Mode::Light => css.push_str(&format!(
                ":root{{color-scheme:light}}@media (prefers-color-scheme: dark){{:root{{{}{light}}}}}",
                LIGHT_DEFAULTS
            )),
            Mode::Dark => css.push_str(&format!(":root{{color-scheme:dark;{DARK_DEFAULTS}{dark}}}")),
        }
        css
    }
}

/// The stylesheet's light values for what its dark block changes (style/main.css).
const LIGHT_DEFAULTS: &str = "--t-background:#f6f7f9;--t-surface:#ffffff;--t-text:#111827;--t-muted:#6b7280;\
--t-border:#e5e7eb;--t-highlight:#fee2e2;--t-highlight-text:#b91c1c;";
/// The stylesheet's dark values (style/main.css).
const DARK_DEFAULTS: &str = "--t-background:#0b1220;--t-surface:#151d2e;--t-text:#f3f4f6;--t-muted:#9ca3af;\
--t-border:#263247;--t-highlight:#4c1d1d;--t-highlight-text:#fca5a5;";

impl Palette {
    fn entries(&self) -> Vec<(&'static str, &str)> {
        [
            ("primary", &self.primary),
            ("on-primary", &self.on_primary),
            ("secondary", &self.secondary),
            ("background", &self.background),
            ("surface", &self.surface),
            ("text", &self.text),
            ("muted", &self.muted),
            ("danger", &self.danger),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.as_deref().map(|v| (n, v)))
        .collect()
    }
}

/// A partner's theme (the defaults if none was set).
pub async fn get(db: &Db, partner_id: &str) -> Result<Theme, ApiError> {
    Ok(crate::partners::get(db, partner_id).await?.theme())
}

/// Replaces a partner's theme after checking every value.
pub async fn set(db: &Db, partner_id: &str, theme: &Theme) -> Result<Theme, ApiError> {
    theme.check()?;
    let done = sqlx::query("UPDATE partners SET theme = $2, updated_at = $3 WHERE id = $1")
        .bind(partner_id)
        .bind(serde_json::to_string(theme).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?)
        .bind(crate::clock::now_ms())
        .execute(db.pool())
        .await?;
    crate::partners::updated(db, partner_id, done.rows_affected())?;
    get(db, partner_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_values_pass() {
        let mut t = Theme::default();
        t.light.primary = Some("#ff0000".into());
        t.font_family = Some("\"Inter\", system-ui, sans-serif".into());
        assert!(t.check().is_ok());
        for bad in ["red", "#ff0000;}body{display:none", "#12345", "url(x)"] {
            let mut t = Theme::default();
            t.light.primary = Some(bad.into());
            assert!(t.check().is_err(), "{bad} passed");
        }
        let mut t = Theme::default();
        t.font_family = Some("x;}</style><script>".into());
        assert!(t.check().is_err());
    }

    #[test]
    fn css_carries_the_tokens_for_each_mode() {
        let mut t = Theme::default();
        t.light.primary = Some("#ff0000".into());
        t.dark.primary = Some("#00ff00".into());
        let auto = t.css();
        assert!(auto.starts_with(":root{--t-primary:#ff0000;}"), "{auto}");
        assert!(auto.contains("@media (prefers-color-scheme: dark){:root{--t-primary:#00ff00;}}"), "{auto}");
        t.mode = Mode::Dark;
        assert!(t.css().contains("color-scheme:dark;") && t.css().ends_with("--t-primary:#00ff00;}"), "{}", t.css());
        t.mode = Mode::Light;
        assert!(t.css().contains("color-scheme:light"), "{}", t.css());
    }

    #[test]
    fn logo_and_button_style_become_properties_and_a_logo_cannot_break_out() {
        let mut t = Theme::default();
        t.header.logo_url = Some("https://cdn.example.com/logo.svg".into());
        t.button_style = ButtonStyle::Outline;
        assert!(t.check().is_ok());
        let css = t.css();
        assert!(css.contains(r#"--t-header-logo:url("https://cdn.example.com/logo.svg");"#), "{css}");
        assert!(css.contains("--t-button-background:transparent;"), "{css}");
        for bad in [r#"https://x.com/a");}body{x:url("y"#, "https://x.com/a b", "https://x.com/a)", "http://x.com/a.png"] {
            t.header.logo_url = Some(bad.into());
            assert!(t.check().is_err(), "{bad} was accepted");
        }
    }
}
