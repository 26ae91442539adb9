#!/usr/bin/env bash
# Installs the app into ./.venv and starts it in guest mode (local SQLite, no account).
# With no display it serves the web build and prints the address. Arguments go to chris-app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
exec .venv/bin/chris-app "$@"
