use crate::{components::VoucherTitle, error::AppError};
use leptos::prelude::*;
use leptos_meta::Title;

/// The CSS a theme renders to, after the same checks as saving: the editor's
/// live preview. Reads and writes nothing, so it needs no token.
#[server(endpoint = "theme_editor_preview")]
pub async fn theme_editor_preview(theme_json: String) -> Result<String, AppError> {
    let theme: tessera_core::theme::Theme = serde_json::from_str(&theme_json).map_err(|e| AppError {
        code: tessera_core::codes::ErrorCode::ValidationFailed,
        message: format!("The theme is not valid: {e}."),
    })?;
    theme.check()?;
    Ok(theme.css())
}

/// The editor's script: plain JavaScript, not an island. It is an operator's
/// tool, and every island ships in the one bundle every end user downloads
/// (as an island it added 63 KB gzip to it).
const EDITOR_JS: &str = include_str!("theme_editor.js");

/// `/consumer/theme-editor`: designers edit a partner's theme with a live
/// preview of each screen, then save (with the operator token).
#[component]
pub fn ThemeEditorPage() -> impl IntoView {
    view! {
        <Title text="Theme editor"/>
        <main class="theme-editor">
            <h1>"Theme editor"</h1>
            <p class="hint">"Changes show in the preview as you make them; nothing is saved until you save. "
                "Screens that need a signed-in user show their signed-out state."</p>
            <p class="hint">"Sample title markup: "<VoucherTitle title="{b}Bold{/b}, {r}highlighted{/r} and {s}struck{/s}"/></p>
            <form class="editor-signin" id="editor-signin">
                <label>"Partner id"<input name="partner" required value="demo"/></label>
                <label>"Operator token"<input name="operator-token" type="password" autocomplete="off" required/></label>
                <button class="button" type="submit">"Load theme"</button>
            </form>
            <p class="editor-error" role="alert" hidden></p>
            <div class="editor-layout" hidden>
                <form class="editor-fields" id="editor-fields">
                    {fields().into_iter().map(|(path, label, kind)| view! { <Field path label kind/> }).collect_view()}
                    <button class="button save" type="submit">"Save theme"</button>
                    <p class="editor-saved" role="status" hidden>"Saved: every screen now renders with it."</p>
                </form>
                <div class="editor-preview">
                    <label>"Screen "
                        <select id="preview-screen">
                            {SCREENS.into_iter().map(|(path, name)| view! { <option value=path>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    <iframe id="theme-preview" title="Preview"></iframe>
                </div>
            </div>
            <script nonce=leptos::nonce::use_nonce() inner_html=EDITOR_JS></script>
        </main>
    }
}

/// What a field edits and how.
#[derive(Clone, Copy)]
enum Kind {
    Colour,
    Text,
    Number { min: f64, max: f64, step: f64 },
    Choice(&'static [&'static str]),
    Json,
}

const PALETTE: [(&str, &str); 8] = [
    ("primary", "Primary"),
    ("onPrimary", "On primary"),
    ("secondary", "Secondary"),
    ("background", "Background"),
    ("surface", "Surface"),
    ("text", "Text"),
    ("muted", "Muted"),
    ("danger", "Danger"),
];

/// Every token of SPEC §6, by its path in the theme JSON.
fn fields() -> Vec<(String, String, Kind)> {
    let mut out: Vec<(String, String, Kind)> = vec![("mode".into(), "Mode".into(), Kind::Choice(&["auto", "light", "dark"]))];
    for (prefix, label) in [("light", "Light"), ("dark", "Dark")] {
        for (key, name) in PALETTE {
            out.push((format!("{prefix}.{key}"), format!("{label} · {name}"), Kind::Colour));
        }
    }
    out.extend([
        ("radiusPx".to_string(), "Corner radius (px)".to_string(), Kind::Number { min: 0.0, max: 32.0, step: 1.0 }),
        ("fontFamily".into(), "Font family".into(), Kind::Text),
        ("fontScale".into(), "Font scale".into(), Kind::Number { min: 0.8, max: 1.4, step: 0.05 }),
        ("header.background".into(), "Header background".into(), Kind::Colour),
        ("header.text".into(), "Header text".into(), Kind::Colour),
        ("header.logoUrl".into(), "Header logo (https URL)".into(), Kind::Text),
        ("buttonStyle".into(), "Button style".into(), Kind::Choice(&["filled", "outline", "pill"])),
        ("searchPlaceholder".into(), "Search placeholder".into(), Kind::Text),
        ("coinImageUrl".into(), "Coin image (https URL)".into(), Kind::Text),
        ("banners".into(), "Home banners (JSON: [{\"imageUrl\", \"link\"}])".into(), Kind::Json),
    ]);
    out
}

const SCREENS: [(&str, &str); 5] = [
    ("/consumer", "Home"),
    ("/consumer/search?q=", "Search"),
    ("/consumer/merchants/0195f0a0-0000-7000-8000-000000000001", "Merchant"),
    ("/consumer/wallet", "Wallet"),
    ("/consumer/help", "Help"),
];

/// One token's input, named by its path in the theme JSON (the script reads
/// and fills them by name). Empty means "the default".
#[component]
fn Field(path: String, label: String, kind: Kind) -> impl IntoView {
    let input = match kind {
        Kind::Colour => view! {
            <span class="colour">
                <input type="color" aria-hidden="true" tabindex="-1" data-for=path.clone()/>
                <input type="text" name=path.clone() data-kind="colour" placeholder="default" pattern="#[0-9a-fA-F]{3,8}"/>
            </span>
        }
        .into_any(),
        Kind::Text => view! { <input type="text" name=path data-kind="text" placeholder="default"/> }.into_any(),
        Kind::Number { min, max, step } => view! {
            <input type="number" name=path data-kind="number" min=min max=max step=step placeholder="default"/>
        }
        .into_any(),
        Kind::Choice(options) => view! {
            <select name=path data-kind="text">
                {options.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        Kind::Json => view! { <textarea name=path data-kind="json" rows="4" placeholder="[]"></textarea> }.into_any(),
    };
    view! { <label class="field"><span>{label}</span>{input}</label> }
}
