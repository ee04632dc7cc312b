# shellcheck shell=bash
# anchor.sh -- the anchor of bench.sh: the same flood ladder against
# Kamailio with pike + secfilter (lab/conf/kamailio-pike.cfg) as the SIP
# front of the customer router, in the place of the port forward that
# ghostguard guards. Sourced by bench.sh after the guard's ladder.

# anchor_up: the guard out of the way (daemon stopped, its table deleted);
# udp/5060 on the WAN untracked, so it reaches the local Kamailio and not
# the port forward or the phone's NAT binding
anchor_up() {
	guard_stop
	nsx gg-router nft delete table inet ghostguard 2>/dev/null || true
	nsx gg-router nft -f - <<-'NFT'
	table inet gg_anchor {
		chain pre { type filter hook prerouting priority raw; policy accept;
			iifname "wan0" udp dport 5060 notrack; }
		chain out { type filter hook output priority raw; policy accept;
			oifname "wan0" udp sport 5060 notrack; }
	}
	NFT
	nsx gg-router conntrack -D -p udp --orig-port-dst 5060 >/dev/null 2>&1 || true
	nsx gg-router conntrack -D -p udp --orig-port-src 5060 >/dev/null 2>&1 || true
}

# anchor_start TAG: a fresh Kamailio front in gg-router (fresh pike state
# and counters for each step)
anchor_start() {
	local d=$WORK/anchor.$1
	mkdir -p "$d"
	cp -r "$LAB/conf/db-pike" "$d/db"
	ANCHOR_CTL=$d/ctl
	gg_bg gg-router "$d/kamailio.log" kamailio -f "$LAB/conf/kamailio-pike.cfg" \
		-A "DBURL=\"text://$d/db\"" -A "CTLSOCK=\"unix:$ANCHOR_CTL\"" \
		-DD -E -P "$d/kamailio.pid" -Y "$d" -w "$d"
	ANCHOR_PID=$GG_LAST_PID
	ANCHOR_LOG=$d/kamailio.log
	wait_for 10 "kamailio front listening" bash -c "ip netns exec gg-router ss -uln | grep -q '198.51.100.1:5060'"
	wait_for 5 "kamailio front ctl" test -S "$ANCHOR_CTL"
}

# anchor_shv NAME: a counter of the running front
anchor_shv() {
	kamcmd -s "unix:$ANCHOR_CTL" pv.shvGet "$1" 2>/dev/null | awk '/value/ { print $2 }' | tr -d '\r'
}

# anchor_block_ms: pike's first detection - the flood's first request, ms
anchor_block_ms() {
	awk '/ANCHOR first/ { for (i = 1; i < NF; i++) if ($i == "first") f = $(i + 1) }
		/ANCHOR block/ { for (i = 1; i < NF; i++) if ($i == "block" && b == "") b = $(i + 1) }
		END { if (f == "" || b == "") print "n/a"; else printf "%.1f", (b - f) * 1000 }' "$ANCHOR_LOG"
}

# anchor_ladder: for each rate of RATES, the same flood and provider calls
# as the guard's ladder; rows in ANCHOR_ROWS, keyed like the guard's
anchor_ladder() {
	local rate r0 r1 ok calls sent got pass pike ua blk ghosts
	ANCHOR_ROWS=()
	ANCHOR_BEST=0
	anchor_up
	for rate in $RATES; do
		log "3. anchor: flood $rate INVITE/s for ${SECS}s from $SCAN2 at kamailio pike+secfilter, 4 provider calls"
		anchor_start "$rate"
		ghosts=$(ghost_rings)
		r0=$(rx)
		PROVCALL_RATE_MS=800 PROVCALL_LIMIT=4 provider_calls 4
		flood gg-scan2 "$SCAN2" "$rate" "$SECS"
		r1=$(rx)
		ok=0
		wait "$PROVCALL_PID" && ok=1
		calls=$(grep -E 'Successful call' "$WORK"/sipp-uac.4.*.log | tail -1 | awk -F'|' '{gsub(/ /, "", $3); print $3}')
		sent=$(flood_sent "$rate")
		got=$(awk -F'|' '/Call Rate/ { v = $3 } END { gsub(/[^0-9.]/, "", v); printf "%d", v }' "$WORK/sipp-flood.$rate.log")
		pass=$(anchor_shv pass) pike=$(anchor_shv pike) ua=$(anchor_shv ua)
		blk=$(anchor_block_ms)
		ghosts=$(($(ghost_rings) - ghosts))
		ANCHOR_ROWS+=("$(printf '%10s %14s %10s %10s %8s %12s' "$got" "${calls:-0}/4" "${pass:-?}" "${pike:-?}" "${ghosts}" "$blk")")
		if ((ok)) && ((got > ANCHOR_BEST)); then ANCHOR_BEST=$got; fi
		rm -f "$WORK"/sipp-uac.4.*.log
		gg_kill "$ANCHOR_PID"
		[[ -n ${ua:-} && $ua != 0 ]] && log "  secfilter dropped $ua (User-Agent)"
		mv "$WORK/sipp-flood.$rate.log" "$WORK/sipp-flood.anchor.$rate.log"
	done
}
