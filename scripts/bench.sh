#!/usr/bin/env bash
# Runs every bench/*.py (except helpers named _*.py) with the virtualenv's Python and Odoo
# importable, against the database wm_bench (every workflow_monitor_* module, no demo data;
# WM_RESET=1 rebuilds it). Scripts get WM_ODOO_CONF and ODOO_RC (the Odoo config),
# WM_BENCH_DB, and WM_BENCH_OUT (a folder for their files); their output is also kept in
# logs/bench/<script>.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shopt -s nullglob
scripts=("$REPO"/bench/[!_]*.py)
if ((${#scripts[@]} == 0)); then
    info "bench/ has no scripts: nothing to run"
    exit 0
fi

DB="${WM_BENCH_DB:-wm_bench}"
bash "$REPO/scripts/bootstrap.sh"
pg_export_env
ensure_db "$DB" "$(wm_modules)" --without-demo=all

export WM_ODOO_CONF="$CONF" ODOO_RC="$CONF" WM_BENCH_DB="$DB" WM_BENCH_OUT="$LOG_DIR/bench"
export PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$WM_BENCH_OUT"
cd "$REPO"
failed=()
for script in "${scripts[@]}"; do
    name="$(basename "$script" .py)"
    info "bench/$name.py"
    "$PY" "$script" 2>&1 | tee "$WM_BENCH_OUT/$name.log" || failed+=("$name")
done
((${#failed[@]} == 0)) || die "benchmarks failed: ${failed[*]} (logs in $WM_BENCH_OUT)"
