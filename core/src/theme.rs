//! A partner's theme (SPEC §6): design tokens rendered on the server as CSS
//! custom properties, so the first response is already in the partner's
//! colours. Every value is checked before it is stored: only colours, sizes
//! and font names that cannot break out of a CSS declaration.

use crate::error::ApiError;
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
    /// https URL of a logo shown in the header, as it is. Prefer `logoImageId`.
    pub logo_url: Option<String>,
    /// A 12:5 logo uploaded with `POST /admin/images?kind=header_logo` (at least 96×40,
    /// seed 001), served resized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_image_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Banner {
    /// A 16:9 picture uploaded with `POST /admin/images?kind=voucher` (seed 001's banner,
    /// 353×199 and up), served in resized variants. Give this or `imageUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// https URL of an image hosted elsewhere, shown as it is. Give this or `imageId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// What the banner offers, in words ("20% off breakfast at Kopi Kita"): the picture's
    /// text for screen readers, and so the name of the link.
    #[serde(default)]
    pub alt: String,
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
    /// https URL of the partner's coin image, as it is. Prefer `coinImageId`.
    pub coin_image_url: Option<String>,
    /// A square coin uploaded with `POST /admin/images?kind=coin` (at least 20×20, seed
    /// 001), served resized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_image_id: Option<String>,
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
        for (name, id, url) in [
            ("header.logoImageId", &self.header.logo_image_id, &self.header.logo_url),
            ("coinImageId", &self.coin_image_id, &self.coin_image_url),
        ] {
            if id.as_deref().is_some_and(|id| !crate::images::is_image_id(id)) {
                problems.push((name.into(), "names no uploaded image (POST /admin/images)".into()));
            } else if id.is_some() && url.is_some() {
                problems.push((name.into(), "give an uploaded picture or a URL, not both".into()));
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
            match (&b.image_id, &b.image_url) {
                (Some(_), Some(_)) | (None, None) => {
                    problems.push((format!("banners[{i}]"), "give imageId (an uploaded picture) or imageUrl, not both".into()))
                }
                (None, Some(url)) if !is_https(url) => problems.push((format!("banners[{i}].imageUrl"), "must be an https URL".into())),
                _ => {}
            }
            if b.alt.trim().is_empty() || b.alt.chars().count() > 120 {
                problems
                    .push((format!("banners[{i}].alt"), "say what the banner offers in 1–120 characters (screen readers read it)".into()));
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
        if let Some(id) = &self.header.logo_image_id {
            // Checked by `check`: hex digits. The 2× variant (192×80): sharp on most
            // phones, and `image-set` is not in every webview a partner ships.
            let logo = crate::images::variant_path(id, crate::images::Kind::HeaderLogo.widths()[1]);
            decl(&mut root, "header-logo", &format!("url(\"{logo}\")"));
            decl(&mut root, "header-logo-display", "inline-block");
        } else if let Some(logo) = &self.header.logo_url {
            // Checked by `check`: an https URL without quotes, brackets or spaces.
            decl(&mut root, "header-logo", &format!("url(\"{logo}\")"));
            decl(&mut root, "header-logo-display", "inline-block");
        }
        match self.button_style {
            ButtonStyle::Pill => decl(&mut root, "button-radius", "999px"),
            ButtonStyle::Outline => {
                decl(&mut root, "button-background", "transparent");
                decl(&mut root, "button-text", "var(--t-primary-text)");
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
        let (mut light, mut dark) = (palette(&self.light), palette(&self.dark));
        // Text in the primary colour (links, chips, the current tab, outline
        // buttons) must stay readable on the surfaces of each mode, whatever
        // primary the partner picked: a darker or lighter shade when needed.
        if self.light.primary.is_some() || self.dark.primary.is_some() {
            let pick = |p: &Palette, fallback: &Palette, (surface, background): (&str, &str)| {
                let primary = p.primary.as_deref().or(fallback.primary.as_deref()).unwrap_or(DEFAULT_PRIMARY);
                readable(primary, p.surface.as_deref().unwrap_or(surface), p.background.as_deref().unwrap_or(background))
            };
            decl(&mut light, "primary-text", &pick(&self.light, &self.light, LIGHT_SURFACES));
            decl(&mut dark, "primary-text", &pick(&self.dark, &self.light, DARK_SURFACES));
            // Text on the primary (buttons, the header): black or white, whichever reads,
            // unless the designer chose it.
            for (p, out) in [(&self.light, &mut light), (&self.dark, &mut dark)] {
                if let (Some(primary), None) = (p.primary.as_deref(), p.on_primary.as_deref()) {
                    decl(out, "on-primary", on(primary));
                }
            }
        }
        let mut css = format!(":root{{{root}{light}}}");
        match self.mode {
            Mode::Auto => {
                if !dark.is_empty() {
                    css.push_str(&format!("@media (prefers-color-scheme: dark){{:root{{{dark}}}}}"));
                }
            }
            // Light always: the light values win over the stylesheet's dark defaults too.
            Mode::Light => css
                .push_str(&format!(":root{{color-scheme:light}}@media (prefers-color-scheme: dark){{:root{{{}{light}}}}}", LIGHT_DEFAULTS)),
            Mode::Dark => css.push_str(&format!(":root{{color-scheme:dark;{DARK_DEFAULTS}{dark}}}")),
        }
        css
    }
}

/// The stylesheet's primary and its light and dark (surface, background) (style/main.css).
const DEFAULT_PRIMARY: &str = "#0f766e";
const LIGHT_SURFACES: (&str, &str) = ("#ffffff", "#f6f7f9");
const DARK_SURFACES: (&str, &str) = ("#151d2e", "#0b1220");

fn rgb(hex: &str) -> Option<[f64; 3]> {
    let h = hex.strip_prefix('#')?;
    let full: String = match h.len() {
        3 | 4 => h.chars().take(3).flat_map(|c| [c, c]).collect(),
        6 | 8 => h[..6].to_string(),
        _ => return None,
    };
    let byte = |i: usize| u8::from_str_radix(&full[i..i + 2], 16).ok().map(f64::from);
    Some([byte(0)?, byte(2)?, byte(4)?])
}

fn luminance([r, g, b]: [f64; 3]) -> f64 {
    let f = |v: f64| {
        let s = v / 255.0;
        if s <= 0.03928 { s / 12.92 } else { ((s + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
}

/// WCAG contrast ratio of two colours.
fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

fn mix(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    [a[0] * t + b[0] * (1.0 - t), a[1] * t + b[1] * (1.0 - t), a[2] * t + b[2] * (1.0 - t)]
}

/// Black or white, whichever reads better on `colour`.
pub fn on(colour: &str) -> &'static str {
    match rgb(colour) {
        Some(c) if contrast(c, [0.0; 3]) > contrast(c, [255.0; 3]) => "#000000",
        _ => "#ffffff",
    }
}

/// `colour`, or the nearest shade of it (towards black on light surfaces,
/// white on dark) that reads at 4.5:1 or more as text on `surface`, on
/// `background`, and on a chip (12 % of the colour over either).
pub fn readable(colour: &str, surface: &str, background: &str) -> String {
    let (Some(c), Some(s), Some(b)) = (rgb(colour), rgb(surface), rgb(background)) else {
        return colour.to_string();
    };
    let grounds = [s, b, mix(c, s, 0.12), mix(c, b, 0.12)];
    let worst = |shade: [f64; 3]| grounds.iter().map(|g| contrast(shade, *g)).fold(f64::INFINITY, f64::min);
    if worst(c) >= 4.5 {
        return colour.to_string();
    }
    let towards = if luminance(s) > 0.4 { [0.0; 3] } else { [255.0; 3] };
    let mut t: f64 = 1.0;
    let mut shade = c;
    while worst(shade) < 4.6 && t > 0.0 {
        t -= 0.02;
        shade = mix(c, towards, t.max(0.0));
    }
    format!("#{:02x}{:02x}{:02x}", shade[0].round() as u8, shade[1].round() as u8, shade[2].round() as u8)
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
        let t = Theme { font_family: Some("x;}</style><script>".into()), ..Theme::default() };
        assert!(t.check().is_err());
    }

    #[test]
    fn a_primary_too_light_or_too_dark_for_text_gets_a_readable_shade() {
        // Already readable: kept.
        assert_eq!(readable("#0b5f58", "#ffffff", "#f6f7f9"), "#0b5f58");
        for (primary, light) in [("#facc15", true), ("#0f766e", false), ("#1e3a8a", false), ("#22d3ee", true)] {
            let (surface, background) = if light { ("#ffffff", "#f6f7f9") } else { ("#151d2e", "#0b1220") };
            let shade = readable(primary, surface, background);
            let c = rgb(&shade).unwrap();
            for against in [surface, background] {
                let ratio = contrast(c, rgb(against).unwrap());
                assert!(ratio >= 4.5, "{primary} → {shade} on {against}: {ratio:.2}");
            }
        }
        let css = Theme { light: Palette { primary: Some("#facc15".into()), ..Default::default() }, ..Default::default() }.css();
        assert!(css.contains("--t-primary:#facc15;") && css.contains("--t-primary-text:#"), "{css}");
        assert!(css.contains("@media (prefers-color-scheme: dark){:root{--t-primary-text:"), "the dark mode gets its own shade: {css}");
    }

    #[test]
    fn css_carries_the_tokens_for_each_mode() {
        let mut t = Theme::default();
        t.light.primary = Some("#ff0000".into());
        t.dark.primary = Some("#00ff00".into());
        let auto = t.css();
        // Pure red reads at 4.0:1 on white: its text shade is darker; green on the dark surface is kept.
        assert!(auto.starts_with(":root{--t-primary:#ff0000;--t-primary-text:#c70000;--t-on-primary:#000000;}"), "{auto}");
        assert!(
            auto.contains(
                "@media (prefers-color-scheme: dark){:root{--t-primary:#00ff00;--t-primary-text:#00ff00;--t-on-primary:#000000;}}"
            ),
            "{auto}"
        );
        t.mode = Mode::Dark;
        assert!(
            t.css().contains("color-scheme:dark;")
                && t.css().ends_with("--t-primary:#00ff00;--t-primary-text:#00ff00;--t-on-primary:#000000;}"),
            "{}",
            t.css()
        );
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
