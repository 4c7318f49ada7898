use leptos::prelude::*;
use tessera_core::markup::{self, Node, Style};

/// A voucher title with its `{b}{r}{s}` markup turned into elements. Text is
/// always text: a title can never inject HTML.
#[component]
pub fn VoucherTitle(#[prop(into)] title: String) -> impl IntoView {
    render(&markup::parse(&title))
}

fn render(nodes: &[Node]) -> Vec<AnyView> {
    nodes
        .iter()
        .map(|node| match node {
            Node::Text(text) => text.clone().into_any(),
            Node::Styled(Style::Bold, children) => view! { <strong>{render(children)}</strong> }.into_any(),
            Node::Styled(Style::Red, children) => view! { <mark class="hl-red">{render(children)}</mark> }.into_any(),
            Node::Styled(Style::Strike, children) => view! { <s>{render(children)}</s> }.into_any(),
        })
        .collect()
}
