#!/usr/bin/env bash
# TernDB build and task runner. Every command sets up what it needs first.
#
#   ./build.sh demo     build and serve the web demo (offline-first board that syncs) on 127.0.0.1
#   ./build.sh shell    open the TernDB shell on a sample database
#   ./build.sh test     run the whole test suite (what CI runs)
#   ./build.sh slt      run the whole sqllogictest corpus, pass rates per directory
#   ./build.sh bench    run the benchmarks (not tests) and print a report
#   ./build.sh bench-sync  run the sync benchmark (50 clients against terndb serve)
#   ./build.sh setup    only create .venv and install the packages
#   ./build.sh wasm     only build the browser/Node bundle (wasm/dist)
#   ./build.sh bench-browser   browser benchmarks (TernDB vs PGlite vs sqlite3 in Pyodide)
#   ./build.sh screenshots     regenerate docs/images/*.png through the web demo's tests
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CORPUS="${TERNDB_SLT_DIR:-$ROOT/../shared/sqllogictest}"

setup() {
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.terndb-setup"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ build.sh -nt "$stamp" ]; then
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -e ".[test,arrow,server]" pyinstrument
    touch "$stamp"
  fi
}

# pytest's pure-Python wheels, for running the core's tests inside Pyodide under Node
# (tests/pyodide; the Pyodide runtime is the one build_wasm installs in wasm/).
pyodide_test_env() {
  local dir="$ROOT/tests/pyodide" wheels="$ROOT/build/pyodide-test-wheels"
  if [ ! -f "$wheels/.stamp" ] || [ "$dir/requirements.txt" -nt "$wheels/.stamp" ]; then
    rm -rf "$wheels"
    "$PY" -m pip download --quiet --no-deps --only-binary=:all: --platform any \
      --python-version 3.14 --implementation py -d "$wheels" -r "$dir/requirements.txt"
    touch "$wheels/.stamp"
  fi
}

# The browser/Node bundle: npm packages in wasm/, the terndb wheel byte-compiled
# by Pyodide's Python, Pyodide's runtime and an extended lock file in wasm/dist/.
# Skipped when wasm/dist is newer than every input.
build_wasm() {
  command -v node >/dev/null || { echo "build_wasm: node (20+) is required" >&2; return 1; }
  if [ ! -d wasm/node_modules/pyodide ] || [ wasm/package.json -nt wasm/node_modules/.package-lock.json ]; then
    (cd wasm && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
      else npm install --no-audit --no-fund --loglevel=error; fi)
  fi
  local stamp=wasm/dist/build-info.json
  if [ -f "$stamp" ] && [ -z "$(find core/terndb wasm/tools pyproject.toml wasm/node_modules/pyodide/package.json \
        -newer "$stamp" -not -name '*.pyc' -not -path '*/__pycache__*' -print -quit)" ]; then
    return 0
  fi
  "$PY" wasm/tools/build.py
}

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium
}

cmd="${1:-help}"
shift || true
case "$cmd" in
  setup)
    setup
    ;;
  test)
    setup
    build_wasm
    pyodide_test_env
    ensure_chromium
    "$PY" -m mypy core/terndb
    TERNDB_SLT_DIR="$CORPUS" "$PY" -m pytest -q "$@"
    ;;
  slt)
    setup
    "$PY" -m tests.conformance.slt --engine terndb --jobs "${JOBS:-2}" --timeout 1800 \
      --out "$ROOT/build/slt-results.json" "$@" "$CORPUS"
    ;;
  bench)
    setup
    "$PY" -m bench.run "$@"
    ;;
  wasm)
    setup
    build_wasm
    ;;
  bench-sync)
    setup
    "$PY" -m bench.sync "$@"
    ;;
  bench-browser)
    setup
    build_wasm
    ensure_chromium
    (cd bench/browser && npm install --no-audit --no-fund --loglevel=error)
    "$PY" -m bench.browser.run "$@"
    ;;
  bench-sync)
    setup
    "$PY" -m bench.sync "$@"
    ;;
  demo)
    setup
    build_wasm
    "$PY" web-demo/demo.py "$@"
    ;;
  shell)
    setup
    "$PY" -m terndb.cli.demo "$@"
    ;;
  screenshots)
    setup
    build_wasm
    ensure_chromium
    TERNDB_SCREENSHOTS="$ROOT/docs/images" "$PY" -m pytest -q tests/demo "$@"
    ;;
  *)
    sed -n '2,13p' "$0"
    ;;
esac
