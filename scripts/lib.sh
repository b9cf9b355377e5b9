# Shared by scripts/run and scripts/test: checks for (and installs) the tools
# the build needs, and builds the site. Sourced, not run.
#
# The site is built with cargo and wasm-bindgen directly rather than through
# cargo-leptos: installing cargo-leptos takes about 45 minutes on a two-core
# machine, wasm-bindgen-cli about 6. `scripts/dev` installs cargo-leptos for
# `cargo leptos watch`; the layout it builds is the same.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export BRIGHTRUN_SITE_ROOT="${BRIGHTRUN_SITE_ROOT:-$CARGO_TARGET_DIR/site}"
export PATH="$HOME/.cargo/bin:$PATH"
# The compile-checked queries build from their offline data in .sqlx/, never
# from whatever database DATABASE_URL points at (scripts/sqlx-data checks
# .sqlx/ against a live one).
export SQLX_OFFLINE="${SQLX_OFFLINE:-true}"
# A CI run builds once from a fresh clone: incremental caches would only cost
# disk (gigabytes for the server crates) and write time.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"; fi

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version the workspace pins (Cargo.lock is the truth).
pinned_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_rust_tools() {
  command -v cargo >/dev/null || die "Rust is not installed. Install it with rustup: https://rustup.rs (then open a new shell)."
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  local want have
  want="$(pinned_wasm_bindgen)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (found '${have:-none}'; takes a few minutes once)"
    # --locked fails on a yanked transitive crate; the plain install works.
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

have_postgres() {
  [ -n "${BRIGHTRUN_PG_BIN:-}" ] && [ -x "$BRIGHTRUN_PG_BIN/initdb" ] && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return 0
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null
}

# Installs PostgreSQL's server binaries from Debian when they are missing and
# we may (root with apt); otherwise the server says what to do.
ensure_postgres() {
  [ -n "${DATABASE_URL:-}" ] && return 0
  have_postgres && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing PostgreSQL server binaries (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

# wasm-opt from npm's binaryen, pinned in tools/wasm-opt. Never Debian's
# binaryen: its older wasm-opt silently breaks hydration.
ensure_wasm_opt() {
  WASM_OPT="$ROOT/tools/wasm-opt/node_modules/.bin/wasm-opt"
  if [ ! -x "$WASM_OPT" ]; then
    command -v npm >/dev/null || die "npm is needed for wasm-opt (binaryen). Install Node.js 20: https://nodejs.org"
    say "installing wasm-opt (npm binaryen, once)"
    (cd "$ROOT/tools/wasm-opt" && npm ci --no-audit --no-fund --silent)
  fi
}

# Builds the server (cargo profile $1: `serve` for scripts/run, `dev` for
# the tests) and the optimised hydrate bundle into $BRIGHTRUN_SITE_ROOT.
build_site() {
  local profile="${1:-dev}" out
  case "$profile" in dev) out=debug ;; *) out="$profile" ;; esac
  say "building the server ($profile profile)"
  cargo build -p brightrun-server --profile "$profile"
  BRIGHTRUN_BIN="$CARGO_TARGET_DIR/$out/brightrun"
  build_bundle
}

# The hydrate bundle: the `wasm-release` profile (type-erased components,
# see .cargo/config.toml), wasm-bindgen, wasm-opt -Oz, then
# `brightrun site prepare` names the files by their content hash and writes
# brotli and gzip copies beside them. Needs $BRIGHTRUN_BIN.
build_bundle() {
  local bindgen="$CARGO_TARGET_DIR/site-bindgen"
  say "building the WASM bundle (wasm-release profile)"
  local wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/brightrun_frontend.wasm"
  cargo build -p brightrun-frontend --target wasm32-unknown-unknown --profile wasm-release
  # A second start with an unchanged bundle skips wasm-bindgen and wasm-opt.
  if [ "$bindgen/.optimised" -nt "$wasm" ]; then
    say "the optimised WASM bundle is up to date"
  else
    rm -rf "$bindgen" && mkdir -p "$bindgen"
    wasm-bindgen --target web --no-typescript --out-dir "$bindgen" --out-name brightrun "$wasm"
    ensure_wasm_opt
    say "optimising the WASM bundle (wasm-opt -Oz, about a minute)"
    "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --strip-debug --strip-producers \
      "$bindgen/brightrun_bg.wasm" -o "$bindgen/brightrun_bg.wasm"
    touch "$bindgen/.optimised"
  fi
  mkdir -p "$BRIGHTRUN_SITE_ROOT/pkg"
  local manifest="$BRIGHTRUN_SITE_ROOT/pkg/manifest.json"
  if [ "$manifest" -nt "$bindgen/.optimised" ] && [ "$manifest" -nt style/main.css ]; then
    say "the prepared site is up to date ($(grep -o 'brightrun-[0-9a-f]*' "$manifest"))"
  else
    "$BRIGHTRUN_BIN" site prepare --bindgen "$bindgen" --css style/main.css --out "$BRIGHTRUN_SITE_ROOT/pkg"
  fi
  cp -r public/. "$BRIGHTRUN_SITE_ROOT/"
}
