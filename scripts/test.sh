#!/usr/bin/env bash
# The test command (README): unit, integration, snapshot and replay tests of
# every crate, then the checks on the committed lab captures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo test --workspace --locked --doc
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  echo "NOTE: cargo-nextest not found, using cargo test" >&2
  cargo test --workspace --locked --no-fail-fast
fi
# diagnose/reflector against real network behaviour in namespaces (root;
# a loud SKIP without it, a failure with CI=true).
bash tests/netns/diagnose.sh
if [ -x lab/check.sh ]; then
  bash lab/check.sh
fi
