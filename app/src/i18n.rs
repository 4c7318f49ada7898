//! The webview's words in the user's language (SPEC §13), from the message
//! catalog in `app/locales/{en,ms,hi}.ftl` (Fluent).
//!
//! The language is settled once per request on the server ([`Prefs`], put
//! into the request by the server's `webview::prefs` layer): `?locale=`, then
//! the language an earlier `?locale=` left in the `tessera_locale` cookie (so
//! the islands' server calls speak it too), then the signed-in user's
//! `locale`, then `Accept-Language`, then the partner's default, then English.
//!
//! Pages render on the server, so [`t`] runs there. An island also renders in
//! the browser, where no catalog is shipped (it would weigh more than the
//! islands): it gets its words as a [`Texts`] prop, looked up on the server.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
pub use tessera_core::locale::Locale;

/// The cookie a `?locale=` choice is kept in.
pub const COOKIE: &str = "tessera_locale";

/// The language and time zone of the request being rendered.
#[derive(Debug, Clone)]
pub struct Prefs {
    pub locale: Locale,
    #[cfg(feature = "ssr")]
    pub zone: tessera_core::locale::TimeZone,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            locale: Locale::En,
            #[cfg(feature = "ssr")]
            zone: tessera_core::locale::TimeZone::utc(),
        }
    }
}

/// Which language wins, in the order the module's docs give.
pub fn choose(
    query: Option<&str>,
    cookie: Option<&str>,
    user: Option<&str>,
    accept_language: Option<&str>,
    partner_default: Option<Locale>,
) -> Locale {
    query
        .and_then(Locale::parse)
        .or_else(|| cookie.and_then(Locale::parse))
        .or_else(|| user.and_then(Locale::parse))
        .or_else(|| accept_language.and_then(Locale::from_accept_language))
        .or(partner_default)
        .unwrap_or_default()
}

/// Words an island shows, looked up on the server for the request's language.
/// `{name}` in a text is a slot the island fills ([`Texts::fill`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Texts(BTreeMap<String, String>);

impl Texts {
    /// The text of `key` (the key itself if it was not packed: visible, never blank).
    pub fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// One text under `key`, already formatted.
    pub fn one(key: &str, text: String) -> Texts {
        Texts([(key.to_string(), text)].into_iter().collect())
    }

    /// Adds `other`'s texts.
    pub fn extend(&mut self, other: Texts) {
        self.0.extend(other.0);
    }

    /// The text of `key` with its `{slot}`s filled.
    pub fn fill(&self, key: &str, slots: &[(&str, &str)]) -> String {
        slots.iter().fold(self.get(key), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }
}

/// The texts of `keys` for an island. Slots (`{ $outlet }` in the catalog)
/// come out as `{outlet}` for [`Texts::fill`].
pub fn texts(keys: &[&str]) -> Texts {
    #[cfg(feature = "ssr")]
    {
        let locale = prefs().locale;
        Texts(keys.iter().map(|k| ((*k).to_string(), catalog::slotted(locale, k))).collect())
    }
    #[cfg(not(feature = "ssr"))]
    {
        Texts(keys.iter().map(|k| ((*k).to_string(), (*k).to_string())).collect())
    }
}

/// The request's language and time zone (the defaults outside a request).
pub fn prefs() -> Prefs {
    #[cfg(feature = "ssr")]
    {
        // Provided once per render by [`provide_prefs`]; reading the request's
        // parts instead would clone every header for each word of the page.
        leptos::prelude::use_context::<Prefs>()
            .or_else(|| leptos::prelude::use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<Prefs>().cloned()))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    Prefs::default()
}

/// Puts the request's [`Prefs`] (set by the server's `webview::prefs` layer)
/// into the render's context, once; called by the server as each render begins.
#[cfg(feature = "ssr")]
pub fn provide_prefs() {
    if let Some(prefs) = leptos::prelude::use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<Prefs>().cloned()) {
        leptos::prelude::provide_context(prefs);
    }
}

/// The message `key` in the request's language. In the browser (code shared
/// with an island) there is no catalog: the key comes back, so an island
/// must take its words from [`Texts`].
pub fn t(key: &str) -> String {
    #[cfg(feature = "ssr")]
    return catalog::message(prefs().locale, key, &[]);
    #[cfg(not(feature = "ssr"))]
    key.to_string()
}

/// The message `key` with its `{ $name }` arguments.
pub fn t_with(key: &str, args: &[(&str, String)]) -> String {
    #[cfg(feature = "ssr")]
    return catalog::message(prefs().locale, key, args);
    #[cfg(not(feature = "ssr"))]
    {
        let _ = args;
        key.to_string()
    }
}

/// The message for an error code, when the catalog has one (`error-{code}`).
#[cfg(feature = "ssr")]
pub fn error_message(code: tessera_core::codes::ErrorCode) -> Option<String> {
    let key = format!("error-{}", code.as_str().replace('_', "-"));
    catalog::has(&key).then(|| catalog::message(prefs().locale, &key, &[]))
}

/// An RFC 3339 instant as the date it falls on in the partner's time zone.
pub fn date(rfc3339: &str) -> String {
    local(rfc3339, tessera_core::locale::format_date)
}

/// An RFC 3339 instant as date and time in the partner's time zone.
pub fn date_time(rfc3339: &str) -> String {
    local(rfc3339, tessera_core::locale::format_date_time)
}

/// The last day a voucher valid until `rfc3339` can be used: an expiry at
/// midnight, local time, ends the day before (valid until 1 Jan 00:00 is
/// "valid until 31 Dec").
pub fn last_day(rfc3339: &str) -> String {
    #[cfg(feature = "ssr")]
    if let Some(ms) = tessera_core::clock::parse_rfc3339(rfc3339) {
        let p = prefs();
        let at_midnight = p.zone.local(ms).is_some_and(|t| t.hour == 0 && t.minute == 0);
        let day = if at_midnight { ms - 1 } else { ms };
        if let Some(t) = p.zone.local(day) {
            return tessera_core::locale::format_date(t, p.locale);
        }
    }
    rfc3339.get(..10).unwrap_or(rfc3339).to_string()
}

fn local(rfc3339: &str, format: fn(tessera_core::locale::LocalTime, Locale) -> String) -> String {
    #[cfg(feature = "ssr")]
    if let Some(ms) = tessera_core::clock::parse_rfc3339(rfc3339) {
        let p = prefs();
        if let Some(t) = p.zone.local(ms) {
            return format(t, p.locale);
        }
    }
    let _ = format;
    rfc3339.to_string()
}

/// Money in the request's language.
pub fn money(minor: i64, currency: &str) -> String {
    tessera_core::locale::format_money(minor, currency, prefs().locale)
}

#[cfg(feature = "ssr")]
pub mod catalog {
    //! The Fluent bundles, parsed once.
    use super::Locale;
    use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
    use std::sync::OnceLock;

    pub const SOURCES: [(Locale, &str); 3] = [
        (Locale::En, include_str!("../locales/en.ftl")),
        (Locale::Ms, include_str!("../locales/ms.ftl")),
        (Locale::Hi, include_str!("../locales/hi.ftl")),
    ];

    fn bundles() -> &'static [(Locale, FluentBundle<FluentResource>)] {
        static BUNDLES: OnceLock<Vec<(Locale, FluentBundle<FluentResource>)>> = OnceLock::new();
        BUNDLES.get_or_init(|| {
            SOURCES
                .iter()
                .map(|(locale, source)| {
                    let lang: unic_langid::LanguageIdentifier = locale.tag().parse().expect("a shipped locale's tag parses");
                    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
                    // Every shipped language runs left to right: no isolation marks in the text.
                    bundle.set_use_isolating(false);
                    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
                    // A message defined twice keeps its first text; the catalog test refuses it.
                    let _ = bundle.add_resource(resource);
                    (*locale, bundle)
                })
                .collect()
        })
    }

    fn bundle(locale: Locale) -> &'static FluentBundle<FluentResource> {
        let all = bundles();
        &all.iter().find(|(l, _)| *l == locale).unwrap_or(&all[0]).1
    }

    pub fn has(key: &str) -> bool {
        bundle(Locale::En).has_message(key)
    }

    /// `key` in `locale`, falling back to English, then to the key itself.
    pub fn message(locale: Locale, key: &str, args: &[(&str, String)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(value.as_str()));
        }
        [locale, Locale::En]
            .into_iter()
            .find_map(|l| {
                let b = bundle(l);
                let pattern = b.get_message(key)?.value()?;
                let mut errors = Vec::new();
                let text = b.format_pattern(pattern, (!args.is_empty()).then_some(&fluent_args), &mut errors);
                Some(text.into_owned())
            })
            .unwrap_or_else(|| key.to_string())
    }

    /// `key` with each `{ $name }` it uses left as `{name}`, for an island to fill.
    pub fn slotted(locale: Locale, key: &str) -> String {
        let names = variables(SOURCES[0].1, key);
        let args: Vec<(&str, String)> = names.iter().map(|n| (n.as_str(), format!("{{{n}}}"))).collect();
        message(locale, key, &args)
    }

    /// The `$variables` the English text of `key` uses.
    fn variables(source: &str, key: &str) -> Vec<String> {
        let Some(body) = source.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.trim_start().strip_prefix('='))) else {
            return Vec::new();
        };
        body.split('$')
            .skip(1)
            .map(|s| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect::<String>())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The message ids of a catalog source, in order.
    pub fn ids(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect()
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_first_source_that_names_a_shipped_one() {
        assert_eq!(choose(Some("ms"), Some("hi"), Some("en-MY"), Some("hi"), Some(Locale::En)), Locale::Ms);
        assert_eq!(choose(Some("fr"), Some("hi"), None, None, None), Locale::Hi);
        assert_eq!(choose(None, None, Some("ms-MY"), Some("hi"), None), Locale::Ms);
        assert_eq!(choose(None, None, Some("de-DE"), Some("de, hi;q=0.5"), Some(Locale::Ms)), Locale::Hi);
        assert_eq!(choose(None, None, None, Some("de"), Some(Locale::Ms)), Locale::Ms);
        assert_eq!(choose(None, None, None, None, None), Locale::En);
    }

    #[test]
    fn every_language_has_every_message_and_each_parses() {
        let english = catalog::ids(catalog::SOURCES[0].1);
        assert!(english.len() > 100, "only {} messages", english.len());
        let mut seen = std::collections::HashSet::new();
        for id in &english {
            assert!(seen.insert(id), "{id} defined twice in en.ftl");
        }
        for (locale, source) in catalog::SOURCES {
            if let Err((_, errors)) = fluent_bundle::FluentResource::try_new(source.to_string()) {
                panic!("{}.ftl does not parse: {errors:?}", locale.tag());
            }
            let ids = catalog::ids(source);
            let missing: Vec<_> = english.iter().filter(|id| !ids.contains(id)).collect();
            let extra: Vec<_> = ids.iter().filter(|id| !english.contains(id)).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", locale.tag());
            if locale != Locale::En {
                // Translated, not copied: only names and codes may read the same.
                let same: Vec<_> = english
                    .iter()
                    .filter(|id| catalog::message(locale, id, &[]) == catalog::message(Locale::En, id, &[]))
                    .filter(|id| !id.starts_with("same-"))
                    .collect();
                assert!(same.len() * 10 < english.len(), "{}: {} messages left in English: {same:?}", locale.tag(), same.len());
            }
        }
    }

    #[test]
    fn every_key_the_code_uses_is_in_the_catalog() {
        let english = catalog::ids(catalog::SOURCES[0].1);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for call in ["t(\"", "t_with(\"", ".get(\"", ".fill(\"", "say(\""] {
                        for piece in text.split(call).skip(1) {
                            let key: String = piece.chars().take_while(|c| *c != '"').collect();
                            if key.contains('-') && !key.contains(' ') {
                                used.push((path.display().to_string(), key));
                            }
                        }
                    }
                    for piece in text.split("texts(&[").skip(1) {
                        let list: String = piece.chars().take_while(|c| *c != ']').collect();
                        for key in list.split(',').map(|k| k.trim().trim_matches('"')).filter(|k| !k.is_empty()) {
                            used.push((path.display().to_string(), key.to_string()));
                        }
                    }
                }
            }
        }
        assert!(used.len() > 50, "found only {} uses", used.len());
        let unknown: Vec<_> = used.iter().filter(|(_, k)| !english.contains(k)).collect();
        assert!(unknown.is_empty(), "keys not in en.ftl: {unknown:?}");
    }

    #[test]
    fn an_island_gets_slots_it_can_fill() {
        let text = catalog::slotted(Locale::Ms, "redeem-confirm-title");
        assert!(text.contains("{outlet}"), "{text}");
        let texts = Texts([("redeem-confirm-title".to_string(), text)].into_iter().collect());
        let filled = texts.fill("redeem-confirm-title", &[("outlet", "Kopi Kita — KLCC")]);
        assert!(filled.contains("Kopi Kita — KLCC") && !filled.contains('{'), "{filled}");
    }
}
