use crate::error::AppError;
use leptos::prelude::*;
use tessera_core::codes::ErrorCode;

/// A balance and the partner's coin image (seed 001: 20×20).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Coins {
    pub balance: f64,
    pub image_url: Option<String>,
    pub image_id: Option<String>,
}

/// The signed-in user's coin balance in their partner's ledger; `None` when
/// the partner has no coins ledger.
#[server(endpoint = "coin_balance")]
pub async fn coin_balance() -> Result<Option<Coins>, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let Some((partner, integration)) = tessera_core::coins::ledger_of(&platform, &viewer.partner_id).await? else {
        return Ok(None);
    };
    let balance = tessera_core::coins::balance(&platform, &integration, &viewer.external_user_id).await?;
    let theme = partner.theme();
    Ok(Some(Coins { balance, image_url: theme.coin_image_url, image_id: theme.coin_image_id }))
}

/// "1 000 coins", from the partner's ledger (nothing without a ledger; a
/// short note when the ledger does not answer).
#[component]
pub fn CoinBalance() -> impl IntoView {
    let balance = Resource::new(|| (), |_| coin_balance());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match balance.await {
                    Ok(Some(Coins { balance: coins, image_url, image_id })) => Some(view! {
                        <p class="coin-balance" data-coins=coins.to_string()>
                            {match (image_id, image_url) {
                                (Some(id), _) => Some(view! { <crate::components::Picture id kind=tessera_core::images::Kind::Coin sizes="20px" class="coin-image"/> }.into_any()),
                                (None, Some(src)) => Some(view! { <img class="coin-image" src=src alt="" width="20" height="20"/> }.into_any()),
                                (None, None) => None,
                            }}{crate::i18n::t("coins-balance")}" "<strong>{crate::i18n::t_with("coins-amount", &[("count", tessera_core::locale::format_integer(coins as i64, crate::i18n::prefs().locale))])}</strong></p>
                    }.into_any()),
                    Ok(None) => None,
                    // Signed out: there is no balance to speak of (the screen says why it is empty).
                    Err(e) if matches!(e.code, ErrorCode::SessionRequired | ErrorCode::SessionExpired) => None,
                    Err(_) => Some(view! { <p class="coin-balance unavailable">{crate::i18n::t("coins-unavailable")}</p> }.into_any()),
                }
            })}
        </Suspense>
    }
}
