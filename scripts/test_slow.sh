#!/usr/bin/env bash
# The slow reliability tests (`make test-slow`, also run by .ci/run): tests/slow drives real
# odoo-bin processes (crash and restart, install/uninstall/reinstall, `-u all` twice) on
# copies of a template database wm_slow_tpl that this script installs fresh with every
# workflow_monitor_* module (no demo data). Arguments go to pytest. Fails on any failing,
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
echo "SLOW TESTS PASSED: ${summary//=/} (total $((SECONDS - START)) s; log: $LOG_DIR/test-slow.log)"
