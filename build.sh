#!/usr/bin/env bash
# TernDB build and task runner. Every command sets up what it needs first.
#
#   ./build.sh demo     open the TernDB shell on a sample database
#   ./build.sh test     run the whole test suite (what CI runs)
#   ./build.sh slt      run the whole sqllogictest corpus, pass rates per directory
#   ./build.sh bench    run the benchmarks (not tests) and print a report
#   ./build.sh bench-sync  run the sync benchmark (50 clients against terndb serve)
#   ./build.sh setup    only create .venv and install the packages
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

cmd="${1:-help}"
shift || true
case "$cmd" in
  setup)
    setup
    ;;
  test)
    setup
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
  bench-sync)
    setup
    "$PY" -m bench.sync "$@"
    ;;
  demo)
    setup
    "$PY" -m terndb.cli.demo "$@"
    ;;
  *)
    sed -n '2,10p' "$0"
    ;;
esac
