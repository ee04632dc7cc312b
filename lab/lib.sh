# shellcheck shell=bash
# lib.sh -- topology helpers for the ghostguard lab (sourced by run.sh).
#
# Everything lives in network namespaces named gg-*; the root namespace's
# networking is never touched (veths are created directly inside the lab
# namespaces, no address or route is ever added in the root namespace).
#
# Address plan (documentation / private ranges only):
#   "internet" ISP segment  198.51.100.0/24   2001:db8:100::/64  (bridge br-isp in gg-inet)
#   "internet" scanners     203.0.113.0/24    2001:db8:203::/64  (bridge br-scan in gg-inet)
#   customer LAN            192.168.77.0/24   2001:db8:77::/64   (bridge br-lan in gg-lan)
#   loop link (scenario routing-loop only: second router on the LAN, 192.168.77.2)
#
#   gg-inet   core router of the "internet": 198.51.100.254, 203.0.113.254
#   gg-prov   provider: kamailio 198.51.100.10, PSTN gateway (SIPp) 198.51.100.11
#   gg-scan1  scanner 203.0.113.66     gg-scan2  scanner 203.0.113.77
#   gg-router customer router: wan0 198.51.100.1, lan0 192.168.77.1 (NAT)
#   gg-lan    LAN switch (bridge br-lan, capture point of the helpdesk)
#   gg-phone  phone 192.168.77.20 (baresip + ghostring module)
#   gg-pc     PC 192.168.77.30 (MAC 00:14:22:4c:9a:31, Dell OUI)
#   gg-dark   owns every unused address of the three IPv4 /24s, drops all

GG_PREFIX=gg-
GG_NAMESPACES=(gg-inet gg-prov gg-scan1 gg-scan2 gg-router gg-lan gg-phone gg-pc gg-dark gg-router2)

# lab ranges: the only destinations any namespace may send to
GG_LAB4="127.0.0.0/8, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 192.168.77.0/24, 224.0.0.0/24, 255.255.255.255"
GG_LAB6="::1, 2001:db8::/32, fd00:77::/64, fe80::/10, ff02::/16"

MAC_PHONE=80:5e:c0:20:77:20     # Yealink OUI
MAC_PC=00:14:22:4c:9a:31        # Dell OUI (the "hacked computer")
MAC_RTR_LAN=3c:a6:2f:01:77:01   # AVM (FRITZ!Box) OUI
MAC_RTR2_LAN=00:04:13:02:77:02  # snom OUI (a second, misconfigured router for the loop)

# PIDs of every background process the lab started (killed by id on exit)
GG_PIDS=()

log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# gg_ns_add NAME: create a namespace with lo up and the egress guard.
gg_ns_add() {
	local ns=$1
	ip netns add "$ns"
	# per-namespace resolver (ip netns exec bind-mounts /etc/netns/NS/*):
	# any accidental DNS lookup goes to a dead documentation address
	mkdir -p "/etc/netns/$ns"
	echo "nameserver 192.0.2.53" >"/etc/netns/$ns/resolv.conf"
	ip -n "$ns" link set lo up
	nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
	gg_guard "$ns"
}

# gg_guard NS: drop anything addressed outside the lab ranges, in output
# and forward, so that nothing can leave the lab even by mistake.
gg_guard() {
	local ns=$1
	nsx "$ns" nft -f - <<EOF
table inet gg_guard {
	set lab4 { type ipv4_addr; flags interval; elements = { $GG_LAB4 } }
	set lab6 { type ipv6_addr; flags interval; elements = { $GG_LAB6 } }
	chain output {
		type filter hook output priority -300; policy accept;
		ip daddr != @lab4 counter drop
		ip6 daddr != @lab6 counter drop
	}
	chain forward {
		type filter hook forward priority -300; policy accept;
		ip daddr != @lab4 counter drop
		ip6 daddr != @lab6 counter drop
	}
}
EOF
}

# gg_link NS1 IF1 NS2 IF2 [MAC1] [MAC2]: veth pair created inside the lab
# namespaces (never in the root namespace).
gg_link() {
	local ns1=$1 if1=$2 ns2=$3 if2=$4 mac1=${5:-} mac2=${6:-}
	ip -n "$ns1" link add "$if1" type veth peer name "$if2" netns "$ns2"
	[[ -n $mac1 ]] && ip -n "$ns1" link set "$if1" address "$mac1"
	[[ -n $mac2 ]] && ip -n "$ns2" link set "$if2" address "$mac2"
	ip -n "$ns1" link set "$if1" up
	ip -n "$ns2" link set "$if2" up
}

# gg_bridge NS BR: a plain learning switch (no STP, no forward delay).
gg_bridge() {
	local ns=$1 br=$2
	ip -n "$ns" link add "$br" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$ns" link set "$br" up
}

gg_port() { ip -n "$1" link set "$3" master "$2"; }

# gg_host NS IF ADDR4/LEN GW4 [ADDR6/LEN GW6]
gg_host() {
	local ns=$1 ifc=$2 a4=$3 gw4=$4 a6=${5:-} gw6=${6:-}
	ip -n "$ns" addr add "$a4" dev "$ifc"
	[[ -n $gw4 ]] && ip -n "$ns" route add default via "$gw4"
	if [[ -n $a6 ]]; then
		ip -n "$ns" addr add "$a6" dev "$ifc" nodad
		[[ -n $gw6 ]] && ip -n "$ns" -6 route add default via "$gw6"
	fi
	return 0
}

# gg_bg NS LOGFILE CMD...: start CMD in NS in the background, remember its PID.
gg_bg() {
	local ns=$1 logf=$2; shift 2
	ip netns exec "$ns" "$@" </dev/null >"$logf" 2>&1 &
	GG_PIDS+=("$!")
	GG_LAST_PID=$!
}

# gg_kill PID...: stop processes the lab started, by id.
gg_kill() {
	local p
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "$@"; do
		local i
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# gg_teardown: kill everything running inside gg-* namespaces and delete
# them. Safe to call several times and with stale namespaces of an
# earlier, interrupted run.
gg_teardown() {
	local ns pids
	# only the run that holds the lab lock (services.sh gg_lock) may
	# touch the gg-* namespaces
	[[ ${GG_LOCKED:-0} == 1 ]] || return 0
	if ((${#GG_PIDS[@]})); then
		gg_kill "${GG_PIDS[@]}"
		GG_PIDS=()
	fi
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${GG_PREFIX}" || true); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [[ -n $pids ]]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			sleep 0.3
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
	for ns in /etc/netns/"${GG_PREFIX}"*; do
		[[ -d $ns ]] && rm -rf "$ns"
	done
	rmdir /etc/netns 2>/dev/null || true
	return 0
}

# gg_dark_addrs NET START END SKIP...: print "a.b.c.N/32" lines for the
# darknet (every host address of the range that no lab host owns).
gg_dark_addrs() {
	local net=$1 start=$2 end=$3; shift 3
	local skip=" $* " n
	for ((n = start; n <= end; n++)); do
		[[ $skip == *" $n "* ]] && continue
		echo "address add $net.$n/32 dev \$IF"
	done
}

# gg_topology: build the whole lab (without services).
# Options through variables: PORTFWD=1 (udp/5060 on the WAN -> phone),
# ALG=1 (ct helper "sip" on udp/5060), LOOP=1 (second router on the LAN).
gg_topology() {
	local ns
	for ns in gg-inet gg-prov gg-scan1 gg-scan2 gg-router gg-lan gg-phone gg-pc gg-dark; do
		gg_ns_add "$ns"
	done

	# --- the "internet": core router gg-inet with two segments
	gg_bridge gg-inet br-isp
	gg_bridge gg-inet br-scan
	ip -n gg-inet addr add 198.51.100.254/24 dev br-isp
	ip -n gg-inet addr add 2001:db8:100::fe/64 dev br-isp nodad
	ip -n gg-inet addr add 203.0.113.254/24 dev br-scan
	ip -n gg-inet addr add 2001:db8:203::fe/64 dev br-scan nodad
	nsx gg-inet sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0

	gg_link gg-prov eth0 gg-inet prov
	gg_port gg-inet br-isp prov
	gg_host gg-prov eth0 198.51.100.10/24 198.51.100.254 2001:db8:100::10/64 2001:db8:100::fe
	ip -n gg-prov addr add 198.51.100.11/24 dev eth0   # PSTN gateway (SIPp)

	gg_link gg-scan1 eth0 gg-inet scan1
	gg_port gg-inet br-scan scan1
	gg_host gg-scan1 eth0 203.0.113.66/24 203.0.113.254 2001:db8:203::66/64 2001:db8:203::fe

	gg_link gg-scan2 eth0 gg-inet scan2
	gg_port gg-inet br-scan scan2
	gg_host gg-scan2 eth0 203.0.113.77/24 203.0.113.254 2001:db8:203::77/64 2001:db8:203::fe

	# --- customer router
	gg_link gg-router wan0 gg-inet rtr-wan 02:00:c6:33:64:01
	gg_port gg-inet br-isp rtr-wan
	gg_host gg-router wan0 198.51.100.1/24 198.51.100.254 2001:db8:100::1/64 2001:db8:100::fe
	ip -n gg-inet -6 route add 2001:db8:77::/64 via 2001:db8:100::1

	gg_bridge gg-lan br-lan
	gg_link gg-router lan0 gg-lan rtr-lan "$MAC_RTR_LAN"
	gg_port gg-lan br-lan rtr-lan
	ip -n gg-router addr add 192.168.77.1/24 dev lan0
	ip -n gg-router addr add 2001:db8:77::1/64 dev lan0 nodad
	nsx gg-router sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
		net.ipv4.conf.lan0.send_redirects=0
	gg_router_nft

	# --- LAN hosts
	gg_link gg-phone eth0 gg-lan phone "$MAC_PHONE"
	gg_port gg-lan br-lan phone
	gg_host gg-phone eth0 192.168.77.20/24 192.168.77.1 2001:db8:77::20/64 2001:db8:77::1

	gg_link gg-pc eth0 gg-lan pc "$MAC_PC"
	gg_port gg-lan br-lan pc
	gg_host gg-pc eth0 192.168.77.30/24 192.168.77.1 2001:db8:77::30/64 2001:db8:77::1

	# --- dark-net: owns all unused addresses, answers ARP, drops everything
	gg_link gg-dark disp gg-inet dark-isp
	gg_port gg-inet br-isp dark-isp
	gg_link gg-dark dscan gg-inet dark-scan
	gg_port gg-inet br-scan dark-scan
	gg_link gg-dark dlan gg-lan dark-lan 02:00:00:da:7c:01
	gg_port gg-lan br-lan dark-lan
	nsx gg-dark sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	{
		gg_dark_addrs 198.51.100 2 253 10 11 | sed 's/\$IF/disp/'
		gg_dark_addrs 203.0.113 1 253 66 77 | sed 's/\$IF/dscan/'
		gg_dark_addrs 192.168.77 2 254 20 30 | sed 's/\$IF/dlan/'
	} | ip -n gg-dark -batch -
	nsx gg-dark nft -f - <<'EOF'
table inet gg_dark {
	chain input { type filter hook input priority 0; policy drop; iif lo accept; }
	chain output { type filter hook output priority 0; policy drop; oif lo accept; }
	chain forward { type filter hook forward priority 0; policy drop; }
}
EOF

	if [[ ${LOOP:-0} == 1 ]]; then
		gg_ns_add gg-router2
		gg_link gg-router2 eth0 gg-lan rtr2 "$MAC_RTR2_LAN"
		gg_port gg-lan br-lan rtr2
		gg_host gg-router2 eth0 192.168.77.2/24 192.168.77.1
		nsx gg-router2 sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
			net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
		# the misconfiguration: the main router sends 203.0.113.192/26 to
		# router2, and router2's default route points back at the main router
		ip -n gg-router route add 203.0.113.192/26 via 192.168.77.2
	fi
}

# gg_router_nft: NAT (masquerade), optional port forward and optional SIP ALG.
gg_router_nft() {
	local fwd="" pin=""
	if [[ ${PORTFWD:-0} == 1 ]]; then
		CMDS+=("nft (router): iifname wan0 udp dport 5060 dnat to 192.168.77.20:5060   # port forward (IPv6: pinhole udp/5060 to 2001:db8:77::20)")
	fi
	if [[ ${ALG:-0} == 1 ]]; then
		CMDS+=("nft (router): ct helper sip5060 { type sip protocol udp }, udp dport 5060 ct helper set sip5060   # SIP ALG on")
	fi
	if [[ ${PORTFWD:-0} == 1 ]]; then
		fwd='iifname "wan0" udp dport 5060 dnat ip to 192.168.77.20:5060'
		pin='ip6 daddr 2001:db8:77::20 udp dport 5060 accept'
	fi
	nsx gg-router nft -f - <<EOF
table ip gg_nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		$fwd
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade
	}
}
table inet gg_fw {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct status dnat accept
		iifname "lan0" accept
		# IPv6 has no NAT: the equivalent of the port forward is a pinhole
		# for udp/5060 to the phone (only when PORTFWD=1)
		$pin
		icmpv6 type { echo-request, destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept
		icmp type { destination-unreachable, time-exceeded } accept
	}
}
EOF
	if [[ ${ALG:-0} == 1 ]]; then
		# SIP ALG: conntrack helper "sip" on udp/5060 (kernel nf_nat_sip
		# rewrites Via/Contact/SDP on the way out)
		nsx gg-router nft -f - <<'EOF'
table inet gg_alg {
	ct helper sip5060 { type "sip" protocol udp; l3proto ip; }
	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		udp dport 5060 ct helper set "sip5060"
	}
}
EOF
	fi
}

# gg_cap_start NS IFACE FILE [PKTMAX] [FILTER...]: start tcpdump and wait
# until it is really listening.
gg_cap_start() {
	local ns=$1 ifc=$2 file=$3 max=${4:-4000}; shift 4 || shift $#
	local logf="$WORK/tcpdump.$(basename "$file").log"
	gg_bg "$ns" "$logf" tcpdump -Z root -U -n -s 0 -c "$max" -i "$ifc" -w "$file" "$@"
	GG_CAP_PID=$GG_LAST_PID
	local i
	for i in $(seq 1 50); do
		grep -q "listening on" "$logf" 2>/dev/null && return 0
		sleep 0.1
	done
	die "tcpdump did not start on $ns/$ifc: $(cat "$logf")"
}

gg_cap_stop() {
	sleep 0.5
	kill -INT "$GG_CAP_PID" 2>/dev/null || true
	wait "$GG_CAP_PID" 2>/dev/null || true
}

# gg_guard_report: warn if the egress guard had to drop anything (it should
# only ever catch replies to addresses a scanner wrote into its headers).
gg_guard_report() {
	local ns n
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${GG_PREFIX}" || true); do
		n=$(nsx "$ns" nft list table inet gg_guard 2>/dev/null | awk '/counter packets/ {s += $(NF-3)} END {print s + 0}')
		if [[ $n != 0 ]]; then
			log "  guard in $ns dropped $n packet(s) addressed outside the lab:"
			nsx "$ns" nft list table inet gg_guard | grep 'counter packets [1-9]' >&2 || true
		fi
	done
}
