# Kata-kata webview dalam Bahasa Malaysia (mengikut en.ftl).

## The frame of every screen
nav-back = Kembali
nav-close = Tutup
nav-wallet = Dompet
tabs-label = Bahagian
tab-home = Utama
tab-search = Cari
tab-wallet = Dompet
tab-favorites = Kegemaran
tab-help = Bantuan
browse-vouchers = Lihat baucar

## Vouchers as cards
value-fixed = Diskaun { $amount }
value-percent = Diskaun { $percent }%
value-free-item = Percuma
value-bogo = Beli 1, percuma 1
value-type-free-item = Item percuma
value-type-percent = Diskaun peratus
value-type-fixed = Diskaun wang
value-type-bogo = Beli satu, percuma satu
valid-until = Sah hingga { $date }
voucher-count = { $count } baucar
voucher-count-of = { $shown } daripada { $total } baucar

## Home
home-title = Baucar
home-loading = Memuatkan baucar…
home-error = Baucar tidak dapat dimuatkan
search-placeholder = Cari baucar dan peniaga
home-filter-label = Tapis baucar
home-unlocked = Dibuka dengan kod anda
home-unlocked-none = Tiada baucar sepadan dengan kod ini. Semak kod itu, atau tanya orang yang memberikannya.
home-offers = Tawaran
home-empty-title = Belum ada baucar
home-empty-text = Tawaran baharu daripada peniaga akan dipaparkan di sini.
home-featured = Pilihan
home-favorites = Peniaga kegemaran anda
home-categories = Kategori
home-all = Semua baucar
home-no-match = Tiada baucar sepadan dengan carian anda.

## A voucher
voucher-title = Baucar
voucher-loading = Memuatkan baucar…
voucher-error = Baucar ini tidak dapat dipaparkan
voucher-value = Nilai
voucher-type = Jenis
voucher-valid-until = Sah hingga
voucher-left = Baki
voucher-cost = Harga
voucher-coins = { $count } syiling
voucher-used = Anda telah menggunakan baucar ini.
voucher-signed-out = Buka skrin ini daripada aplikasi anda untuk menuntut baucar ini.
claim-button = Tuntut
claim-pending = Menuntut…
claim-in-wallet = Dalam dompet anda.
claim-use-now = Guna sekarang
unavailable-expired = Baucar ini telah tamat tempoh.
unavailable-not-yet = Baucar ini belum boleh dituntut.
unavailable-out-of-stock = Habis stok: semua unit telah dituntut.

## Coins
coins-balance = Baki anda:
coins-amount = { $count } syiling
coins-unavailable = Baki syiling anda tidak dapat dipaparkan sekarang.

## A merchant
merchant-title = Peniaga
merchant-loading = Memuatkan peniaga…
merchant-error = Peniaga ini tidak dapat dipaparkan
merchant-outlets = Cawangan
merchant-no-outlets = Tiada cawangan disenaraikan.
merchant-vouchers = Baucar
merchant-no-vouchers = Tiada baucar daripada peniaga ini buat masa ini.
favorite-on = Kegemaran
favorite-add = Tambah ke kegemaran

## Favourites
favorites-title = Kegemaran
favorites-loading = Memuatkan kegemaran anda…
favorites-empty-title = Belum ada kegemaran
favorites-empty-text = Ketik bintang pada peniaga untuk mengetahui baucar baharunya dahulu.
favorites-error = Kegemaran anda tidak dapat dipaparkan

## Wallet
wallet-title = Dompet
wallet-loading = Memuatkan dompet anda…
wallet-empty-title = Dompet anda kosong
wallet-empty-text = Baucar yang anda tuntut dipaparkan di sini.
wallet-active = Aktif
wallet-redeemed = Telah ditebus
wallet-expired = Tamat tempoh
wallet-history = Sejarah penebusan
wallet-error = Dompet anda tidak dapat dipaparkan

## Redeem
redeem-title = Tebus
redeem-expired-title = Baucar ini telah tamat tempoh
redeem-expired-text = Baucar ini tidak boleh ditebus lagi.
redeem-no-outlets-title = Belum ada cawangan yang menerima baucar ini
redeem-no-outlets-text = Sila semak semula kemudian.
redeem-outlet = Cawangan
redeem-nearest = Cari cawangan terdekat
redeem-now = Tebus sekarang
redeem-locating = Menyemak lokasi anda…
redeem-redeeming = Menebus…
redeem-hint = Tebus di kaunter: kod dipaparkan sebaik sahaja anda menebus, dan baucar itu kemudiannya digunakan.
redeem-confirm-title = Tebus di { $outlet }?
redeem-confirm-text = Kod ini hanya boleh digunakan sekali. Tebus apabila anda berada di kaunter.
redeem-confirm-yes = Ya, tebus
redeem-confirm-no = Bukan sekarang
redeem-no-location = Lokasi anda tidak tersedia, jadi cawangan tidak dapat disusun mengikut jarak.
redeem-without-location = Lokasi anda tidak dapat digunakan. Baucar ditebus tanpanya; peniaga mungkin meminta untuk menyemaknya.
redeem-flagged = Lokasi anda tidak dikongsi, jadi peniaga mungkin meminta untuk menyemak penebusan ini.
redeemed-at = Ditebus di { $outlet }
redeem-qr-label = Kod QR bagi kod baucar
redeem-barcode-label = Kod bar bagi kod baucar
redeem-code-label = Kod baucar
redeem-show-code = Tunjukkan kod ini di kaunter.
copy-code = Salin kod
copy-done = Disalin
copy-failed = Gagal menyalin: pilih kod itu

## Search
search-title = Cari
search-label = Cari baucar
search-button = Cari
search-loading = Mencari…
search-empty-title = Tiada hasil
search-empty-text = Cuba perkataan lain, atau kod kupon yang diberikan kepada anda.
search-error = Carian gagal
search-unknown-category = Kategori “{ $category }” tidak dikenali.

## Transactions
transactions-title = Transaksi
transactions-loading = Memuatkan sejarah anda…
transactions-empty-title = Belum ada penebusan
transactions-empty-text = Baucar yang anda tebus di cawangan disenaraikan di sini.
transactions-flagged = Lokasi tidak disahkan
transactions-error = Sejarah anda tidak dapat dipaparkan

## Help
help-title = Bantuan
help-contact = Hubungi sokongan
help-contact-email = E-mel { $email }
help-contact-site = Buka pusat bantuan
help-q-use = Bagaimanakah saya menggunakan baucar?
help-a-use = Tuntut baucar itu, kemudian bukanya dalam dompet anda di cawangan dan ketik Tebus sekarang. Tunjukkan kod di kaunter.
help-q-location = Mengapakah lokasi saya diminta?
help-a-location = Hanya semasa anda menebus: ia mengesahkan anda berada di cawangan. Jika anda tidak berkongsi lokasi, baucar tetap ditebus dan peniaga mungkin meminta untuk menyemaknya.
help-q-gone = Sebuah baucar hilang daripada senarai
help-a-gone = Baucar itu mungkin telah habis, tamat tempoh, atau ditarik balik oleh peniaga. Baucar yang sudah berada dalam dompet anda kekal di situ sehingga tamat tempoh.
help-q-code = Saya tidak menemui baucar yang diberitahu kepada saya
help-a-code = Sesetengah baucar dibuka dengan kod: taipkan kod itu dalam Cari.
help-q-wrong = Sesuatu tidak kena
help-a-wrong = Tutup skrin ini dan bukanya semula daripada aplikasi. Jika masalah berterusan, hubungi sokongan aplikasi dan beritahu mereka kod yang dipaparkan bersama ralat itu.

## Sign-in and errors
sso-title = Kami tidak dapat mendaftar masuk anda
sso-again = Tutup skrin ini dan bukanya semula daripada aplikasi.
boot-expired = Pautan daftar masuk anda telah tamat tempoh.
boot-invalid = Pautan daftar masuk ini tidak sah.
boot-rate-limited = Terlalu banyak percubaan daftar masuk dari peranti ini. Tunggu seminit, kemudian cuba lagi.
boot-network = Kami tidak dapat menghubungi pelayan. Semak sambungan anda, kemudian cuba lagi.
boot-failed = Berlaku masalah di pihak kami.
boot-unknown = Pautan daftar masuk ini tidak berfungsi.
boot-retry = Cuba lagi
not-found-title = Halaman tidak ditemui
not-found-text = Pautan ini tidak membawa ke mana-mana. Ia mungkin sudah lapuk.
not-found-home = Pergi ke baucar
error-session-required = Buka skrin ini daripada aplikasi anda untuk melihat baucar anda.
error-session-expired = Sesi anda telah tamat. Tutup skrin ini dan bukanya semula daripada aplikasi.
error-not-found = Ini sudah tiada, atau tidak pernah wujud di sini.
error-voucher-expired = Baucar ini tidak sah lagi.
error-voucher-not-claimable = Baucar ini belum boleh dituntut.
error-out-of-stock = Habis stok: semua unit telah dituntut.
error-limit-reached = Anda telah menuntut baucar ini sebanyak yang dibenarkan.
error-already-redeemed = Baucar ini telah digunakan.
error-outlet-mismatch = Baucar ini tidak boleh digunakan di cawangan itu.
error-insufficient-coins = Syiling anda tidak mencukupi untuk baucar ini.
error-ledger-unavailable = Syiling anda tidak dapat disemak sekarang. Tiada apa-apa yang diambil: cuba lagi sebentar nanti.
error-ledger-refused = Aplikasi anda tidak menerima bayaran syiling. Tiada apa-apa yang diambil.
error-coins-unavailable = Syiling tidak boleh digunakan dalam aplikasi ini.
error-rate-limited = Terlalu banyak cubaan dalam masa yang singkat. Tunggu seminit dan cuba lagi.
error-service-unavailable = Sistem kami sedang sibuk. Cuba lagi sebentar nanti.
error-network-error = Tiada sambungan. Semak rangkaian anda dan cuba lagi.

# Membeli kad hadiah
voucher-buy = Beli
voucher-gift-card = Kad hadiah
voucher-discount = Diskaun
voucher-discount-off = Diskaun { $percent }
checkout-title = Beli kad hadiah
checkout-loading = Memuatkan kad hadiah…
checkout-error = Kad hadiah ini tidak dapat dipaparkan
checkout-signed-out = Buka skrin ini dari aplikasi anda untuk membeli kad hadiah ini.
checkout-not-sold-title = Baucar ini tidak dijual
checkout-not-sold-text = Ia dituntut dari skrinnya sendiri, bukan dibeli.
checkout-see-voucher = Lihat baucar
checkout-amount-not-sold = { $amount } bukan amaun yang dijual untuk kad hadiah ini: pilih satu di bawah.
checkout-amount = Amaun
checkout-amount-range = Dari { $min } hingga { $max }
checkout-amount-invalid = Pilih amaun yang dijual untuk kad hadiah ini: { $amounts }.
checkout-face-value = Nilai kad hadiah
checkout-discount = Diskaun jenama ({ $percent })
checkout-to-pay = Anda bayar
checkout-pay-with = Bayar dengan
checkout-upi = UPI
checkout-card = Kad
checkout-pay = Bayar { $amount }
checkout-paying = Membuka pembayaran…
checkout-secure = Anda membayar di halaman penyedia pembayaran; butiran kad atau UPI anda tidak sampai ke aplikasi ini.
order-title = Pesanan anda
order-loading = Memuatkan pesanan anda…
order-error = Pesanan ini tidak dapat dipaparkan
order-status-pending = Menunggu bayaran
order-status-issuing = Sedang dikeluarkan
order-status-completed = Selesai
order-status-payment-failed = Bayaran gagal
order-status-refund-due = Bayaran balik dalam perjalanan
order-status-refunded = Dibayar balik
order-status-reversed = Ditarik balik
order-ready = Kad hadiah anda sudah sedia
order-payment-failed = Bayaran gagal — tiada wang diambil.
order-try-again = Cuba lagi
order-not-issued = Bayaran diterima, tetapi kad hadiah tidak dapat dikeluarkan.
order-refund-on-its-way = Bayaran balik sebanyak { $amount } sedang dihantar kepada anda.
order-refunded = { $amount } telah dibayar balik kepada anda.
order-reversed = Kad hadiah ini telah ditarik balik.
order-issuing = Bayaran diterima — kad hadiah anda sedang dikeluarkan…
order-waiting = Menunggu bayaran anda
order-waiting-text = Jika anda membayar dalam aplikasi lain, kembali ke sini: skrin ini dikemas kini sendiri.
order-check-again = Semak semula
order-card-label = Kad hadiah anda
order-card-number = Nombor kad
order-card-pin = PIN
order-card-hint = Tunjukkan kod di kaunter, atau masukkan nombor dan PIN semasa membayar dalam talian.
order-discount = Diskaun
order-paid = Dibayar
order-placed = Dibuat
order-reference = Rujukan
order-line = Kad { $value } · dibayar { $paid }
wallet-gift-cards = Kad hadiah
wallet-gift-card-value = Bernilai { $value }
transactions-purchases = Pembelian
transactions-redemptions = Penebusan
error-payments-unavailable = Pembelian belum tersedia dalam aplikasi ini.
error-order-not-payable = Pesanan ini sudah dibayar atau telah tamat: bukanya untuk melihat apa yang berlaku.
