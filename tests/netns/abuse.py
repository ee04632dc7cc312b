#!/usr/bin/env python3
"""Reflector abuse checks (run inside the LAN namespace of diagnose.sh).

Prints one line per check: `ok <name>` or `FAIL <name>: <why>`.
"""
import socket, sys, time

REFL = sys.argv[1]
TOKEN = sys.argv[2]
OVERHEAD = 160

def request(test, token=TOKEN, pad=0, local="192.0.2.50:40000"):
    head = (
        f"OPTIONS sip:probe@{REFL}:5062 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP {local};branch=z9hG4bK-abuse{time.time_ns()}\r\n"
        f"From: <sip:abuse@192.0.2.50>;tag=a1\r\nTo: <sip:probe@{REFL}>\r\n"
        f"Call-ID: abuse{time.time_ns()}@192.0.2.50\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        f"X-Ghostguard-Test: {test}\r\n"
    )
    if token:
        head += f"X-Ghostguard-Token: {token}\r\n"
    head += "X-Ghostguard-Pad: " + "x" * max(pad, 1) + "\r\n"
    return (head + "Content-Length: 0\r\n\r\n").encode()

def tcp(msg, port=5062):
    s = socket.create_connection((REFL, port), timeout=5)
    s.sendall(msg)
    data = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    except socket.timeout:
        pass
    s.close()
    return data

fails = 0
def check(name, cond, why=""):
    global fails
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + why))
    fails += 0 if cond else 1

# 1. Probes only to the requester: another target, or another port, is refused.
r = tcp(request("probe;port=5060;target=198.51.100.77", pad=600))
check("probe-other-target-refused", r.startswith(b"GGR/1 403"), repr(r[:60]))
r = tcp(request("probe;port=22", pad=600))
check("probe-other-port-refused", r.startswith(b"GGR/1 403"), repr(r[:60]))
r = tcp(request("probe;port=5060", token="wrong", pad=600))
check("wrong-token-refused", r.startswith(b"GGR/1 401") and len(r) <= 700, repr(r[:60]))

# 2. Reply sizes: an echo is at most OVERHEAD bytes over the request;
#    a request over max_request_bytes gets nothing.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1.0)
u.connect((REFL, 5062))
big = request("echo", pad=3500)
u.send(big)
try:
    got = u.recv(70000)
    check("echo-reply-bounded", len(got) <= len(big) + OVERHEAD, f"{len(got)} > {len(big)}+{OVERHEAD}")
except socket.timeout:
    check("echo-reply-bounded", False, "no echo")
u.send(request("echo", pad=5000))
try:
    got = u.recv(70000)
    check("oversize-dropped", False, f"got {len(got)} bytes")
except socket.timeout:
    check("oversize-dropped", True)
junk = b"\x00" * 20
u.send(junk)
try:
    got = u.recv(70000)
    check("junk-not-answered", False, f"got {len(got)} bytes")
except socket.timeout:
    check("junk-not-answered", True)

# 3. Rate limits: a fresh source gets its burst, then silence.
time.sleep(5)  # let the bucket of this source refill (5/s, burst 20)
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u2.settimeout(0.3)
u2.connect((REFL, 5062))
small = request("echo")
sent, answered = 40, 0
for _ in range(sent):
    u2.send(small)
deadline = time.time() + 1.5
while time.time() < deadline:
    try:
        u2.recv(70000)
        answered += 1
    except socket.timeout:
        break
check("rate-limited", 20 <= answered <= 22, f"{answered} of {sent} answered (burst 20)")
sys.exit(1 if fails else 0)
