# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Process-level harness of the slow reliability tests (tests/slow, `make test-slow`).

These tests drive real ``odoo-bin`` processes (install, upgrade, uninstall, a server that
is killed and restarted) against databases copied from the template that
scripts/test_slow.sh installs, so they commit for real and cannot run inside a
TransactionCase. Everything binds to 127.0.0.1.
"""

import base64
import configparser
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import psycopg2
from psycopg2 import sql as pgsql

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")
CONF = os.environ.get("WM_ODOO_CONF", os.path.join(REPO, ".odoo.conf"))
TEMPLATE = os.environ.get("WM_SLOW_TEMPLATE", "wm_slow_tpl")
LOG_DIR = os.path.join(os.environ.get("WM_LOG_DIR", os.path.join(REPO, "logs")), "slow")
PYTHON = os.environ.get("WM_PYTHON", sys.executable)
SUITE = (
    "workflow_monitor_base",
    "workflow_monitor_distribution",
    "workflow_monitor_approvals",
    "workflow_monitor_integrations",
    "workflow_monitor_ai",
)


def _options():
    parser = configparser.ConfigParser()
    parser.read(CONF)
    return parser["options"]


def data_dir():
    return _options().get("data_dir", os.path.join(REPO, ".odoo-data"))


def connect(db):
    """A psycopg2 connection (autocommit) to ``db`` with the Odoo config's credentials."""
    opts = _options()
    conn = psycopg2.connect(
        dbname=db,
        host=opts.get("db_host", "127.0.0.1"),
        port=int(opts.get("db_port", "5432")),
        user=opts.get("db_user", "odoo"),
        password=opts.get("db_password", ""),
    )
    conn.autocommit = True
    return conn


def query(db, sql, params=None):
    """Rows of ``sql`` (parameters passed separately, never formatted in)."""
    conn = connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else []
    finally:
        conn.close()


def scalar(db, sql, params=None):
    rows = query(db, sql, params)
    return rows[0][0] if rows else None


def drop_database(name):
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(
                pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
            )
    finally:
        conn.close()
    shutil.rmtree(os.path.join(data_dir(), "filestore", name), ignore_errors=True)


def new_database(name, template=TEMPLATE):
    """A fresh copy of ``template`` (database and filestore) named ``name``."""
    assert name.replace("_", "").isalnum(), name
    drop_database(name)
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(
                pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    pgsql.Identifier(name), pgsql.Identifier(template)
                )
            )
    finally:
        conn.close()
    source = os.path.join(data_dir(), "filestore", template)
    if os.path.isdir(source):
        shutil.copytree(source, os.path.join(data_dir(), "filestore", name))
    return name


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ODOO_SRC, REPO, env.get("PYTHONPATH")]))
    env.pop("ODOO_RC", None)
    return env


def _command(db, args, subcommand=(), conf=None):
    """``odoo-bin [SUBCOMMAND] -c CONF -d db ARGS`` (odoo-bin wants the subcommand first);
    ``conf`` replaces CONF (another addons path, e.g. an earlier version of the suite)."""
    odoo = os.path.join(ODOO_SRC, "odoo-bin")
    return [PYTHON, odoo, *subcommand, "-c", conf or CONF, "-d", db, *args]


def log_path(name):
    os.makedirs(LOG_DIR, exist_ok=True)
    return os.path.join(LOG_DIR, name)


def error_lines(text):
    """Odoo log lines at ERROR or CRITICAL level."""
    return [
        line for line in text.splitlines() if " ERROR " in line[:60] or " CRITICAL " in line[:60]
    ]


def _run(command, timeout, log, stdin=None):
    """Run ``command`` to its end; (exit code, stdout + stderr), also kept in ``log``."""
    result = subprocess.run(
        command,
        input=stdin,
        env=_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if log:
        with open(log_path(log), "w") as handle:
            handle.write(output)
    return result.returncode, output


def odoo_bin(db, *args, timeout=1800, log=None, check=True, conf=None):
    """Runs ``odoo-bin -d db ARGS --stop-after-init --no-http``; returns its output.

    With ``check`` it fails on a non-zero exit code or on an ERROR/CRITICAL log line.
    ``conf``: another Odoo config than CONF.
    """
    command = _command(db, [*args, "--stop-after-init", "--no-http"], conf=conf)
    returncode, output = _run(command, timeout, log)
    if check:
        assert returncode == 0, f"odoo-bin {args} exited {returncode}:\n{output[-4000:]}"
        errors = error_lines(output)
        assert not errors, f"odoo-bin {args} logged errors:\n" + "\n".join(errors[:20])
    return output


def shell(db, code, timeout=1800, log=None, conf=None):
    """Runs Python ``code`` in ``odoo-bin shell`` (``env`` is defined; commit explicitly);
    returns the output. Fails on a non-zero exit code or a traceback. ``conf``: another
    Odoo config than CONF."""
    returncode, output = _run(
        _command(db, ["--no-http", "--log-level=warn"], subcommand=("shell",), conf=conf),
        timeout,
        log,
        stdin=code,
    )
    assert returncode == 0 and "Traceback" not in output, output[-4000:]
    return output


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """An ``odoo-bin`` server process on 127.0.0.1 (threaded mode by default)."""

    def __init__(self, db, *args, name="server", port=None, conf=None):
        self.db = db
        self.args = args
        self.conf = conf
        self.port = port or free_port()
        self.log = log_path(f"{name}-{db}.log")
        self.proc = None

    def start(self, wait=True):
        handle = open(self.log, "a")  # noqa: SIM115 (kept open for the process)
        self.proc = subprocess.Popen(
            _command(
                self.db,
                [
                    "--http-interface=127.0.0.1",
                    f"--http-port={self.port}",
                    "--gevent-port=0",
                    f"--db-filter=^{self.db}$",
                    *self.args,
                ],
                conf=self.conf,
            ),
            env=_env(),
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        if wait:
            self.wait_ready()
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited; see {self.log}"
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"server not ready after {timeout} s; see {self.log}")

    def kill(self):
        """SIGKILL to the whole process group: no cleanup, like a crash or an OOM kill."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self):
        with open(self.log) as handle:
            return handle.read()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def shell_process(db, code, log):
    """Starts ``odoo-bin shell`` running ``code`` and returns at once with the Popen (its
    own process group, output in logs/slow/``log``), for tests that kill a shell mid-run
    or run several at the same time. Wait with ``proc.wait(timeout)``, stop with
    :func:`kill_process`."""
    handle = open(log_path(log), "w")  # noqa: SIM115 (kept open for the process)
    proc = subprocess.Popen(
        _command(db, ["--no-http", "--log-level=warn"], subcommand=("shell",)),
        stdin=subprocess.PIPE,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=_env(),
        cwd=REPO,
        text=True,
        start_new_session=True,
    )
    handle.close()
    proc.stdin.write(code)
    proc.stdin.close()
    proc.log = log_path(log)
    return proc


def kill_process(proc):
    """SIGKILL to the process group of ``proc`` (a crash: no cleanup, no rollback hook)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)


def notify_cron(db):
    """Wakes the cron threads of running servers at once (they otherwise poll every 60 s).
    They LISTEN on the ``postgres`` database, like Odoo's own ``ir.cron._notifydb``."""
    query("postgres", "SELECT pg_notify('cron_trigger', %s)", [db])


class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 that records every webhook POSTed to it (headers,
    body, whether the Standard Webhooks signature matches ``secret``) and answers 200
    after ``delay`` seconds, so a delivery job is still busy when a test kills it."""

    def __init__(self, secret, delay=0.0):
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.delay = delay
        self.received = []  # dicts: id, timestamp, signature_ok, body (parsed), at
        self.unanswered = 0  # answers the sender was no longer there to read
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver._record(self.headers, raw)
                time.sleep(receiver.delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    # the sender died while we waited: it never sees the answer
                    receiver.unanswered += 1

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _record(self, headers, raw):
        msg_id = headers.get("webhook-id")
        timestamp = headers.get("webhook-timestamp")
        expected = base64.b64encode(
            hmac.new(self.key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
        ).decode()
        with self.lock:
            self.received.append(
                {
                    "id": msg_id,
                    "timestamp": timestamp,
                    "signature_ok": headers.get("webhook-signature") == f"v1,{expected}",
                    "body": json.loads(raw),
                    "at": time.monotonic(),
                }
            )

    def snapshot(self):
        with self.lock:
            return list(self.received)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
