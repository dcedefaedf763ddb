#!/usr/bin/env bash
# The demo: database wm_demo with every workflow_monitor_* module and its demo data,
# served on http://127.0.0.1:8069 in the foreground (Ctrl+C stops it).
# WM_RESET=1 rebuilds the database; WM_DEMO_DB and WM_DEMO_PORT change name and port.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${WM_DEMO_DB:-wm_demo}"
PORT="${WM_DEMO_PORT:-8069}"

bash "$REPO/scripts/bootstrap.sh"
pg_export_env
ensure_db "$DB" "$(wm_modules)"

cat <<MSG

  Workflow Monitor demo: http://127.0.0.1:$PORT/odoo
  Log in as admin / password admin.   Stop with Ctrl+C.

MSG
cd "$REPO"
PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" \
    -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$PORT"
