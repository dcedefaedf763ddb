#!/usr/bin/env bash
# THE test command (`make test`, `.ci/run`). Installs every workflow_monitor_* module and
# the test-only addon workflow_monitor_test (tests/addons) into a fresh database wm_test,
# then runs the tests of every workflow_monitor_*/tests folder and of tests/ with
# pytest-odoo, browser tours included (--odoo-http). Arguments go to pytest (e.g. -k name,
# or paths, which replace the default ones). Without paths it also runs the Odoo tests
# listed in tests/odoo_standard_tests.txt (Odoo's own flows must keep working with the
# suite installed). It fails on a failing test, on no test run,
# on any skipped test, and on the log lines Odoo prints when it silently skips tours.
# Full output: logs/test.log (install: logs/install-wm_test.log, pytest: logs/pytest.log).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -z "${WM_TEST_TEED:-}" ]]; then
    mkdir -p "$LOG_DIR"
    set +e
    WM_TEST_TEED=1 bash "${BASH_SOURCE[0]}" "$@" 2>&1 | tee "$LOG_DIR/test.log"
    exit "${PIPESTATUS[0]}"
fi

DB="${WM_TEST_DB:-wm_test}"
PYTEST_LOG="$LOG_DIR/pytest.log"
START=$SECONDS

fail() {
    echo "TESTS FAILED: $*"
    echo "Full log: $LOG_DIR/test.log"
    exit 1
}

bash "$REPO/scripts/bootstrap.sh"
pg_export_env

modules="$(wm_modules)"
if [[ -f "$TEST_ADDONS/workflow_monitor_test/__manifest__.py" ]]; then
    modules="$modules,workflow_monitor_test"
else
    warn "tests/addons/workflow_monitor_test not found: installing without it"
fi

# Paths given as arguments (with a "/" or "::", or a .py file) replace the default folders.
paths=()
for arg in "$@"; do
    if [[ "$arg" != -* && "$arg" =~ (/|::|\.py$) && -e "${arg%%::*}" ]]; then
        paths=("$@")
        break
    fi
done
if ((${#paths[@]} == 0)); then
    for mod in ${modules//,/ }; do
        [[ -d "$REPO/$mod/tests" ]] && paths+=("$mod/tests")
    done
    # tests/slow drives odoo-bin processes: make test-slow runs it
    [[ -d "$REPO/tests" ]] && paths+=(tests --ignore=tests/slow)
    ((${#paths[@]})) || fail "no test folder found (workflow_monitor_*/tests, tests/)"
    # Odoo's own tests (paths relative to an addons folder of $ODOO_SRC; newer copy first)
    standard="$REPO/tests/odoo_standard_tests.txt"
    if [[ -f "$standard" ]]; then
        while IFS= read -r line || [[ -n "$line" ]]; do
            line="${line%%#*}"
            line="${line#"${line%%[![:space:]]*}"}"
            line="${line%"${line##*[![:space:]]}"}"
            [[ -n "$line" ]] || continue
            if [[ -e "$ODOO_SRC/odoo/addons/${line%%::*}" ]]; then
                paths+=("$ODOO_SRC/odoo/addons/$line")
            elif [[ -e "$ODOO_SRC/addons/${line%%::*}" ]]; then
                paths+=("$ODOO_SRC/addons/$line")
            else
                fail "$line (tests/odoo_standard_tests.txt) is in neither $ODOO_SRC/odoo/addons nor $ODOO_SRC/addons"
            fi
        done <"$standard"
    fi
    paths+=("$@")
fi

drop_db "$DB"
install_modules "$DB" "$modules"

info "Running pytest on ${paths[*]} (log: $PYTEST_LOG)"
cd "$REPO"
set +e
# -p conftest: the hooks of the repository's conftest.py (they set Odoo's current_test)
# also apply to test files outside the repository (Odoo's own tests listed above).
PYTHONPATH="$ODOO_SRC:$REPO${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/pytest" -p conftest \
    --odoo-database="$DB" --odoo-config="$CONF" --odoo-http \
    --odoo-log-level="${WM_TEST_LOG_LEVEL:-warn}" -p no:cacheprovider -rs \
    "${paths[@]}" 2>&1 | tee "$PYTEST_LOG"
rc=${PIPESTATUS[0]}
set -e

summary="$(grep -E '^=+ .* in [0-9.]+s' "$PYTEST_LOG" | tail -n 1 || true)"
((rc != 5)) || fail "no test was collected (pytest exit code 5)"
((rc == 0)) || fail "pytest exit code $rc: failing or erroring tests. ${summary}"
grep -qE '\b[1-9][0-9]* passed' <<<"$summary" || fail "no test passed. ${summary}"
if grep -q 'skipped' <<<"$summary" || grep -qE '^SKIPPED ' "$PYTEST_LOG"; then
    fail "skipped tests (every test must run; reasons in the 'short test summary' above)"
fi
for pattern in 'websocket-client module is not installed' 'Chrome executable not found' \
    ': skipped ' 'of 0 tests'; do
    if grep -F -- "$pattern" "$PYTEST_LOG" "$LOG_DIR/install-$DB.log"; then
        fail "the log says '$pattern': a test (probably a browser tour) did not run"
    fi
done
echo "TESTS PASSED: ${summary//=/} (total $((SECONDS - START)) s; log: $LOG_DIR/test.log)"
