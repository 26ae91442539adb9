#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine and runs every suite.
# System packages come from apt (as root, or through sudo); Python packages into ./.venv,
# pinned by constraints.txt. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh

ensure_packages python3-venv libportaudio2 chromium fonts-dejavu-core \
                postgresql-15 postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl \
                espeak-ng sox
# Node.js + npm fetch Deno for the edge functions' tests (supabase/functions/package.json).
command -v npm >/dev/null || ensure_packages nodejs npm
bash scripts/venv.sh test

exec .venv/bin/python -m pytest "$@"
