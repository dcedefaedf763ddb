#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Outbox drain benchmark: 10k signed webhooks delivered by the delivery job
(workflow.integration.message._cron_deliver) to a loopback receiver, against a bare
requests.Session loop posting the same signed bodies, interleaved, in the same run.

The receiver is a ThreadingHTTPServer (HTTP/1.1 keep-alive, answers 204) in a child
process on 127.0.0.1; it counts every webhook-id it gets, so lost and duplicated
messages are checked by the receiving side. Targets: the drain at >= 50 % of the bare
loop and >= 300 messages/s, zero lost, zero duplicated.

    python bench/outbox_drain.py --db wm_bench --config .odoo.conf [--messages 10000]
"""

import collections
import json
import multiprocessing
import statistics
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _common import check, environment, parse_args, report

BODY_PAD = "x" * 330  # payload of about 500 bytes once serialised, like BASELINES.md


def receiver_main(port_queue):
    counts = collections.defaultdict(collections.Counter)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            counts[self.path][self.headers.get("webhook-id")] += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):  # /stats/<path>: counts of that path
            path = self.path[len("/stats") :]
            seen = counts.get(path, collections.Counter())
            body = json.dumps(
                {
                    "requests": sum(seen.values()),
                    "unique": len(seen),
                    "duplicated": sum(1 for n in seen.values() if n > 1),
                    "ids": sorted(seen),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def stats(base, path):
    import requests

    return requests.get(f"{base}/stats{path}", timeout=60).json()


def run_drain(registry, base, round_no, count):
    """Queue ``count`` messages (one business transaction), then drain them with the
    delivery job; returns the figures of the round."""
    from odoo import SUPERUSER_ID, api

    path = f"/outbox/{round_no}"
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        integration = env["workflow.integration"].create(
            {"name": f"bench outbox {round_no}", "url": base + path}
        )
        secret = integration.signing_secret
        start = time.perf_counter()
        messages = env["workflow.integration.message"]._queue_outbound(
            [
                {
                    "integration_id": integration.id,
                    "event_type": "stage",
                    "payload": {
                        "type": "workflow.event",
                        "data": {"n": n, "res_model": "sale.order", "res_id": n, "pad": BODY_PAD},
                    },
                }
                for n in range(count)
            ]
        )
        env.flush_all()
        cr.commit()
        queue_s = time.perf_counter() - start
        expected = set(messages.mapped("webhook_id"))
        integration_id = integration.id
    start = time.perf_counter()
    calls = 0
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Message = env["workflow.integration.message"]
        while True:
            calls += 1
            Message._cron_deliver(batch_size=200, time_budget=50)
            cr.commit()
            cr.execute(
                "SELECT count(*) FROM workflow_integration_message "
                "WHERE integration_id = %s AND state <> 'delivered'",
                [integration_id],
            )
            if not cr.fetchone()[0]:
                break
    drain_s = time.perf_counter() - start
    seen = stats(base, path)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM workflow_integration_message WHERE integration_id = %s "
            "GROUP BY state",
            [integration_id],
        )
        states = dict(cr.fetchall())
        cr.execute("DELETE FROM workflow_integration WHERE id = %s", [integration_id])
        cr.execute(
            "DELETE FROM workflow_event WHERE res_model = 'workflow.integration' AND res_id = %s",
            [integration_id],
        )
        cr.execute(
            "DELETE FROM mail_message WHERE model = 'workflow.integration' AND res_id = %s",
            [integration_id],
        )
    return secret, {
        "queue_msg_per_s": round(count / queue_s, 1),
        "drain_msg_per_s": round(count / drain_s, 1),
        "drain_s": round(drain_s, 3),
        "cron_calls": calls,
        "states": states,
        "lost": len(expected - set(seen["ids"])),
        "duplicated": seen["duplicated"],
        "unexpected": len(set(seen["ids"]) - expected),
    }


def run_bare(base, round_no, count, secret):
    """The same signed bodies through one requests.Session, serialised and signed in the
    loop (as the job does)."""
    import uuid

    import requests

    from odoo.addons.workflow_monitor_integrations.models.workflow_integration_message import (
        message_body,
    )
    from odoo.addons.workflow_monitor_integrations.tools import signature

    path = f"/bare/{round_no}"
    key = signature.secret_key(secret)
    session = requests.Session()
    ids = [f"msg_{uuid.uuid4().hex}" for _n in range(count)]
    start = time.perf_counter()
    for n, msg_id in enumerate(ids):
        body = message_body(
            {
                "type": "workflow.event",
                "data": {"n": n, "res_model": "sale.order", "res_id": n, "pad": BODY_PAD},
            }
        )
        headers = signature.sign_headers(secret, msg_id, body, key=key)
        headers["Content-Type"] = "application/json"
        response = session.post(base + path, data=body, headers=headers, timeout=10)
        response.raise_for_status()
    elapsed = time.perf_counter() - start
    seen = stats(base, path)
    return {
        "bare_msg_per_s": round(count / elapsed, 1),
        "lost": len(set(ids) - set(seen["ids"])),
        "duplicated": seen["duplicated"],
    }


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--messages", type=int, default=10000),
            parser.add_argument("--rounds", type=int, default=3),
        ),
    )
    port_queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=receiver_main, args=(port_queue,), daemon=True)
    child.start()
    base = f"http://127.0.0.1:{port_queue.get(timeout=30)}"
    registry, cr, env = environment(args.db)
    cr.close()
    try:
        # warm-up of both paths (connections, registry caches)
        secret, _warm = run_drain(registry, base, "warmup", 200)
        run_bare(base, "warmup", 200, secret)
        rounds = []
        for round_no in range(args.rounds):
            secret, drain = run_drain(registry, base, round_no, args.messages)
            bare = run_bare(base, round_no, args.messages, secret)
            rounds.append({"drain": drain, "bare": bare})
            print(
                f"round {round_no}: drain {drain['drain_msg_per_s']} msg/s "
                f"(lost {drain['lost']}, dup {drain['duplicated']}), "
                f"bare {bare['bare_msg_per_s']} msg/s",
                flush=True,
            )
    finally:
        child.terminate()
        child.join(5)
    drain_rates = [r["drain"]["drain_msg_per_s"] for r in rounds]
    bare_rates = [r["bare"]["bare_msg_per_s"] for r in rounds]
    ratios = [d / b for d, b in zip(drain_rates, bare_rates)]
    lost = sum(r["drain"]["lost"] for r in rounds)
    duplicated = sum(r["drain"]["duplicated"] for r in rounds)
    result = {
        "messages_per_round": args.messages,
        "rounds": rounds,
        "drain_msg_per_s_median": statistics.median(drain_rates),
        "bare_msg_per_s_median": statistics.median(bare_rates),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "lost_total": lost,
        "duplicated_total": duplicated,
        "checks": [
            check(
                "drain / bare loop (median ratio)",
                round(statistics.median(ratios), 3),
                ">=",
                0.5,
                "x",
            ),
            check("drain throughput (median)", statistics.median(drain_rates), ">=", 300, "msg/s"),
            check("messages lost", lost, "==", 0),
            check("messages duplicated", duplicated, "==", 0),
        ],
    }
    report("outbox_drain", result)


if __name__ == "__main__":
    main()
