# Shared by scripts/run, scripts/test, scripts/build and scripts/bench.
# Every ensure_* step is idempotent: it checks first and installs only what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it by hand or run as root)"; fi
}

APT_UPDATED=""
ensure_apt() { # ensure_apt <command-or-path> <package>
  local probe="$1" pkg="$2"
  if command -v "$probe" >/dev/null 2>&1 || [ -x "$probe" ]; then return; fi
  command -v apt-get >/dev/null || die "$pkg is missing and this is not a Debian system: install $pkg"
  say "installing $pkg (Debian package)"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || die "Rust is missing: install it with rustup (https://rustup.rs)"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  # The lint gate (scripts/test) needs them; rustup's minimal profile has neither.
  local component
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
      say "adding the $component component"
      rustup component add "$component"
    fi
  done
}

# Debug builds of the workspace's own crates go through clippy-driver, as `cargo clippy`
# runs them (RUSTC_WORKSPACE_WRAPPER; dependencies still go to plain rustc): the lint gate
# is then part of the one build the tests, Playwright and scripts/run share, instead of a
# second pass that type-checks every dependency again (7.2 minutes on a cold target).
# Warnings are errors, so a lint stops the build with clippy's message. The same wrapper
# and arguments everywhere, or cargo recompiles the workspace's crates between commands.
# Release builds (scripts/bench, the phone's bundle) are left to rustc alone.
cargo_linted() {
  local driver
  driver="$(command -v clippy-driver)" || die "clippy-driver missing (rustup component add clippy)"
  RUSTC_WORKSPACE_WRAPPER="$driver" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" \
    cargo "$@"
}

# cargo_for <debug|release> <cargo arguments…>: linted for debug builds, plain rustc for release.
cargo_for() {
  local mode="$1"; shift
  if [ "$mode" = release ]; then cargo "$@"; else cargo_linted "$@"; fi
}

# The wasm-bindgen CLI must be exactly the version Cargo.lock pins for the crate.
ensure_wasm_bindgen() {
  local want have
  want="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)"
  [ -n "$want" ] || die "wasm-bindgen is not in Cargo.lock"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (a few minutes, once per machine)"
    CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
      cargo install wasm-bindgen-cli --version "$want" --quiet
  fi
}

# Node packages: Playwright (driving Debian's Chromium) and binaryen's wasm-opt.
ensure_node_packages() {
  command -v npm >/dev/null || ensure_apt npm npm
  local stamp="end2end/node_modules/.installed"
  if [ ! -f "$stamp" ] || [ end2end/package-lock.json -nt "$stamp" ]; then
    say "installing end2end node packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
  export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
}

ensure_chromium() { ensure_apt /usr/bin/chromium chromium; }

ensure_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    ensure_apt /nonexistent-initdb postgresql
  fi
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  export PG_BIN
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# A throwaway PostgreSQL cluster in a temporary folder on a free port, for tests.
# Sets PG_URL; pg_stop tears it down.
pg_start() {
  ensure_postgres
  PG_DIR="$(mktemp -d /tmp/tessera-pg.XXXXXX)"
  PG_PORT="$(free_port)"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || as_root useradd --system --home-dir /var/lib/postgresql postgres
    chown postgres "$PG_DIR"
    run=(runuser -u postgres --)
  fi
  PG_RUN=("${run[@]}")
  "${run[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  # Tests and benches run without durable commits, unless PG_DURABLE=1 (as production runs).
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PG_DURABLE:-}" = 1 ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
  "${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
    "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 $durability -c max_connections=400 ${PG_EXTRA_OPTS:-}" \
    start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  export PG_URL
  say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $PG_PORT ($PG_DIR)"
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

# Builds the site (WASM bundle, CSS, public assets) into target/site.
# $1: debug (default) or release.
# The bundle's files are fingerprinted (tessera.<hash>.js/.wasm/.css, the hashes in
# pkg/hash.txt, which the server reads at start) so they can be cached for a year,
# and compressed once here (.br and .gz beside each), never per request.
build_site() {
  local mode="${1:-debug}" wasm_profile wasm_dir quality
  if [ "$mode" = release ]; then
    wasm_profile=wasm-release; wasm_dir=wasm-release; quality=11
  else
    # Debug bundles are ~3.5 MB: brotli's top quality would take a minute each build.
    wasm_profile=dev; wasm_dir=debug; quality=5
  fi
  ensure_apt brotli brotli
  say "building the WASM bundle ($mode)"
  cargo_for "$mode" build -p tessera-frontend --target wasm32-unknown-unknown --profile "$wasm_profile"
  local site="$ROOT/target/site" pkg="$ROOT/target/site/pkg"
  rm -rf "$pkg"; mkdir -p "$pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name tessera \
    "target/wasm32-unknown-unknown/$wasm_dir/tessera_frontend.wasm"
  if [ "$mode" = release ]; then
    command -v wasm-opt >/dev/null || die "wasm-opt missing (it comes from end2end's node packages)"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$pkg/tessera_bg.wasm" -o "$pkg/tessera_bg.wasm"
  fi
  cp style/main.css "$pkg/tessera_bg.css"
  : > "$pkg/hash.txt"
  local kind file hash
  for kind in js wasm css; do
    if [ "$kind" = js ]; then file="$pkg/tessera.js"; else file="$pkg/tessera_bg.$kind"; fi
    hash="$(sha256sum "$file" | cut -c1-16)"
    mv "$file" "$pkg/tessera.$hash.$kind"
    echo "$kind: $hash" >> "$pkg/hash.txt"
    gzip -9 -k "$pkg/tessera.$hash.$kind"
    brotli -q "$quality" -k "$pkg/tessera.$hash.$kind"
  done
  cp -r public/. "$site/"
  # The phone screenshots /docs/webview shows (drawn by end2end/tests/docs-screens.spec.ts).
  mkdir -p "$site/docs/screens" && cp docs/screens/*.png "$site/docs/screens/" 2>/dev/null || true
}

# The site and the tessera binary. $1: debug (default) or release.
build_all() {
  local mode="${1:-debug}" profile=()
  build_site "$mode"
  say "building the tessera binary ($mode)"
  [ "$mode" = release ] && profile=(--release)
  cargo_for "$mode" build -p tessera "${profile[@]}"
}
