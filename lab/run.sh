#!/usr/bin/env bash
# run.sh -- ghostguard lab: builds a namespace topology with real SIP tools
# (kamailio, baresip, SIPp, sipvicious, sipsak), runs attack/benign
# scenarios and records one pcap + ground-truth file per scenario into
# testdata/lab/.  Usage: sudo lab/run.sh [--list] [scenario...]
#
# Exit codes: 0 ok, 1 failure, 77 skipped (not root / no netns / tools missing).
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$LAB")
OUT=${GG_OUT:-$REPO/testdata/lab}
# shellcheck source=lab/lib.sh
source "$LAB/lib.sh"
# shellcheck source=lab/services.sh
source "$LAB/services.sh"

ALL_SCENARIOS=(
	legit-register-call
	portforward-svmap
	portforward-svwar
	svcrack-registrar
	lan-infected-svmap
	sipsak-options
	alg-on
	alg-off
	scan-changed-ua
	ipv6-svmap
	routing-loop
)

# --------------------------------------------------------------- preflight
if [[ ${1:-} == --list ]]; then
	printf '%s\n' "${ALL_SCENARIOS[@]}"
	exit 0
fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,7p' "$0"
	echo "scenarios: ${ALL_SCENARIOS[*]}"
	exit 0
fi
gg_preflight svmap svwar svcrack sipp baresip sipsak kamailio tcpdump tshark nft conntrack gcc python3 timeout

SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=("${ALL_SCENARIOS[@]}")
for s in "${SCENARIOS[@]}"; do
	[[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || die "unknown scenario '$s' (see --list)"
done

WORK=$(mktemp -d /tmp/gg-lab.XXXXXX)
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	gg_teardown
	if [[ ${GG_KEEP:-0} == 1 ]]; then
		log "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

mkdir -p "$OUT"
gg_lock
gg_teardown   # stale gg-* namespaces of an earlier, interrupted run

# ------------------------------------------------------- build the phone module
build_phone_module

toml_list() { # toml_list a b c -> ["a", "b", "c"]
	local out="" x
	for x in "$@"; do out+="${out:+, }\"$x\""; done
	printf '[%s]' "$out"
}

# write_truth: common ground-truth writer. Uses DESC MAL BEN KINDS PHONES
# GHOST CAUSES CAPTURE INFECTED_MAC (optional) EXTRA (optional raw TOML).
write_truth() {
	{
		echo "# ground truth for $SC.pcap, written by lab/run.sh from what the scenario did"
		echo "scenario = \"$SC\""
		echo "description = \"$DESC\""
		echo "how = \"$HOW\""
		echo "capture_point = \"$CAPTURE\""
		echo "malicious = $(toml_list "${MAL[@]}")"
		echo "benign = $(toml_list "${BEN[@]}")"
		echo "kinds = { ${KINDS} }"
		echo "phones = $(toml_list "${PHONES[@]}")"
		echo "ghost_calls_min = $GHOST"
		echo "causes = $(toml_list "${CAUSES[@]}")"
		[[ -n ${INFECTED_MAC:-} ]] && echo "infected_mac = \"$INFECTED_MAC\""
		[[ -n ${EXTRA:-} ]] && printf '%s\n' "$EXTRA"
		echo "phone_rings_logged = $(rings)"
		echo "commands = ["
		local c
		for c in "${CMDS[@]}"; do
			c=${c//\\/\\\\}
			echo "  \"${c//\"/\\\"}\","
		done
		echo "]"
	} >"$WORK/truth.toml"
}

reset_truth() {
	DESC="" HOW="" MAL=() BEN=() KINDS="" PHONES=("$PHONE") GHOST=0 CAUSES=() CAPTURE=""
	INFECTED_MAC="" EXTRA="" CMDS=()
}

# ------------------------------------------------------------ scenarios

sc_legit_register_call() {
	gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames)"
	gg_cap_start gg-lan br-lan "$PCAP" 3000
	start_phone 2500
	provider_calls 3
	wait "$PROVCALL_PID" || true
	sleep 1
	gg_cap_stop
	HOW="baresip phone behind NAT registers to kamailio; SIPp gateway calls it 3x; capture on the LAN bridge"
	DESC="Phone behind NAT registers to the provider (401 challenge then 200) and receives 3 normal calls from the provider, answered after 2.5 s and hung up by the caller. Nothing malicious."
	BEN=("$PROV" "$PHONE")
}

sc_portforward_svmap() {
	PORTFWD=1 gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames)"
	gg_cap_start gg-lan br-lan "$PCAP" 3000
	start_phone 2500
	provider_calls 1
	wait "$PROVCALL_PID" || true
	sv svmap gg-scan1 -x "$SCAN1" -b "$SCAN1" "$WAN"
	sv svmap gg-scan1 -x "$SCAN1" -b "$SCAN1" -m INVITE "$WAN"
	sleep 9
	gg_cap_stop
	HOW="port forward udp/5060; svmap OPTIONS + svmap -m INVITE from 203.0.113.66 at the WAN address; LAN bridge"
	DESC="Router forwards udp/5060 to the phone. Scanner $SCAN1 runs svmap (OPTIONS, then -m INVITE) against the router's WAN address $WAN; the INVITE reaches the phone through the port forward and it rings (ghost call from 'sipvicious'/100). Legit registration and one provider call in the same capture."
	MAL=("$SCAN1")
	BEN=("$PROV" "$PHONE")
	KINDS="\"$SCAN1\" = [\"scanner\"]"
	GHOST=$(ghost_rings)
	CAUSES=("port-forward")
}

sc_portforward_svwar() {
	PORTFWD=1 gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames)"
	gg_cap_start gg-lan br-lan "$PCAP" 4000
	start_phone 2500
	sv svwar gg-scan1 -x "$SCAN1" -b "$SCAN1" -m INVITE -e100-140 "$WAN"
	sleep 1
	sleep 1
	# svwar -m REGISTER gives up after its 2nd probe on the phone's "501 Not
	# Implemented" ("unknown response", even with --force); OPTIONS works
	sv svwar gg-scan1 -x "$SCAN1" -b "$SCAN1" -m REGISTER --force -e100-140 "$WAN"
	sleep 1
	sv svwar gg-scan1 -x "$SCAN1" -b "$SCAN1" -m OPTIONS -e100-140 "$WAN"
	sleep 6
	gg_cap_stop
	HOW="port forward; svwar -m INVITE/REGISTER/OPTIONS -e100-140 from 203.0.113.66; LAN bridge"
	DESC="Router forwards udp/5060 to the phone. Scanner $SCAN1 enumerates extensions 100-140 with svwar -m INVITE through the port forward (every probe rings the phone, which answers after 2.5 s; svwar ACKs and BYEs), then svwar -m REGISTER --force 100-140 (the phone answers 501 Not Implemented and svwar stops after 2 probes) and svwar -m OPTIONS 100-140 against the same address."
	MAL=("$SCAN1")
	BEN=("$PROV" "$PHONE")
	KINDS="\"$SCAN1\" = [\"scanner\", \"enumeration\"]"
	GHOST=$(ghost_rings)
	CAUSES=("port-forward")
}

sc_svcrack_registrar() {
	gg_topology
	start_kamailio
	CAPTURE="gg-prov eth0 (the provider's registrar 198.51.100.10 and gateway 198.51.100.11)"
	gg_cap_start gg-prov eth0 "$PCAP" 4000
	sv svwar gg-scan2 -x "$SCAN2" -b "$SCAN2" -m REGISTER -e2000-2030 "$PROV"
	start_phone 2500
	sv svcrack gg-scan1 -x "$SCAN1" -b "$SCAN1" -u2002 -d "$LAB/conf/svcrack-words.txt" "$PROV"
	sleep 2
	gg_cap_stop
	local cracked=false
	grep -qE '^\| *2002 *\| *welcome2002 *\|' "$WORK/svcrack.log" && cracked=true
	HOW="svwar -m REGISTER 2000-2030 (203.0.113.77) + svcrack 30 words on 2002 (203.0.113.66) + NATed phone registering; provider interface"
	DESC="Capture at the provider. Scanner $SCAN2 enumerates REGISTER users 2000-2030 with svwar (kamailio answers 404 for unknown users, 401 for the existing 2001-2003). The customer's phone (seen as the router's NAT address $WAN) then registers normally: one 401 challenge, then 200. Scanner $SCAN1 guesses the password of user 2002 with svcrack and a 30-word list (the 27th word is right: cracked=$cracked)."
	MAL=("$SCAN1" "$SCAN2")
	BEN=("$WAN" "$PROV")
	KINDS="\"$SCAN1\" = [\"bruteforce\"], \"$SCAN2\" = [\"enumeration\"]"
	PHONES=("$WAN")
	GHOST=0
	CAUSES=()
	EXTRA="registrar = \"$PROV\"
cracked = { user = \"2002\", by = \"$SCAN1\", success = $cracked }
existing_users = [\"2001\", \"2002\", \"2003\"]"
}

sc_lan_infected_svmap() {
	gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames, with MAC addresses)"
	gg_cap_start gg-lan br-lan "$PCAP" 4000
	start_phone 2500
	sv svmap gg-pc -x "$PC" -b "$PC" -s lansweep 192.168.77.0/24
	# svmap's own "-i session" input is broken in 0.3.3 under Python 3
	# (TypeError in scanfromdb), so pass the devices the sweep found
	local found
	found=$(grep -oE '^\| 192\.168\.77\.[0-9]+:5060' "$WORK/svmap.log" | grep -oE '192\.168\.77\.[0-9]+' | sort -u | tr '\n' ' ')
	[[ -n $found ]] || die "LAN sweep found no SIP device"
	# shellcheck disable=SC2086
	sv svmap gg-pc -x "$PC" -b "$PC" -m INVITE $found
	sleep 8
	gg_cap_stop
	HOW="LAN PC (Dell MAC) runs svmap 192.168.77.0/24 then svmap -m INVITE on what it found; LAN bridge"
	DESC="No port forward. The LAN PC $PC (MAC $MAC_PC, Dell OUI) is infected: it sweeps its own LAN 192.168.77.0/24 with svmap OPTIONS, then sends INVITEs to every SIP device it found; the phone rings from a LAN source. The unused LAN addresses belong to a dark-net host that answers ARP and drops everything."
	MAL=("$PC")
	BEN=("$PROV" "$PHONE")
	KINDS="\"$PC\" = [\"scanner\", \"sweep\"]"
	GHOST=$(ghost_rings)
	CAUSES=("infected-host")
	INFECTED_MAC=$MAC_PC
}

sc_sipsak_options() {
	PORTFWD=1 gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames)"
	gg_cap_start gg-lan br-lan "$PCAP" 3000
	start_phone 0
	local u
	for u in 100 1000 2000; do
		log "  gg-scan1: sipsak -s sip:$u@$WAN"
		CMDS+=("sipsak -H $SCAN1 -l 5060 -s sip:$u@$WAN")
		nsx gg-scan1 timeout 10 sipsak -H "$SCAN1" -l 5060 -s "sip:$u@$WAN" >>"$WORK/sipsak.log" 2>&1 || true
		sleep 0.5
	done
	log "  gg-scan2: sipp flood"
	CMDS+=("sipp -sf flood-invite.xml -s 1000 $WAN:5060 -i $SCAN2 -p 5070 -m 250 -r 200 -l 300   # fire-and-forget INVITE flood")
	nsx gg-scan2 timeout 30 sipp -sf "$LAB/sipp/flood-invite.xml" -s 1000 "$WAN:5060" -i "$SCAN2" -p 5070 \
		-m 250 -r 200 -l 300 -nostdin -timeout 20s >"$WORK/sipp-flood.log" 2>&1 || true
	sleep 2
	gg_cap_stop
	HOW="port forward; sipsak OPTIONS x3 (203.0.113.66) + SIPp flood 250 INVITE at 200/s (203.0.113.77); LAN bridge"
	DESC="Router forwards udp/5060 to the phone. $SCAN1 probes it with sipsak OPTIONS (users 100, 1000, 2000). $SCAN2 floods it with 250 INVITEs at 200/s (SIPp, no SDP, no ACK/CANCEL). In this scenario the phone rings but never answers."
	MAL=("$SCAN1" "$SCAN2")
	BEN=("$PROV" "$PHONE")
	KINDS="\"$SCAN1\" = [\"scanner\"], \"$SCAN2\" = [\"flood\"]"
	GHOST=$(ghost_rings)
	CAUSES=("port-forward")
	EXTRA="flood = { source = \"$SCAN2\", invites_sent = 250, rate_per_s = 200 }"
}

# alg scenario body (ALG on or off): registration, one call each way
alg_common() {
	gg_topology
	start_kamailio
	CAPTURE="gg-router -i any (both router sides in one file, Linux cooked SLL2: LAN side lan0, WAN side wan0)"
	gg_cap_start gg-router any "$PCAP" 3000
	WAN_IFINDEX=$(nsx gg-router cat /sys/class/net/wan0/ifindex)
	LAN_IFINDEX=$(nsx gg-router cat /sys/class/net/lan0/ifindex)
	pstn_uas
	GG_HANGUP_MS=2500 start_phone 2500
	provider_calls 1
	wait "$PROVCALL_PID" || true
	log "  phone dials 0201234567 (answered by the provider's gateway)"
	CMDS+=("baresip ctrl_tcp: dial sip:0201234567@$PROV   # phone calls out, answered by sipp -sf uas-pstn.xml on $GW:5080, hung up by the phone after 2.5 s")
	phone_dial "sip:0201234567@$PROV"
	sleep 2
	# what the router's conntrack says about the SIP flow (helper=sip with ALG)
	nsx gg-router conntrack -L -p udp 2>/dev/null | grep -E 'dport=5060' >"$WORK/conntrack.txt" || true
	CT_HELPER=false
	grep -q 'helper=sip' "$WORK/conntrack.txt" && CT_HELPER=true
	log "  conntrack: $(grep -c . "$WORK/conntrack.txt") udp/5060 flows, helper=sip: $CT_HELPER"
	wait "$UAS_PID" || true
	sleep 1
	gg_cap_stop
	BEN=("$PROV" "$PHONE" "$WAN")
	PHONES=("$PHONE")
	GHOST=0
}

sc_alg_on() {
	ALG=1 alg_common
	HOW="nft ct helper sip on the router; phone registers, gets a call, places a call; router -i any (SLL2)"
	DESC="SIP ALG ON: the router has an nftables ct helper of type sip on udp/5060 (kernel nf_nat_sip). The phone registers, receives a provider call and places a call. On the WAN side the ALG rewrote Via, Contact and SDP c=/o= from $PHONE to $WAN (and the request line back on the way in). Nothing malicious."
	CAUSES=("sip-alg")
	EXTRA="alg = true
wan_address = \"$WAN\"
lan_address = \"$PHONE\"
sll_ifindex = { wan0 = $WAN_IFINDEX, lan0 = $LAN_IFINDEX }
conntrack_helper_sip = $CT_HELPER"
}

sc_alg_off() {
	ALG=0 alg_common
	HOW="same as alg-on without the ct helper; router -i any (SLL2)"
	DESC="SIP ALG OFF: same as alg-on but without the ct helper. On the WAN side only the IP/UDP headers are translated; Via, Contact and SDP still carry the LAN address $PHONE. Nothing malicious."
	CAUSES=()
	EXTRA="alg = false
wan_address = \"$WAN\"
lan_address = \"$PHONE\"
sll_ifindex = { wan0 = $WAN_IFINDEX, lan0 = $LAN_IFINDEX }
conntrack_helper_sip = $CT_HELPER"
}

sc_scan_changed_ua() {
	PORTFWD=1 gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames)"
	gg_cap_start gg-lan br-lan "$PCAP" 4000
	start_phone 2500
	svw svmap gg-scan2 "Yealink SIP-T46S 66.86.0.15" "Reception" -x "$SCAN2" -b "$SCAN2" --fromname Reception "$WAN"
	svw svmap gg-scan2 "Yealink SIP-T46S 66.86.0.15" "Reception" -x "$SCAN2" -b "$SCAN2" --fromname Reception -m INVITE "$WAN"
	svw svwar gg-scan2 "Grandstream GXP2170 1.0.11.23" "Office" -x "$SCAN2" -b "$SCAN2" -m INVITE -e200-225 "$WAN"
	sleep 8
	gg_cap_stop
	HOW="port forward; svmap + svwar -m INVITE 200-225 from 203.0.113.77 with faked User-Agent/From display (svwrap.py); LAN bridge"
	DESC="Router forwards udp/5060 to the phone. Scanner $SCAN2 runs svmap (OPTIONS and INVITE) and svwar -m INVITE 200-225 with a faked User-Agent (Yealink / Grandstream) and From display name (Reception / Office), through a wrapper that patches SIPVicious. No 'friendly-scanner' or 'sipvicious' string is in the capture: only behaviour and structure give it away."
	MAL=("$SCAN2")
	BEN=("$PROV" "$PHONE")
	KINDS="\"$SCAN2\" = [\"scanner\", \"enumeration\"]"
	GHOST=$(ghost_rings)
	CAUSES=("port-forward")
	EXTRA="user_agents_faked = [\"Yealink SIP-T46S 66.86.0.15\", \"Grandstream GXP2170 1.0.11.23\"]"
}

sc_ipv6_svmap() {
	PORTFWD=1 gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames)"
	gg_cap_start gg-lan br-lan "$PCAP" 3000
	# baresip 1.0 listens on one address only (without sip_listen it even
	# picks random ports), so this phone is IPv6-only: it registers over
	# IPv6 to the provider's IPv6 address
	PHONE_LISTEN="[2001:db8:77::20]:5060" PHONE_REGISTRAR="[2001:db8:100::10]" start_phone 2500
	sv svmap gg-scan1 -6 -x 2001:db8:203::66 -b 2001:db8:203::66 2001:db8:77::20
	sv svmap gg-scan1 -6 -x 2001:db8:203::66 -b 2001:db8:203::66 -m INVITE 2001:db8:77::20
	sleep 8
	gg_cap_stop
	HOW="IPv6 pinhole udp/5060; IPv6 phone registers; svmap -6 OPTIONS + INVITE from 2001:db8:203::66; LAN bridge"
	DESC="IPv6: no NAT, the router's firewall has a pinhole for udp/5060 to the phone's global address 2001:db8:77::20 (the IPv6 form of a port forward). The phone registers over IPv6 to the provider (2001:db8:100::10: 401 then 200). Scanner 2001:db8:203::66 runs svmap -6 (OPTIONS, then INVITE); the phone rings."
	MAL=("2001:db8:203::66")
	BEN=("2001:db8:100::10" "2001:db8:77::20")
	KINDS="\"2001:db8:203::66\" = [\"scanner\"]"
	PHONES=("2001:db8:77::20")
	GHOST=$(ghost_rings)
	CAUSES=("port-forward")
}

sc_routing_loop() {
	LOOP=1 gg_topology
	start_kamailio
	CAPTURE="gg-lan br-lan (customer LAN switch, all frames)"
	gg_cap_start gg-lan br-lan "$PCAP" 3000
	start_phone 2500
	CMDS+=("router: ip route add 203.0.113.192/26 via 192.168.77.2; router2 (192.168.77.2): default via 192.168.77.1   # routing loop")
	CMDS+=("phone: one SIP OPTIONS keep-alive (TTL 64) from $PHONE:5062 to 203.0.113.200:5060 (a secondary server behind the loop)")
	log "  phone sends one OPTIONS into the loop"
	nsx gg-phone python3 - <<'PY'
import socket
msg = ("OPTIONS sip:203.0.113.200 SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 192.168.77.20:5062;branch=z9hG4bK-gglab-loop-1;rport\r\n"
       "Max-Forwards: 70\r\n"
       "From: <sip:2001@voip.example.net>;tag=gglab1\r\n"
       "To: <sip:203.0.113.200>\r\n"
       "Call-ID: gglab-loop-1@192.168.77.20\r\n"
       "CSeq: 1 OPTIONS\r\n"
       "User-Agent: baresip v1.0.0 (x86_64/linux)\r\n"
       "Content-Length: 0\r\n\r\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.77.20", 5062))
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
s.sendto(msg.encode(), ("203.0.113.200", 5060))
PY
	sleep 2
	gg_cap_stop
	HOW="second router on the LAN with a route loop for 203.0.113.192/26; phone sends one OPTIONS into it; LAN bridge"
	DESC="Routing loop on the LAN: the main router sends 203.0.113.192/26 to a second router (192.168.77.2, MAC $MAC_RTR2_LAN), whose default route points back. The phone sends ONE SIP OPTIONS to 203.0.113.200; it circulates between the two routers until its TTL runs out (the same message seen ~64 times with the TTL falling by one per hop, then ICMP time exceeded). Nothing malicious; no ghost call."
	BEN=("$PROV" "$PHONE")
	GHOST=0
	CAUSES=("loop")
	EXTRA="loop = { message_call_id = \"gglab-loop-1@192.168.77.20\", routers = [\"192.168.77.1\", \"192.168.77.2\"], initial_ttl = 64 }"
}

# ------------------------------------------------------------ main loop
main() {
	local t0=$SECONDS s
	cd "$WORK"
	for s in "${SCENARIOS[@]}"; do
		log "=== scenario $s"
		SC=$s
		PCAP=$WORK/$s.pcap
		reset_truth
		"sc_${s//-/_}"
		write_truth
		gg_guard_report
		gg_teardown
		cp "$PCAP" "$OUT/$s.pcap"
		cp "$WORK/truth.toml" "$OUT/$s.truth.toml"
		log "$s: $(stat -c %s "$OUT/$s.pcap") bytes, $(tshark -r "$OUT/$s.pcap" -Y 'sip && !icmp && !icmpv6' 2>/dev/null | wc -l) SIP messages, phone rings: $(rings) (ghost: $GHOST)"
		rm -f "$WORK/phone/rings.log"
	done
	log "done in $((SECONDS - t0)) s"
	update_readme
}

# update_readme: refresh the table in testdata/lab/README.md from check.sh
update_readme() {
	local readme=$OUT/README.md table rc=0
	if ! table=$(GG_OUT=$OUT "$LAB/check.sh" --table); then
		log "ERROR: some captures do not match their truth:"
		GG_OUT=$OUT "$LAB/check.sh" >&2 || true
		rc=1
	fi
	if ! [[ -f $readme ]] || ! grep -q '<!-- table:begin -->' "$readme"; then
		return $rc
	fi
	python3 - "$readme" "$table" <<'PY'
import sys
p, table = sys.argv[1], sys.argv[2]
s = open(p).read()
a = s.index("<!-- table:begin -->") + len("<!-- table:begin -->")
b = s.index("<!-- table:end -->")
open(p, "w").write(s[:a] + "\n" + table + "\n" + s[b:])
PY
	log "updated $readme"
	return $rc
}

main
