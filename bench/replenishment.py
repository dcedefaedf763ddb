#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Replenishment benchmark: the ``replenishment_aging`` and ``duplicate_replenishment``
detectors (workflow.distribution.detector._cron_detect) over --lines open customer
order lines (default 20,000), at a tenth of that volume first and then at the full
volume, in the same run.

Scenario: the order lines, purchases, stock and make-to-order chains of
bench/causal_chain.py (its ``templates`` and ``fill``: one warehouse, --products
products, free stock for 80 % of the demand, one open purchase line per product, a tenth
of the lines made to order with a purchase line each). Half the products get a
reordering rule whose minimum no open document reaches (each needs an order, its need
recorded two days ago); the other half get a second open purchase line (two documents
or more beyond the open demand). Measured: each detector run, its query count, and a
rerun (every exception already open: occurrences only). Targets: every run under 10 s,
and the query count of a run the same at both volumes.

The script works on a throwaway copy of --db (``<db>_replenishment``), dropped at the end.

    python bench/replenishment.py --db wm_bench --config .odoo.conf [--lines 20000]
"""

import random
import time
from datetime import timedelta

from _common import check, environment, parse_args, report, scratch_database
from causal_chain import fill, purchase_lines, templates

from odoo import fields, sql_db
from odoo.tools import SQL

DETECTORS = ("replenishment_aging", "duplicate_replenishment")


def rules_and_duplicates(env, products, template, now):
    """Reordering rules on the first half of the products (a minimum above any
    forecast), a second open purchase line on the other half."""
    half = len(products) // 2
    warehouse = env["stock.warehouse"].search([("code", "=", "BCC")])
    env["stock.warehouse.orderpoint"].create(
        [
            {
                "product_id": product.id,
                "warehouse_id": warehouse.id,
                "location_id": warehouse.lot_stock_id.id,
                "product_min_qty": 100_000.0,
                "product_max_qty": 100_000.0,
                "trigger": "manual",
            }
            for product in products[:half]
        ]
    )
    twice = [product.id for product in products[half:]]
    purchase_lines(env.cr, template, twice, [False] * len(twice), now)
    env.invalidate_all()
    env.flush_all()


def age_needs(env, now):
    """Record the needs once, then date them two days back (older than any hours)."""
    env["workflow.distribution.detector"]._cron_detect("replenishment_aging")
    env.cr.execute(
        SQL(
            """UPDATE stock_warehouse_orderpoint SET workflow_need_since = %s
                WHERE workflow_need_since IS NOT NULL""",
            now - timedelta(days=2),
        )
    )
    env["stock.warehouse.orderpoint"].invalidate_model(["workflow_need_since"])
    env.cr.commit()


def run_detector(env, detector):
    """One scheduled run of ``detector``, committed."""
    queries = sql_db.sql_counter
    start = time.perf_counter()
    Detector = env["workflow.distribution.detector"]
    raised = Detector._cron_detect(detector)
    env.cr.commit()
    return time.perf_counter() - start, sql_db.sql_counter - queries, raised


def open_exceptions(cr):
    cr.execute(
        """SELECT c.code, count(*)
             FROM workflow_exception e JOIN workflow_exception_category c ON c.id = e.category_id
            WHERE c.code IN %s AND e.state IN ('new', 'assigned', 'in_progress')
            GROUP BY c.code""",
        [DETECTORS],
    )
    return dict(cr.fetchall())


def table_sizes(cr):
    cr.execute(
        """SELECT (SELECT count(*) FROM stock_move WHERE state NOT IN ('done', 'cancel')),
                  (SELECT count(*) FROM purchase_order_line),
                  (SELECT count(*) FROM stock_warehouse_orderpoint WHERE active)"""
    )
    moves, po_lines, rules = cr.fetchone()
    return {"open_moves": moves, "purchase_lines": po_lines, "active_rules": rules}


def measure(env, label):
    result = {}
    for detector in DETECTORS:
        first_s, first_q, raised = run_detector(env, detector)
        rerun_s, rerun_q, _raised = run_detector(env, detector)
        result[detector] = {
            "run_s": round(first_s, 3),
            "queries": first_q,
            "rows": raised,
            "rerun_s": round(rerun_s, 3),
            "rerun_queries": rerun_q,
        }
    result["open_exceptions"] = open_exceptions(env.cr)
    result["tables"] = table_sizes(env.cr)
    print(label, result)
    return result


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--lines", type=int, default=20_000),
            parser.add_argument("--products", type=int, default=200),
            parser.add_argument("--seed", type=int, default=18),
        ),
    )
    rng = random.Random(args.seed)
    with scratch_database(args.db, "replenishment") as db:
        registry, cr, env = environment(db)
        try:
            env = env(context=dict(env.context, tracking_disable=True))
            now = fields.Datetime.now()
            products, template = templates(env, args.products)
            small_lines = args.lines // 10
            fill(env, products, template, small_lines, rng, now)
            rules_and_duplicates(env, products, template, now)
            cr.commit()
            age_needs(env, now)
            small = measure(env, f"{small_lines} lines")
            start = time.perf_counter()
            fill(env, products, template, args.lines - small_lines, rng, now)
            cr.commit()
            fill_s = time.perf_counter() - start
            large = measure(env, f"{args.lines} lines")
        finally:
            cr.close()
    checks = []
    for detector in DETECTORS:
        checks.append(
            check(f"{detector} run, {args.lines} lines", large[detector]["run_s"], "<", 10, "s")
        )
        checks.append(
            check(f"{detector} rerun, {args.lines} lines", large[detector]["rerun_s"], "<", 10, "s")
        )
        checks.append(
            check(
                f"{detector} rerun queries at {args.lines} lines vs {small_lines}",
                large[detector]["rerun_queries"],
                "==",
                small[detector]["rerun_queries"],
            )
        )
        checks.append(
            check(
                f"{detector} first-run queries at {args.lines} lines vs {small_lines}",
                large[detector]["queries"],
                "<=",
                small[detector]["queries"],
            )
        )
    report(
        "replenishment",
        {
            "database": f"{args.db} (copied to {db}, dropped)",
            "scenario": (
                f"{args.lines} open order lines of bench/causal_chain.py over {args.products} "
                f"products in one warehouse; {args.products // 2} reordering rules needing an "
                "order, the other products with a second open purchase line"
            ),
            "fill_s": round(fill_s, 1),
            "small": small,
            "large": large,
            "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
