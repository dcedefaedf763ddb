#!/usr/bin/env bash
# The private PostgreSQL cluster of this checkout: scripts/pg.sh start|stop|status|remove
# Runs as the unprivileged OS user wmpg when called as root (PostgreSQL refuses root),
# listens on 127.0.0.1:${WM_PGPORT:-5433} only; superuser role odoo / password odoo.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${WM_PGPORT:-5433}"

as_pg() {
    # cd first: initdb and pg_ctl fail when they cannot read the current directory
    if is_root; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

ensure_os_user() {
    is_root || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
    info "Creating OS user $PG_OS_USER to run PostgreSQL"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$PG_OS_USER"
}

running() { as_pg "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL 15 server not found in $PG_BIN (run scripts/bootstrap.sh)"
    ensure_os_user
    DIR="$(pg_dir)"
    DATA="$DIR/data"
    mkdir -p "$DIR"
    if is_root; then chown "$PG_OS_USER:" "$DIR"; fi
    chmod 700 "$DIR"
    if [[ ! -s "$DATA/PG_VERSION" ]]; then
        info "Creating the private PostgreSQL cluster in $DIR"
        echo odoo >"$DIR/pwfile"
        if is_root; then chown "$PG_OS_USER:" "$DIR/pwfile"; fi
        as_pg "$PG_BIN/initdb" -D "$DATA" -U odoo --pwfile="$DIR/pwfile" \
            --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log"
        rm -f "$DIR/pwfile"
    fi
    if running; then
        [[ "$(sed -n 4p "$DATA/postmaster.pid")" == "$PORT" ]] && return 0
        info "Restarting the private cluster on port $PORT"
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
    # Unix socket in the cluster folder unless that path is too long for a socket name
    local sockdir="$DIR"
    ((${#sockdir} < 80)) || sockdir=/tmp
    info "Starting the private PostgreSQL cluster on 127.0.0.1:$PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$DIR/postgresql.log" -w -t 60 \
        -o "-p $PORT -k $sockdir -c listen_addresses=127.0.0.1" start >/dev/null ||
        die "PostgreSQL did not start; see $DIR/postgresql.log"
}

stop() {
    if [[ -s "$DATA/PG_VERSION" ]] && running; then
        info "Stopping the private PostgreSQL cluster ($DIR)"
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
}

DIR="$(pg_dir)"
DATA="$DIR/data"
case "${1:-}" in
start) start ;;
stop) stop ;;
status)
    if [[ -s "$DATA/PG_VERSION" ]] && running; then
        echo "running: $DIR on port $(sed -n 4p "$DATA/postmaster.pid")"
    else
        echo "not running ($DIR)"
        exit 3
    fi
    ;;
remove)
    stop
    info "Removing $DIR"
    rm -rf "$DIR"
    ;;
*) die "usage: $0 start|stop|status|remove" ;;
esac
