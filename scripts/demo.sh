#!/usr/bin/env bash
# The demo: database wm_demo with every workflow_monitor_* module and its demo data,
# served on http://127.0.0.1:8069 in the foreground (Ctrl+C stops it).
# WM_RESET=1 rebuilds the database; WM_DEMO_DB and WM_DEMO_PORT change name and port.
# A database created by this run is filled by the distribution simulator
# (workflow.simulator, log: logs/simulate-<db>.log) so the dashboards have data at first
# login: WM_DEMO_DAYS (default 30) days of WM_DEMO_ORDERS (default 12) orders a day;
# WM_DEMO_SIMULATE=0 skips it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${WM_DEMO_DB:-wm_demo}"
PORT="${WM_DEMO_PORT:-8069}"

bash "$REPO/scripts/bootstrap.sh"
pg_export_env
modules="$(wm_modules)"
fresh=0
if [[ "${WM_RESET:-0}" == 1 ]] || ! db_exists "$DB"; then fresh=1; fi
ensure_db "$DB" "$modules"

# Simulated activity (only in a database created just now, and only with the
# distribution module): orders, deliveries, receipts, bills, invoices and payments
# through Odoo's own flows, committed day by day, then the detectors and KPI snapshots.
if ((fresh)) && [[ "${WM_DEMO_SIMULATE:-1}" != 0 && ",$modules," == *,workflow_monitor_distribution,* ]]; then
    days="${WM_DEMO_DAYS:-30}" orders="${WM_DEMO_ORDERS:-12}" log="$LOG_DIR/simulate-$DB.log"
    [[ "$days$orders" =~ ^[0-9]+$ ]] || die "WM_DEMO_DAYS and WM_DEMO_ORDERS must be numbers"
    info "Simulating $days days of $orders orders a day in $DB (log: $log)"
    start=$SECONDS
    # progress: one line per simulated day, from the log as it is written
    echo "env['workflow.simulator'].run(days=$days, orders_per_day=$orders, seed=42, commit=True)" |
        PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$ODOO_SRC/odoo-bin" shell \
            -c "$CONF" -d "$DB" --no-http --log-level=info 2>&1 | tee "$log" |
        { grep --line-buffered -E 'Workflow Monitor simulator: day [0-9]+/' || true; } |
        sed -u 's/.*simulator: /==> /'
    status=("${PIPESTATUS[@]}")
    ((status[1] == 0)) ||
        die "the simulator failed (odoo-bin exit code ${status[1]}); see $log (WM_RESET=1 rebuilds)"
    if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |^Traceback' "$log" >&2; then
        die "the simulator logged the errors above; see $log"
    fi
    # the readable summary: the lines after its heading, up to the next log line
    awk '/Workflow Monitor simulator summary:/ {on = 1; next}
         on && /^[0-9]{4}-[0-9]{2}-[0-9]{2} / {exit}
         on {print}' "$log"
    info "Simulated $days days in $((SECONDS - start)) s"
fi

cat <<MSG

  Workflow Monitor demo: http://127.0.0.1:$PORT/odoo
  Log in as admin / password admin.   Stop with Ctrl+C.

MSG
cd "$REPO"
PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" \
    -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$PORT"
