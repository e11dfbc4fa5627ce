#!/usr/bin/env bash
# Debian packages outside PyPI: Chromium for the Playwright browser journeys (the browser is
# never downloaded by Playwright), CJK fonts so Chinese reports render, poppler for PDF checks,
# gettext for `make messages` (the compiled .mo catalogues are committed, so `make run` needs none).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: install these Debian packages for the browser and PDF tests: ${need[*]}" >&2
  exit 0
fi
echo "Installing ${need[*]} …"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
