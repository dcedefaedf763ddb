#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Capture overhead: confirm, deliver and invoice the same kind of N sale orders with
Workflow Monitor capture ON and OFF (the documented switch: context key
``workflow_capture_disable=True`` set by server code with ``server_context()``, honoured
by ``workflow.tracked.mixin``), in one run.

Method (BASELINES.md section 2, single-order mode): every order is one "request":
``browse(id)``, the step, ``env.flush_all()`` and ``cr.precommit.run()`` (capture is
applied at pre-commit, so it is inside the timing), then the record cache is cleared.
Each (N, run, mode) cell gets fresh customers and products (3 lines per order,
1e6 units of stock each), one unmeasured warm-up order, and is rolled back at its end,
so every cell starts from the same database. Runs interleave OFF and ON (the mode
that starts alternates). Sizes of 1000 orders and more run once per mode unless
``--runs-large`` says otherwise.

Reported per N and step: ms per order (median over runs), the ON/OFF time ratio, SQL
queries per order (delta of ``odoo.sql_db.sql_counter``, deterministic) and the extra
queries per order; plus the statements that capture adds (normalised SQL, per order).
Targets (issue 17): total ratio <= 1.05 and <= 1 extra query per order per step (capture
is one statement per transaction), flat from 10 to 1000 orders.

``make bench`` runs N = 10 and 100 (the default ``--sizes``). ``--sizes 10,100,1000``
adds N = 1000, which does not finish in an hour on the reference machine: within the
cell's single rolled-back transaction, Odoo's own payment-state query of account.move
slows down as uncommitted rows pile up (about 12 s per invoice after 50 minutes with
capture OFF, i.e. vanilla Odoo).

The database (--db) must have workflow_monitor_distribution installed.
"""

import re
import statistics
import time
from collections import Counter

from _common import check, environment, parse_args, report

import odoo  # noqa: E402  (path set by _common)
from odoo import Command, sql_db  # noqa: E402

STEPS = ("confirm", "deliver", "invoice")
TARGET_RATIO = 1.05
TARGET_EXTRA_QUERIES = 1.0


def extra_args(parser):
    parser.add_argument(
        "--sizes", default="10,100", help="comma separated N values (e.g. 10,100,1000)"
    )
    parser.add_argument(
        "--runs-large",
        type=int,
        default=1,
        help="runs per mode for N >= 1000 (default 1; --runs applies below)",
    )
    parser.add_argument("--lines", type=int, default=3, help="lines per order")
    parser.set_defaults(runs=3)


# ------------------------------------------------------------
# SQL statement recorder (where do the extra queries come from?)
# ------------------------------------------------------------


class StatementRecorder:
    """Wraps Cursor.execute to count normalised statements while ``active``."""

    def __init__(self):
        self.active = False
        self.counter = Counter()
        self._original = sql_db.Cursor.execute
        recorder = self

        def execute(cursor, query, params=None, log_exceptions=True):
            if recorder.active:
                code = query.code if isinstance(query, odoo.tools.SQL) else str(query)
                recorder.counter[normalise(code)] += 1
            return recorder._original(cursor, query, params, log_exceptions)

        sql_db.Cursor.execute = execute

    def take(self):
        counter, self.counter = self.counter, Counter()
        return counter


def normalise(code):
    code = re.sub(r"\s+", " ", code).strip()
    code = re.sub(r"\b\d+\b", "0", code)
    return code[:220]


# ------------------------------------------------------------
# Data
# ------------------------------------------------------------


def make_orders(env, count, lines, tag):
    """``count`` draft orders of fresh customers and products, with plenty of stock."""
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    partners = env["res.partner"].create(
        [{"name": f"Bench Customer {tag} {i}"} for i in range(count)]
    )
    products = env["product.product"].create(
        [
            {
                "name": f"Bench Product {tag} {i}",
                "type": "consu",
                "is_storable": True,
                "list_price": 10.0 + i % 50,
                "standard_price": 5.0,
                "invoice_policy": "delivery",
            }
            for i in range(count)
        ]
    )
    Quant = env["stock.quant"]
    for product in products:
        Quant._update_available_quantity(product, warehouse.lot_stock_id, 1e6)
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partner.id,
                "warehouse_id": warehouse.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": products[(i + k) % count].id,
                            "product_uom_qty": 1 + k,
                        }
                    )
                    for k in range(lines)
                ],
            }
            for i, partner in enumerate(partners)
        ]
    )
    env.flush_all()
    env.cr.precommit.run()
    return orders.ids


def confirm(env, order_id):
    env["sale.order"].browse(order_id).action_confirm()


def deliver(env, order_id):
    order = env["sale.order"].browse(order_id)
    pickings = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
    for move in pickings.move_ids:
        move.quantity = move.product_uom_qty
    pickings.move_ids.picked = True
    result = pickings.button_validate()
    if isinstance(result, dict) and result.get("res_model"):
        wizard = env[result["res_model"]].with_context(**result.get("context", {})).create({})
        wizard.process()


def invoice(env, order_id):
    env["sale.order"].browse(order_id)._create_invoices().action_post()


STEP_FUNCS = {"confirm": confirm, "deliver": deliver, "invoice": invoice}


# ------------------------------------------------------------
# Measurement
# ------------------------------------------------------------


def run_cell(registry, size, lines, capture, recorder, record_statements):
    """One (N, mode) cell in its own transaction, rolled back at the end.

    :return: {step: (ms per order, queries per order, Counter of statements)}
    """
    # importable once the configuration has set Odoo's addons path
    from odoo.addons.workflow_monitor_base.tools.context import server_context

    with registry.cursor() as cr:
        # a server-side flag: a plain context key would be ignored (as from a client)
        context = {} if capture else server_context(workflow_capture_disable=True)
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, context)
        tag = f"{size}-{'on' if capture else 'off'}-{time.time_ns()}"
        order_ids = make_orders(env, size + 1, lines, tag)
        warmup, order_ids = order_ids[0], order_ids[1:]
        for step in STEPS:
            STEP_FUNCS[step](env, warmup)
            env.flush_all()
            cr.precommit.run()
        env.invalidate_all()
        results = {}
        for step in STEPS:
            func = STEP_FUNCS[step]
            elapsed = 0.0
            queries = 0
            recorder.take()
            for order_id in order_ids:
                recorder.active = record_statements
                start_queries = sql_db.sql_counter
                start = time.perf_counter()
                func(env, order_id)
                env.flush_all()
                cr.precommit.run()
                elapsed += time.perf_counter() - start
                queries += sql_db.sql_counter - start_queries
                recorder.active = False
                env.invalidate_all()
            results[step] = (elapsed * 1000.0 / size, queries / size, recorder.take())
        cr.rollback()
    return results


def main():
    args = parse_args(__doc__, extra_args)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    registry, cr, env = environment(args.db)
    installed = env["ir.module.module"].search_count(
        [("name", "=", "workflow_monitor_distribution"), ("state", "=", "installed")]
    )
    cr.close()
    if not installed:
        raise SystemExit(f"workflow_monitor_distribution is not installed in {args.db}")
    recorder = StatementRecorder()
    started = time.perf_counter()
    # warm the registry, ormcache and sequences in both modes before measuring
    for capture in (False, True):
        run_cell(registry, 5, args.lines, capture, recorder, record_statements=False)
    cells = {}
    for size in sizes:
        runs = args.runs if size < 1000 else args.runs_large
        samples = {mode: {step: [] for step in STEPS} for mode in ("off", "on")}
        queries = {mode: {} for mode in ("off", "on")}
        statements = {mode: {} for mode in ("off", "on")}
        for run in range(runs):
            order = ("off", "on") if run % 2 == 0 else ("on", "off")
            for mode in order:
                result = run_cell(
                    registry, size, args.lines, mode == "on", recorder, record_statements=run == 0
                )
                for step, (ms, q, stmts) in result.items():
                    samples[mode][step].append(ms)
                    queries[mode][step] = q
                    if run == 0:
                        statements[mode][step] = stmts
                print(
                    f"N={size} run {run + 1}/{runs} capture {mode}: "
                    + ", ".join(f"{s} {result[s][0]:.1f} ms {result[s][1]:.1f} q" for s in STEPS),
                    flush=True,
                )
        cell = {"runs": runs, "steps": {}}
        total = {"off": 0.0, "on": 0.0}
        for step in STEPS:
            off_ms = statistics.median(samples["off"][step])
            on_ms = statistics.median(samples["on"][step])
            total["off"] += off_ms
            total["on"] += on_ms
            extra = queries["on"][step] - queries["off"][step]
            added = statements["on"][step] - statements["off"][step]
            cell["steps"][step] = {
                "off_ms_per_order": round(off_ms, 2),
                "on_ms_per_order": round(on_ms, 2),
                "ratio": round(on_ms / off_ms, 3) if off_ms else None,
                "off_queries_per_order": round(queries["off"][step], 2),
                "on_queries_per_order": round(queries["on"][step], 2),
                "extra_queries_per_order": round(extra, 2),
                "extra_statements_per_order": {
                    stmt: round(count / size, 2) for stmt, count in added.most_common(15)
                },
            }
        cell["total"] = {
            "off_ms_per_order": round(total["off"], 2),
            "on_ms_per_order": round(total["on"], 2),
            "ratio": round(total["on"] / total["off"], 3) if total["off"] else None,
        }
        cells[str(size)] = cell

    checks = []
    for size, cell in cells.items():
        checks.append(
            check(
                f"N={size} time ratio ON/OFF (confirm+deliver+invoice)",
                cell["total"]["ratio"],
                "<=",
                TARGET_RATIO,
                "x",
            )
        )
        worst = max(step["extra_queries_per_order"] for step in cell["steps"].values())
        checks.append(
            check(
                f"N={size} extra queries per order (worst step)",
                worst,
                "<=",
                TARGET_EXTRA_QUERIES,
                "queries",
            )
        )
    if len(cells) > 1:
        extras = [
            max(step["extra_queries_per_order"] for step in cell["steps"].values())
            for cell in cells.values()
        ]
        checks.append(
            check(
                "extra queries per order flat across N (max - min)",
                round(max(extras) - min(extras), 2),
                "<=",
                0.5,
                "queries",
            )
        )
    report(
        "capture_overhead",
        {
            "benchmark": "capture_overhead",
            "database": args.db,
            "mode": "single order per request, flush + precommit inside the timing",
            "lines_per_order": args.lines,
            "sizes": cells,
            "seconds": round(time.perf_counter() - started, 1),
            "checks": checks,
            "pass": all(c["pass"] for c in checks),
        },
    )


if __name__ == "__main__":
    main()
