#!/usr/bin/env python3
"""banwatch.py -- measure, from outside the daemon, the time from a
source's first packet to its ban in the kernel.

Run inside the guard's namespace:
    banwatch.py IFACE SOURCE_IP SECONDS

Watches IFACE (AF_PACKET, cooked: from the IP header on; kernel receive
timestamps) for the first IPv4
packet from SOURCE_IP and `nft monitor new elements` for SOURCE_IP being
added to a set of table inet ghostguard. Prints one JSON line:
    {"first_packet": t0, "ban": t1, "latency_ms": ...}
(null fields when one of them was not seen within SECONDS). Prints
"ready" on stderr once both watchers are listening.
"""
import json
import select
import socket
import struct
import subprocess
import sys
import time

ETH_P_IP = 0x0800
SO_TIMESTAMPNS = 35


def main() -> int:
    iface, src, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
    want = socket.inet_aton(src)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    sock.bind((iface, 0))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    mon = subprocess.Popen(
        ["nft", "monitor", "new", "elements"],
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    time.sleep(0.2)  # nft monitor subscribes to its netlink group
    print("ready", file=sys.stderr, flush=True)
    first = ban = None
    end = time.time() + limit
    try:
        while time.time() < end and (first is None or ban is None):
            r, _, _ = select.select([sock, mon.stdout], [], [], 0.1)
            if sock in r:
                data, anc, _, _ = sock.recvmsg(2048, 64)
                if first is None and len(data) >= 20 and data[12:16] == want:
                    t = time.time()
                    for level, kind, val in anc:
                        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                            s, ns = struct.unpack("qq", val[:16])
                            t = s + ns / 1e9
                    first = t
            if mon.stdout in r:
                line = mon.stdout.readline()
                if not line:
                    break
                if ban is None and "ghostguard" in line and f" {src} " in f" {line} ".replace("{", " ").replace(",", " "):
                    ban = time.time()
    finally:
        mon.terminate()
        mon.wait()
    out = {"first_packet": first, "ban": ban, "latency_ms": None}
    if first is not None and ban is not None:
        out["latency_ms"] = round((ban - first) * 1000, 3)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
