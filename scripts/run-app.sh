#!/usr/bin/env bash
# Installs the app into ./.venv and starts it in guest mode (local SQLite, no account).
# With no display it serves the web build and prints the address. Arguments go to chris-app.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v dpkg-query >/dev/null; then
  source scripts/apt.sh
  ensure_packages python3-venv libportaudio2
fi
bash scripts/venv.sh
exec .venv/bin/chris-app "$@"
