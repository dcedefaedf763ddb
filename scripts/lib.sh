# Shared settings and helpers, sourced by the other scripts (not run directly).
# shellcheck shell=bash disable=SC2034  # the variables are used by the sourcing scripts

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
VENV="$REPO/.venv"
PY="$VENV/bin/python"
CONF="$REPO/.odoo.conf"
LOG_DIR="${WM_LOG_DIR:-$REPO/logs}"
DATA_DIR="$REPO/.odoo-data"
TEST_ADDONS="$REPO/tests/addons"
PG_BIN="${WM_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_OS_USER="${WM_PG_OS_USER:-wmpg}"

info() { echo "==> $*"; }
warn() { echo "WARNING: $*" >&2; }
die() {
    echo "ERROR: $*" >&2
    exit 1
}
is_root() { [[ "$(id -u)" == 0 ]]; }

# External server when the caller gives any of PGHOST/PGPORT/PGUSER; otherwise the
# private cluster of this checkout (scripts/pg.sh), on WM_PGPORT (default 5433).
# Decided once, before pg_export_env sets those variables for child processes.
if [[ -z "${WM_PG_MODE:-}" ]]; then
    if [[ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ]]; then WM_PG_MODE=external; else WM_PG_MODE=private; fi
    export WM_PG_MODE
fi
pg_external() { [[ "$WM_PG_MODE" == external ]]; }

# Exports PGHOST/PGPORT/PGUSER/PGPASSWORD for psql and for the Odoo config.
pg_export_env() {
    if pg_external; then
        export PGHOST="${PGHOST:-localhost}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-odoo}"
        export PGPASSWORD="${PGPASSWORD:-}"
    else
        export PGHOST=127.0.0.1 PGPORT="${WM_PGPORT:-5433}" PGUSER=odoo PGPASSWORD=odoo
    fi
    export PGDATABASE=postgres
}

# Folder of the private cluster. It must be reachable by the unprivileged PostgreSQL
# user: a checkout under /root (mode 700) gets its cluster under /var/lib/wmpg instead.
pg_dir() {
    if [[ -n "${WM_PGDATA:-}" ]]; then
        echo "$WM_PGDATA"
    elif is_root && id -u "$PG_OS_USER" >/dev/null 2>&1 &&
        ! runuser -u "$PG_OS_USER" -- test -x "$REPO"; then
        echo "/var/lib/$PG_OS_USER/$(basename "$REPO")-$(echo "$REPO" | sha1sum | cut -c1-8)"
    else
        echo "$REPO/.pgdata"
    fi
}

psql_cmd() {
    local psql
    psql="$(command -v psql || echo "$PG_BIN/psql")"
    "$psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

# Odoo modules of this repository: every workflow_monitor_* folder with a manifest,
# unless WM_MODULES (comma separated) says otherwise.
wm_modules() {
    if [[ -n "${WM_MODULES:-}" ]]; then
        echo "$WM_MODULES"
        return
    fi
    local dir found=()
    for dir in "$REPO"/workflow_monitor_*/; do
        [[ -f "$dir/__manifest__.py" ]] && found+=("$(basename "$dir")")
    done
    ((${#found[@]})) || die "no workflow_monitor_* module found in $REPO"
    (IFS=,; echo "${found[*]}")
}

db_exists() {
    [[ "$(psql_cmd -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" == 1 ]]
}

drop_db() {
    info "Dropping database $1 (if it exists)"
    psql_cmd -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
    rm -rf "$DATA_DIR/filestore/$1"
}

odoo_bin() {
    PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" "$@"
}

# Modules of the comma list $2 that are not installed in database $1 ("?" when $1 is
# not an Odoo database).
missing_modules() {
    psql_cmd -d "$1" -tAc "SELECT string_agg(m, ',') FROM unnest(string_to_array('$2', ',')) m
        WHERE m NOT IN (SELECT name FROM ir_module_module WHERE state = 'installed')" \
        2>/dev/null || echo "?"
}

# Installs the modules $2 into database $1 (Odoo creates the database when missing), with
# the output in $LOG_DIR/install-$1.log; fails on a non-zero exit, an ERROR or CRITICAL
# log line, or a module left uninstalled. Extra arguments go to odoo-bin.
install_modules() {
    local db="$1" mods="$2" log="$LOG_DIR/install-$1.log" start=$SECONDS
    shift 2
    mkdir -p "$LOG_DIR"
    info "Installing $mods into database $db (log: $log)"
    odoo_bin -d "$db" -i "$mods" --stop-after-init --no-http "$@" 2>&1 | tee "$log" ||
        die "installing $mods into $db failed (odoo-bin exit code ${PIPESTATUS[0]}); see $log"
    if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$log" >&2; then
        die "installing $mods into $db logged the ERROR/CRITICAL lines above; see $log"
    fi
    local missing
    missing="$(missing_modules "$db" "$mods")"
    [[ -z "$missing" ]] || die "modules not installed in $db: $missing; see $log"
    info "Installed $mods into $db in $((SECONDS - start)) s"
}

# Makes sure database $1 has the modules $2, installing only what is missing;
# WM_RESET=1 drops and rebuilds it. Extra arguments go to odoo-bin.
ensure_db() {
    local db="$1" mods="$2"
    [[ "${WM_RESET:-0}" != 1 ]] || drop_db "$db"
    if db_exists "$db"; then
        local missing
        missing="$(missing_modules "$db" "$mods")"
        if [[ -z "$missing" ]]; then
            info "Database $db already has $mods (WM_RESET=1 rebuilds it)"
            return 0
        fi
        [[ "$missing" != "?" ]] || drop_db "$db"
    fi
    install_modules "$@"
}
