#!/usr/bin/env bash
# The slow reliability tests (`make test-slow`, also run by .ci/run): tests/slow drives real
# odoo-bin processes (crash and restart, install/uninstall/reinstall, `-u all` twice) on
# copies of a template database wm_slow_tpl that this script installs fresh with every
# workflow_monitor_* module (no demo data); then the base module's tests run on a database
# whose event table is partitioned by month (wm_slow_partitioned). Arguments go to pytest
# (of tests/slow). Fails on any failing,
# erroring or skipped test. Logs: logs/test-slow.log, logs/slow/*.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -z "${WM_TEST_TEED:-}" ]]; then
    mkdir -p "$LOG_DIR"
    set +e
    WM_TEST_TEED=1 bash "${BASH_SOURCE[0]}" "$@" 2>&1 | tee "$LOG_DIR/test-slow.log"
    exit "${PIPESTATUS[0]}"
fi

START=$SECONDS
TPL="${WM_SLOW_TEMPLATE:-wm_slow_tpl}"
PYTEST_LOG="$LOG_DIR/pytest-slow.log"
fail() {
    echo "SLOW TESTS FAILED: $*"
    echo "Full log: $LOG_DIR/test-slow.log"
    exit 1
}

bash "$REPO/scripts/bootstrap.sh"
pg_export_env
drop_db "$TPL"
install_modules "$TPL" "$(wm_modules)" --without-demo=all

export WM_ODOO_CONF="$CONF" WM_SLOW_TEMPLATE="$TPL" WM_LOG_DIR="$LOG_DIR" WM_PYTHON="$PY" ODOO_SRC
rm -rf "$LOG_DIR/slow"
cd "$REPO"
set +e
# -p no:odoo: these tests start odoo-bin processes themselves, pytest-odoo stays out.
PYTHONPATH="$ODOO_SRC:$REPO${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/pytest" -p no:odoo -p no:cacheprovider -rs -v \
    tests/slow "$@" 2>&1 | tee "$PYTEST_LOG"
rc=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^=+ .* in [0-9.]+s' "$PYTEST_LOG" | tail -n 1 || true)"
((rc != 5)) || fail "no test was collected"
((rc == 0)) || fail "pytest exit code $rc. ${summary}"
if grep -q 'skipped' <<<"$summary"; then
    fail "skipped tests (every test must run)"
fi

# The base module's tests on an event table partitioned by month: a fresh database with
# the base module and the test addon, converted by workflow.event.action_partition_by_month,
# updated once more (-u must keep the partitioned table), then workflow_monitor_base/tests
# with pytest-odoo, as make test runs them.
PART_DB="${WM_SLOW_PARTITION_DB:-wm_slow_partitioned}"
PART_LOG="$LOG_DIR/pytest-slow-partitioned.log"
part_start=$SECONDS
drop_db "$PART_DB"
install_modules "$PART_DB" "workflow_monitor_base,workflow_monitor_test"
info "Partitioning the event table of $PART_DB by month"
PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$ODOO_SRC/odoo-bin" shell -c "$CONF" \
    -d "$PART_DB" --no-http --log-level=warn <<'PY' || fail "partitioning $PART_DB failed"
result = env["workflow.event"].action_partition_by_month()
assert env["workflow.event"]._events_partitioned(), result
env.cr.commit()
print("PARTITIONED:", result["params"]["message"])
PY
update_log="$LOG_DIR/update-$PART_DB.log"
odoo_bin -d "$PART_DB" -u workflow_monitor_base --stop-after-init --no-http 2>&1 | tee "$update_log" ||
    fail "updating workflow_monitor_base on the partitioned $PART_DB failed; see $update_log"
if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$update_log"; then
    fail "updating workflow_monitor_base on the partitioned $PART_DB logged errors; see $update_log"
fi
kind="$(psql_cmd -d "$PART_DB" -tAc "SELECT relkind FROM pg_class WHERE relname = 'workflow_event'")"
[[ "$kind" == p ]] || fail "workflow_event of $PART_DB is not partitioned after -u (relkind $kind)"
set +e
PYTHONPATH="$ODOO_SRC:$REPO${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/pytest" -p conftest \
    --odoo-database="$PART_DB" --odoo-config="$CONF" --odoo-http --odoo-log-level=warn \
    -p no:cacheprovider -rs workflow_monitor_base/tests 2>&1 | tee "$PART_LOG"
rc=${PIPESTATUS[0]}
set -e
part_summary="$(grep -E '^=+ .* in [0-9.]+s' "$PART_LOG" | tail -n 1 || true)"
((rc != 5)) || fail "no base test was collected on the partitioned table"
((rc == 0)) || fail "base tests on the partitioned table: pytest exit code $rc. ${part_summary}"
if grep -q 'skipped' <<<"$part_summary"; then
    fail "skipped base tests on the partitioned table (every test must run)"
fi
echo "Base tests on a partitioned event table: ${part_summary//=/} ($((SECONDS - part_start)) s)"
echo "SLOW TESTS PASSED: ${summary//=/} (total $((SECONDS - START)) s; log: $LOG_DIR/test-slow.log)"
