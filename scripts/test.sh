#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine and runs every suite.
# System packages come from apt (as root, or through sudo); Python packages into ./.venv,
# pinned by constraints.txt. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(python3-venv chromium postgresql-15 postgresql-15-cron postgresql-15-pgtap
                 espeak-ng sox libportaudio2 fonts-dejavu-core)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bash scripts/venv.sh test

exec .venv/bin/python -m pytest "$@"
