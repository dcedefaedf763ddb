#!/usr/bin/env bash
# Runs every bench/*.py (except helpers named _*.py, and load.py: `make load` runs it), or
# only the scripts named as arguments (e.g. `scripts/bench.sh sla_sweep event_ingest`),
# with the virtualenv's Python and Odoo importable, against the database wm_bench (every
# workflow_monitor_* module, no demo data; WM_RESET=1 rebuilds it; WM_BENCH_DB names another one). Scripts get
# WM_ODOO_CONF and ODOO_RC (the Odoo config), WM_BENCH_DB, and WM_BENCH_OUT (a folder for
# their files); their output is also kept in logs/bench/<script>.log, and each is stopped
# after WM_BENCH_TIMEOUT seconds (default 3600; the whole set takes about 10 minutes here). Then bench/_summary.py writes one table of
# every target (bench/results/summary.md and summary.json). Exits non-zero when a script
# crashed or timed out; a missed target is a FAIL row of the table, not an error.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shopt -s nullglob
scripts=()
if (($#)); then
    for name in "$@"; do
        name="$(basename "$name" .py)"
        [[ -f "$REPO/bench/$name.py" && "$name" != _* ]] || die "no benchmark bench/$name.py"
        scripts+=("$REPO/bench/$name.py")
    done
else
    for script in "$REPO"/bench/[!_]*.py; do
        # the load test has its own databases, server and command (make load)
        [[ "$(basename "$script")" == load.py ]] || scripts+=("$script")
    done
fi
if ((${#scripts[@]} == 0)); then
    info "bench/ has no scripts: nothing to run"
    exit 0
fi

DB="${WM_BENCH_DB:-wm_bench}"
bash "$REPO/scripts/bootstrap.sh"
pg_export_env
ensure_db "$DB" "$(wm_modules)" --without-demo=all
# bench/approval_overhead.py compares with the same suite without the approvals module
ensure_db "${DB}_noapprovals" "$(wm_modules | tr ',' '\n' | grep -vx workflow_monitor_approvals |
    paste -sd,)" --without-demo=all

export WM_ODOO_CONF="$CONF" ODOO_RC="$CONF" WM_BENCH_DB="$DB" WM_BENCH_OUT="$LOG_DIR/bench"
export PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$WM_BENCH_OUT"
cd "$REPO"
failed=()
for script in "${scripts[@]}"; do
    name="$(basename "$script" .py)"
    info "bench/$name.py"
    # a stale result of an earlier run must not stand in for a crash of this one
    rm -f "$REPO/bench/results/$name.json"
    timeout --kill-after=30 "${WM_BENCH_TIMEOUT:-3600}" "$PY" "$script" 2>&1 |
        tee "$WM_BENCH_OUT/$name.log" || failed+=("$name")
done
info "Summary (bench/results/summary.md)"
"$PY" bench/_summary.py --crashed "${failed[@]}"
((${#failed[@]} == 0)) || die "benchmarks failed: ${failed[*]} (logs in $WM_BENCH_OUT)"
