#!/usr/bin/env bash
# bench.sh -- figures of `ghostguard guard` in the gateway lab (not a test:
# it prints FIGURE lines and a table; exit 0 unless the lab breaks).
#
#  1. ban latency, REPEAT times: a scanner's first packet on the router's WAN
#     interface -> its element in the kernel's ban set (banwatch.py, outside
#     the daemon), and the daemon's own detection -> kernel commit;
#  2. a flood ladder: a SIPp INVITE flood from 203.0.113.77 at each rate of
#     RATES for SECS seconds while the provider calls the phone 4 times;
#     for each rate the rate that reached the router, the provider calls
#     completed, the flood's first packet -> ban. The flood source's ban is
#     lifted before each step, so every step goes through detection;
#  3. the anchor: the same ladder (same rates, seconds, provider calls)
#     against Kamailio with pike + secfilter as the router's SIP front
#     (lab/e2e/anchor.sh, lab/conf/kamailio-pike.cfg), printed side by side
#     with the guard's; then the guard's inspection rate on one core
#     (ghostguard-guard-bench --messages 200000; GUARD_BENCH=path to run a
#     built binary instead of cargo run, GUARD_BENCH=none to leave it out).
#
# Usage: sudo lab/e2e/bench.sh   (RATES="1000 5000" SECS=5 REPEAT=5 GG_BIN=...)
# A release binary gives the figures that count: GG_BIN=target/release/ghostguard.
set -euo pipefail
# shellcheck source=lab/e2e/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=lab/e2e/anchor.sh
source "$(dirname "${BASH_SOURCE[0]}")/anchor.sh"

RATES=${RATES:-1000 2000 5000 10000 20000}
SECS=${SECS:-5}
REPEAT=${REPEAT:-5}

e2e_setup svmap sipp baresip kamailio kamcmd conntrack nft gcc python3 jq timeout
gateway_lab_up
log "binary: $GG_BIN"

# lift IP: bans del, then give the daemon its 1 s to re-arm the source
lift() {
	gg bans del "$1" >/dev/null
	sleep 1.5
}

# watch IP TAG: banwatch.py in the router, in the background
watch() {
	nsx gg-router python3 "$E2E/banwatch.py" wan0 "$1" 30 >"$WORK/bw.$2.json" 2>"$WORK/bw.$2.err" &
	BW_PID=$!
	wait_until 5 grep -q ready "$WORK/bw.$2.err" || die "banwatch did not start"
}

# ------------------------------------------------------------ 1. ban latency
log "1. ban latency: svmap -m INVITE from $SCAN1, $REPEAT times"
lats=()
for ((i = 1; i <= REPEAT; i++)); do
	watch "$SCAN1" "scan$i"
	sv svmap gg-scan1 -x "$SCAN1" -b "$SCAN1" -m INVITE "$WAN"
	wait "$BW_PID" || true
	lats+=("$(jq -r '.latency_ms // "n/a"' "$WORK/bw.scan$i.json")")
	lift "$SCAN1"
done
figure "ban: first packet -> kernel element (ms)" "${lats[*]}"
wait_heartbeat || true
figure "ban: detection -> kernel commit (daemon)" "$(status_field '.daemon.ban_latency_last_us') us last, $(status_field '.daemon.ban_latency_max_us') us worst"

# ------------------------------------------------------------ 2. flood ladder
rx() { nsx gg-router cat /sys/class/net/wan0/statistics/rx_packets; }
rows=()
grows=()
best=0
for rate in $RATES; do
	log "2. flood $rate INVITE/s for ${SECS}s from $SCAN2 during 4 provider calls"
	watch "$SCAN2" "flood$rate"
	ghosts=$(ghost_rings)
	r0=$(rx)
	PROVCALL_RATE_MS=800 PROVCALL_LIMIT=4 provider_calls 4
	flood gg-scan2 "$SCAN2" "$rate" "$SECS"
	r1=$(rx)
	ok=0
	wait "$PROVCALL_PID" && ok=1
	wait "$BW_PID" || true
	calls=$(grep -E 'Successful call' "$WORK"/sipp-uac.4.*.log | tail -1 | awk -F'|' '{gsub(/ /, "", $3); print $3}')
	sent=$(flood_sent "$rate")
	# SIPp's own average rate over its run (calls created / elapsed)
	got=$(awk -F'|' '/Call Rate/ { v = $3 } END { gsub(/[^0-9.]/, "", v); printf "%d", v }' "$WORK/sipp-flood.$rate.log")
	at_wan=$((r1 - r0))
	lat=$(jq -r '.latency_ms // "n/a"' "$WORK/bw.flood$rate.json")
	rows+=("$(printf '%8s %10s %10s %12s %14s %16s' "$rate" "$sent" "$got" "$at_wan" "${calls:-0}/4" "$lat")")
	ghosts=$(($(ghost_rings) - ghosts))
	grows+=("$(printf '%8s %10s %14s %8s %12s' "$rate" "$got" "${calls:-0}/4" "$ghosts" "$lat")")
	rm -f "$WORK"/sipp-uac.4.*.log
	if ((ok)) && ((got > best)); then best=$got; fi
	lift "$SCAN2"
done
printf '\n%8s %10s %10s %12s %14s %16s\n' "asked/s" "INVITEs" "sent/s" "WAN rx pkts" "provider calls" "first pkt->ban ms"
printf '%s\n' "${rows[@]}"
figure "flood: highest rate with 0 lost provider calls" "$best INVITE/s (SIPp's average over its run)"
wait_heartbeat || true
figure "guard: packets inspected / NFLOG overruns" "$(status_field '.daemon.packets') / $(status_field '.daemon.nflog_overruns')"

# ------------------------------------------------------------ 3. the anchor
anchor_ladder
figure "anchor: highest rate with 0 lost provider calls" "$ANCHOR_BEST INVITE/s (kamailio pike+secfilter)"
inspect="n/a"
if [[ ${GUARD_BENCH:-} != none ]]; then
	log "guard inspection rate: ghostguard-guard-bench --messages 200000"
	if [[ -n ${GUARD_BENCH:-} ]]; then
		(cd "$WORK" && "$GUARD_BENCH" --messages 200000) >"$WORK/guard-bench.log" 2>&1 || true
	elif [[ -f $REPO/crates/bench/src/bin/ghostguard-guard-bench.rs ]]; then
		(cd "$REPO" && cargo run -q --release -p ghostguard-bench --bin ghostguard-guard-bench -- --messages 200000) \
			>"$WORK/guard-bench.log" 2>&1 || true
	fi
	inspect=$(awk '/inspection rate/ { for (i = 1; i < NF; i++) if ($(i + 1) == "packets/s") print $i }' "$WORK/guard-bench.log" 2>/dev/null || true)
fi
printf '\nflood ladder, %s s per step from %s, 4 provider calls each: ghostguard guard vs kamailio pike+secfilter\n' "$SECS" "$SCAN2"
printf '%8s | %10s %14s %8s %12s | %10s %14s %10s %10s %8s %12s\n' "" "ghostguard" "" "" "" "kamailio" "" "" "" "" ""
printf '%8s | %10s %14s %8s %12s | %10s %14s %10s %10s %8s %12s\n' "asked/s" "sent/s" "provider calls" "rings" "pkt->ban ms" \
	"sent/s" "provider calls" "relayed" "pike drop" "rings" "pkt->pike ms"
for ((i = 0; i < ${#grows[@]}; i++)); do
	printf '%s | %s\n' "${grows[$i]}" "${ANCHOR_ROWS[$i]:-}"
done
printf '(rings: flood INVITEs that rang the phone; relayed: flood requests kamailio passed to the phone)\n'
figure "guard: inspection rate, one core" "${inspect:-n/a} packets/s (ghostguard-guard-bench --messages 200000)"
e2e_finish bench
