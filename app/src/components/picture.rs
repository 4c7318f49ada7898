use leptos::prelude::*;
use tessera_core::images::{Kind, srcset};

/// A stored picture at the size it is shown: its variants by width, the
/// browser choosing by `sizes` and the screen's density; its box reserved
/// (`width`/`height`), so nothing jumps when it arrives.
/// Decorative (`alt=""`) unless given the words it stands for.
#[component]
pub fn Picture(id: String, kind: Kind, sizes: &'static str, class: &'static str, #[prop(optional, into)] alt: String) -> impl IntoView {
    let (src, set) = srcset(&id, kind);
    let (width, height) = kind.display();
    view! {
        <img class=class src=src srcset=set sizes=sizes width=width height=height alt=alt loading="lazy" decoding="async"/>
    }
}
