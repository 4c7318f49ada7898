//! The webview's icons: inline SVG drawn on a 24-unit grid with a 2-unit
//! stroke in the current text colour, so they follow the theme and the text
//! size, and need no font, image request or text glyph (×, ‹, ▤ rendered
//! differently on every phone and were read aloud as symbols).

use leptos::prelude::*;

/// Which icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    Back,
    Close,
    Wallet,
    Home,
    Search,
    Star,
    Help,
}

impl Glyph {
    /// The icon's path data.
    fn paths(self) -> &'static [&'static str] {
        match self {
            Glyph::Back => &["M15 5l-7 7 7 7"],
            Glyph::Close => &["M6 6l12 12", "M18 6L6 18"],
            Glyph::Wallet => &["M4 7h15a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7z", "M4 7l11-3v3", "M16 13h1"],
            Glyph::Home => &["M4 11l8-7 8 7", "M6 9.5V20h4v-5h4v5h4V9.5"],
            Glyph::Search => &["M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13z", "M15.5 15.5L20 20"],
            Glyph::Star => &["M12 3.8l2.5 5.1 5.6.8-4 4 1 5.5-5.1-2.7-5 2.7 1-5.5-4-4 5.5-.8z"],
            Glyph::Help => &["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M9.6 9.4a2.5 2.5 0 1 1 3.4 2.4c-.6.3-1 .8-1 1.5v.4", "M12 17h.01"],
        }
    }
}

/// An icon; decorative (`aria-hidden`): the control it sits in carries the name.
#[component]
pub fn Icon(glyph: Glyph) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
            {glyph.paths().iter().map(|d| view! { <path d=*d/> }).collect_view()}
        </svg>
    }
}
