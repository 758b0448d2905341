#!/usr/bin/env bash
# The programs the end-to-end tier drives besides Node: promtool (Debian `prometheus`), which checks
# every app's /metrics, and Chromium (Debian `chromium`), in which the web page is tested, with a CJK
# font (Debian `fonts-noto-cjk`) so the screenshots show the example's Chinese dimension names rather
# than empty boxes. Installed with apt-get when missing (root or password-less sudo needed for that).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

missing=()
have promtool || missing+=(prometheus)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 ||
  missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "test tools: promtool, chromium and a CJK font present"
  exit 0
fi
if ! have apt-get || { [ "$(id -u)" -ne 0 ] && ! { have sudo && sudo -n true 2>/dev/null; }; }; then
  echo "test tools: ${missing[*]} missing and cannot be installed here (needs apt-get as root)" >&2
  exit 1
fi
echo "test tools: installing ${missing[*]} with apt-get ..."
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# --no-install-recommends: the Prometheus server's web assets and Chromium's extras are not needed.
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
