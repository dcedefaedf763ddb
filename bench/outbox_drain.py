#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Outbox drain benchmark: signed webhooks delivered by the delivery job
(workflow.integration.message._cron_deliver) to a loopback receiver, side by side with
bare clients posting the same signed bodies, in the same run.

Part 1, a receiver that answers at once: 10k messages drained against a bare
requests.Session loop. Targets: the drain at >= 50 % of the bare loop and >= 300
messages/s.

Part 2, a receiver that answers in 50 ms (a real service): the drain with
max_in_flight = 16 against the sequential bare loop (target >= 10x) and against an ideal
client keeping 16 requests in flight (a bare ThreadPoolExecutor of 16 threads, one
keep-alive session each; target >= 0.7x); the drain with the default max_in_flight (8)
against the ideal client with 8 (target >= 0.7x).

Every message names its own document (res_model, res_id), so the claim's order-per-
document check runs as in production. The receiver is a ThreadingHTTPServer (HTTP/1.1
keep-alive, a thread per connection) in a child process on 127.0.0.1; it counts every
webhook-id it gets, so lost and duplicated messages are checked by the receiving side:
zero of each, in every part.

    python bench/outbox_drain.py --db wm_bench --config .odoo.conf [--messages 10000]
        [--slow-messages 2000] [--slow-sequential 100] [--rounds 3] [--slow-rounds 2]
"""

import collections
import json
import multiprocessing
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _common import check, environment, parse_args, report

BODY_PAD = "x" * 330  # payload of about 500 bytes once serialised, like BASELINES.md
SLOW_PREFIX = "/slow"  # paths under it are answered after SLOW_SECONDS
SLOW_SECONDS = 0.05


def receiver_main(port_queue):
    counts = collections.defaultdict(collections.Counter)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            counts[self.path][self.headers.get("webhook-id")] += 1
            if self.path.startswith(SLOW_PREFIX):
                time.sleep(SLOW_SECONDS)
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


def payload(n):
    return {
        "type": "workflow.event",
        "data": {"n": n, "res_model": "sale.order", "res_id": n, "pad": BODY_PAD},
    }


def run_drain(registry, base, round_no, count, prefix="", max_in_flight=None):
    """Queue ``count`` messages (one business transaction), then drain them with the
    delivery job; returns the figures of the round. ``max_in_flight`` None keeps the
    field's default."""
    from odoo import SUPERUSER_ID, api

    path = f"{prefix}/outbox/{round_no}"
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        vals = {"name": f"bench outbox {prefix}{round_no}", "url": base + path}
        if max_in_flight:
            vals["max_in_flight"] = max_in_flight
        integration = env["workflow.integration"].create(vals)
        in_flight = integration.max_in_flight
        secret = integration.signing_secret
        start = time.perf_counter()
        messages = env["workflow.integration.message"]._queue_outbound(
            [
                {
                    "integration_id": integration.id,
                    "event_type": "stage",
                    "payload": payload(n),
                    "res_model": "sale.order",
                    "res_id": n + 1,
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
        cr.execute(
            "DELETE FROM workflow_exception WHERE res_model = 'workflow.integration' "
            "AND res_id = %s",
            [integration_id],
        )
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
        "max_in_flight": in_flight,
        "queue_msg_per_s": round(count / queue_s, 1),
        "drain_msg_per_s": round(count / drain_s, 1),
        "drain_s": round(drain_s, 3),
        "cron_calls": calls,
        "states": states,
        "lost": len(expected - set(seen["ids"])),
        "duplicated": seen["duplicated"],
        "unexpected": len(set(seen["ids"]) - expected),
    }


def run_bare(base, round_no, count, secret, prefix=""):
    """The same signed bodies through one requests.Session, serialised and signed in the
    loop (as the job does)."""
    import uuid

    import requests

    from odoo.addons.workflow_monitor_integrations.models.workflow_integration_message import (
        message_body,
    )
    from odoo.addons.workflow_monitor_integrations.tools import signature

    path = f"{prefix}/bare/{round_no}"
    key = signature.secret_key(secret)
    session = requests.Session()
    ids = [f"msg_{uuid.uuid4().hex}" for _n in range(count)]
    start = time.perf_counter()
    for n, msg_id in enumerate(ids):
        body = message_body(payload(n))
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


def run_ideal(base, round_no, count, secret, workers, prefix=SLOW_PREFIX):
    """An ideal client: ``workers`` threads, each with its own keep-alive session,
    posting the same signed bodies, so that ``workers`` requests are always in flight."""
    import uuid

    import requests

    from odoo.addons.workflow_monitor_integrations.models.workflow_integration_message import (
        message_body,
    )
    from odoo.addons.workflow_monitor_integrations.tools import signature

    path = f"{prefix}/ideal{workers}/{round_no}"
    key = signature.secret_key(secret)
    local = threading.local()
    ids = [f"msg_{uuid.uuid4().hex}" for _n in range(count)]

    def post(item):
        n, msg_id = item
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body = message_body(payload(n))
        headers = signature.sign_headers(secret, msg_id, body, key=key)
        headers["Content-Type"] = "application/json"
        response = session.post(base + path, data=body, headers=headers, timeout=10)
        response.raise_for_status()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(post, enumerate(ids)))
    elapsed = time.perf_counter() - start
    seen = stats(base, path)
    return {
        f"ideal{workers}_msg_per_s": round(count / elapsed, 1),
        "lost": len(set(ids) - set(seen["ids"])),
        "duplicated": seen["duplicated"],
    }


def slow_round(registry, base, round_no, args):
    """Part 2 (the receiver answers in 50 ms): sequential loop, ideal clients of 16 and
    8, and the drain with max_in_flight 16 and with the default."""
    secret, drain16 = run_drain(
        registry, base, round_no, args.slow_messages, prefix=SLOW_PREFIX, max_in_flight=16
    )
    ideal16 = run_ideal(base, round_no, args.slow_messages, secret, 16)
    sequential = run_bare(base, round_no, args.slow_sequential, secret, prefix=SLOW_PREFIX)
    secret, drain8 = run_drain(registry, base, f"{round_no}d", args.slow_messages, SLOW_PREFIX)
    ideal8 = run_ideal(base, round_no, args.slow_messages, secret, 8)
    figures = {
        "drain16": drain16,
        "ideal16": ideal16,
        "sequential": sequential,
        "drain8": drain8,
        "ideal8": ideal8,
        "ratio_16_vs_sequential": round(
            drain16["drain_msg_per_s"] / sequential["bare_msg_per_s"], 2
        ),
        "ratio_16_vs_ideal16": round(drain16["drain_msg_per_s"] / ideal16["ideal16_msg_per_s"], 3),
        "ratio_8_vs_ideal8": round(drain8["drain_msg_per_s"] / ideal8["ideal8_msg_per_s"], 3),
    }
    print(
        f"slow round {round_no}: drain16 {drain16['drain_msg_per_s']} msg/s, ideal16 "
        f"{ideal16['ideal16_msg_per_s']}, sequential {sequential['bare_msg_per_s']}, drain8 "
        f"(max_in_flight {drain8['max_in_flight']}) {drain8['drain_msg_per_s']}, ideal8 "
        f"{ideal8['ideal8_msg_per_s']}; lost {drain16['lost'] + drain8['lost']}, dup "
        f"{drain16['duplicated'] + drain8['duplicated']}",
        flush=True,
    )
    return figures


def fast_round(registry, base, round_no, count):
    """Part 1 (the receiver answers at once): the drain against the bare loop."""
    secret, drain = run_drain(registry, base, round_no, count)
    bare = run_bare(base, round_no, count, secret)
    print(
        f"round {round_no}: drain {drain['drain_msg_per_s']} msg/s "
        f"(lost {drain['lost']}, dup {drain['duplicated']}), "
        f"bare {bare['bare_msg_per_s']} msg/s",
        flush=True,
    )
    return {"drain": drain, "bare": bare}


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--messages", type=int, default=10000),
            parser.add_argument("--rounds", type=int, default=3),
            parser.add_argument("--slow-messages", type=int, default=2000),
            parser.add_argument("--slow-sequential", type=int, default=100),
            parser.add_argument("--slow-rounds", type=int, default=2),
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
        rounds = [fast_round(registry, base, n, args.messages) for n in range(args.rounds)]
        slow = [slow_round(registry, base, n, args) for n in range(args.slow_rounds)]
    finally:
        child.terminate()
        child.join(5)
    report("outbox_drain", summarise(args, rounds, slow))


def summarise(args, rounds, slow):
    drain_rates = [r["drain"]["drain_msg_per_s"] for r in rounds]
    bare_rates = [r["bare"]["bare_msg_per_s"] for r in rounds]
    ratios = [d / b for d, b in zip(drain_rates, bare_rates)]
    drains = [r["drain"] for r in rounds] + [s[k] for s in slow for k in ("drain16", "drain8")]
    lost = sum(d["lost"] for d in drains)
    duplicated = sum(d["duplicated"] for d in drains)

    def median(key):
        return statistics.median(s[key] for s in slow) if slow else None

    return {
        "messages_per_round": args.messages,
        "rounds": rounds,
        "drain_msg_per_s_median": statistics.median(drain_rates),
        "bare_msg_per_s_median": statistics.median(bare_rates),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "slow_receiver_ms": SLOW_SECONDS * 1000,
        "slow_messages_per_round": args.slow_messages,
        "slow_rounds": slow,
        "ratio_16_vs_sequential_median": median("ratio_16_vs_sequential"),
        "ratio_16_vs_ideal16_median": median("ratio_16_vs_ideal16"),
        "ratio_8_vs_ideal8_median": median("ratio_8_vs_ideal8"),
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
            check(
                "50 ms receiver: drain max_in_flight=16 / sequential loop",
                median("ratio_16_vs_sequential"),
                ">=",
                10,
                "x",
            ),
            check(
                "50 ms receiver: drain max_in_flight=16 / ideal client of 16",
                median("ratio_16_vs_ideal16"),
                ">=",
                0.7,
                "x",
            ),
            check(
                "50 ms receiver: drain default max_in_flight (8) / ideal client of 8",
                median("ratio_8_vs_ideal8"),
                ">=",
                0.7,
                "x",
            ),
            check("messages lost", lost, "==", 0),
            check("messages duplicated", duplicated, "==", 0),
        ],
    }


if __name__ == "__main__":
    main()
