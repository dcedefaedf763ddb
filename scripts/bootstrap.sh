#!/usr/bin/env bash
# Prepares what the demo and the tests need, and only what is missing:
# Debian packages, the .venv virtualenv, PostgreSQL, and the Odoo config .odoo.conf.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_packages() {
    local pkgs=(postgresql-client-15 libpq-dev libxml2-dev libxslt1-dev libsasl2-dev
        libldap2-dev chromium build-essential python3-dev python3-venv)
    pg_external || pkgs+=(postgresql-15)
    command -v dpkg-query >/dev/null || {
        warn "not a Debian system: make sure the equivalents of ${pkgs[*]} are installed"
        return 0
    }
    local missing=() pkg
    for pkg in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    if ! is_root; then
        warn "missing Debian packages; install them with: sudo apt-get install ${missing[*]}"
        return 0
    fi
    info "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
}

check_odoo_src() {
    [[ -f "$ODOO_SRC/odoo-bin" ]] && return 0
    echo "Odoo 18 source not found at $ODOO_SRC. Get it with: git clone --depth 1 -b 18.0" \
        "https://github.com/odoo/odoo.git /opt/odoo (or set ODOO_SRC)" >&2
    exit 1
}

python_env() {
    local stamp="$VENV/.requirements.sha256" sum
    if ! "$PY" -c "import sys" 2>/dev/null; then
        local python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
        info "Creating virtualenv $VENV with $("$python" --version)"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
    sum="$(sha256sum "$REPO/requirements.txt" | cut -d' ' -f1)"
    [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]] && return 0
    info "Installing requirements.txt into $VENV"
    "$PY" -m pip install -q --disable-pip-version-check -r "$REPO/requirements.txt"
    echo "$sum" >"$stamp"
}

postgres() {
    pg_export_env
    if pg_external; then
        info "Using the PostgreSQL server at $PGHOST:$PGPORT as $PGUSER"
    else
        bash "$REPO/scripts/pg.sh" start
    fi
    [[ "$PGUSER" != postgres ]] || die "Odoo refuses to connect as 'postgres': set PGUSER to another role"
    psql_cmd -tAc "SELECT 1" >/dev/null ||
        die "cannot connect to PostgreSQL at $PGHOST:$PGPORT as $PGUSER"
}

odoo_conf() {
    local paths=() path
    for path in "$ODOO_SRC/odoo/addons" "$ODOO_SRC/addons" "$REPO" "$TEST_ADDONS"; do
        [[ -d "$path" ]] && paths+=("$path")
    done
    local new
    new="; Written by scripts/bootstrap.sh on every run: change the scripts, not this file.
[options]
addons_path = $(IFS=,; echo "${paths[*]}")
data_dir = $DATA_DIR
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = ${PGPASSWORD:-False}
http_interface = 127.0.0.1
list_db = False"
    [[ -f "$CONF" && "$(cat "$CONF")" == "$new" ]] && return 0
    info "Writing $CONF"
    echo "$new" >"$CONF"
}

step() {
    local start=$SECONDS
    "$@"
    ((SECONDS - start < 2)) || info "$1: $((SECONDS - start)) s"
}

step check_odoo_src
step apt_packages
step python_env
step postgres
step odoo_conf
mkdir -p "$LOG_DIR" "$DATA_DIR"
