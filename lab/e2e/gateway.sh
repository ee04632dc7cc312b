#!/usr/bin/env bash
# gateway.sh -- end-to-end test of `ghostguard guard` in gateway mode, with
# real peers in the namespace lab (lab/lib.sh): the customer router gg-router
# NATs the LAN and forwards udp/5060 to the baresip phone (which rings on any
# INVITE); the guard runs in the router (policy enforce, protected = the LAN,
# trusted = the provider 198.51.100.10/.11, SQLite store, NFLOG group).
#
# Checks (one PASS/FAIL line each; exit 1 on any FAIL, 77 = skipped):
#   provider calls ring the phone; svmap/svwar INVITE scans through the port
#   forward never ring it and their source is banned (store and kernel);
#   the same scans with a changed User-Agent/From are stopped and banned by
#   behaviour (and so is a SIPp INVITE scan without any tool fingerprint);
#   over IPv6 an svmap scan bans the scanner's address and a fingerprint-
#   free SIPp scan its /64 (ban.ipv6_prefix);
#   provider calls complete during a bounded SIPp flood; bans del
#   lifts a ban; a restart (after --remove) restores the bans in force;
#   incidents and ghost calls are in the store.
# Figures (FIGURE lines): ban latency detection->commit (daemon) and first
# packet->kernel set element (measured outside), flood rate during calls.
#
# Usage: sudo lab/e2e/gateway.sh   (GG_BIN=path/to/ghostguard, GG_KEEP=1)
set -euo pipefail
# shellcheck source=lab/e2e/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

e2e_setup svmap svwar sipp baresip kamailio nft gcc python3 jq timeout

# ------------------------------------------------------------ the lab
gateway_lab_up

# ------------------------------------------------- 1. provider calls ring
log "1. the provider calls the phone 3 times"
PROVCALL_RATE_MS=1500 provider_calls 3
pc_ok=0
wait "$PROVCALL_PID" && pc_ok=1
check "provider calls (SIPp via kamailio) complete: 3 of 3" test "$pc_ok" = 1
check "provider calls ring the phone ($(rings) rings)" test "$(rings)" -ge 3

# --------------------------------------- 2. svmap/svwar through the forward
log "2. scanner $SCAN1: svmap OPTIONS + INVITE, svwar -m INVITE through the port forward"
nsx gg-router python3 "$E2E/banwatch.py" wan0 "$SCAN1" 20 >"$WORK/banwatch1.json" 2>"$WORK/banwatch1.err" &
BW_PID=$!
wait_until 5 grep -q ready "$WORK/banwatch1.err" || fail "banwatch did not start"
sv svmap gg-scan1 -x "$SCAN1" -b "$SCAN1" -m INVITE "$WAN"
sv svmap gg-scan1 -x "$SCAN1" -b "$SCAN1" "$WAN"
sv svwar gg-scan1 -x "$SCAN1" -b "$SCAN1" -m INVITE -e100-120 "$WAN"
wait "$BW_PID" || true
check "svmap/svwar scans never ring the phone (ghost rings: $(ghost_rings))" test "$(ghost_rings)" = 0
check "scanner $SCAN1 banned in the store and the kernel (bans list --format json)" banned_in_store "$SCAN1"
check "scanner $SCAN1 in nft set inet ghostguard ban4" in_kernel "$SCAN1"
lat_ext=$(jq -r '.latency_ms // "n/a"' "$WORK/banwatch1.json")
figure "ban: scanner's first packet -> kernel element" "$lat_ext ms (svmap -m INVITE, measured outside the daemon)"
if wait_heartbeat; then
	figure "ban: detection -> kernel commit (daemon)" "$(status_field '.daemon.ban_latency_last_us') us last, $(status_field '.daemon.ban_latency_max_us') us worst"
fi

# ------------------------------- 3. the same scans with a changed User-Agent
log "3. scanner $SCAN2: the same scans with a faked User-Agent and From"
svw svmap gg-scan2 "Yealink SIP-T46S 66.86.0.15" "Reception" -x "$SCAN2" -b "$SCAN2" --fromname Reception -m INVITE "$WAN"
svw svwar gg-scan2 "Grandstream GXP2170 1.0.11.23" "Office" -x "$SCAN2" -b "$SCAN2" -m INVITE -e200-220 "$WAN"
check "scans with a changed User-Agent never ring the phone (ghost rings: $(ghost_rings))" test "$(ghost_rings)" = 0
check "scanner $SCAN2 (changed User-Agent) banned, store and kernel" banned_in_store "$SCAN2"
why2=$(gg bans list --format json | jq -r --arg ip "$SCAN2" '.[] | select(.ip == $ip) | .reason')
log "   $SCAN2 banned for: ${why2:-nothing}"
check "the ban of $SCAN2 needs no User-Agent signature ($why2)" \
	bash -c '[[ -n $1 && $1 != signature:* ]]' _ "$why2"

# 3b. an INVITE scan without any tool fingerprint: only behaviour is left
log "3b. scanner $SCAN3: SIPp INVITE scan of 40 extensions with a phone's headers (no tool structure)"
seq -f '%g;' 100 139 | sed '1i SEQUENTIAL' >"$WORK/extensions.csv"
nsx gg-scan2 timeout 30 sipp -sf "$LAB/sipp/scan-invite.xml" -inf "$WORK/extensions.csv" "$WAN:5060" \
	-i "$SCAN3" -p 5070 -m 40 -r 10 -l 40 -nostdin -timeout 15s >"$WORK/sipp-scan.log" 2>&1 || true
check "a fingerprint-free INVITE scan never rings the phone (ghost rings: $(ghost_rings))" test "$(ghost_rings)" = 0
why3=$(gg bans list --format json | jq -r --arg ip "$SCAN3" '.[] | select(.ip == $ip) | .reason')
log "   $SCAN3 banned for: ${why3:-nothing}"
check "scanner $SCAN3 (no fingerprint) banned by behaviour ($why3)" \
	banned_by_behaviour "$SCAN3" "$why3"

# 3c. over IPv6: the phone's global address, no NAT. One packet's evidence
# (a signature) bans the address only (it could come from any address of
# its /64); behaviour bans the /64 (ban.ipv6_prefix).
SCAN6=2001:db8:203::66
SCAN6B=2001:db8:203::77
log "3c. scanner $SCAN6: svmap -6 INVITE scan of the phone's IPv6 address"
sv svmap gg-scan1 -6 -m INVITE "$PHONE6"
check "an IPv6 INVITE scan never rings the phone (ghost rings: $(ghost_rings))" test "$(ghost_rings)" = 0
check "IPv6 scanner $SCAN6 (signature) banned, store and kernel" banned_in_store "$SCAN6"
check "the signature ban covers the address only (not $SCAN6B)" \
	not nsx "$GUARD_NS" nft get element inet ghostguard ban6 "{ $SCAN6B }"
log "3c. scanner $SCAN6B: SIPp INVITE scan of 40 extensions over IPv6 (no tool structure)"
nsx gg-scan2 timeout 30 sipp -sf "$LAB/sipp/scan-invite.xml" -inf "$WORK/extensions.csv" "[$PHONE6]:5060" \
	-i "$SCAN6B" -p 5072 -m 40 -r 10 -l 40 -nostdin -timeout 15s >"$WORK/sipp-scan6.log" 2>&1 || true
check "an IPv6 INVITE scan without fingerprint never rings the phone (ghost rings: $(ghost_rings))" test "$(ghost_rings)" = 0
check "IPv6 scanner banned by behaviour with its /64 (2001:db8:203::/64 in bans list)" \
	banned_in_store 2001:db8:203::/64
check "the /64 ban covers another address of it (2001:db8:203::99) in the kernel" \
	nsx "$GUARD_NS" nft get element inet ghostguard ban6 "{ 2001:db8:203::99 }"
check "the /64 ban does not cover the provider's IPv6 network" \
	not nsx "$GUARD_NS" nft get element inet ghostguard ban6 "{ 2001:db8:100::10 }"

# ----------------------------------------------------------- 4. bans del
log "4. bans del $SCAN2"
gg bans del "$SCAN2" >/dev/null
check "bans del: $SCAN2 gone from the kernel set" not in_kernel "$SCAN2"
check "bans del: the store shows the ban of $SCAN2 lifted" \
	test "$(sql "select count(*) from bans where ip = '$SCAN2' and lifted_at is not null")" -ge 1
check "bans del: $SCAN2 no longer in bans list" not listed "$SCAN2"

# -------------------------------------------- 5. provider calls during a flood
FLOOD_RATE=${FLOOD_RATE:-2000}
FLOOD_SECS=4
log "5. SIPp INVITE flood from $SCAN2 at $FLOOD_RATE/s for ${FLOOD_SECS}s during 4 provider calls"
sleep 1.5   # the daemon re-arms a lifted source within 1 s
nsx gg-router python3 "$E2E/banwatch.py" wan0 "$SCAN2" 20 >"$WORK/banwatch2.json" 2>"$WORK/banwatch2.err" &
BW_PID=$!
wait_until 5 grep -q ready "$WORK/banwatch2.err" || fail "banwatch did not start"
PROVCALL_RATE_MS=800 PROVCALL_LIMIT=4 provider_calls 4
flood gg-scan2 "$SCAN2" "$FLOOD_RATE" "$FLOOD_SECS"
pc_ok=0
wait "$PROVCALL_PID" && pc_ok=1
wait "$BW_PID" || true
check "provider calls complete during the flood: 4 of 4" test "$pc_ok" = 1
check "the flood never rings the phone (ghost rings: $(ghost_rings))" test "$(ghost_rings)" = 0
check "flood source $SCAN2 banned again" in_kernel "$SCAN2"
figure "flood during provider calls (0 lost)" "$FLOOD_RATE INVITE/s requested ($(flood_sent "$FLOOD_RATE") INVITEs sent in ${FLOOD_SECS}s)"
figure "ban: flood's first packet -> kernel element" "$(jq -r '.latency_ms // "n/a"' "$WORK/banwatch2.json") ms (threshold: 200 requests in 10 s)"

# ---------------------------------------------------- 6. restart restores
log "6. bans del $SCAN1; stop (SIGTERM), guard --remove, start again"
gg bans del "$SCAN1" >/dev/null
guard_stop
check "guard stops cleanly on SIGTERM (exit $GUARD_RC)" test "$GUARD_RC" = 0
check "the table stays in force after the daemon stopped" in_kernel "$SCAN2"
nsx gg-router "$GG_BIN" guard -c "$CFG" --remove >/dev/null
check "guard --remove deletes the table" not nsx gg-router nft list table inet ghostguard
guard_start gg-router "$CFG"
check "restart restores the ban in force ($SCAN2)" in_kernel "$SCAN2"
check "restart does not restore the lifted ban ($SCAN1)" not in_kernel "$SCAN1"
log "   $(grep -o '[0-9]* bans restored' "$GUARD_LOG")"
PROVCALL_RATE_MS=1000 provider_calls 1
pc_ok=0
wait "$PROVCALL_PID" && pc_ok=1
check "provider calls still ring after the restart" test "$pc_ok" = 1

# ------------------------------------------------ 7. incidents, ghost calls
inc=$(gg incidents --format json)
check "incidents for $SCAN1 in the store" jq -e --arg ip "$SCAN1" 'any(.[]; .source == $ip)' <<<"$inc"
check "incidents for $SCAN2 in the store" jq -e --arg ip "$SCAN2" 'any(.[]; .source == $ip)' <<<"$inc"
check "incidents for $SCAN3 in the store" jq -e --arg ip "$SCAN3" 'any(.[]; .source == $ip)' <<<"$inc"
check "no incident against the provider or the phone" \
	jq -e --arg p "$PROV" --arg g "$GW" --arg ph "$PHONE" 'all(.[]; .source != $p and .source != $g and .source != $ph)' <<<"$inc"
ghosts=$(status_field '.totals.ghost_calls')
check "ghost calls recorded in the store ($ghosts)" test "${ghosts:-0}" -ge 1
log "   incidents: $(jq -r '[.[] | "\(.source) \(.kind) \(.detector):\(.code)"] | unique | join("; ")' <<<"$inc")"

e2e_finish gateway
