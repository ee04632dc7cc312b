#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster:
#   bash scripts/pg-test.sh cargo nextest run -p ghostguard-store
# The cluster lives in a temporary directory, listens on a unix socket in
# that directory only (no TCP), trusts local connections, and is stopped and
# removed when the command ends. The command sees
#   GHOSTGUARD_TEST_PG_URL=postgres://postgres@localhost/postgres?host=<dir>&port=<port>
# Without PostgreSQL binaries the command runs without the variable (the
# PostgreSQL half of the store battery then prints SKIP) — unless CI=true,
# where that is an error.
set -euo pipefail
if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

missing() {
  local why="$1"
  shift
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: pg-test: $why (CI=true: PostgreSQL tests must run)" >&2
    exit 1
  fi
  echo "SKIP: pg-test: $why; running without GHOSTGUARD_TEST_PG_URL" >&2
  exec "$@"
}

bindir=""
for v in 15 16 17 14; do
  if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then bindir="/usr/lib/postgresql/$v/bin"; break; fi
done
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
  bindir="$(dirname "$(command -v initdb)")"
fi
[ -n "$bindir" ] || missing "no initdb found (apt-get install postgresql)" "$@"

# initdb refuses to run as root: run the server as `postgres` then.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || missing "running as root and there is no postgres user" "$@"
  as_pg=(runuser -u postgres --)
fi

dir="$(mktemp -d /tmp/ghostguard-pg.XXXXXX)"
chmod 700 "$dir"
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir"

# Runs as the cluster's owner, from the cluster's directory (the caller's
# working directory may be closed to that user).
pg() { (cd "$dir" && "${as_pg[@]}" "$@"); }

cleanup() {
  pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port number only names the socket file; pick one unlikely to be in use.
port=$((20000 + RANDOM % 20000))
pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  echo "ERROR: pg-test: initdb failed" >&2
  exit 1
}
pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $port -c fsync=off -c max_connections=200" \
  start >/dev/null || {
  cat "$dir/server.log" >&2
  echo "ERROR: pg-test: the PostgreSQL server did not start" >&2
  exit 1
}
export GHOSTGUARD_TEST_PG_URL="postgres://postgres@localhost/postgres?host=$dir&port=$port"
echo "pg-test: PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') at $dir (port $port)" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
