# shellcheck shell=bash
# common.sh -- shared by the end-to-end tests of `ghostguard guard`
# (gateway.sh, pbx.sh): preflight, the binary, the guard daemon in a lab
# namespace, PASS/FAIL bookkeeping.
#
# Environment: GG_BIN=path (the ghostguard binary; default: cargo build -p
# ghostguard and use the debug binary), GG_KEEP=1 (keep the work dir),
# CI=true (a missing prerequisite is a failure, not a skip: see
# scripts/test.sh).

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$(dirname "$E2E")
REPO=$(dirname "$LAB")
# shellcheck source=lab/lib.sh
source "$LAB/lib.sh"
# shellcheck source=lab/services.sh
source "$LAB/services.sh"

PASSES=0
FAILS=0
pass() { printf 'PASS: %s\n' "$*"; PASSES=$((PASSES + 1)); }
fail() { printf 'FAIL: %s\n' "$*"; FAILS=$((FAILS + 1)); }
# check DESCRIPTION COMMAND...: PASS when COMMAND succeeds
check() {
	local what=$1; shift
	if "$@" >/dev/null; then
		pass "$what"
	else
		fail "$what"
		if [[ -n ${GUARD_NS:-} ]]; then
			log "   the kernel's ban set now:"
			ban_set 4 | grep -A3 elements >&2 || true
		fi
	fi
}
not() { ! "$@" >/dev/null 2>&1; }
# figure NAME VALUE: a measured number, one line each (grep '^FIGURE')
figure() { printf 'FIGURE: %-44s %s\n' "$1" "$2"; }

# e2e_setup TOOL...: preflight (exit 77 = skip), the binary, the work dir
# and the trap that removes every namespace.
e2e_setup() {
	gg_preflight "$@"
	if [[ -z ${GG_BIN:-} ]]; then
		command -v cargo >/dev/null || { echo "SKIP: no GG_BIN and no cargo to build ghostguard"; exit 77; }
		(cd "$REPO" && cargo build -q -p ghostguard --locked) || die "cargo build -p ghostguard failed"
		GG_BIN=${CARGO_TARGET_DIR:-$REPO/target}/debug/ghostguard
	fi
	[[ -x $GG_BIN ]] || die "no ghostguard binary at $GG_BIN"
	WORK=$(mktemp -d /tmp/gg-e2e.XXXXXX)
	chmod 755 "$WORK"
	trap e2e_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM
	gg_lock
	gg_teardown   # stale gg-* namespaces of an earlier, interrupted run
	build_phone_module
	T0=$SECONDS
}

e2e_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ ${GG_LOCKED:-0} == 1 ]] && gg_guard_report
	gg_teardown
	if [[ ${GG_KEEP:-0} == 1 || $rc != 0 ]]; then
		log "work dir kept: $WORK (guard logs: $WORK/guard.*.log)"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}

# e2e_finish NAME: the summary line and the exit code (1 on any FAIL)
e2e_finish() {
	log "$1: $PASSES passed, $FAILS failed in $((SECONDS - T0)) s"
	if ((FAILS)); then
		for f in "$WORK"/guard.*.log; do
			log "--- tail of $f"
			tail -n 20 "$f" >&2
		done
		exit 1
	fi
	exit 0
}

# guard_start NS CONFIG: ghostguard guard in namespace NS
GUARD_RUNS=0
guard_start() {
	GUARD_NS=$1 GUARD_CFG=$2
	GUARD_RUNS=$((GUARD_RUNS + 1))
	GUARD_LOG=$WORK/guard.$GUARD_RUNS.log
	if [[ -z ${MONITOR_PID:-} ]]; then
		# every change of the kernel's sets, time-stamped (for the post-mortem)
		gg_bg "$GUARD_NS" "$WORK/nft-monitor.log" bash -c \
			'nft monitor | while IFS= read -r l; do printf "%(%T)T.%s %s\n" -1 "${EPOCHREALTIME#*.}" "$l"; done'
		MONITOR_PID=$GG_LAST_PID
	fi
	gg_bg "$GUARD_NS" "$GUARD_LOG" "$GG_BIN" guard -c "$GUARD_CFG"
	GUARD_PID=$GG_LAST_PID
	local i
	for i in $(seq 1 100); do
		grep -q "ghostguard: guarding" "$GUARD_LOG" 2>/dev/null && return 0
		kill -0 "$GUARD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$GUARD_LOG" >&2
	die "ghostguard guard did not start in $GUARD_NS"
}

# guard_stop: SIGTERM, as systemd does; the table stays in the kernel
guard_stop() {
	kill -TERM "$GUARD_PID" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do
		kill -0 "$GUARD_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$GUARD_PID" 2>/dev/null
	GUARD_RC=$?
}

# gg CMD ARGS...: an operator command against the running guard's config,
# in the guard's namespace (bans list/add/del, incidents, status)
gg() { nsx "$GUARD_NS" "$GG_BIN" "$@" -c "$GUARD_CFG"; }

# ban_set [4|6]: the kernel's ban set (a dump that races a set change
# fails with EINTR: try again)
ban_set() {
	local i
	for i in 1 2 3; do
		nsx "$GUARD_NS" nft list set inet ghostguard "ban${1:-4}" 2>>"$WORK/nft-list.err" && return 0
		sleep 0.1
	done
	return 1
}

# in_kernel IP: IP is an element of the kernel's ban set
in_kernel() {
	local v=4
	[[ $1 == *:* ]] && v=6
	# Listed first, then searched: `nft ... | grep -q` under pipefail fails
	# when grep exits at the first match and nft gets SIGPIPE.
	local set
	set=$(ban_set "$v") || return 1
	grep -qE "(^|[^0-9a-f.:])${1//./\\.}([^0-9a-f.:]|$)" <<<"$set"
}

# banned_in_store IP: `bans list` shows IP in force and in the kernel
banned_in_store() {
	gg bans list --format json | jq -e --arg ip "$1" 'any(.[]; .ip == $ip and .in_kernel)' >/dev/null
}

# banned_by_behaviour IP REASON: in the kernel, for neither a signature nor
# a structural fingerprint
banned_by_behaviour() {
	[[ -n $2 && $2 != signature:* && $2 != structure:* ]] && in_kernel "$1"
}

# listed IP: `bans list` shows IP in force
listed() {
	gg bans list --format json | jq -e --arg ip "$1" 'any(.[]; .ip == $ip)' >/dev/null
}

# nft_drops: packets dropped so far by the guard's table (all its counters)
nft_drops() {
	nsx "$GUARD_NS" nft list table inet ghostguard | awk '/counter packets/ {
		for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# flood NS SRC RATE SECONDS: bounded SIPp INVITE flood (RATE x SECONDS
# INVITEs) at the router's WAN address
flood() {
	local ns=$1 src=$2 rate=$3 secs=$4
	log "  $ns: sipp flood $rate/s for ${secs}s"
	nsx "$ns" timeout $((secs + 15)) sipp -sf "$LAB/sipp/flood-invite-fire.xml" -s 1000 "$WAN:5060" -i "$src" -p 5070 \
		-m $((rate * secs)) -r "$rate" -l $((rate + 100)) -default_behaviors none -nostdin -timeout $((secs + 8))s \
		>"$WORK/sipp-flood.$rate.log" 2>&1 || true
}

# flood_sent RATE: INVITEs the flood of that rate sent (SIPp's count)
flood_sent() {
	awk -F'|' '/Total Calls created/ { gsub(/ /, "", $3); print $3 }' "$WORK/sipp-flood.$1.log"
}

# wait_until SECONDS COMMAND...: poll without dying (checks decide)
wait_until() {
	local t=$1 i; shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# status_field JQ: one value of `status --format json`
status_field() { gg status --format json | jq -r "$1"; }

# wait_heartbeat: the daemon writes its counters to the store every 10 s;
# wait for the next one so `status` shows fresh figures
heartbeat_newer() { [[ $(status_field '.last_heartbeat // 0') != "$1" ]]; }
wait_heartbeat() {
	local before
	before=$(status_field '.last_heartbeat // 0')
	wait_until 12 heartbeat_newer "$before"
}

# sql QUERY: read the guard's SQLite store directly
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print("|".join("" if v is None else str(v) for v in r)) for r in c.execute(sys.argv[2])]' "$GUARD_DB" "$1"; }

# gateway_lab_up: the PORTFWD lab with a third scanner address
# (203.0.113.88 on gg-scan2), kamailio, the guard in gg-router (gateway
# mode, enforce, protected = the LAN, trusted = the provider) and the phone
gateway_lab_up() {
	PORTFWD=1 gg_topology
	# a third scanner address on gg-scan2 (taken from the dark-net)
	SCAN3=203.0.113.88
	PHONE6=2001:db8:77::20
	ip -n gg-dark addr del "$SCAN3/32" dev dscan
	ip -n gg-scan2 addr add "$SCAN3/24" dev eth0
	start_kamailio
	GUARD_DB=$WORK/guard.db
	CFG=$WORK/gateway.toml
	cat >"$CFG" <<-EOF
	# e2e: the guard on the customer router (gateway mode)
	mode = "gateway"
	policy = "enforce"
	site = "e2e-gateway"

	[network]
	protected = ["192.168.77.0/24", "2001:db8:77::/64"]
	sip_ports = [5060]

	[trusted]
	servers = ["$PROV", "$GW"]

	[ban]
	time = "10m"

	[inspect]
	nflog_group = 5060

	[store]
	url = "sqlite://$GUARD_DB"
	EOF
	"$GG_BIN" config check "$CFG" >/dev/null || die "config check failed"
	guard_start gg-router "$CFG"
	start_phone 400
}
