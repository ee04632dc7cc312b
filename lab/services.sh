# shellcheck shell=bash
# services.sh -- the lab's services and tools (sourced after lib.sh by
# run.sh and the end-to-end tests in lab/e2e/): the provider's kamailio,
# the baresip phone with the ghostring module, SIPp calls, sipvicious.
#
# Needs LAB (the lab directory) and WORK (a scratch directory) set; CMDS
# (an array) collects the commands for a ground-truth file.

CMDS=()

# lab addresses
PROV=198.51.100.10   # provider registrar / proxy (kamailio)
GW=198.51.100.11     # provider PSTN gateway (SIPp)
WAN=198.51.100.1     # customer router WAN
PHONE=192.168.77.20
PC=192.168.77.30
SCAN1=203.0.113.66
SCAN2=203.0.113.77
PHONE_USER=2001
PHONE_PASS=Gr33n-Tulip-2001

# gg_preflight TOOL...: exit 77 (SKIP) unless root, namespaces and the
# tools are there.
gg_preflight() {
	if [[ $(id -u) != 0 ]]; then
		echo "SKIP: needs root / netns (run as root: sudo $0)"
		exit 77
	fi
	if ! ip netns add gg-probe-$$ 2>/dev/null; then
		echo "SKIP: needs root / netns (cannot create a network namespace here)"
		exit 77
	fi
	ip netns del gg-probe-$$
	local missing=() t
	for t in "$@"; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[[ -d /usr/include/re ]] || missing+=("libre-dev")
	if ((${#missing[@]})); then
		echo "SKIP: missing tools: ${missing[*]} (apt-get install -y \$(cat lab/packages.txt))"
		exit 77
	fi
}

# gg_lock: one lab at a time (the namespaces are named gg-*); waits for a
# run of another script to finish. gg_teardown does nothing before it (a
# run that gives up waiting, or is killed while waiting, must not tear
# down the lab of the run that holds the lock).
gg_lock() {
	exec {GG_LOCK_FD}>/run/lock/ghostguard-lab.lock
	if ! flock -w "${1:-600}" "$GG_LOCK_FD"; then
		die "another lab run holds /run/lock/ghostguard-lab.lock"
	fi
	GG_LOCKED=1
}

# build_phone_module: the ghostring baresip module and the stock modules
# the phone loads, in $WORK/mod.
build_phone_module() {
	MOD=$WORK/mod
	mkdir -p "$MOD"
	gcc -shared -fPIC -O2 -Wall -I/usr/include/re -DHAVE_INTTYPES_H \
		-o "$MOD/ghostring.so" "$LAB/phone/ghostring.c"
	local m
	for m in g711 ausine account ctrl_tcp menu uuid; do
		ln -sf "/usr/lib/baresip/modules/$m.so" "$MOD/$m.so"
	done
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
	local t=$1 what=$2 i; shift 2
	for ((i = 0; i < t * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	die "timeout waiting for $what"
}

start_kamailio() {
	local d=$WORK/kamailio
	mkdir -p "$d"
	cp -r "$LAB/conf/db" "$d/db"
	# KAM_USERS=file: more subscribers, "id:user:voip.example.net:password:::" lines
	[[ -n ${KAM_USERS:-} ]] && cat "$KAM_USERS" >>"$d/db/subscriber"
	gg_bg gg-prov "$d/kamailio.log" kamailio -f "$LAB/conf/kamailio.cfg" \
		-A "DBURL=\"text://$d/db\"" -DD -E -P "$d/kamailio.pid" -Y "$d" -w "$d"
	KAM_PID=$GG_LAST_PID
	wait_for 10 "kamailio listening" bash -c "ip netns exec gg-prov ss -uln | grep -q '$PROV:5060'"
}

# start_phone [ANSWER_MS]: baresip as the desk phone 2001, registering to
# the provider through the router's NAT; rings on any INVITE.
start_phone() {
	local answer=${1:-2500}
	local d=$WORK/phone
	CMDS+=("baresip + ghostring module: phone $PHONE_USER@${PHONE_REGISTRAR:-$PROV} at ${PHONE_LISTEN:-$PHONE:5060} registers through NAT (401 qop=auth, then 200); rings on any INVITE, answers after ${answer} ms (0 = never)")
	mkdir -p "$d"
	: >"$d/rings.log"
	cat >"$d/config" <<EOF
poll_method		epoll
sip_listen		${PHONE_LISTEN:-$PHONE:5060}
call_local_timeout	120
call_max_calls		400
audio_player		none
audio_source		ausine,440
audio_alert		none
ausrc_srate		48000
ausrc_channels		2
auplay_srate		48000
auplay_channels		2
audio_level		no
rtp_ports		10000-12999
rtcp_mux		no
rtp_stats		no
module_path		$MOD
module			g711.so
module			ausine.so
module_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
module_app		ghostring.so
ctrl_tcp_listen		127.0.0.1:4444
EOF
	cat >"$d/accounts" <<EOF
"Receptie" <sip:$PHONE_USER@${PHONE_REGISTRAR:-$PROV}>;auth_user=$PHONE_USER;auth_pass=$PHONE_PASS;regint=600;answermode=manual;audio_codecs=PCMA,PCMU
EOF
	gg_bg gg-phone "$d/baresip.log" env GG_RINGLOG="$d/rings.log" GG_ANSWER_MS="$answer" \
		GG_HANGUP_MS="${GG_HANGUP_MS:-5000}" baresip -f "$d"
	PHONE_PID=$GG_LAST_PID
	wait_for 10 "phone registration" grep -q "200 OK" "$d/baresip.log"
}

rings() { grep -c $'\tRING\t' "$WORK/phone/rings.log" || true; }


# ghost_rings: rings of calls that did not come from the provider's gateway
ghost_rings() { grep $'\tRING\t' "$WORK/phone/rings.log" | grep -vc '@198\.51\.100\.11' || true; }

# provider_calls N: the provider's gateway calls the phone N times (via
# kamailio), one every PROVCALL_RATE_MS (5000), at most PROVCALL_LIMIT (1)
# at once
provider_calls() {
	CMDS+=("sipp -sf uac-provider-call.xml -s $PHONE_USER $PROV:5060 -i $GW -p 5070 -m $1   # provider gateway calls the phone via kamailio")
	gg_bg gg-prov "$WORK/sipp-uac.$1.$RANDOM.log" timeout 60 sipp -sf "$LAB/sipp/uac-provider-call.xml" \
		-s "$PHONE_USER" "$PROV:5060" -i "$GW" -p 5070 -m "$1" -r 1 -rp "${PROVCALL_RATE_MS:-5000}" \
		-l "${PROVCALL_LIMIT:-1}" \
		-mi "$GW" -nostdin -timeout 50s
	PROVCALL_PID=$GG_LAST_PID
}

# pstn_uas: the provider's gateway answers calls placed by the phone
pstn_uas() {
	gg_bg gg-prov "$WORK/sipp-uas.log" timeout 40 sipp -sf "$LAB/sipp/uas-pstn.xml" -i "$GW" -p 5080 -mi "$GW" -nostdin -m 1
	UAS_PID=$GG_LAST_PID
}

# phone_dial URI: make the phone place a call (baresip ctrl_tcp, netstring JSON)
phone_dial() {
	local json="{\"command\":\"dial\",\"params\":\"$1\",\"token\":\"gg1\"}"
	nsx gg-phone bash -c "exec 3<>/dev/tcp/127.0.0.1/4444; printf '%d:%s,' ${#json} '$json' >&3; sleep 0.5; exec 3>&-"
}

# sv TOOL NS ARGS...: run a sipvicious tool, bounded in time, HOME in the work dir
sv() {
	local tool=$1 ns=$2; shift 2
	mkdir -p "$WORK/home"
	log "  $ns: $tool $*"
	local c="$tool $*"
	CMDS+=("${c//$LAB\//lab/}")
	nsx "$ns" env HOME="$WORK/home" timeout 60 "$tool" "$@" >>"$WORK/$tool.log" 2>&1 || true
}

# svw TOOL NS UA DISPLAY ARGS...: same, with a changed User-Agent and From display
svw() {
	local tool=$1 ns=$2 ua=$3 disp=$4; shift 4
	mkdir -p "$WORK/home"
	log "  $ns: $tool (User-Agent '$ua', From display '$disp') $*"
	CMDS+=("svwrap.py $tool '$ua' '$disp' $*")
	nsx "$ns" env HOME="$WORK/home" timeout 60 python3 "$LAB/tools/svwrap.py" "$tool" "$ua" "$disp" "$@" \
		>>"$WORK/$tool.log" 2>&1 || true
}
