#!/usr/bin/env bash
# Chromium for the browser tests (test/e2e/html-report-browser.test.ts drives it headless with
# playwright-core). Debian's package, installed when missing; playwright's own browser download is
# not used, so the browser comes from the same package registry as the rest of the system.
set -euo pipefail

browser=/usr/bin/chromium
version() {
  dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo unknown
}
if [[ -x "$browser" ]]; then
  echo "testenv: chromium $(version) cached"
  exit 0
fi
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "testenv: ERROR: $browser is missing; install Debian's 'chromium' package (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt-get (a parallel prepare, unattended upgrades) instead of failing on its lock.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
[[ -x "$browser" ]] || { echo "testenv: ERROR: apt-get installed chromium but $browser is still missing" >&2; exit 1; }
echo "testenv: chromium $(version) built"
