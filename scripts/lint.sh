#!/usr/bin/env bash
# `make lint`: installs the lint tools when missing (requirements-dev.txt into .venv,
# package.json into node_modules) and runs every pre-commit hook on all tracked files:
# ruff, pylint-odoo, prettier and the OCA copyright/license headers (scripts/headers.py
# --check, hook oca-headers of .pre-commit-config.yaml).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! "$PY" -c "import sys" 2>/dev/null; then
    python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
    info "Creating virtualenv $VENV"
    "$python" -m venv "$VENV"
fi
stamp="$VENV/.requirements-dev.sha256"
sum="$(sha256sum "$REPO/requirements-dev.txt" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$sum" ]]; then
    info "Installing requirements-dev.txt into $VENV"
    "$PY" -m pip install -q --disable-pip-version-check -r "$REPO/requirements-dev.txt"
    echo "$sum" >"$stamp"
fi

if ! command -v npm >/dev/null; then
    is_root || die "npm not found: install Node.js (sudo apt-get install nodejs npm)"
    info "Installing Node.js and npm"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
stamp="$REPO/node_modules/.package.sha256"
sum="$(cat "$REPO/package.json" "$REPO/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$sum" ]]; then
    info "Installing package.json into node_modules"
    (cd "$REPO" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$sum" >"$stamp"
fi

git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || die "pre-commit needs a git repository"
cd "$REPO"
PATH="$VENV/bin:$REPO/node_modules/.bin:$PATH" pre-commit run --all-files --show-diff-on-failure
