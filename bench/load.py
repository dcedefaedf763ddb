#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Load test: a real multi-process Odoo (``--workers=2 --max-cron-threads=1``, on
127.0.0.1 only) driven by Locust (headless) for a fixed time, against the suite's
database and against a database of the same Odoo apps without the suite, with the same
data, in the same run.

Simulated users (bench/_locustfile.py) speak HTTP as in production: order users create,
confirm, deliver and invoice sale orders over JSON-RPC (closed loop, no think time);
suite only: dashboard users poll ``get_dashboard_data`` every ``--dashboard-seconds``, an
exception user lists, assigns and resolves an exception every ``--exception-seconds``, a
carrier posts signed webhooks about the delivered orders (``carrier.status``,
``workflow.exception`` with recurring dedupe keys, re-sent ids).

Three kinds of run, alternating over ``--rounds`` (ABC, CBA, ...):

- ``suite``: the suite's database with every user;
- ``vanilla``: the database without the suite, with the order users (the suite-only
  request types have no twin there: they are reported alone);
- ``suite_orders`` (``--same-traffic 1``, the default): the suite's database with the
  order users only, i.e. the traffic of vanilla: what the suite costs the same requests,
  apart from the load of its own.

The measured window of a run opens ``--warmup`` seconds after the last user has started
(logged in) and lasts ``--seconds``. Reported per request type and run kind: requests,
throughput, p50/p95, failures (5xx apart); the ratios to vanilla of the request types
both have. After each run on the suite's database: every stage change of the run's orders
and deliveries has its event, no open exception is duplicated, every inbound message is
stored once (re-sent ids as duplicates), the webhook-raised exceptions count every
report. Targets: orders/s and requests/s ratio >= 0.9, p95 ratio <= 1.15 (pooled and of
the worst request type), no 5xx, no failed request, every integrity count at 0.

    python bench/load.py --db wm_load --vanilla-db wm_load_vanilla [--seconds 60]

Run by ``make load`` (scripts/load.sh builds both databases), not by ``make bench``:
about 15 minutes with the defaults. Only 127.0.0.1 is ever contacted; every run stops
by itself.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from _common import ODOO_SRC, check, environment, parse_args, percentiles, report

HERE = os.path.dirname(os.path.abspath(__file__))
LOCUSTFILE = os.path.join(HERE, "_locustfile.py")
OUT_DIR = os.environ.get("WM_BENCH_OUT") or os.path.join(HERE, "out")
LOGIN_PREFIX = "wm_load_"
PRODUCT_CODE = "WMLOAD-"
INTEGRATION_NAME = "WM load carrier"
SUITE_ONLY_USERS = ("dashboard", "exception", "webhook")
USER_CLASSES = {
    "order": "OrderUser",
    "dashboard": "DashboardUser",
    "exception": "ExceptionUser",
    "webhook": "WebhookUser",
}
# "suite": the suite's database with every user; "vanilla": the database without the
# suite, order users only (the suite-only requests have no twin there); "suite_orders":
# the suite's database with the order users only, the same traffic as vanilla (what the
# suite costs the same requests, its own requests apart)
LABELS = ("suite", "vanilla", "suite_orders")
RATIO_TITLES = {"suite": "suite/van", "suite_orders": "same/van"}
TARGET_THROUGHPUT = 0.9
TARGET_P95 = 1.15


def env_number(name, default, kind=int):
    return kind(os.environ.get(name) or default)


def extra_args(parser):
    parser.set_defaults(db=os.environ.get("WM_LOAD_DB", "wm_load"))
    parser.add_argument("--vanilla-db", default=os.environ.get("WM_LOAD_VANILLA_DB"))
    parser.add_argument("--seconds", type=int, default=env_number("WM_LOAD_SECONDS", 60))
    parser.add_argument("--warmup", type=int, default=env_number("WM_LOAD_WARMUP", 10))
    parser.add_argument("--rounds", type=int, default=env_number("WM_LOAD_ROUNDS", 2))
    parser.add_argument("--port", type=int, default=env_number("WM_LOAD_PORT", 8269))
    parser.add_argument("--order-users", type=int, default=env_number("WM_LOAD_USERS", 4))
    parser.add_argument("--dashboard-users", type=int, default=2)
    parser.add_argument("--exception-users", type=int, default=1)
    parser.add_argument("--webhook-users", type=int, default=1)
    parser.add_argument(
        "--same-traffic",
        type=int,
        default=env_number("WM_LOAD_SAME_TRAFFIC", 1),
        help="1: also run the suite with the order users only (suite_orders)",
    )
    # a dashboard refreshes every 60 s by default (workflow_monitor.dashboard_refresh_seconds):
    # 15 s is a manager who set it lower; a person resolves one exception every 10 s
    parser.add_argument("--dashboard-seconds", type=float, default=15.0)
    parser.add_argument("--exception-seconds", type=float, default=10.0)


# ------------------------------------------------------------
# Data: the same in both databases (users, customers, products with stock)
# ------------------------------------------------------------


def seed(db, suite, monitoring, args, run):
    """Creates what is missing, returns the plan the Locust users read (``monitoring``:
    with the suite-only users)."""
    registry, cr, env = environment(db)
    try:
        users = seed_users(env, suite, args)
        products = seed_products(env)
        partners = seed_partners(env)
        plan = {
            "db": db,
            "run": run,
            "logins": users.mapped("login"),
            "password": run,
            "product_ids": products.ids,
            "partner_ids": partners.ids,
            "users": {
                "order": args.order_users,
                "dashboard": args.dashboard_users if monitoring else 0,
                "exception": args.exception_users if monitoring else 0,
                "webhook": args.webhook_users if monitoring else 0,
            },
            "pace": {
                "dashboard_seconds": args.dashboard_seconds,
                "exception_seconds": args.exception_seconds,
            },
            "seconds": args.seconds,
            "warmup": args.warmup,
            "exceptions": [[]],
            "secret": "",
            "hook_path": "",
        }
        for user in users:
            user.password = run  # hashed by the ORM; the users log in with it
        if suite:
            plan.update(seed_suite(env, args, run, partners))
        cr.commit()
        plan["user_ids"] = users.ids
        return plan
    finally:
        cr.close()
        registry.delete(db)


def seed_users(env, suite, args):
    groups = [
        "sales_team.group_sale_manager",
        "stock.group_stock_manager",
        "account.group_account_invoice",
    ]
    if suite:
        groups.append("workflow_monitor_base.group_workflow_manager")
    group_ids = [env.ref(xmlid).id for xmlid in groups]
    count = sum([args.order_users, args.dashboard_users, args.exception_users, args.webhook_users])
    Users = env["res.users"].with_context(no_reset_password=True)
    users = Users.search([("login", "=like", f"{LOGIN_PREFIX}%")], order="id")
    missing = [f"{LOGIN_PREFIX}{i}" for i in range(len(users), count)]
    if missing:
        users |= Users.create(
            [
                {
                    "name": f"Load user {login[len(LOGIN_PREFIX) :]}",
                    "login": login,
                    "groups_id": [(6, 0, group_ids)],
                }
                for login in missing
            ]
        )
    users.write({"groups_id": [(4, group_id) for group_id in group_ids]})
    return users[:count]


def seed_products(env, count=200):
    Product = env["product.product"]
    products = Product.search([("default_code", "=like", f"{PRODUCT_CODE}%")], order="id")
    if len(products) < count:
        products |= Product.create(
            [
                {
                    "name": f"Load product {i}",
                    "default_code": f"{PRODUCT_CODE}{i}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10.0 + i % 50,
                    "standard_price": 5.0,
                    "invoice_policy": "delivery",
                }
                for i in range(len(products), count)
            ]
        )
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    Quant = env["stock.quant"]
    for product in products:
        available = Quant._get_available_quantity(product, warehouse.lot_stock_id)
        if available < 1e5:
            Quant._update_available_quantity(product, warehouse.lot_stock_id, 1e6 - available)
    return products


def seed_partners(env, count=100):
    Partner = env["res.partner"]
    partners = Partner.search([("ref", "=like", f"{PRODUCT_CODE}%")], order="id")
    if len(partners) < count:
        partners |= Partner.create(
            [
                {"name": f"Load customer {i}", "ref": f"{PRODUCT_CODE}{i}"}
                for i in range(len(partners), count)
            ]
        )
    return partners


def seed_suite(env, args, run, partners):
    """The carrier integration and open exceptions to work."""
    Integration = env["workflow.integration"].with_context(active_test=False)
    integration = Integration.search([("name", "=", INTEGRATION_NAME)], limit=1)
    if not integration:
        integration = Integration.create({"name": INTEGRATION_NAME, "kind": "carrier"})
    integration.write({"active": True, "inbound_enabled": True, "paused": False})
    # enough for twice the planned pace
    per_user = int(2 * (args.seconds + args.warmup) / args.exception_seconds) + 5
    users = max(1, args.exception_users)
    exceptions = env["workflow.exception"].raise_exceptions(
        [
            {
                "record": partners[i % len(partners)],
                "category_code": "late_delivery",
                "name": f"Late delivery to check ({run} #{i})",
                "severity": "medium",
                "dedupe_key": f"{run}:seed:{i}",
            }
            for i in range(per_user * users)
        ]
    )
    return {
        "exceptions": [exceptions.ids[i::users] for i in range(users)],
        "secret": integration.signing_secret,
        "hook_path": f"/workflow_monitor/hook/{integration.inbound_uuid}",
        "integration_id": integration.id,
    }


# ------------------------------------------------------------
# The server and the load generator
# ------------------------------------------------------------


def wait_healthy(url, process, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Odoo server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/web/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the Odoo server did not answer {url}/web/health in {timeout} s")


@contextlib.contextmanager
def odoo_server(config, db, port, log_path):
    """A prefork Odoo serving only ``db`` on 127.0.0.1:``port``, stopped on exit."""
    command = [
        sys.executable,
        os.path.join(ODOO_SRC, "odoo-bin"),
        "-c",
        config,
        "-d",
        db,
        f"--db-filter=^{db}$",
        "--workers=2",
        "--max-cron-threads=1",
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        f"--gevent-port={port + 1}",
        "--log-level=warn",
        "--no-database-list",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        yield process
    finally:
        stop(process)


def stop(process, timeout=30):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # graceful: the workers end their requests
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers left behind by a crash


def run_locust(plan, port, prefix):
    """Locust, headless, until the locustfile stops it ``warmup`` + ``seconds`` after the
    last user started; returns (samples, measured window)."""
    plan_path, samples_path = f"{prefix}.plan.json", f"{prefix}.samples.json"
    with open(plan_path, "w") as handle:
        json.dump(plan, handle)
    with contextlib.suppress(FileNotFoundError):
        os.remove(samples_path)
    classes = [USER_CLASSES[kind] for kind, count in plan["users"].items() if count]
    total = sum(plan["users"].values())
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        LOCUSTFILE,
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "-u",
        str(total),
        "-r",
        str(total),
        "-t",  # a safety limit: the locustfile stops the run
        f"{plan['seconds'] + plan['warmup'] + 600}s",
        "--stop-timeout",  # a task running at the end may finish (not measured)
        "15",
        "--only-summary",
        "--csv",
        prefix,
        "--loglevel",
        "WARNING",
        *classes,
    ]
    environ = dict(os.environ, WM_LOAD_PLAN=plan_path, WM_LOAD_SAMPLES=samples_path)
    with open(f"{prefix}.locust.log", "w") as log:
        subprocess.run(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            timeout=plan["seconds"] + plan["warmup"] + 900,
            check=False,  # exit code 1 when a request failed: the samples say which
        )
    with open(samples_path) as handle:
        result = json.load(handle)
    if not result["window"]:
        raise RuntimeError(f"the users never all started: see {prefix}.locust.log")
    return result["samples"], result["window"]


# ------------------------------------------------------------
# Figures
# ------------------------------------------------------------


def measured(samples, window):
    """The samples that started after the warm-up and ended within the window."""
    begin, end = window["begin"], window["end"]
    return [s for s in samples if s[1] >= begin and s[1] + s[2] / 1000.0 <= end]


def per_type(samples, seconds):
    """{request name: figures} over ``seconds`` of measured time."""
    names = sorted({s[0] for s in samples})
    table = {}
    for name in names:
        rows = [s for s in samples if s[0] == name]
        failed = [s for s in rows if s[3] != "ok"]
        figures = percentiles([s[2] for s in rows])
        table[name] = {
            "requests": len(rows),
            "failed": len(failed),
            "http_5xx": sum(1 for s in failed if s[3].startswith("http5")),
            "errors": sorted({s[3] for s in failed})[:5],
            "per_second": len(rows) / seconds,
            "p50_ms": figures["p50"],
            "p95_ms": figures["p95"],
            "max_ms": figures["max"],
        }
    return table


def pooled_p95(samples, names):
    rows = [s[2] for s in samples if s[0] in names]
    return percentiles(rows)["p95"] if rows else None


def ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def comparison(types, samples, label):
    """``label``'s figures against vanilla on the request types both have."""
    table, vanilla = types[label], types["vanilla"]
    shared = sorted(set(table) & set(vanilla) - {"login"})
    ratios = {
        name: {
            "throughput": ratio(table[name]["per_second"], vanilla[name]["per_second"]),
            "p95": ratio(table[name]["p95_ms"], vanilla[name]["p95_ms"]),
        }
        for name in shared
    }
    orders = {key: types[key].get("invoice: post", {}).get("per_second", 0.0)
              for key in (label, "vanilla")}  # fmt: skip
    rates = {key: sum(types[key][name]["per_second"] for name in shared)
             for key in (label, "vanilla")}  # fmt: skip
    p95 = {key: pooled_p95(samples[key], shared) for key in (label, "vanilla")}
    worst = max(ratios, key=lambda name: ratios[name]["p95"] or 0) if ratios else None
    return {
        "shared_types": shared,
        "ratios": ratios,
        "orders_per_second": orders,
        "shared_requests_per_second": rates,
        "pooled_p95_ms": p95,
        "order_ratio": ratio(orders[label], orders["vanilla"]),
        "rate_ratio": ratio(rates[label], rates["vanilla"]),
        "p95_ratio": ratio(p95[label], p95["vanilla"]),
        "worst_type": worst,
        "worst_p95_ratio": ratios[worst]["p95"] if worst else None,
    }


# ------------------------------------------------------------
# Integrity after the load (suite database)
# ------------------------------------------------------------

MISSING_STAGE_EVENT = """
    SELECT count(*) FROM {table} doc
     WHERE doc.create_uid = ANY(%(users)s) AND doc.create_date >= %(since)s AND {condition}
       AND NOT EXISTS (
           SELECT 1 FROM workflow_event e
             JOIN workflow_definition d ON d.id = e.definition_id
             JOIN workflow_stage s ON s.id = e.stage_to_id
            WHERE e.event_type = 'stage' AND e.res_model = %(model)s AND e.res_id = doc.id
              AND d.code = %(definition)s AND s.code = %(stage)s)
"""

STAGE_CHECKS = (
    # (name, table, model, definition, stage, condition on the document "doc")
    ("confirmed orders without their confirmed event", "sale_order", "sale.order",
     "order_to_cash", "confirmed", "doc.state = 'sale'"),
    ("delivered orders without their shipped event", "sale_order", "sale.order",
     "order_to_cash", "shipped", "doc.state = 'sale' AND doc.delivery_status = 'full'"),
    ("invoiced orders without their invoiced event", "sale_order", "sale.order",
     "order_to_cash", "invoiced",
     """doc.invoice_status = 'invoiced' AND EXISTS (
            SELECT 1 FROM account_move_line l
              JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id
              JOIN sale_order_line sl ON sl.id = r.order_line_id
              JOIN account_move m ON m.id = l.move_id
             WHERE sl.order_id = doc.id AND m.state = 'posted')"""),
    ("done deliveries without their done event", "stock_picking", "stock.picking",
     "delivery", "done", "doc.state = 'done'"),
)  # fmt: skip

# a document whose instance is not at the stage its latest stage event reached
STAGE_MISMATCH = """
    SELECT count(*) FROM {table} doc
      LEFT JOIN workflow_instance i ON i.res_model = %(model)s AND i.res_id = doc.id
       AND i.definition_id = (SELECT id FROM workflow_definition WHERE code = %(definition)s)
     WHERE doc.create_uid = ANY(%(users)s) AND doc.create_date >= %(since)s
       AND {condition}
       AND (i.id IS NULL OR i.stage_id IS DISTINCT FROM (
            SELECT e.stage_to_id FROM workflow_event e
             WHERE e.event_type = 'stage' AND e.instance_id = i.id
             ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1))
"""


def integrity(db, plan, since, sent):
    """Counts of what must be 0 after a suite run, and the figures they come from."""
    from odoo.tools import SQL

    registry, cr, _env = environment(db)
    try:
        params = {"users": plan["user_ids"], "since": since}
        result = {}
        for name, table, model, definition, stage, condition in STAGE_CHECKS:
            query = MISSING_STAGE_EVENT.format(table=table, condition=condition)
            cr.execute(query, dict(params, model=model, definition=definition, stage=stage))
            result[name] = cr.fetchone()[0]
        for table, model, definition, condition in (
            ("sale_order", "sale.order", "order_to_cash", "doc.state = 'sale'"),
            ("stock_picking", "stock.picking", "delivery", "doc.state = 'done'"),
        ):
            cr.execute(
                STAGE_MISMATCH.format(table=table, condition=condition),
                dict(params, model=model, definition=definition),
            )
            result[f"{model} documents whose stage is not their last event's"] = cr.fetchone()[0]
        cr.execute(
            """SELECT count(*) FROM (
                   SELECT 1 FROM workflow_exception
                    WHERE state IN ('new', 'assigned', 'in_progress')
                    GROUP BY category_id, company_id, dedupe_key HAVING count(*) > 1) dup"""
        )
        result["duplicated open exceptions"] = cr.fetchone()[0]
        run_like = f"{plan['run']}-%"
        cr.execute(
            SQL(
                """SELECT count(DISTINCT webhook_id),
                          count(*) FILTER (WHERE state <> 'duplicate'),
                          count(*) FILTER (WHERE state = 'duplicate')
                     FROM workflow_integration_message
                    WHERE direction = 'in' AND integration_id = %s AND webhook_id LIKE %s""",
                plan["integration_id"],
                run_like,
            )
        )
        distinct, stored, duplicates = cr.fetchone()
        result["inbound messages not stored exactly once"] = abs(distinct - sent["new"]) + abs(
            stored - sent["new"]
        )
        result["re-sent webhooks not stored as duplicates"] = abs(duplicates - sent["resent"])
        cr.execute(
            SQL(
                """SELECT coalesce(sum(occurrence_count), 0) FROM workflow_exception
                    WHERE dedupe_key LIKE %s""",
                f"webhook:{plan['integration_id']}:{plan['run']}:carrier-api:%",
            )
        )
        occurrences = cr.fetchone()[0]
        result["webhook exception reports not counted"] = abs(occurrences - sent["exception"])
        cr.execute(
            SQL(
                """SELECT count(*) FROM sale_order
                    WHERE create_uid = ANY(%s) AND create_date >= %s AND state = 'sale'""",
                plan["user_ids"],
                since,
            )
        )
        figures = {
            "confirmed_orders": cr.fetchone()[0],
            "inbound_distinct_ids": distinct,
            "inbound_stored": stored,
            "inbound_duplicates": duplicates,
            "webhook_exception_occurrences": occurrences,
            "sent": sent,
        }
        return result, figures
    finally:
        cr.close()
        registry.delete(db)


def sent_webhooks(samples):
    """What the carrier got a 200 for, over the whole run (warm-up included)."""
    ok = [s for s in samples if s[3] == "ok" and s[0].startswith("webhook: ")]
    resent = sum(1 for s in ok if s[0] == "webhook: re-sent")
    exception = sum(1 for s in ok if s[0] == "webhook: workflow.exception")
    return {"new": len(ok) - resent, "resent": resent, "exception": exception}


# ------------------------------------------------------------
# Main
# ------------------------------------------------------------


def one_run(args, label, round_no, run):
    """Seeds, serves and loads the database of ``label`` once; returns (measured
    samples, integrity)."""
    import odoo

    suite, monitoring = label != "vanilla", label == "suite"
    db = args.db if suite else args.vanilla_db
    prefix = os.path.join(OUT_DIR, f"load-{label}-{round_no}")
    # a run id of its own: webhook ids and dedupe keys of one run never match another's
    plan = seed(db, suite, monitoring, args, f"{run}{LABELS.index(label)}{round_no}")
    since = odoo.fields.Datetime.now()
    with odoo_server(args.config, db, args.port, f"{prefix}.odoo.log"):
        samples, window = run_locust(plan, args.port, prefix)
    window = measured(samples, window)
    checks = None
    if suite:
        checks = integrity(db, plan, since, sent_webhooks(samples))
    retried = serialization_failures(f"{prefix}.odoo.log")
    print(
        f"{label} round {round_no}: {len(window)} requests measured, "
        f"{sum(1 for s in window if s[3] != 'ok')} failed, {retried} serialization "
        f"failures retried by Odoo; integrity {checks and checks[0]}",
        flush=True,
    )
    return window, checks, retried


def serialization_failures(log_path):
    """Concurrent updates PostgreSQL refused and Odoo retried (it logs each one)."""
    with open(log_path) as log:
        return sum(1 for line in log if "could not serialize access" in line)


def print_table(figures):
    types = figures["types"]
    print(f"{'request':40} {'run':12} {'req':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} fail")
    for name in sorted(set().union(*types.values())):
        for label, table in types.items():
            row = table.get(name)
            if row:
                print(
                    f"{name:40} {label:12} {row['requests']:6} {row['per_second']:7.2f} "
                    f"{row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['failed']}"
                )
        for label, versus in figures["versus_vanilla"].items():
            if name in versus["ratios"]:
                rate, p95 = versus["ratios"][name]["throughput"], versus["ratios"][name]["p95"]
                title = RATIO_TITLES[label]
                print(f"{'':40} {title:12} {'':6} {rate:7.3f} {'':8} {p95:8.3f}")


def run_all(args):
    """Every run, the kinds alternating; returns (measured samples by kind, integrity
    results of the suite's runs, serialization failures Odoo retried by kind)."""
    run = f"wmload{int(time.time())}"
    labels = LABELS if args.same_traffic else LABELS[:2]
    samples = [{label: [] for label in labels} for _round in range(args.rounds)]
    integrity_runs = []
    retried = dict.fromkeys(labels, 0)
    for round_no in range(args.rounds):
        for label in labels if round_no % 2 == 0 else labels[::-1]:
            window, checks, retried_here = one_run(args, label, round_no, run)
            samples[round_no][label] = window
            retried[label] += retried_here
            if checks:
                integrity_runs.append(checks)
    return samples, integrity_runs, retried


def per_round(samples, seconds):
    """The ratios to vanilla of each round alone (its runs follow one another: the load
    of a shared machine drifts less within a round than across the whole test)."""
    rounds = []
    for by_label in samples:
        figures = summary(by_label, seconds)
        rounds.append(
            {
                label: {key: versus[key] for key in ("order_ratio", "rate_ratio", "p95_ratio")}
                for label, versus in figures["versus_vanilla"].items()
            }
        )
    return rounds


def pooled(samples):
    """The samples of every round, by run kind."""
    return {label: [row for by_label in samples for row in by_label[label]] for label in samples[0]}


def summary(samples, seconds):
    """Per-type tables of every run kind, and their comparisons with vanilla."""
    types = {label: per_type(rows, seconds) for label, rows in samples.items()}
    rows = [row for table in types.values() for row in table.values()]
    return {
        "types": types,
        "versus_vanilla": {
            label: comparison(types, samples, label) for label in types if label != "vanilla"
        },
        "failed": sum(row["failed"] for row in rows),
        "http_5xx": sum(row["http_5xx"] for row in rows),
    }


def load_checks(figures, integrity_runs):
    checks = []
    for label, title in (("suite", "suite/vanilla"),
                         ("suite_orders", "suite/vanilla, same traffic")):  # fmt: skip
        versus = figures["versus_vanilla"].get(label)
        if not versus:
            continue
        checks += [
            check(f"orders/s {title} (order to cash completed)", versus["order_ratio"],
                  ">=", TARGET_THROUGHPUT, "x"),
            check(f"requests/s {title} (request types of both)", versus["rate_ratio"],
                  ">=", TARGET_THROUGHPUT, "x"),
            check(f"p95 {title} (all requests of both types)", versus["p95_ratio"],
                  "<=", TARGET_P95, "x"),
            check(f"p95 {title}, worst request type ({versus['worst_type']})",
                  versus["worst_p95_ratio"], "<=", TARGET_P95, "x"),
        ]  # fmt: skip
    checks += [
        check("HTTP 5xx answers (every run)", figures["http_5xx"], "==", 0),
        check("failed requests (every run)", figures["failed"], "==", 0),
    ]
    totals = {}
    for result, _figures in integrity_runs:
        for name, value in result.items():
            totals[name] = totals.get(name, 0) + value
    return checks + [check(name, value, "==", 0) for name, value in totals.items()]


def main():
    args = parse_args(__doc__, extra_args)
    args.vanilla_db = args.vanilla_db or f"{args.db}_vanilla"
    os.makedirs(OUT_DIR, exist_ok=True)
    load_start = os.getloadavg()
    samples, integrity_runs, retried = run_all(args)
    figures = summary(pooled(samples), args.seconds * args.rounds)
    figures["per_round"] = per_round(samples, args.seconds)
    print_table(figures)
    print("ratios to vanilla per round:", json.dumps(figures["per_round"]))
    report(
        "load",
        dict(
            figures,
            databases={"suite": args.db, "vanilla": args.vanilla_db},
            seconds_per_run=args.seconds,
            warmup_seconds=args.warmup,
            rounds=args.rounds,
            users={
                "order": args.order_users,
                "dashboard": args.dashboard_users,
                "exception": args.exception_users,
                "webhook": args.webhook_users,
            },
            pace={
                "dashboard_seconds": args.dashboard_seconds,
                "exception_seconds": args.exception_seconds,
                "webhooks": "one carrier.status per delivered order, a workflow.exception "
                "report every 5th, a re-send every 10th",
            },
            server="odoo-bin --workers=2 --max-cron-threads=1 on 127.0.0.1",
            # the machine may be shared: its load before and after the runs
            load_average_start=load_start,
            load_average_end=os.getloadavg(),
            integrity=[details for _result, details in integrity_runs],
            serialization_failures_retried=retried,
            checks=load_checks(figures, integrity_runs),
        ),
    )


if __name__ == "__main__":
    main()
