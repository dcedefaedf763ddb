#!/usr/bin/env bash
# `make load`: the load test bench/load.py (Locust against a prefork Odoo on 127.0.0.1,
# --workers=2 --max-cron-threads=1), on the database wm_load (every workflow_monitor_*
# module, no demo data) and on wm_load_vanilla (the Odoo apps the suite depends on,
# without the suite, no demo data), built once here (WM_RESET=1 rebuilds them). Both get
# the same users, customers and products from bench/load.py.
# Settings: WM_LOAD_SECONDS (measured seconds per run, default 60), WM_LOAD_WARMUP (10),
# WM_LOAD_ROUNDS (2: the run kinds in turn, then backwards), WM_LOAD_USERS (order users,
# 4), WM_LOAD_SAME_TRAFFIC (1: also the suite with the order users only; 0: not),
# WM_LOAD_PORT (HTTP port, default 8269; the next one serves the websocket), WM_LOAD_DB.
# About 15 minutes with the defaults (6 runs of 60 s, each with its server start). The result is bench/results/load.json, shown in the
# table of bench/_summary.py (run at the end, as by make bench); the logs of Odoo and
# Locust are in logs/load/. Exits non-zero when the script crashed; a missed target is a
# FAIL row.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${WM_LOAD_DB:-wm_load}"
VANILLA_DB="${WM_LOAD_VANILLA_DB:-${DB}_vanilla}"

# The Odoo modules the suite depends on, without the suite's own.
odoo_dependencies() {
    "$PY" - "$REPO" <<'PY'
import ast, pathlib, sys

repo = pathlib.Path(sys.argv[1])
depends = set()
for manifest in sorted(repo.glob("workflow_monitor_*/__manifest__.py")):
    depends.update(ast.literal_eval(manifest.read_text()).get("depends", []))
print(",".join(sorted(name for name in depends if not name.startswith("workflow_monitor_"))))
PY
}

bash "$REPO/scripts/bootstrap.sh"
pg_export_env
ensure_db "$DB" "$(wm_modules)" --without-demo=all
ensure_db "$VANILLA_DB" "$(odoo_dependencies)" --without-demo=all

export WM_ODOO_CONF="$CONF" ODOO_RC="$CONF" WM_BENCH_OUT="$LOG_DIR/load"
export PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$WM_BENCH_OUT"
cd "$REPO"
rm -f "$REPO/bench/results/load.json"
status=0
"$PY" bench/load.py --db "$DB" --vanilla-db "$VANILLA_DB" 2>&1 | tee "$WM_BENCH_OUT/load.log" ||
    status=$?
info "Summary (bench/results/summary.md)"
if ((status)); then
    "$PY" bench/_summary.py --db "$DB" --crashed load
    die "bench/load.py failed (exit code $status; logs in $WM_BENCH_OUT)"
fi
"$PY" bench/_summary.py --db "$DB"
