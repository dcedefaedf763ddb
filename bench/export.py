#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Export benchmark: the OCEL 2.0 export of 1M stage events through the real route,
GET /workflow_monitor/export/ocel, over HTTP, from an Odoo server started on loopback
(odoo-bin, threaded, one process) for a logged-in workflow user.

Data: the dashboard benchmark's 1M events (bench/dashboard.py ``fill``), copied to a
scratch database where every event is made a stage change (the fill has half of them
of other types) and a workflow user is created, so wm_bench itself is left as it is.

Targets: at least 50k events/s (events in the file over the wall time of the download)
and the server's RSS growing by less than 200 MB during the download (sampled every
50 ms against the RSS after a warm-up export).
"""

import contextlib
import datetime
import os
import socket
import subprocess
import sys
import threading
import time

import psutil
import requests
from _common import ODOO_SRC, check, environment, parse_args, report, scratch_database
from dashboard import fill

import odoo

LOGIN = "wm_bench_export"
EVENT_MARK = b'{"id" : "e'  # how PostgreSQL's json_build_object writes each event


def prepare(db):
    """Every event a stage change, a workflow user; returns the number of events."""
    registry, cr, env = environment(db)
    try:
        cr.execute("UPDATE workflow_event SET event_type = 'stage' WHERE event_type != 'stage'")
        env["res.users"].create(
            {
                "name": "Bench Export",
                "login": LOGIN,
                "password": LOGIN,
                "groups_id": [
                    (4, env.ref("base.group_user").id),
                    (4, env.ref("workflow_monitor_base.group_workflow_user").id),
                ],
            }
        )
        cr.commit()
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE workflow_event")
        cr._cnx.autocommit = False
        cr.execute("SELECT count(*) FROM workflow_event")
        return cr.fetchone()[0]
    finally:
        cr.close()
        odoo.modules.registry.Registry.delete(db)
        odoo.sql_db.close_db(db)


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def odoo_server(config, db, out_dir):
    port = free_port()
    log = open(os.path.join(out_dir, "export_server.log"), "w")  # noqa: SIM115
    command = [
        sys.executable,
        os.path.join(ODOO_SRC, "odoo-bin"),
        "-c",
        config,
        "-d",
        db,
        f"--db-filter=^{db}$",
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        "--workers=0",
        "--max-cron-threads=0",
        "--log-level=warn",
    ]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                if requests.get(f"{base}/web/login", timeout=30).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                # not listening yet, or its first page still being built (a loaded machine)
                pass
            if time.time() > deadline or process.poll() is not None:
                raise RuntimeError(f"the Odoo server did not start, see {log.name}")
            time.sleep(0.5)
        yield base, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def session(base, db):
    http = requests.Session()
    answer = http.post(
        f"{base}/web/session/authenticate",
        json={"params": {"db": db, "login": LOGIN, "password": LOGIN}},
        timeout=60,
    )
    answer.raise_for_status()
    if "error" in answer.json():
        raise RuntimeError(answer.text[:300])
    return http


class RssSampler(threading.Thread):
    def __init__(self, process):
        super().__init__(daemon=True)
        self.process, self.peak, self.done = process, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)


def download(http, base, params):
    """(events, bytes, seconds) of one streamed export."""
    start = time.perf_counter()
    events = size = 0
    tail = b""
    with http.get(f"{base}/workflow_monitor/export/ocel", params=params, stream=True) as answer:
        if answer.status_code != 200:
            raise RuntimeError(f"export answered {answer.status_code}: {answer.text[:300]}")
        for chunk in answer.iter_content(1 << 20):
            size += len(chunk)
            window = tail + chunk
            events += window.count(EVENT_MARK) - tail.count(EVENT_MARK)
            tail = window[-len(EVENT_MARK) + 1 :]
    return events, size, time.perf_counter() - start


def measure(args, db, out_dir):
    today = datetime.datetime.now(datetime.UTC).date()
    params = {
        "definition": "bench_flow",
        "date_from": str(today - datetime.timedelta(days=365)),
        "date_to": str(today),
    }
    with odoo_server(args.config, db, out_dir) as (base, server):
        http = session(base, db)
        # warm-up: registry, routing map and caches loaded before the baseline RSS
        download(http, base, dict(params, date_from=str(today)))
        baseline = server.memory_info().rss
        sampler = RssSampler(server)
        sampler.start()
        try:
            events, size, seconds = download(http, base, params)
        finally:
            sampler.done.set()
            sampler.join()
        return {
            "events": events,
            "megabytes": round(size / 1e6, 1),
            "seconds": round(seconds, 2),
            "events_per_second": round(events / seconds) if seconds else None,
            "rss_baseline_mb": round(baseline / 1e6, 1),
            "rss_growth_mb": round((sampler.peak - baseline) / 1e6, 1),
        }


def main():
    args = parse_args(__doc__)
    out_dir = os.environ.get("WM_BENCH_OUT") or os.path.join(os.path.dirname(__file__), "out")
    os.makedirs(out_dir, exist_ok=True)
    _registry, cr, env = environment(args.db)
    try:
        filled = fill(env)
    finally:
        cr.close()
    odoo.modules.registry.Registry.delete(args.db)
    odoo.sql_db.close_db(args.db)
    with scratch_database(args.db, "export") as db:
        total = prepare(db)
        figures = measure(args, db, out_dir)
    report(
        "export",
        dict(
            figures,
            rows={"events_in_database": total},
            fill_seconds=filled or None,
            mode="HTTP: odoo-bin on 127.0.0.1 (--workers=0), requests streaming the body",
            checks=[
                check("OCEL events exported", figures["events"], ">=", 1_000_000, "events"),
                check("OCEL export rate", figures["events_per_second"], ">=", 50_000, "events/s"),
                check("server RSS growth", figures["rss_growth_mb"], "<", 200, "MB"),
            ],
        ),
    )


if __name__ == "__main__":
    main()
