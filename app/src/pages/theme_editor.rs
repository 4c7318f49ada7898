use crate::{components::VoucherTitle, error::AppError};
use leptos::prelude::*;

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

/// The editor's script: plain JavaScript, not an island. It is a tool for
/// partners' designers and operators, and every island ships in the one
/// bundle every end user downloads (as an island it added 63 KB gzip to it).
const EDITOR_JS: &str = include_str!("theme_editor.js");

/// A partner's theme editor: every token of SPEC §6 as a field, a live
/// preview of each of `screens` (path, name) in light or dark, and Save.
/// The theme is read from `source` (GET) and saved to it (PUT) as JSON, with
/// the signed-in person's session: the portal's page for its partner, the
/// console's for any. Rendered by the console's pages, which give the nonce.
#[component]
pub fn ThemeEditor(source: String, screens: Vec<(String, String)>) -> impl IntoView {
    view! {
        <div class="theme-editor" id="theme-editor" data-source=source>
            <p class="hint">"Changes show in the preview as you make them; nothing is saved until you save. "
                "The preview is signed in as a preview user of this partner."</p>
            <p class="hint">"Sample title markup: "<VoucherTitle title="{b}Bold{/b}, {r}highlighted{/r} and {s}struck{/s}"/></p>
            <p class="editor-error" role="alert" hidden></p>
            <div class="editor-layout">
                <form class="editor-fields" id="editor-fields">
                    {fields().into_iter().map(|(path, label, kind)| view! { <Field path label kind/> }).collect_view()}
                    <div class="save">
                        <button class="button" type="submit">"Save theme"</button>
                        <p class="editor-saved" role="status" hidden>"Saved: every screen now renders with it."</p>
                    </div>
                </form>
                <div class="editor-preview">
                    <div class="row">
                        <label>"Screen "
                            <select id="preview-screen">
                                {screens.into_iter().map(|(path, name)| view! { <option value=path>{name}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>"Preview in "
                            <select id="preview-mode">
                                <option value="">"the theme's mode"</option>
                                <option value="light">"light"</option>
                                <option value="dark">"dark"</option>
                            </select>
                        </label>
                    </div>
                    <iframe id="theme-preview" title="Preview"></iframe>
                </div>
            </div>
            <script nonce=leptos::nonce::use_nonce() inner_html=EDITOR_JS></script>
        </div>
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
