# वेबव्यू के शब्द हिन्दी में (en.ftl के अनुसार)।

## The frame of every screen
nav-back = वापस
nav-close = बंद करें
nav-wallet = वॉलेट
tabs-label = अनुभाग
tab-home = होम
tab-search = खोजें
tab-wallet = वॉलेट
tab-favorites = पसंदीदा
tab-help = सहायता
browse-vouchers = वाउचर देखें

## Vouchers as cards
value-fixed = { $amount } की छूट
value-percent = { $percent }% की छूट
value-free-item = मुफ़्त
value-bogo = 1 ख़रीदें, 1 मुफ़्त
value-type-free-item = मुफ़्त वस्तु
value-type-percent = प्रतिशत छूट
value-type-fixed = राशि की छूट
value-type-bogo = एक ख़रीदें, एक मुफ़्त
valid-until = { $date } तक मान्य
voucher-count = { $count } वाउचर
voucher-count-of = { $total } में से { $shown } वाउचर

## Home
home-title = वाउचर
home-loading = वाउचर लोड हो रहे हैं…
home-error = वाउचर लोड नहीं हो सके
search-placeholder = वाउचर और व्यापारी खोजें
home-filter-label = वाउचर छाँटें
home-unlocked = आपके कोड से खुले
home-unlocked-none = इस कोड से कोई वाउचर मेल नहीं खाता। कोड जाँचें, या जिसने दिया उससे पूछें।
home-offers = ऑफ़र
home-empty-title = अभी कोई वाउचर नहीं
home-empty-text = व्यापारियों के नए ऑफ़र यहाँ दिखेंगे।
home-featured = ख़ास
home-favorites = आपके पसंदीदा व्यापारी
home-categories = श्रेणियाँ
home-all = सभी वाउचर
home-no-match = आपकी खोज से कोई वाउचर मेल नहीं खाता।

## A voucher
voucher-title = वाउचर
voucher-loading = वाउचर लोड हो रहा है…
voucher-error = यह वाउचर दिखाया नहीं जा सका
voucher-value = मूल्य
voucher-type = प्रकार
voucher-valid-until = मान्यता
voucher-left = बचे हुए
voucher-cost = क़ीमत
voucher-coins = { $count } सिक्के
voucher-used = आप यह वाउचर इस्तेमाल कर चुके हैं।
voucher-signed-out = यह वाउचर पाने के लिए यह स्क्रीन अपने ऐप से खोलें।
claim-button = पाएँ
claim-pending = पा रहे हैं…
claim-in-wallet = आपके वॉलेट में।
claim-use-now = अभी इस्तेमाल करें
unavailable-expired = यह वाउचर समाप्त हो चुका है।
unavailable-not-yet = यह वाउचर अभी पाया नहीं जा सकता।
unavailable-out-of-stock = स्टॉक ख़त्म: सभी यूनिट पाए जा चुके हैं।

## Coins
coins-balance = आपकी शेष राशि:
coins-amount = { $count } सिक्के
coins-unavailable = आपके सिक्कों की शेष राशि अभी उपलब्ध नहीं है।

## A merchant
merchant-title = व्यापारी
merchant-loading = व्यापारी लोड हो रहा है…
merchant-error = यह व्यापारी दिखाया नहीं जा सका
merchant-outlets = आउटलेट
merchant-no-outlets = कोई आउटलेट सूचीबद्ध नहीं है।
merchant-vouchers = वाउचर
merchant-no-vouchers = इस व्यापारी के अभी कोई वाउचर नहीं हैं।
favorite-on = पसंदीदा
favorite-add = पसंदीदा में जोड़ें

## Favourites
favorites-title = पसंदीदा
favorites-loading = आपके पसंदीदा लोड हो रहे हैं…
favorites-empty-title = अभी कोई पसंदीदा नहीं
favorites-empty-text = किसी व्यापारी पर तारा दबाएँ, ताकि उसके नए वाउचर की ख़बर सबसे पहले मिले।
favorites-error = आपके पसंदीदा दिखाए नहीं जा सके

## Wallet
wallet-title = वॉलेट
wallet-loading = आपका वॉलेट लोड हो रहा है…
wallet-empty-title = आपका वॉलेट ख़ाली है
wallet-empty-text = आप जो वाउचर पाते हैं, वे यहाँ दिखते हैं।
wallet-active = सक्रिय
wallet-redeemed = इस्तेमाल किए गए
wallet-expired = समाप्त
wallet-history = इस्तेमाल का इतिहास
wallet-error = आपका वॉलेट दिखाया नहीं जा सका

## Redeem
redeem-title = इस्तेमाल करें
redeem-expired-title = यह वाउचर समाप्त हो चुका है
redeem-expired-text = इसे अब इस्तेमाल नहीं किया जा सकता।
redeem-no-outlets-title = अभी कोई आउटलेट यह वाउचर स्वीकार नहीं करता
redeem-no-outlets-text = बाद में फिर देखें।
redeem-outlet = आउटलेट चुनें
redeem-nearest = सबसे नज़दीकी आउटलेट खोजें
redeem-now = अभी इस्तेमाल करें
redeem-locating = आपकी लोकेशन जाँची जा रही है…
redeem-redeeming = इस्तेमाल हो रहा है…
redeem-hint = काउंटर पर इस्तेमाल करें: इस्तेमाल करते ही कोड दिखता है, और फिर वाउचर इस्तेमाल हो जाता है।
redeem-confirm-title = { $outlet } पर इस्तेमाल करें?
redeem-confirm-text = कोड सिर्फ़ एक बार इस्तेमाल हो सकता है। काउंटर पर पहुँचकर ही इस्तेमाल करें।
redeem-confirm-yes = हाँ, इस्तेमाल करें
redeem-confirm-no = अभी नहीं
redeem-no-location = आपकी लोकेशन उपलब्ध नहीं है, इसलिए आउटलेट दूरी के अनुसार नहीं लगाए जा सकते।
redeem-without-location = आपकी लोकेशन इस्तेमाल नहीं हो सकी। वाउचर उसके बिना इस्तेमाल किया गया; व्यापारी इसकी जाँच करना चाह सकता है।
redeem-flagged = आपकी लोकेशन साझा नहीं की गई, इसलिए व्यापारी इस इस्तेमाल की जाँच करना चाह सकता है।
redeemed-at = { $outlet } पर इस्तेमाल किया गया
redeem-qr-label = वाउचर कोड का QR कोड
redeem-barcode-label = वाउचर कोड का बारकोड
redeem-code-label = वाउचर कोड
redeem-show-code = यह कोड काउंटर पर दिखाएँ।
copy-code = कोड कॉपी करें
copy-done = कॉपी हो गया
copy-failed = कॉपी नहीं हो सका: कोड चुनें

## Search
search-title = खोज
search-label = वाउचर खोजें
search-button = खोजें
search-loading = खोज रहे हैं…
search-empty-title = कुछ नहीं मिला
search-empty-text = कोई और शब्द आज़माएँ, या आपको मिला कूपन कोड।
search-error = खोज विफल रही
search-unknown-category = अज्ञात श्रेणी “{ $category }”।

## Transactions
transactions-title = लेन-देन
transactions-loading = आपका इतिहास लोड हो रहा है…
transactions-empty-title = अभी कोई इस्तेमाल नहीं
transactions-empty-text = आउटलेट पर इस्तेमाल किए गए वाउचर यहाँ दिखते हैं।
transactions-flagged = लोकेशन की पुष्टि नहीं
transactions-error = आपका इतिहास दिखाया नहीं जा सका

## Help
help-title = सहायता
help-contact = सहायता टीम से संपर्क करें
help-contact-email = { $email } पर ईमेल करें
help-contact-site = सहायता केंद्र खोलें
help-q-use = मैं वाउचर कैसे इस्तेमाल करूँ?
help-a-use = उसे पाएँ, फिर आउटलेट पर अपने वॉलेट में खोलें और अभी इस्तेमाल करें दबाएँ। काउंटर पर कोड दिखाएँ।
help-q-location = यह मेरी लोकेशन क्यों माँगता है?
help-a-location = सिर्फ़ इस्तेमाल करते समय: इससे पुष्टि होती है कि आप आउटलेट पर हैं। अगर आप इसे साझा नहीं करते, तब भी वाउचर इस्तेमाल हो जाता है और व्यापारी इसकी जाँच करना चाह सकता है।
help-q-gone = सूची से एक वाउचर ग़ायब हो गया
help-a-gone = हो सकता है वह ख़त्म हो गया हो, समाप्त हो गया हो, या व्यापारी ने वापस ले लिया हो। जो वाउचर आपके वॉलेट में हैं, वे समाप्त होने तक वहीं रहते हैं।
help-q-code = किसी ने जिस वाउचर के बारे में बताया, वह मुझे नहीं मिल रहा
help-a-code = कुछ वाउचर कोड से खुलते हैं: खोज में वह कोड लिखें।
help-q-wrong = कुछ गड़बड़ हो गई
help-a-wrong = यह स्क्रीन बंद करें और ऐप से फिर खोलें। अगर ऐसा होता रहे, तो ऐप की सहायता टीम से संपर्क करें और त्रुटि के साथ दिखा कोड बताएँ।

## Sign-in and errors
sso-title = हम आपको साइन इन नहीं कर सके
sso-again = यह स्क्रीन बंद करें और ऐप से फिर खोलें।
boot-expired = आपके साइन-इन लिंक की अवधि समाप्त हो गई है।
boot-invalid = यह साइन-इन लिंक मान्य नहीं है।
boot-rate-limited = इस डिवाइस से बहुत अधिक साइन-इन हुए। एक मिनट रुकें, फिर दोबारा कोशिश करें।
boot-network = हम सर्वर तक नहीं पहुँच सके। अपना कनेक्शन जाँचें, फिर दोबारा कोशिश करें।
boot-failed = हमारी ओर से कुछ गड़बड़ हो गई।
boot-unknown = यह साइन-इन लिंक काम नहीं किया।
boot-retry = दोबारा कोशिश करें
not-found-title = पेज नहीं मिला
not-found-text = यह लिंक कहीं नहीं ले जाता। शायद यह पुराना हो चुका है।
not-found-home = वाउचर पर जाएँ
error-session-required = अपने वाउचर देखने के लिए यह स्क्रीन अपने ऐप से खोलें।
error-session-expired = आपका सत्र समाप्त हो गया है। यह स्क्रीन बंद करें और ऐप से फिर खोलें।
error-not-found = यह अब मौजूद नहीं है, या कभी यहाँ था ही नहीं।
error-voucher-expired = यह वाउचर अब मान्य नहीं है।
error-voucher-not-claimable = यह वाउचर अभी पाया नहीं जा सकता।
error-out-of-stock = स्टॉक ख़त्म: सभी यूनिट पाए जा चुके हैं।
error-limit-reached = आप यह वाउचर जितनी बार अनुमति है, उतनी बार पा चुके हैं।
error-already-redeemed = यह वाउचर पहले ही इस्तेमाल हो चुका है।
error-outlet-mismatch = यह वाउचर उस आउटलेट पर इस्तेमाल नहीं हो सकता।
error-insufficient-coins = इस वाउचर के लिए आपके पास पर्याप्त सिक्के नहीं हैं।
error-ledger-unavailable = अभी आपके सिक्के जाँचे नहीं जा सके। कुछ भी नहीं काटा गया: थोड़ी देर में फिर कोशिश करें।
error-ledger-refused = आपके ऐप ने सिक्कों का भुगतान स्वीकार नहीं किया। कुछ भी नहीं काटा गया।
error-coins-unavailable = इस ऐप में सिक्के इस्तेमाल नहीं किए जा सकते।
error-rate-limited = कम समय में बहुत ज़्यादा कोशिशें। एक मिनट रुककर फिर कोशिश करें।
error-service-unavailable = हमारी ओर से कुछ व्यस्त है। थोड़ी देर में फिर कोशिश करें।
error-network-error = कनेक्शन नहीं है। अपना नेटवर्क जाँचें और फिर कोशिश करें।

# गिफ़्ट कार्ड ख़रीदना
voucher-buy = ख़रीदें
voucher-gift-card = गिफ़्ट कार्ड
voucher-discount = छूट
voucher-discount-off = { $percent } की छूट
checkout-title = गिफ़्ट कार्ड ख़रीदें
checkout-loading = गिफ़्ट कार्ड लोड हो रहा है…
checkout-error = यह गिफ़्ट कार्ड दिखाया नहीं जा सका
checkout-signed-out = यह गिफ़्ट कार्ड ख़रीदने के लिए इस स्क्रीन को अपने ऐप से खोलें।
checkout-not-sold-title = यह वाउचर बिकता नहीं है
checkout-not-sold-text = इसे अपनी स्क्रीन से क्लेम किया जाता है, ख़रीदा नहीं जाता।
checkout-see-voucher = वाउचर देखें
checkout-amount-not-sold = { $amount } इस गिफ़्ट कार्ड की कोई राशि नहीं है: नीचे से एक चुनें।
checkout-amount = राशि
checkout-amount-range = { $min } से { $max } तक
checkout-amount-invalid = वह राशि चुनें जिसमें यह गिफ़्ट कार्ड बिकता है: { $amounts }।
checkout-face-value = गिफ़्ट कार्ड का मूल्य
checkout-discount = ब्रांड छूट ({ $percent })
checkout-to-pay = आप चुकाएँगे
checkout-pay-with = भुगतान का तरीका
checkout-upi = UPI
checkout-card = कार्ड
checkout-pay = { $amount } चुकाएँ
checkout-paying = भुगतान खुल रहा है…
checkout-secure = आप भुगतान प्रदाता के पेज पर भुगतान करते हैं; आपके कार्ड या UPI का विवरण इस ऐप तक नहीं पहुँचता।
order-title = आपका ऑर्डर
order-loading = आपका ऑर्डर लोड हो रहा है…
order-error = यह ऑर्डर दिखाया नहीं जा सका
order-status-pending = भुगतान बाकी
order-status-issuing = जारी हो रहा है
order-status-completed = पूरा हुआ
order-status-payment-failed = भुगतान विफल
order-status-refund-due = रिफ़ंड आ रहा है
order-status-refunded = रिफ़ंड हो गया
order-status-reversed = वापस लिया गया
order-ready = आपका गिफ़्ट कार्ड तैयार है
order-payment-failed = भुगतान विफल — कोई पैसा नहीं कटा।
order-try-again = फिर से कोशिश करें
order-not-issued = भुगतान मिल गया, लेकिन गिफ़्ट कार्ड जारी नहीं हो सका।
order-refund-on-its-way = { $amount } का रिफ़ंड आपको भेजा जा रहा है।
order-refunded = { $amount } आपको रिफ़ंड कर दिए गए हैं।
order-reversed = यह गिफ़्ट कार्ड वापस ले लिया गया।
order-issuing = भुगतान मिल गया — आपका गिफ़्ट कार्ड जारी हो रहा है…
order-waiting = आपके भुगतान की प्रतीक्षा है
order-waiting-text = अगर आपने किसी दूसरे ऐप में भुगतान किया है, तो यहाँ लौटें: यह स्क्रीन अपने-आप अपडेट होती है।
order-check-again = फिर से जाँचें
order-card-label = आपका गिफ़्ट कार्ड
order-card-number = कार्ड नंबर
order-card-pin = पिन
order-card-hint = काउंटर पर कोड दिखाएँ, या ऑनलाइन भुगतान करते समय नंबर और पिन डालें।
order-discount = छूट
order-paid = चुकाया
order-placed = ऑर्डर किया
order-reference = संदर्भ
order-line = { $value } का कार्ड · { $paid } चुकाए
wallet-gift-cards = गिफ़्ट कार्ड
wallet-gift-card-value = मूल्य { $value }
transactions-purchases = ख़रीदारी
transactions-redemptions = इस्तेमाल
error-payments-unavailable = इस ऐप में अभी ख़रीदारी उपलब्ध नहीं है।
error-order-not-payable = इस ऑर्डर का भुगतान हो चुका है या यह समाप्त हो गया है: क्या हुआ यह देखने के लिए इसे खोलें।
