#!/usr/bin/env bash
# The test command (README): unit, integration, snapshot and replay tests of
# every crate, then the checks on the committed lab captures.
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
