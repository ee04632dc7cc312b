#!/usr/bin/env bash
# check.sh -- verify the committed lab pcaps against their ground truth.
#
#   lab/check.sh            check every testdata/lab/*.truth.toml (exit 1 on mismatch)
#   lab/check.sh NAME...    check only these scenarios
#   lab/check.sh --table    print the markdown table used in testdata/lab/README.md
#   lab/check.sh --counts   also print SIP message counts per source
#
# Needs tshark and python3 (>= 3.11 for tomllib); no root, no network.
# Exit codes: 0 all checks passed, 1 a check failed, 77 skipped (no tshark).
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${GG_OUT:-$(dirname "$LAB")/testdata/lab}

if ! command -v tshark >/dev/null || ! command -v python3 >/dev/null; then
	echo "SKIP: lab/check.sh needs tshark and python3"
	exit 77
fi
if ! python3 -c 'import tomllib' 2>/dev/null; then
	echo "SKIP: lab/check.sh needs python3 >= 3.11 (tomllib)"
	exit 77
fi

exec python3 - "$DIR" "$@" <<'PY'
import collections
import ipaddress
import os
import subprocess
import sys
import tomllib

DIR = sys.argv[1]
args = sys.argv[2:]
TABLE = "--table" in args
COUNTS = "--counts" in args
names = [a for a in args if not a.startswith("--")]

LAB_NETS = [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
    "192.168.77.0/24", "224.0.0.0/24", "255.255.255.255/32",
    "::1/128", "2001:db8::/32", "fd00:77::/64", "fe80::/10", "ff02::/16")]
LAN = ipaddress.ip_network("192.168.77.0/24")

FIELDS = ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.ttl",
          "eth.src", "sll.ifindex", "sip.Method", "sip.Status-Code", "sip.r-uri.user",
          "sip.to.user", "sip.Call-ID", "sip.auth", "sip.Contact", "sip.CSeq.method",
          "sip.User-Agent", "frame.len", "sip.Via", "sdp.connection_info"]


def tshark(pcap, flt):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", flt, "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        r = dict(zip(FIELDS, v))
        r["src"] = r["ip.src"] or r["ipv6.src"]
        r["dst"] = r["ip.dst"] or r["ipv6.dst"]
        rows.append(r)
    return rows


def in_lab(a):
    try:
        ip = ipaddress.ip_address(a)
    except ValueError:
        return False
    return any(ip in n for n in LAB_NETS)


def run(name):
    """returns (ok, failures, summary, nmsgs, rows)"""
    truth_f = os.path.join(DIR, name + ".truth.toml")
    pcap = os.path.join(DIR, name + ".pcap")
    fails = []
    with open(truth_f, "rb") as f:
        t = tomllib.load(f)
    if not os.path.exists(pcap):
        return False, ["pcap missing"], "", 0, []
    rows = tshark(pcap, "sip && !icmp && !icmpv6")
    reqs = [r for r in rows if r["sip.Method"]]
    notes = []

    def chk(cond, msg):
        if not cond:
            fails.append(msg)

    # every address in the capture belongs to the lab
    addrs = {r["src"] for r in rows} | {r["dst"] for r in rows}
    bad = sorted(a for a in addrs if a and not in_lab(a))
    chk(not bad, f"addresses outside the lab ranges: {bad}")

    phones = set(t.get("phones", []))
    benign = set(t.get("benign", []))
    mal = t.get("malicious", [])
    for b in benign:
        chk(any(r["src"] == b or r["dst"] == b for r in rows), f"benign {b} not in capture")
    kinds = t.get("kinds", {})
    for m in mal:
        mine = [r for r in reqs if r["src"] == m]
        chk(mine, f"malicious {m} sent no SIP request")
        meth = collections.Counter(r["sip.Method"] for r in mine)
        part = f"{m}: " + ", ".join(f"{n} {k}" for k, n in meth.most_common())
        for k in kinds.get(m, []):
            if k == "scanner":
                chk(any(r["sip.Method"] in ("OPTIONS", "INVITE", "REGISTER") for r in mine),
                    f"{m}: scanner but no OPTIONS/INVITE/REGISTER")
            elif k == "enumeration":
                users = {r["sip.to.user"] or r["sip.r-uri.user"] for r in mine
                         if r["sip.Method"] in ("INVITE", "REGISTER", "OPTIONS")}
                chk(len(users) >= 10, f"{m}: enumeration but only {len(users)} distinct users")
                part += f"; {len(users)} users"
            elif k == "bruteforce":
                auth = [r for r in mine if r["sip.Method"] == "REGISTER" and r["sip.auth"]]
                rej = [r for r in rows if r["dst"] == m and r["sip.Status-Code"] in ("401", "403", "407")]
                chk(len(auth) >= 10, f"{m}: bruteforce but {len(auth)} REGISTERs with credentials")
                chk(len(rej) >= 10, f"{m}: bruteforce but {len(rej)} 401/403 answers")
                part += f"; {len(auth)} REGISTER w/ credentials, {len(rej)} rejected"
            elif k == "flood":
                n = meth.get("INVITE", 0) + meth.get("REGISTER", 0)
                chk(n >= 100, f"{m}: flood but only {n} INVITE/REGISTER")
            elif k == "sweep":
                d = {r["dst"] for r in mine}
                chk(len(d) >= 10, f"{m}: sweep but only {len(d)} destinations")
                part += f"; {len(d)} destinations"
            else:
                fails.append(f"{m}: unknown kind {k}")
        notes.append(part)

    # ghost calls: INVITE dialogs from sources that are not benign, reaching a phone
    ghost = {r["sip.Call-ID"] for r in reqs
             if r["sip.Method"] == "INVITE" and r["dst"] in phones and r["src"] not in benign}
    rang = {r["sip.Call-ID"] for r in rows
            if r["sip.Status-Code"] == "180" and r["src"] in phones and r["dst"] not in benign}
    gmin = t.get("ghost_calls_min", 0)
    if gmin:
        chk(len(ghost) >= gmin, f"ghost calls: {len(ghost)} INVITEs reached a phone, truth says >= {gmin}")
        notes.append(f"{len(ghost)} ghost INVITEs reached the phone, {len(rang & ghost)} rang (180)")
    else:
        chk(not ghost, f"truth says no ghost call but {len(ghost)} INVITEs from untrusted sources reached a phone")

    if t.get("infected_mac"):
        macs = {r["eth.src"] for r in reqs if r["src"] in mal}
        chk(macs == {t["infected_mac"]}, f"infected MAC {t['infected_mac']} != {macs}")
        notes.append(f"attacker MAC {t['infected_mac']}")

    causes = t.get("causes", [])
    if "infected-host" in causes:
        chk(all(ipaddress.ip_address(m) in LAN for m in mal), "infected-host but attacker not on the LAN")
    if "port-forward" in causes:
        chk(any(r["src"] in mal and r["dst"] in phones for r in reqs),
            "port-forward but no request from an attacker reached a phone")
    if "loop" in causes:
        loop = t.get("loop", {})
        cid = loop.get("message_call_id")
        same = [r for r in rows if r["sip.Call-ID"] == cid]
        ttls = {r["ip.ttl"] for r in same}
        chk(len(same) >= 30 and len(ttls) >= 30,
            f"loop: message {cid} seen {len(same)} times with {len(ttls)} TTLs")
        notes.append(f"one OPTIONS seen {len(same)}x, TTL {max(map(int, ttls), default=0)}..{min(map(int, ttls), default=0)}")
    if "alg" in t:
        wan, lan = t["wan_address"], t["lan_address"]
        wside = [r for r in reqs if r["src"] == wan and r["sip.Method"] in ("REGISTER", "INVITE")]
        chk(wside, "no REGISTER/INVITE on the WAN side")
        def hdrs(r):
            return r["sip.Contact"] + " " + r["sip.Via"] + " " + r["sdp.connection_info"]
        rewritten = [r for r in wside if wan in r["sip.Contact"] and wan in r["sip.Via"]
                     and (not r["sdp.connection_info"] or wan in r["sdp.connection_info"])]
        leaked = [r for r in wside if lan in hdrs(r)]
        if t["alg"]:
            chk(rewritten and not leaked, f"ALG on but WAN-side Contact not rewritten ({len(leaked)} with {lan})")
            notes.append(f"WAN side: Via/Contact/SDP c= of {len(rewritten)}/{len(wside)} REGISTER/INVITE rewritten to {wan}")
        else:
            chk(leaked and not rewritten, f"ALG off but WAN-side Contact rewritten ({len(rewritten)})")
            notes.append(f"WAN side: {len(leaked)}/{len(wside)} REGISTER/INVITE still carry {lan} in Via/Contact/SDP")
    if "alg" in t and "conntrack_helper_sip" in t:
        chk(t["conntrack_helper_sip"] == t["alg"], "truth: conntrack helper state disagrees with alg")
    if "cracked" in t:
        c = t["cracked"]
        ok200 = [r for r in rows if r["dst"] == c["by"] and r["sip.Status-Code"] == "200"
                 and r["sip.CSeq.method"] == "REGISTER"]
        chk(bool(ok200) == c["success"], f"cracked.success={c['success']} but {len(ok200)} 200 OK to {c['by']}")
        if c["success"]:
            notes.append(f"password of {c['user']} found (200 OK to {c['by']})")
    if not mal:
        notes.append("no attacker")
    # benign phones registering: first 401 then 200
    for p in phones:
        regs = [r for r in rows if (r["src"] == p and r["sip.Method"] == "REGISTER")]
        if regs:
            notes.append(f"phone {p}: {len(regs)} REGISTER")

    percount = collections.Counter(r["src"] for r in rows)
    return not fails, fails, "; ".join(notes), len(rows), percount


def main():
    if names:
        todo = names
    else:
        todo = sorted(f[:-len(".truth.toml")] for f in os.listdir(DIR) if f.endswith(".truth.toml"))
    if not todo:
        print("no truth files in", DIR)
        print("0 passed, 0 failed")
        return 1
    passed = failed = 0
    table = []
    for n in todo:
        ok, fails, summary, nmsg, per = run(n)
        size = os.path.getsize(os.path.join(DIR, n + ".pcap")) if os.path.exists(os.path.join(DIR, n + ".pcap")) else 0
        with open(os.path.join(DIR, n + ".truth.toml"), "rb") as f:
            t = tomllib.load(f)
        if ok:
            passed += 1
            if not TABLE:
                print(f"ok   {n}: {nmsg} SIP messages, {size} bytes; {summary}")
        else:
            failed += 1
            print(f"FAIL {n}: " + " | ".join(fails))
        if COUNTS and not TABLE:
            for src, c in per.most_common():
                print(f"       {src:>22} {c}")
        table.append((n, t.get("how", ""), summary, nmsg, size, ok))
    if TABLE:
        print("| file | how made | what it shows (checked with tshark) | SIP msgs | bytes |")
        print("|---|---|---|---:|---:|")
        for n, how, summary, nmsg, size, ok in table:
            print(f"| `{n}.pcap` | {how} | {summary}{'' if ok else ' **CHECK FAILED**'} | {nmsg} | {size} |")
        return 0 if not failed else 1
    print(f"{passed} passed, {failed} failed")
    return 0 if not failed else 1


sys.exit(main())
PY
