//! Voucher title markup: `{b}` bold, `{r}` red highlight, `{s}` strikethrough.
//!
//! Tags nest and are case-insensitive. A tag that is unknown, or that is not
//! closed in the right order, is kept as literal text, so a merchant's typo never
//! swallows part of a title. Nothing here ever produces HTML: the renderer turns
//! [`Node`]s into elements, and text stays text.

/// A style a title fragment can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Bold,
    Red,
    Strike,
}

impl Style {
    fn from_tag(tag: char) -> Option<Self> {
        match tag.to_ascii_lowercase() {
            'b' => Some(Style::Bold),
            'r' => Some(Style::Red),
            's' => Some(Style::Strike),
            _ => None,
        }
    }
}

/// One node of a parsed title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Text(String),
    Styled(Style, Vec<Node>),
}

/// A tag found in the source: where it starts, how long it is, what it does.
#[derive(Debug, Clone, Copy)]
struct Tag {
    start: usize,
    len: usize,
    style: Style,
    closing: bool,
}

fn find_tags(src: &str) -> Vec<Tag> {
    let bytes = src.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let closing = bytes.get(i + 1) == Some(&b'/');
            let name_at = i + 1 + usize::from(closing);
            if let (Some(&name), Some(&b'}')) = (bytes.get(name_at), bytes.get(name_at + 1))
                && let Some(style) = Style::from_tag(name as char)
            {
                let len = name_at + 2 - i;
                tags.push(Tag { start: i, len, style, closing });
                i += len;
                continue;
            }
        }
        i += 1;
    }
    tags
}

/// Keeps only the tags that pair up properly (a stack match); the rest become text.
fn balanced(tags: Vec<Tag>) -> Vec<Tag> {
    let mut keep = vec![false; tags.len()];
    let mut open: Vec<usize> = Vec::new();
    for (idx, tag) in tags.iter().enumerate() {
        if !tag.closing {
            open.push(idx);
        } else if let Some(pos) = open.iter().rposition(|&o| tags[o].style == tag.style) {
            // Tags opened inside this one and still open cannot close any more
            // without crossing it: they stay text.
            open.truncate(pos + 1);
            keep[open[pos]] = true;
            keep[idx] = true;
            open.pop();
        }
    }
    tags.into_iter().zip(keep).filter_map(|(t, k)| k.then_some(t)).collect()
}

/// Parses a title into nodes.
pub fn parse(src: &str) -> Vec<Node> {
    let tags = balanced(find_tags(src));
    let mut stack: Vec<(Style, Vec<Node>)> = vec![];
    let mut root: Vec<Node> = vec![];
    let mut cursor = 0;
    fn push(stack: &mut [(Style, Vec<Node>)], root: &mut Vec<Node>, node: Node) {
        match stack.last_mut() {
            Some((_, children)) => children.push(node),
            None => root.push(node),
        }
    }
    for tag in tags {
        if tag.start > cursor {
            push(&mut stack, &mut root, Node::Text(src[cursor..tag.start].to_string()));
        }
        cursor = tag.start + tag.len;
        if tag.closing {
            if let Some((style, children)) = stack.pop() {
                push(&mut stack, &mut root, Node::Styled(style, children));
            }
        } else {
            stack.push((tag.style, vec![]));
        }
    }
    if cursor < src.len() {
        push(&mut stack, &mut root, Node::Text(src[cursor..].to_string()));
    }
    root
}

/// The title as plain text, for places that cannot show styles: the page
/// `<title>`, share text, notifications.
pub fn plain_text(src: &str) -> String {
    fn collect(nodes: &[Node], out: &mut String) {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Styled(_, children) => collect(children, out),
            }
        }
    }
    let mut out = String::with_capacity(src.len());
    collect(&parse(src), &mut out);
    out
}

/// Writes nodes back as markup; `parse(&to_markup(&parse(s))) == parse(s)`.
pub fn to_markup(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Styled(style, children) => {
                let tag = match style {
                    Style::Bold => 'b',
                    Style::Red => 'r',
                    Style::Strike => 's',
                };
                out.push('{');
                out.push(tag);
                out.push('}');
                out.push_str(&to_markup(children));
                out.push_str("{/");
                out.push(tag);
                out.push('}');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Node::*;
    use Style::*;

    fn t(s: &str) -> Node {
        Text(s.to_string())
    }

    #[test]
    fn plain_titles_are_one_text_node() {
        assert_eq!(parse("Free coffee"), vec![t("Free coffee")]);
        assert_eq!(parse(""), vec![]);
    }

    #[test]
    fn tags_nest_and_ignore_case() {
        assert_eq!(parse("Now {B}{r}RM38{/R}{/b} only"), vec![t("Now "), Styled(Bold, vec![Styled(Red, vec![t("RM38")])]), t(" only")]);
        assert_eq!(parse("{s}RM50{/s}"), vec![Styled(Strike, vec![t("RM50")])]);
    }

    #[test]
    fn unknown_and_unbalanced_tags_stay_text() {
        assert_eq!(parse("{x}hi{/x}"), vec![t("{x}hi{/x}")]);
        assert_eq!(plain_text("{b}open"), "{b}open");
        assert_eq!(plain_text("close{/r}"), "close{/r}");
        assert_eq!(plain_text("{b}{r}crossed{/b}{/r}"), "{r}crossed{/r}");
    }

    #[test]
    fn html_is_just_text() {
        assert_eq!(parse("<script>x</script>"), vec![t("<script>x</script>")]);
    }

    #[test]
    fn plain_text_strips_markup() {
        assert_eq!(plain_text("{b}{r}RM38{/r}{/b} {s}RM50{/s} set"), "RM38 RM50 set");
    }

    proptest::proptest! {
        #[test]
        fn no_text_is_ever_lost(s in "[{}/brsxBRS a-z<>]{0,40}") {
            // Removing only the recognised, balanced tags must leave every other
            // character in order.
            let plain = plain_text(&s);
            let mut rest = plain.as_str();
            for ch in s.chars() {
                if rest.starts_with(ch) { rest = &rest[ch.len_utf8()..]; }
            }
            proptest::prop_assert!(rest.is_empty(), "plain text {plain:?} is not a subsequence of {s:?}");
            proptest::prop_assert!(plain.len() <= s.len());
        }

        #[test]
        fn strip_then_render_keeps_the_text(s in "[{}/brsBRS a-z]{0,40}") {
            // Rendering the parsed title (text leaves in order) shows exactly the plain text…
            fn leaves(nodes: &[Node], out: &mut String) {
                for n in nodes {
                    match n { Node::Text(t) => out.push_str(t), Node::Styled(_, c) => leaves(c, out) }
                }
            }
            let tree = parse(&s);
            let mut shown = String::new();
            leaves(&tree, &mut shown);
            proptest::prop_assert_eq!(&shown, &plain_text(&s));
            // …and writing the tree back as markup parses to the same tree.
            proptest::prop_assert_eq!(parse(&to_markup(&tree)), tree);
        }

        #[test]
        fn parse_never_panics_on_any_unicode(s in "\\PC{0,60}") {
            let _ = parse(&s);
        }
    }
}
