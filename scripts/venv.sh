#!/usr/bin/env bash
# Creates ./.venv and installs the app (and, with the argument "test", the test tools),
# pinned by constraints.txt so every install resolves the same versions.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
extras=""; [ "${1:-}" = "test" ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".${extras}"
