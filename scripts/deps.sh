#!/usr/bin/env bash
# deps.sh: makes sure the Debian packages the project needs are installed.
#   scripts/deps.sh           install what is missing (as root), or list it and fail
#   scripts/deps.sh --check   only list what is missing (exit 1 if anything is)
#   DEPS_EXTRA="chromium ..." adds packages (the browser tests)
# clang and its runtime build the fuzz harnesses (make fuzz); pgbouncer, prometheus (promtool),
# LibreOffice and openpyxl are used by tests only (PgBouncer pooling, /metrics format, real
# spreadsheets).
set -euo pipefail

PACKAGES=(
  gcc make pkg-config curl bc
  libpq-dev postgresql
  libmicrohttpd-dev libcmocka-dev
  libssl-dev libxml2-dev libjansson-dev libcurl4-openssl-dev libunistring-dev
  libxlsxwriter-dev libzip-dev
  clang libclang-rt-14-dev
  pgbouncer prometheus
  libreoffice-calc-nogui python3-openpyxl
  ${DEPS_EXTRA:-}
)

missing=()
for p in "${PACKAGES[@]}"; do
  [ -n "$p" ] || continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--check" ]; then
  echo "paquets manquants : ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Paquets Debian manquants : ${missing[*]}" >&2
  echo "Installez-les en root : apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installation de : ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
