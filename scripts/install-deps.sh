#!/usr/bin/env bash
# Installs the Debian packages the tests and the lab use (idempotent).
# Needs root; without it, says what is missing and exits 0 so a developer
# can still run the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(tshark tcpdump jq iproute2 nftables iptables conntrack iputils-ping libpcap-dev pkg-config gzip systemd postgresql chromium chromium-driver)
if [ -f lab/packages.txt ]; then
  while read -r p; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && pkgs+=("$p"); done < lab/packages.txt
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "all ${#pkgs[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "NOTE: not root; missing packages: ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
