#!/usr/bin/env bash
# diagnose.sh -- `ghostguard diagnose` and `ghostguard reflector` against
# real network behaviour in network namespaces (issue 4):
#   - the kernel's SIP ALG (nf_nat_sip via an nftables ct helper) off, on,
#     off: sip-alg is found exactly when it is on, naming the headers;
#   - a port forward of udp/5060 to a phone (SIPp) on, then off: exposure
#     (port-forward) is found exactly when it is on;
#   - a LAN host running svmap against its neighbours: infected-host, with
#     its MAC;
#   - a routing loop on a hub: loop;
#   - the router's UDP conntrack timeout at 3 s, then back to 30/120 s:
#     a NAT binding shorter than the REGISTER interval (hardware-nat) is
#     found exactly when it is short;
#   - the reflector refuses other targets, caps replies, rate-limits.
#
# Topology (documentation addresses only; nothing leaves the namespaces):
#   internet ns "i": reflector 198.51.100.10 (udp+tcp 5060, 5062)
#   router ns "r":   wan0 198.51.100.1 (NAT)  lan0 192.0.2.1 (AVM MAC)
#   LAN hub ns "l":  bridge br0 (ageing 0: a hub, so the diagnose host
#                    sees its neighbours' traffic)
#   "d" diagnose host 192.0.2.50, "p" phone 192.0.2.20 (SIPp answering
#   OPTIONS), "c" PC 192.0.2.30 (Dell MAC, runs svmap), "q" second router
#   192.0.2.2 (the loop).
#
# Needs root (network namespaces). Without it: a loud SKIP, but with
# CI=true a failure. Usage: tests/netns/diagnose.sh [path/to/ghostguard]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

skip() {
	echo "SKIP: diagnose namespace tests: $*" >&2
	if [[ ${CI:-} == true ]]; then
		echo "FAIL: CI=true and the namespace tests cannot run" >&2
		exit 1
	fi
	exit 0
}

[[ $(id -u) == 0 ]] || skip "needs root"
P=ggd$$
ip netns add "${P}probe" 2>/dev/null || skip "cannot create a network namespace"
ip netns del "${P}probe"
missing=()
for t in nft svmap sipp python3 jq tcpdump timeout; do
	command -v "$t" >/dev/null || missing+=("$t")
done
((${#missing[@]} == 0)) || skip "missing tools: ${missing[*]} (scripts/install-deps.sh)"

GG=${1:-}
if [[ -z $GG ]]; then
	(cd "$REPO" && cargo build -q -p ghostguard --locked)
	GG=${CARGO_TARGET_DIR:-$REPO/target}/debug/ghostguard
fi
[[ -x $GG ]] || { echo "FAIL: no ghostguard binary at $GG" >&2; exit 1; }

WORK=$(mktemp -d /tmp/ggd.XXXXXX)
PIDS=()
NSS=()
cleanup() {
	local rc=$? p ns
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	if ((rc != 0)); then
		echo "--- logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LAB4="192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 127.0.0.0/8, 224.0.0.0/24, 255.255.255.255"
nsx() { local ns=$1; shift; ip netns exec "$P$ns" "$@"; }
ns_add() {
	ip netns add "$P$1"
	NSS+=("$P$1")
	ip -n "$P$1" link set lo up
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	# The egress guard: nothing addressed outside the lab leaves.
	nsx "$1" nft -f - <<-EOF
		table ip guard {
			chain egress_out { type filter hook output priority -300; policy accept; ip daddr != { $LAB4 } drop; }
			chain egress_fwd { type filter hook forward priority -300; policy accept; ip daddr != { $LAB4 } drop; }
		}
	EOF
}
link() { # link NS1 IF1 NS2 IF2 [MAC1]
	ip -n "$P$1" link add "$2" type veth peer name "$4" netns "$P$3"
	[[ -n ${5:-} ]] && ip -n "$P$1" link set "$2" address "$5"
	ip -n "$P$1" link set "$2" up
	ip -n "$P$3" link set "$4" up
}
bg() { # bg NS LOG CMD...
	local ns=$1 log=$2; shift 2
	ip netns exec "$P$ns" "$@" </dev/null >"$log" 2>&1 &
	PIDS+=("$!")
	LAST=$!
}
stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
say() { printf '[netns %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
FAILS=0
expect() { # expect NAME JQ-EXPR FILE
	if jq -e "$2" "$3" >/dev/null; then
		say "ok   $1"
	else
		say "FAIL $1 ($2)"
		jq -c '.causes[] | {cause, verdict, evidence: [.evidence[] | .code + " " + (.args | tostring)]}' "$3" >&2 || cat "$3" >&2
		FAILS=$((FAILS + 1))
	fi
}

# ------------------------------------------------------------- topology
for n in i r l d p c q; do ns_add $n; done
ip -n "${P}l" link add br0 type bridge stp_state 0 forward_delay 0 ageing_time 0
ip -n "${P}l" link set br0 up
link r wan0 i eth0
ip -n "${P}r" addr add 198.51.100.1/24 dev wan0
ip -n "${P}i" addr add 198.51.100.10/24 dev eth0
link r lan0 l portr 3c:a6:2f:01:77:01
ip -n "${P}l" link set portr master br0
ip -n "${P}r" addr add 192.0.2.1/24 dev lan0
nsx r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.lan0.send_redirects=0
host() { # host NS ADDR MAC
	link "$1" eth0 l "port$1" "$3"
	ip -n "${P}l" link set "port$1" master br0
	ip -n "$P$1" addr add "$2/24" dev eth0
	ip -n "$P$1" route add default via 192.0.2.1
}
host d 192.0.2.50 02:00:00:00:00:50
host p 192.0.2.20 80:5e:c0:20:77:20
host c 192.0.2.30 00:14:22:4c:9a:31
host q 192.0.2.2 00:04:13:02:77:02
nsx q sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0

router_nft() { # router_nft ALG(0|1) FWD(0|1)
	local fwd=""
	[[ $2 == 1 ]] && fwd='iifname "wan0" udp dport 5060 dnat to 192.0.2.20:5060'
	nsx r nft flush ruleset
	nsx r nft -f - <<-EOF
		table ip guard {
			chain egress_out { type filter hook output priority -300; policy accept; ip daddr != { $LAB4 } drop; }
			chain egress_fwd { type filter hook forward priority -300; policy accept; ip daddr != { $LAB4 } drop; }
		}
		table ip nat {
			chain pre { type nat hook prerouting priority dstnat; policy accept; $fwd; }
			chain post { type nat hook postrouting priority srcnat; policy accept; oifname "wan0" masquerade; }
		}
		table ip fw {
			chain forward {
				type filter hook forward priority filter; policy drop;
				ct state established,related accept
				ct status dnat accept
				iifname "lan0" accept
			}
		}
	EOF
	if [[ $1 == 1 ]]; then
		nsx r nft -f - <<-'EOF'
			table ip alg {
				ct helper sip-udp { type "sip" protocol udp; }
				ct helper sip-tcp { type "sip" protocol tcp; }
				chain pre {
					type filter hook prerouting priority filter; policy accept;
					udp dport 5060 ct helper set "sip-udp"
					tcp dport 5060 ct helper set "sip-tcp"
				}
			}
		EOF
	fi
	nsx r conntrack -F >/dev/null 2>&1 || true
}

# ------------------------------------------------------------- services
bg i "$WORK/reflector.log" "$GG" reflector --config "$HERE/reflector.toml"
REFL_PID=$LAST
for _ in $(seq 50); do
	grep -q "listening on tcp 198.51.100.10:5062" "$WORK/reflector.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "listening on tcp 198.51.100.10:5062" "$WORK/reflector.log" || { cat "$WORK/reflector.log" >&2; exit 1; }
bg p "$WORK/sipp.log" sipp -sf "$HERE/options-uas.xml" -i 192.0.2.20 -p 5060 -nd -nostdin -m 50 -timeout 120s
TOKEN=lab-token-4711

diagnose() { # diagnose NAME [extra args]: JSON report in $WORK/NAME.json
	local name=$1; shift
	set +e
	nsx d timeout 30 "$GG" diagnose --reflector 198.51.100.10 --token "$TOKEN" \
		--timeout-ms 1500 --format json -o "$WORK/$name.json" "$@" 2>"$WORK/$name.err"
	local rc=$?
	set -e
	if ((rc > 1)); then
		say "FAIL $name: diagnose exited $rc"
		cat "$WORK/$name.err" >&2
		FAILS=$((FAILS + 1))
		echo '{"causes":[]}' >"$WORK/$name.json"
	fi
}
verdict() { echo ".causes[] | select(.cause == \"$1\") | .verdict == \"$2\""; }
alg_fields() { # the fields named for one transport/port
	echo ".causes[] | select(.cause == \"sip-alg\") | .evidence[] | select(.code == \"alg-rewritten\" and .args.transport == \"$1\" and .args.port == \"$2\") | .args.fields"
}

# ------------------------------------------------------------- ALG off / on / off
say "ALG off"
router_nft 0 0
diagnose alg-off1 --capture-seconds 1
expect "alg off: sip-alg not found" "$(verdict sip-alg not-found)" "$WORK/alg-off1.json"
expect "alg off: all four echoes unchanged" '[.causes[] | select(.cause == "sip-alg") | .evidence[] | select(.code == "alg-unchanged")] | length == 4' "$WORK/alg-off1.json"
expect "no forward: port-forward not found" "$(verdict port-forward not-found)" "$WORK/alg-off1.json"
expect "router maker named" '.causes[] | select(.cause == "old-router") | .evidence[0].args.mac == "3c:a6:2f:01:77:01"' "$WORK/alg-off1.json"

say "ALG on"
router_nft 1 0
diagnose alg-on --capture-seconds 1
expect "alg on: sip-alg found" "$(verdict sip-alg found)" "$WORK/alg-on.json"
for t in udp tcp; do
	expect "alg on: $t/5060 names Via, Contact and SDP c=" \
		"[$(alg_fields $t 5060)] | length == 1 and (.[0] | contains(\"Via\") and contains(\"Contact\") and contains(\"SDP c=\"))" "$WORK/alg-on.json"
	expect "alg on: $t/5062 unchanged" \
		"[.causes[] | select(.cause == \"sip-alg\") | .evidence[] | select(.code == \"alg-unchanged\" and .args.transport == \"$t\" and .args.port == \"5062\")] | length == 1" "$WORK/alg-on.json"
done
expect "alg on: a step says switch SIP ALG off" '[.steps[].id] | index("disable-sip-alg") != null' "$WORK/alg-on.json"
# The helpdesk's view: the Dutch text report names the cause and the step.
nsx d timeout 30 "$GG" diagnose --reflector 198.51.100.10 --token "$TOKEN" --timeout-ms 1500 \
	--no-probe --capture-seconds 1 --lang nl >"$WORK/alg-on.nl.txt" 2>/dev/null || true
if grep -q "SIP ALG in de router herschrijft SIP-berichten" "$WORK/alg-on.nl.txt" &&
	grep -q "Zet SIP ALG uit" "$WORK/alg-on.nl.txt"; then
	say "ok   alg on: the Dutch report names the cause and the step"
else
	say "FAIL alg on: Dutch text report"
	cat "$WORK/alg-on.nl.txt" >&2
	FAILS=$((FAILS + 1))
fi
[[ -n ${GGD_SAMPLES:-} ]] && cp "$WORK/alg-on.nl.txt" "$WORK/alg-on.json" "$GGD_SAMPLES/"

say "ALG off again"
router_nft 0 0
diagnose alg-off2 --capture-seconds 1
expect "alg off again: sip-alg not found" "$(verdict sip-alg not-found)" "$WORK/alg-off2.json"

# ------------------------------------------------------------- port forward on / off
say "port forward on"
router_nft 0 1
diagnose fwd-on --capture-seconds 1
expect "forward on: port-forward found" "$(verdict port-forward found)" "$WORK/fwd-on.json"
expect "forward on: the phone answered the probe" '.causes[] | select(.cause == "port-forward") | .evidence[0] | .code == "probe-answered" and .args.target == "198.51.100.1:5060"' "$WORK/fwd-on.json"
say "port forward off"
router_nft 0 0
diagnose fwd-off --capture-seconds 1
expect "forward off: port-forward not found" "$(verdict port-forward not-found)" "$WORK/fwd-off.json"

# ------------------------------------------------------------- infected PC (svmap)
say "svmap from the PC"
bg d "$WORK/infected.err" timeout 30 "$GG" diagnose --reflector 198.51.100.10 --token "$TOKEN" \
	--timeout-ms 1500 --no-probe --capture-seconds 5 --format json -o "$WORK/infected.json"
DIAG=$LAST
for _ in $(seq 50); do grep -q "capturing on" "$WORK/infected.err" 2>/dev/null && break; sleep 0.1; done
nsx c timeout 20 svmap -p5060 192.0.2.40-192.0.2.60 >"$WORK/svmap.log" 2>&1 || true
wait "$DIAG" || true
expect "svmap: infected-host found" "$(verdict infected-host found)" "$WORK/infected.json"
expect "svmap: the PC is named with its MAC" '.causes[] | select(.cause == "infected-host") | .evidence[] | .args.address == "192.0.2.30" and .args.mac == "00:14:22:4c:9a:31"' "$WORK/infected.json"
expect "svmap: no loop" "$(verdict loop not-found)" "$WORK/infected.json"

# ------------------------------------------------------------- routing loop
say "routing loop between the two routers"
ip -n "${P}r" route add 203.0.113.192/26 via 192.0.2.2
bg d "$WORK/loop.err" timeout 30 "$GG" diagnose --reflector 198.51.100.10 --token "$TOKEN" \
	--timeout-ms 1500 --no-probe --capture-seconds 4 --format json -o "$WORK/loop.json"
DIAG=$LAST
for _ in $(seq 50); do grep -q "capturing on" "$WORK/loop.err" 2>/dev/null && break; sleep 0.1; done
# Three OPTIONS into the loop; each circulates until its TTL runs out.
for i in 1 2 3; do
	nsx c bash -c "printf 'OPTIONS sip:loop@203.0.113.200 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5070;branch=z9hG4bK-loop$i\r\nFrom: <sip:pc@192.0.2.30>;tag=l$i\r\nTo: <sip:loop@203.0.113.200>\r\nCall-ID: loop$i@192.0.2.30\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' >/dev/udp/203.0.113.200/5060" || true
	sleep 0.2
done
wait "$DIAG" || true
ip -n "${P}r" route del 203.0.113.192/26 via 192.0.2.2
expect "loop: found" "$(verdict loop found)" "$WORK/loop.json"
expect "loop: no infected host" "$(verdict infected-host not-found)" "$WORK/loop.json"

# ------------------------------------------------------------- NAT binding lifetime
# The router's UDP conntrack timeouts stand in for a router that forgets NAT
# bindings: 3 s, then the kernel's defaults. Each wait has its own socket.
binding() { # binding NAME: short waits, a REGISTER (Expires 4) seen on the hub
	bg d "$WORK/$1.err" timeout 30 "$GG" diagnose --reflector 198.51.100.10 --token "$TOKEN" \
		--timeout-ms 1500 --no-probe --capture-seconds 4 --nat-wait 2,5 --format json -o "$WORK/$1.json"
	DIAG=$LAST
	for _ in $(seq 50); do grep -q "capturing on" "$WORK/$1.err" 2>/dev/null && break; sleep 0.1; done
	if [[ ${2:-} == register ]]; then
		# One datagram (bash's printf to /dev/udp writes one per line).
		nsx p python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"REGISTER sip:203.0.113.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-reg1\r\nFrom: <sip:100@203.0.113.5>;tag=r1\r\nTo: <sip:100@203.0.113.5>\r\nCall-ID: reg1@192.0.2.20\r\nCSeq: 1 REGISTER\r\nContact: <sip:100@192.0.2.20:5060>;expires=4\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", ("203.0.113.5", 5060))' || true
	fi
	wait "$DIAG" || true
}
say "NAT bindings expire after 3 s"
nsx r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3 net.netfilter.nf_conntrack_udp_timeout_stream=3
nsx r conntrack -F >/dev/null 2>&1 || true
binding nat-short
expect "short binding: hardware-nat found" "$(verdict hardware-nat found)" "$WORK/nat-short.json"
expect "short binding: between 2 and 5 s, against the default 60 s" '.causes[] | select(.cause == "hardware-nat") | .evidence[0] | .code == "binding-short" and .args.lower == "2" and .args.upper == "5" and .args.interval == "60" and .args.source == "default"' "$WORK/nat-short.json"
expect "short binding: a step says re-register more often" '[.steps[].id] | index("shorten-register-interval") != null' "$WORK/nat-short.json"
say "NAT bindings back to the kernel's defaults (30 s, 120 s)"
nsx r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30 net.netfilter.nf_conntrack_udp_timeout_stream=120
binding nat-long register
expect "long binding: hardware-nat not found" "$(verdict hardware-nat not-found)" "$WORK/nat-long.json"
expect "long binding: outlives the captured 4 s interval" '[.causes[] | select(.cause == "hardware-nat") | .evidence[] | select(.code == "binding-kept" and .args.lower == "5" and .args.interval == "4" and .args.source == "captured")] | length == 1' "$WORK/nat-long.json"
# The reflector sent each callback to the port that asked, nowhere else.
if grep " callback " "$WORK/reflector.log" | grep -v "^reflector: udp 198.51.100.1:" >&2; then
	say "FAIL a callback went to another address"
	FAILS=$((FAILS + 1))
else
	say "ok   every callback went to the requester's own address"
fi

# ------------------------------------------------------------- reflector limits
say "reflector limits"
if nsx d python3 "$HERE/abuse.py" 198.51.100.10 "$TOKEN" >"$WORK/abuse.log" 2>&1; then
	sed 's/^/[netns] /' "$WORK/abuse.log" >&2
else
	sed 's/^/[netns] /' "$WORK/abuse.log" >&2
	say "FAIL reflector limits"
	FAILS=$((FAILS + 1))
fi
# The reflector only ever probed the requester's own address.
if grep "probe " "$WORK/reflector.log" | grep -v "probe 198.51.100.1:5060 " >&2; then
	say "FAIL the reflector probed another address"
	FAILS=$((FAILS + 1))
else
	say "ok   every probe went to the requester's own address"
fi
stop "$REFL_PID"

if ((FAILS > 0)); then
	say "$FAILS check(s) failed"
	exit 1
fi
say "all diagnose namespace checks passed"
