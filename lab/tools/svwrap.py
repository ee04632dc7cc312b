#!/usr/bin/env python3
"""svwrap.py -- run a SIPVicious tool (svmap/svwar/svcrack) with a changed
User-Agent and From display name, to model an attacker who hides the
tool's fingerprints.  SIPVicious 0.3.x has no --user-agent option, so this
wrapper patches sipvicious.libs.svhelper.makeRequest before the tool is
imported.

usage: svwrap.py TOOL "USER-AGENT" "FROM-DISPLAY" [tool options...]
"""
import re
import sys

sys.path.insert(0, "/usr/share/sipvicious")
from sipvicious.libs import svhelper  # noqa: E402

tool, ua, display = sys.argv[1], sys.argv[2], sys.argv[3]
_orig = svhelper.makeRequest


def makeRequest(method, fromaddr, toaddr, *args, **kw):
    kw["useragent"] = ua
    # '"sipvicious"<sip:100@...>' or '"100" <sip:100@...>' -> '"display" <...>'
    fromaddr = re.sub(r'^\s*"[^"]*"\s*', '"%s" ' % display, fromaddr)
    return _orig(method, fromaddr, toaddr, *args, **kw)


svhelper.makeRequest = makeRequest
sys.argv = [tool] + sys.argv[4:]
mod = __import__("sipvicious.%s" % tool, fromlist=["main"])
sys.exit(mod.main())
