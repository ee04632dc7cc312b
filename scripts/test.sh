#!/usr/bin/env bash
# The test command (README): unit, integration, snapshot and replay tests of
# every crate, the checks on the committed lab captures, then the
# end-to-end tests of `ghostguard guard` (lab/e2e/, need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo test --workspace --locked --doc
# The tests run beside a throwaway PostgreSQL cluster (scripts/pg-test.sh),
# so the store battery covers PostgreSQL as well as SQLite.
if command -v cargo-nextest >/dev/null 2>&1; then
  bash scripts/pg-test.sh cargo nextest run --workspace --locked --no-fail-fast
else
  echo "NOTE: cargo-nextest not found, using cargo test" >&2
  bash scripts/pg-test.sh cargo test --workspace --locked --no-fail-fast
fi
# diagnose/reflector against real network behaviour in namespaces (root;
# a loud SKIP without it, a failure with CI=true).
bash tests/netns/diagnose.sh
if [ -x lab/check.sh ]; then
  bash lab/check.sh
fi

# End-to-end tests of `ghostguard guard` with real peers in network
# namespaces (root, the lab's tools). Exit 77 means skipped: fine on a
# developer's machine, a failure when CI=true.
cargo build -p ghostguard --locked
GG_BIN=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)/debug/ghostguard
export GG_BIN
e2e_failed=()
for t in lab/e2e/gateway.sh lab/e2e/pbx.sh; do
  rc=0
  if [ "$t" = lab/e2e/pbx.sh ]; then
    # The PBX lab keeps its store in a throwaway PostgreSQL (the gateway
    # lab uses SQLite), so both stores are tested end to end.
    bash scripts/pg-test.sh bash -c 'GG_E2E_STORE_URL=${GHOSTGUARD_TEST_PG_URL:-} exec bash "$0"' "$t" || rc=$?
  else
    bash "$t" || rc=$?
  fi
  if [ "$rc" -eq 77 ] && [ "${CI:-}" = true ]; then
    echo "FAIL: $t skipped (exit 77) but CI=true: the CI must run it" >&2
    e2e_failed+=("$t")
  elif [ "$rc" -eq 77 ]; then
    echo "SKIP: $t (see its SKIP line above)" >&2
  elif [ "$rc" -ne 0 ]; then
    e2e_failed+=("$t")
  fi
done
if [ ${#e2e_failed[@]} -gt 0 ]; then
  echo "FAIL: end-to-end tests: ${e2e_failed[*]}" >&2
  exit 1
fi
