# The webview's words in English (the catalog every other language follows:
# app/src/i18n.rs checks that each has every message here).
# Messages whose id starts with `same-` may read the same in every language.

## The frame of every screen
nav-back = Back
nav-close = Close
nav-wallet = Wallet
tabs-label = Sections
tab-home = Home
tab-search = Search
tab-wallet = Wallet
tab-favorites = Favourites
tab-help = Help
browse-vouchers = Browse vouchers

## Vouchers as cards
value-fixed = { $amount } off
value-percent = { $percent }% off
value-free-item = Free
value-bogo = Buy 1, get 1
value-type-free-item = Free item
value-type-percent = Percent off
value-type-fixed = Money off
value-type-bogo = Buy one, get one
valid-until = Valid until { $date }
voucher-count = { $count ->
    [one] 1 voucher
   *[other] { $count } vouchers
}
voucher-count-of = { $shown } of { $total } vouchers

## Home
home-title = Vouchers
home-loading = Loading vouchers…
home-error = Vouchers could not be loaded
search-placeholder = Search vouchers and merchants
home-filter-label = Filter vouchers
home-unlocked = Unlocked with your code
home-unlocked-none = No voucher matches this code. Check it, or ask whoever gave it to you.
home-offers = Offers
home-empty-title = No vouchers yet
home-empty-text = New offers from merchants will appear here.
home-featured = Featured
home-favorites = Your favourite merchants
home-categories = Categories
home-all = All vouchers
home-no-match = No vouchers match your search.

## A voucher
voucher-title = Voucher
voucher-loading = Loading the voucher…
voucher-error = This voucher could not be shown
voucher-value = Value
voucher-type = Type
voucher-valid-until = Valid until
voucher-left = Left
voucher-cost = Cost
voucher-coins = { $count } coins
voucher-used = You have used this voucher.
voucher-signed-out = Open this screen from your app to claim this voucher.
claim-button = Claim
claim-pending = Claiming…
claim-in-wallet = In your wallet.
claim-use-now = Use it now
unavailable-expired = This voucher has expired.
unavailable-not-yet = This voucher cannot be claimed yet.
unavailable-out-of-stock = Out of stock: every unit has been claimed.

## Coins
coins-balance = Your balance:
coins-amount = { $count } coins
coins-unavailable = Your coin balance is unavailable right now.

## A merchant
merchant-title = Merchant
merchant-loading = Loading the merchant…
merchant-error = This merchant could not be shown
merchant-outlets = Outlets
merchant-no-outlets = No outlets listed.
merchant-vouchers = Vouchers
merchant-no-vouchers = No vouchers from this merchant right now.
favorite-on = Favourite
favorite-add = Add to favourites

## Favourites
favorites-title = Favourites
favorites-loading = Loading your favourites…
favorites-empty-title = No favourites yet
favorites-empty-text = Tap the star on a merchant to hear of its new vouchers first.
favorites-error = Your favourites could not be shown

## Wallet
wallet-title = Wallet
wallet-loading = Loading your wallet…
wallet-empty-title = Your wallet is empty
wallet-empty-text = Vouchers you claim appear here.
wallet-active = Active
wallet-redeemed = Redeemed
wallet-expired = Expired
wallet-history = Redemption history
wallet-error = Your wallet could not be shown

## Redeem
redeem-title = Redeem
redeem-expired-title = This voucher has expired
redeem-expired-text = It can no longer be redeemed.
redeem-no-outlets-title = No outlet takes this voucher yet
redeem-no-outlets-text = Check back later.
redeem-outlet = Outlet
redeem-nearest = Find the nearest outlet
redeem-now = Redeem now
redeem-locating = Checking your location…
redeem-redeeming = Redeeming…
redeem-hint = Redeem at the counter: the code is shown once you redeem, and the voucher is then used.
redeem-confirm-title = Redeem at { $outlet }?
redeem-confirm-text = The code can be used once. Redeem when you are at the counter.
redeem-confirm-yes = Yes, redeem
redeem-confirm-no = Not now
redeem-no-location = Your location is not available, so outlets cannot be sorted by distance.
redeem-without-location = Your location could not be used. The voucher is redeemed without it; the merchant may ask to check it.
redeem-flagged = Your location was not shared, so the merchant may ask to check this redemption.
redeemed-at = Redeemed at { $outlet }
redeem-qr-label = QR code of the voucher code
redeem-barcode-label = Barcode of the voucher code
redeem-code-label = Voucher code
redeem-show-code = Show this code at the counter.
copy-code = Copy code
copy-done = Copied
copy-failed = Copy failed: select the code

## Search
search-title = Search
search-label = Search vouchers
search-button = Search
search-loading = Searching…
search-empty-title = Nothing found
search-empty-text = Try another word, or a coupon code you were given.
search-error = The search failed
search-unknown-category = Unknown category “{ $category }”.

## Transactions
transactions-title = Transactions
transactions-loading = Loading your history…
transactions-empty-title = No redemptions yet
transactions-empty-text = Vouchers you redeem at an outlet are listed here.
transactions-flagged = Unverified location
transactions-error = Your history could not be shown

## Help
help-title = Help
help-contact = Contact support
help-contact-email = Email { $email }
help-contact-site = Open the help centre
help-q-use = How do I use a voucher?
help-a-use = Claim it, then open it in your wallet at the outlet and tap Redeem now. Show the code at the counter.
help-q-location = Why does it ask for my location?
help-a-location = Only when you redeem: it confirms you are at the outlet. If you do not share it, the voucher is still redeemed and the merchant may ask to check it.
help-q-gone = A voucher disappeared from the list
help-a-gone = It may have run out, expired, or been withdrawn by the merchant. Vouchers already in your wallet stay there until they expire.
help-q-code = I cannot find a voucher someone told me about
help-a-code = Some vouchers are unlocked by a code: type the code in Search.
help-q-wrong = Something went wrong
help-a-wrong = Close this screen and open it again from the app. If it keeps happening, contact the app's support and tell them the code shown with the error.

## Sign-in and errors
sso-title = We could not sign you in
sso-again = Close this screen and open it again from the app.
boot-expired = Your sign-in link has expired.
boot-invalid = This sign-in link is not valid.
boot-rate-limited = Too many sign-ins from this device. Wait a minute, then try again.
boot-network = We could not reach the server. Check your connection, then try again.
boot-failed = Something went wrong on our side.
boot-unknown = This sign-in link did not work.
boot-retry = Try again
not-found-title = Page not found
not-found-text = This link does not lead anywhere. It may be out of date.
not-found-home = Go to vouchers
error-session-required = Open this screen from your app to see your vouchers.
error-session-expired = Your session has ended. Close this screen and open it again from the app.
error-not-found = This no longer exists, or it was never here.
error-voucher-expired = This voucher is no longer valid.
error-voucher-not-claimable = This voucher cannot be claimed yet.
error-out-of-stock = Out of stock: every unit has been claimed.
error-limit-reached = You have claimed this voucher as many times as it allows.
error-already-redeemed = This voucher has already been used.
error-outlet-mismatch = This voucher cannot be used at that outlet.
error-insufficient-coins = You do not have enough coins for this voucher.
error-ledger-unavailable = Your coins could not be checked just now. Nothing was taken: try again in a moment.
error-ledger-refused = Your app did not accept the coin payment. Nothing was taken.
error-coins-unavailable = Coins cannot be used in this app.
error-rate-limited = Too many tries in a short time. Wait a minute and try again.
error-service-unavailable = Something is busy on our side. Try again in a moment.
error-network-error = No connection. Check your network and try again.

# Buying a gift card (checkout, the order's screen)
voucher-buy = Buy
voucher-gift-card = Gift card
voucher-discount = Discount
voucher-discount-off = { $percent } off
checkout-title = Buy a gift card
checkout-loading = Loading the gift card…
checkout-error = This gift card could not be shown
checkout-signed-out = Open this screen from your app to buy this gift card.
checkout-not-sold-title = This voucher is not sold
checkout-not-sold-text = It is claimed from its own screen, not bought.
checkout-see-voucher = See the voucher
checkout-amount-not-sold = { $amount } is not an amount this gift card is sold for: choose one below.
checkout-amount = Amount
checkout-amount-range = From { $min } to { $max }
checkout-amount-invalid = Choose an amount this gift card is sold for: { $amounts }.
checkout-face-value = Gift card value
checkout-discount = Brand discount ({ $percent })
checkout-to-pay = You pay
checkout-pay-with = Pay with
checkout-upi = UPI
checkout-card = Card
checkout-pay = Pay { $amount }
checkout-paying = Opening the payment…
checkout-secure = You pay on the payment provider's page; your card or UPI details never reach this app.
order-title = Your order
order-loading = Loading your order…
order-error = This order could not be shown
order-status-pending = Awaiting payment
order-status-issuing = Issuing
order-status-completed = Completed
order-status-payment-failed = Payment failed
order-status-refund-due = Refund on its way
order-status-refunded = Refunded
order-status-reversed = Taken back
order-ready = Your gift card is ready
order-payment-failed = Payment failed — no money was taken.
order-try-again = Try again
order-not-issued = Payment received, but the gift card could not be issued.
order-refund-on-its-way = A refund of { $amount } is on its way to you.
order-refunded = { $amount } has been refunded to you.
order-reversed = This gift card was taken back.
order-issuing = Payment received — issuing your gift card…
order-waiting = Waiting for your payment
order-waiting-text = If you paid in another app, come back here: this screen updates by itself.
order-check-again = Check again
order-card-label = Your gift card
order-card-number = Card number
order-card-pin = PIN
order-card-hint = Show the code at the counter, or enter the number and PIN when you pay online.
order-discount = Discount
order-paid = Paid
order-placed = Placed
order-reference = Reference
order-line = { $value } card · paid { $paid }
wallet-gift-cards = Gift cards
wallet-gift-card-value = Worth { $value }
transactions-purchases = Purchases
transactions-redemptions = Redemptions
error-payments-unavailable = Buying is not available in this app yet.
error-order-not-payable = This order has already been paid or has ended: open it to see what happened.
