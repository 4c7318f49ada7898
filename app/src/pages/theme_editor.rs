use crate::{components::VoucherTitle, error::AppError};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

#[cfg(feature = "ssr")]
fn operator(token: &str) -> Result<(), AppError> {
    let platform = crate::error::platform()?;
    match &platform.config.operator_token {
        None => Err(AppError { code: "admin_disabled".into(), message: "The admin API is off: set TESSERA_OPERATOR_TOKEN to turn it on.".into() }),
        Some(expected) if expected.matches(token.trim()) => Ok(()),
        Some(_) => Err(AppError { code: "operator_token_invalid".into(), message: "That is not this server's operator token.".into() }),
    }
}

#[cfg(feature = "ssr")]
fn parse(theme_json: &str) -> Result<tessera_core::theme::Theme, AppError> {
    serde_json::from_str(theme_json).map_err(|e| AppError { code: "validation_failed".into(), message: format!("The theme is not valid: {e}.") })
}

/// A partner's theme, for the editor (operator only).
#[server(endpoint = "theme_editor_load")]
pub async fn theme_editor_load(partner_id: String, operator_token: String) -> Result<String, AppError> {
    operator(&operator_token)?;
    let platform = crate::error::platform()?;
    let theme = tessera_core::theme::get(&platform.db, partner_id.trim()).await?;
    serde_json::to_string(&theme).map_err(|e| AppError { code: "internal_error".into(), message: e.to_string() })
}

/// The CSS a theme renders to, after the same checks as saving (no auth:
/// it reads and writes nothing).
#[server(endpoint = "theme_editor_preview")]
pub async fn theme_editor_preview(theme_json: String) -> Result<String, AppError> {
    let theme = parse(&theme_json)?;
    theme.check()?;
    Ok(theme.css())
}

/// Saves a partner's theme (operator only); every page renders with it at once.
#[server(endpoint = "theme_editor_save")]
pub async fn theme_editor_save(partner_id: String, operator_token: String, theme_json: String) -> Result<(), AppError> {
    operator(&operator_token)?;
    let platform = crate::error::platform()?;
    tessera_core::theme::set(&platform.db, partner_id.trim(), &parse(&theme_json)?).await?;
    Ok(())
}

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
            <ThemeEditor/>
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

fn get_path<'a>(theme: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(theme, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// Sets (or, with `None`, removes) the value at a dotted path.
fn set_path(theme: &mut Value, path: &str, value: Option<Value>) {
    let mut keys: Vec<&str> = path.split('.').collect();
    let last = keys.pop().unwrap_or_default();
    let mut node = theme;
    for key in keys {
        if !node.get(key).is_some_and(Value::is_object) {
            node[key] = Value::Object(Default::default());
        }
        node = &mut node[key];
    }
    if let Some(object) = node.as_object_mut() {
        match value {
            Some(v) => {
                object.insert(last.to_string(), v);
            }
            None => {
                object.remove(last);
            }
        }
    }
}

/// The value a field's input shows.
fn shown(theme: &Value, path: &str, kind: Kind) -> String {
    match (get_path(theme, path), kind) {
        (None, Kind::Json) => "[]".into(),
        (None, _) => String::new(),
        (Some(Value::String(s)), _) => s.clone(),
        (Some(v), Kind::Json) => serde_json::to_string_pretty(v).unwrap_or_default(),
        (Some(v), _) => v.to_string(),
    }
}

/// What an input's text means for the theme (`None`: unset, the default).
fn parsed(text: &str, kind: Kind) -> Result<Option<Value>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match kind {
        // Whole numbers as integers (the radius is an integer).
        Kind::Number { .. } => match text.parse::<f64>() {
            Ok(n) if n.fract() == 0.0 && n.abs() < 1e9 => Ok(Some(serde_json::json!(n as i64))),
            Ok(n) => Ok(Some(serde_json::json!(n))),
            Err(_) => Err("is not a number".into()),
        },
        Kind::Json => serde_json::from_str(text).map(Some).map_err(|e| format!("is not JSON: {e}")),
        _ => Ok(Some(Value::String(text.to_string()))),
    }
}

const SCREENS: [(&str, &str); 5] = [
    ("/consumer", "Home"),
    ("/consumer/search?q=", "Search"),
    ("/consumer/merchants/0195f0a0-0000-7000-8000-000000000001", "Merchant"),
    ("/consumer/wallet", "Wallet"),
    ("/consumer/help", "Help"),
];

/// The editor: sign-in (partner id and operator token), every token, the
/// preview frame, and save.
#[island]
fn ThemeEditor() -> impl IntoView {
    let partner = RwSignal::new(String::from("demo"));
    let token = RwSignal::new(String::new());
    let theme = RwSignal::new(None::<Value>);
    let css = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let screen = RwSignal::new(SCREENS[0].0.to_string());

    let load = Action::new(move |_: &()| async move {
        match theme_editor_load(partner.get_untracked(), token.get_untracked()).await {
            Ok(json) => {
                problem.set(None);
                theme.set(serde_json::from_str(&json).ok());
            }
            Err(e) => problem.set(Some(e)),
        }
    });
    let save = Action::new(move |_: &()| async move {
        let json = theme.get_untracked().map(|t| t.to_string()).unwrap_or_default();
        match theme_editor_save(partner.get_untracked(), token.get_untracked(), json).await {
            Ok(()) => {
                problem.set(None);
                saved.set(true);
            }
            Err(e) => problem.set(Some(e)),
        }
    });
    // Every change: the CSS it renders to (or why it cannot), into the preview.
    Effect::new(move |_| {
        let Some(t) = theme.get() else { return };
        saved.set(false);
        leptos::task::spawn_local(async move {
            match theme_editor_preview(t.to_string()).await {
                Ok(c) => {
                    problem.set(None);
                    css.set(c);
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    });
    Effect::new(move |_| {
        let c = css.get();
        #[cfg(feature = "hydrate")]
        send_preview(&c);
        #[cfg(not(feature = "hydrate"))]
        let _ = c;
    });

    view! {
        <form class="editor-signin" on:submit=move |ev| { ev.prevent_default(); load.dispatch(()); }>
            <label>"Partner id"<input name="partner" required prop:value=partner on:input=move |ev| partner.set(event_target_value(&ev))/></label>
            <label>"Operator token"<input name="operator-token" type="password" autocomplete="off" required
                prop:value=token on:input=move |ev| token.set(event_target_value(&ev))/></label>
            <button class="button" type="submit" disabled=move || load.pending().get()>"Load theme"</button>
        </form>
        {move || problem.get().map(|e| view! { <p class="editor-error" role="alert" data-code=e.code.clone()>{e.message.clone()}</p> })}
        <Show when=move || theme.with(Option::is_some)>
            {view! { <div class="editor-layout">
                <form class="editor-fields" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
                    {fields().into_iter().map(|(path, label, kind)| view! { <Field path label kind theme problem/> }).collect_view()}
                    <button class="button save" type="submit" disabled=move || save.pending().get()>"Save theme"</button>
                    {move || saved.get().then(|| view! { <p class="editor-saved" role="status">"Saved: every screen now renders with it."</p> })}
                </form>
                <div class="editor-preview">
                    <label>"Screen "
                        <select on:change=move |ev| screen.set(event_target_value(&ev))>
                            {SCREENS.into_iter().map(|(path, name)| view! { <option value=path>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    <iframe id="theme-preview" title="Preview"
                        src=move || { let s = screen.get(); let sep = if s.contains('?') { '&' } else { '?' }; format!("{s}{sep}clientId={}", partner.get()) }
                        on:load=move |_| {
                            #[cfg(feature = "hydrate")]
                            send_preview(&css.get_untracked());
                        }></iframe>
                </div>
            </div> }.into_any()}
        </Show>
    }
    .into_any()
}

/// One token's input.
#[component]
fn Field(path: String, label: String, kind: Kind, theme: RwSignal<Option<Value>>, problem: RwSignal<Option<AppError>>) -> impl IntoView {
    let value = {
        let path = path.clone();
        move || theme.with(|t| t.as_ref().map(|t| shown(t, &path, kind)).unwrap_or_default())
    };
    let on_input = {
        let path = path.clone();
        move |ev: leptos::ev::Event| match parsed(&event_target_value(&ev), kind) {
            Ok(v) => theme.update(|t| {
                if let Some(t) = t {
                    set_path(t, &path, v);
                }
            }),
            Err(why) => problem.set(Some(AppError { code: "validation_failed".into(), message: format!("{path} {why}") })),
        }
    };
    let input = match kind {
        Kind::Colour => view! {
            <span class="colour">
                <input type="color" aria-hidden="true" tabindex="-1" prop:value={let value = value.clone(); move || { let v = value(); if v.len() == 7 { v } else { "#000000".into() } }} on:input=on_input.clone()/>
                <input type="text" name=path.clone() placeholder="default" prop:value=value on:change=on_input/>
            </span>
        }.into_any(),
        Kind::Text => view! { <input type="text" name=path.clone() placeholder="default" prop:value=value on:change=on_input/> }.into_any(),
        Kind::Number { min, max, step } => view! {
            <input type="number" name=path.clone() min=min max=max step=step placeholder="default" prop:value=value on:change=on_input/>
        }.into_any(),
        Kind::Choice(options) => view! {
            <select name=path.clone() on:change=on_input>
                {options.iter().map(|o| { let value = value.clone(); let o = *o; view! { <option value=o selected=move || value() == o>{o}</option> } }).collect_view()}
            </select>
        }.into_any(),
        Kind::Json => view! { <textarea name=path.clone() rows="4" prop:value=value on:change=on_input></textarea> }.into_any(),
    };
    view! { <label class="field"><span>{label}</span>{input}</label> }
}

/// Hands the CSS to the preview frame (same origin), whose boot script
/// applies it over the saved theme.
#[cfg(feature = "hydrate")]
fn send_preview(css: &str) {
    use wasm_bindgen::JsCast;
    let Some(frame) = document().get_element_by_id("theme-preview").and_then(|e| e.dyn_into::<web_sys::HtmlIFrameElement>().ok()) else {
        return;
    };
    let message = serde_json::json!({ "type": "tessera:theme-preview", "css": css }).to_string();
    if let (Some(target), Ok(message)) = (frame.content_window(), js_sys::JSON::parse(&message)) {
        let _ = target.post_message(&message, &window().location().origin().unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_land_at_their_path_and_empty_means_default() {
        let mut theme = serde_json::json!({ "mode": "auto", "light": {} });
        set_path(&mut theme, "light.primary", parsed("#112233", Kind::Colour).unwrap());
        set_path(&mut theme, "header.text", parsed("#fff", Kind::Colour).unwrap());
        set_path(&mut theme, "radiusPx", parsed("12", Kind::Number { min: 0.0, max: 32.0, step: 1.0 }).unwrap());
        assert_eq!(theme["light"]["primary"], "#112233");
        assert_eq!(theme["header"]["text"], "#fff");
        assert_eq!(shown(&theme, "radiusPx", Kind::Text), "12");
        set_path(&mut theme, "light.primary", parsed("  ", Kind::Colour).unwrap());
        assert!(get_path(&theme, "light.primary").is_none());
        assert!(parsed("twelve", Kind::Number { min: 0.0, max: 1.0, step: 1.0 }).is_err());
        assert!(parsed("[{", Kind::Json).is_err());
    }
}
