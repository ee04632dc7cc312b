#!/usr/bin/env bash
# pbx.sh -- end-to-end test of `ghostguard guard` in host mode, on the PBX
# itself: the provider's kamailio registrar (digest auth, qop=auth) in
# gg-prov, with the guard in the same namespace (host mode, policy enforce,
# trusted_only = false, trusted = the PSTN gateway 198.51.100.11, NFLOG
# group). The store is SQLite, or the PostgreSQL server GG_E2E_STORE_URL
# names (scripts/test.sh runs this lab against a throwaway PostgreSQL, so
# the daemon's PostgreSQL store is tested end to end). The customer's phones sit behind the NAT router
# gg-router (198.51.100.1): the baresip phone 2001 and 50 SIPp phones.
#
# Checks (one PASS/FAIL line each; exit 1 on any FAIL, 77 = skipped):
#   the phone registers (401, then 200) and calls out and in; 50 phones
#   behind the same NAT register at once and re-register at once (each a
#   401 challenge then 200) and the NAT address is never banned; svcrack
#   against user 2002 is banned after a few failures and never finds the
#   password; so is a SIPp password guesser without any tool fingerprint
#   (by the failure count alone); the phones still register and ring afterwards.
#
# Usage: sudo lab/e2e/pbx.sh   (GG_BIN=path/to/ghostguard, GG_KEEP=1)
set -euo pipefail
# shellcheck source=lab/e2e/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

e2e_setup svcrack sipp baresip kamailio nft gcc python3 jq timeout

NPHONES=50
# phones_register ROUND: the 50 SIPp phones (users 3000..3049, own socket
# each: -t un) register at once through the NAT; true when all got 200
phones_register() {
	log "  gg-pc: $NPHONES phones register at once (SIPp, digest auth, one socket each)"
	nsx gg-pc timeout 40 sipp -sf "$LAB/sipp/uac-register-auth.xml" -inf "$WORK/users.csv" "$PROV:5060" \
		-i "$PC" -t un -max_socket 200 -m "$NPHONES" -r "$NPHONES" -l "$NPHONES" -nostdin -timeout 30s \
		-trace_err -error_file "$WORK/sipp-reg.$1.err" >"$WORK/sipp-reg.$1.log" 2>&1
}

wan_clean() { ! in_kernel "$WAN" && ! listed "$WAN"; }

# ------------------------------------------------------------ the lab
gg_topology
{
	echo "SEQUENTIAL"
	for ((i = 0; i < NPHONES; i++)); do
		echo "$((3000 + i));[authentication username=$((3000 + i)) password=Desk-$((3000 + i))-pw]"
	done
} >"$WORK/users.csv"
for ((i = 0; i < NPHONES; i++)); do
	echo "$((100 + i)):$((3000 + i)):voip.example.net:Desk-$((3000 + i))-pw:::"
done >"$WORK/subscribers"
KAM_USERS=$WORK/subscribers start_kamailio
GUARD_DB=$WORK/guard.db
STORE_URL=${GG_E2E_STORE_URL:-sqlite://$GUARD_DB}
log "store: ${STORE_URL%%:*}"
CFG=$WORK/pbx.toml
cat >"$CFG" <<EOF
# e2e: the guard on the registrar itself (host mode)
mode = "host"
policy = "enforce"
site = "e2e-pbx"

[network]
sip_ports = [5060]
trusted_only = false

[trusted]
# the PSTN gateway (upstream trunk): never banned
servers = ["$GW"]

[detect.thresholds]
bruteforce_failures = 5

[ban]
time = "10m"

[inspect]
nflog_group = 5060

[store]
url = "$STORE_URL"
EOF
"$GG_BIN" config check "$CFG" >/dev/null || die "config check failed"
guard_start gg-prov "$CFG"

# ------------------------------------------- 1. the phone registers and calls
log "1. phone $PHONE_USER registers through the NAT, calls out, gets a call"
pstn_uas
GG_HANGUP_MS=3000 start_phone 400
check "phone registers (401 challenge, then 200)" grep -q "REGISTER auth failed for $PHONE_USER from $WAN" "$WORK/kamailio/kamailio.log"
phone_dial "sip:0201234567@$PROV"
out_ok=0
wait "$UAS_PID" && out_ok=1
check "phone's outgoing call (401 challenge, then answered by the PSTN gateway) completes" test "$out_ok" = 1
PROVCALL_RATE_MS=1000 provider_calls 1
in_ok=0
wait "$PROVCALL_PID" && in_ok=1
check "incoming call from the PSTN gateway rings the phone" test "$in_ok" = 1
check "the NAT address $WAN is not banned after the phone registered and called" wan_clean

# ------------------------------------- 2. 50 phones behind one NAT, at once
log "2. $NPHONES phones behind the same NAT ($WAN) register, then re-register, at once"
check "$NPHONES phones register at once: all 401 then 200" phones_register 1
sleep 1
check "$NPHONES phones re-register at once: all 401 then 200" phones_register 2
sleep 1.5   # NFLOG -> engine -> kernel takes milliseconds; leave it time anyway
check "the NAT address $WAN is never banned ($NPHONES phones + the phone)" wan_clean
nat_inc=$(gg incidents --format json | jq --arg ip "$WAN" '[.[] | select(.source == $ip)] | length')
check "no incident against the NAT address ($nat_inc)" test "$nat_inc" = 0

# ------------------------------------------------------------- 3. svcrack
log "3. scanner $SCAN1: svcrack guesses the password of 2002 (30 words, the 27th is right)"
sv svcrack gg-scan1 -x "$SCAN1" -b "$SCAN1" -u2002 -d "$LAB/conf/svcrack-words.txt" "$PROV"
check "svcrack source $SCAN1 banned in the store and the kernel" banned_in_store "$SCAN1"
check "svcrack never finds the password" not grep -q welcome2002 "$WORK/svcrack.log"
tries=$(grep -c "REGISTER auth failed for 2002 from $SCAN1" "$WORK/kamailio/kamailio.log" || true)
figure "svcrack: wrong passwords kamailio answered" "$tries (ban threshold: 5 failures)"
check "banned after a few failures ($tries <= 10 answered)" test "$tries" -le 10
why=$(gg bans list --format json | jq -r --arg ip "$SCAN1" '.[] | select(.ip == $ip) | .reason')
log "   $SCAN1 banned for: $why"

# ----------------------------------- 3b. password guessing without a tool
log "3b. scanner $SCAN2: SIPp guesses the password of 2003 (phone headers, 30 words, 2 per second)"
{
	echo "SEQUENTIAL"
	grep -v '^#' "$LAB/conf/svcrack-words.txt" | head -n 30 |
		sed 's/.*/2003;[authentication username=2003 password=&]/'
} >"$WORK/guesses.csv"
nsx gg-scan2 timeout 30 sipp -sf "$LAB/sipp/uac-register-auth.xml" -inf "$WORK/guesses.csv" "$PROV:5060" \
	-i "$SCAN2" -m 30 -r 2 -l 1 -nostdin -timeout 20s -recv_timeout 2000 >"$WORK/sipp-guess.log" 2>&1 || true
tries=$(grep -c "REGISTER auth failed for 2003 from $SCAN2:[0-9]* rc=-2" "$WORK/kamailio/kamailio.log" || true)
why=$(gg bans list --format json | jq -r --arg ip "$SCAN2" '.[] | select(.ip == $ip) | .reason')
log "   $SCAN2 banned for: ${why:-nothing}"
check "password guesser $SCAN2 banned by behaviour ($why)" banned_by_behaviour "$SCAN2" "$why"
figure "guessing: wrong passwords kamailio answered" "$tries (ban threshold: 5 failures)"
check "guesser banned after a few failures ($tries <= 8 answered)" test "$tries" -le 8

# ------------------------------------------------ 4. the phones still work
log "4. after the attack: the phones re-register and the phone rings"
check "$NPHONES phones re-register after the attack: all 200" phones_register 3
PROVCALL_RATE_MS=1000 provider_calls 1
in_ok=0
wait "$PROVCALL_PID" && in_ok=1
check "incoming call still rings the phone" test "$in_ok" = 1
check "the NAT address $WAN is still not banned" wan_clean
check "the PSTN gateway $GW is not banned" not in_kernel "$GW"
if wait_heartbeat; then
	figure "pbx: packets inspected" "$(status_field '.daemon.packets')"
	figure "pbx: ban detection -> kernel commit (daemon)" "$(status_field '.daemon.ban_latency_last_us') us"
fi
log "   incidents: $(gg incidents --format json | jq -r '[.[] | "\(.source) \(.kind) \(.detector):\(.code)"] | unique | join("; ")')"

e2e_finish pbx
