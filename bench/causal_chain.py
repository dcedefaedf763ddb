#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Causal-chain benchmark: the impact pass of the ``supplier_delay`` and
``stock_shortage`` detectors (workflow.distribution.detector._cron_detect, whose
``_after_detect`` hook runs ``_raise_impacts``) over --lines open customer order lines
(default 20,000), at a tenth of that volume first and then at the full volume, in the
same run.

Scenario, in one fresh warehouse: --products products (200), free stock for 80 % of
their demand from stock, one purchase line per product (half of them late, half due in
time), and order lines of 1-5 units due over the next 10 days; a tenth of the lines are
made to order, each with its own late purchase line and the receipt -> delivery
``move_dest_ids`` chain.
The business rows are cloned in bulk SQL from one order and one purchase made through
the ORM (the flows themselves are covered by the distribution tests), so that the volume
costs seconds to build. Measured: each detector run (causes and impact pass), its
query count, and a rerun (every impact already open: occurrences only). Targets: every
run under 10 s, and the query count of a run the same at both volumes.

The script works on a throwaway copy of --db (``<db>_causal_chain``), dropped at the end.

    python bench/causal_chain.py --db wm_bench --config .odoo.conf [--lines 20000]
"""

import random
import time

from _common import check, environment, parse_args, report, scratch_database

from odoo import Command, fields, sql_db
from odoo.tools import SQL

MTO_SHARE = 10  # one line in ten is made to order
COVERED = 0.8  # free stock for 80 % of the demand from stock (the rest waits or is short)


def columns(cr, table):
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position""",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def clone(cr, table, template_id, values, overrides):
    """Insert one copy of row ``template_id`` of ``table`` per row of ``values`` (a dict
    of equally long lists, each with its PostgreSQL type: ``{name: (type, list)}``),
    ``overrides`` giving the SQL of the columns that change (reading ``v.<name>``).
    Returns the new ids in the order of ``values``."""
    names = list(values)
    arrays = SQL(", ").join(SQL("%s::" + values[name][0] + "[]", values[name][1]) for name in names)
    cols = columns(cr, table)
    select = SQL(", ").join(
        SQL(overrides[col]) if col in overrides else SQL.identifier("t", col) for col in cols
    )
    cr.execute(
        SQL(
            """INSERT INTO %s (%s)
               SELECT %s FROM %s t, unnest(%s) WITH ORDINALITY AS v(%s, n)
                WHERE t.id = %s ORDER BY v.n RETURNING id""",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(col) for col in cols),
            select,
            SQL.identifier(table),
            arrays,
            SQL(", ").join(SQL.identifier(name) for name in names),
            template_id,
        )
    )
    return [row[0] for row in cr.fetchall()]


def templates(env, product_count):
    """One warehouse, products with free stock, a vendor, a customer, one confirmed
    order and one confirmed purchase through the ORM: the rows the bulk copies clone."""
    warehouse = env["stock.warehouse"].create({"name": "Bench Causal", "code": "BCC"})
    products = env["product.product"].create(
        [
            {
                "name": f"Bench Causal {i}",
                "is_storable": True,
                "type": "consu",
                "list_price": 10.0,
                "taxes_id": [Command.clear()],
            }
            for i in range(product_count)
        ]
    )
    customer = env["res.partner"].create({"name": "Bench Causal Customer"})
    vendor = env["res.partner"].create({"name": "Bench Causal Vendor"})
    order = env["sale.order"].create(
        {
            "partner_id": customer.id,
            "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": products[0].id, "product_uom_qty": 1})],
        }
    )
    order.action_confirm()
    order.picking_ids.do_unreserve()
    purchase = env["purchase.order"].create(
        {
            "partner_id": vendor.id,
            "picking_type_id": warehouse.in_type_id.id,
            "order_line": [Command.create({"product_id": products[0].id, "product_qty": 1})],
        }
    )
    purchase.button_confirm()
    env.flush_all()
    # the rows to clone, read before any copy joins their order or picking
    return products, {
        "order": order.id,
        "line": order.order_line.id,
        "out_move": order.picking_ids.move_ids.id,
        "purchase": purchase.id,
        "po_line": purchase.order_line.id,
        "in_move": purchase.picking_ids.move_ids.id,
    }


def fill(env, products, template, lines, rng, now):
    """Add ``lines`` open order lines (a tenth made to order) and their purchases."""
    cr = env.cr
    product_ids = [rng.choice(products).id for _ in range(lines)]
    qtys = [float(rng.randint(1, 5)) for _ in range(lines)]
    mto = [i % MTO_SHARE == 0 for i in range(lines)]
    orders = clone(
        cr,
        "sale_order",
        template["order"],
        {"seq": ("int", list(range(lines)))},
        {"name": "'BCO/' || v.seq || '/' || random()"},
    )
    sale_lines = clone(
        cr,
        "sale_order_line",
        template["line"],
        {"order_id": ("int", orders), "product_id": ("int", product_ids), "qty": ("float8", qtys)},
        {
            "order_id": "v.order_id",
            "product_id": "v.product_id",
            "product_uom_qty": "v.qty",
            "price_subtotal": "10 * v.qty",
            "price_total": "10 * v.qty",
        },
    )
    base = [fields.Datetime.to_string(now)] * lines
    outs = clone(
        cr,
        "stock_move",
        template["out_move"],
        {
            "sale_line_id": ("int", sale_lines),
            "product_id": ("int", product_ids),
            "qty": ("float8", qtys),
            "mto": ("bool", mto),
            "day": ("int", [rng.randint(0, 9) for _ in range(lines)]),
            "base": ("timestamp", base),
        },
        {
            "sale_line_id": "v.sale_line_id",
            "product_id": "v.product_id",
            "product_uom_qty": "v.qty",
            "product_qty": "v.qty",
            "quantity": "0",
            "state": "CASE WHEN v.mto THEN 'waiting' ELSE 'confirmed' END",
            "procure_method": "CASE WHEN v.mto THEN 'make_to_order' ELSE 'make_to_stock' END",
            "date": "v.base + v.day * interval '1 day'",
        },
    )
    # stock purchases: one line per product, alternately late and due in time
    stock_products = [p.id for p in products]
    late = [i % 2 == 0 for i in range(len(stock_products))]
    stock_lines = purchase_lines(cr, template, stock_products, late, now)
    # made-to-order: one late purchase line per MTO order line, chained to its delivery
    mto_index = [i for i in range(lines) if mto[i]]
    mto_lines, mto_in = purchase_lines(
        cr, template, [product_ids[i] for i in mto_index], [True] * len(mto_index), now
    )
    mto_outs = [outs[i] for i in mto_index]
    cr.execute(
        """INSERT INTO stock_move_move_rel (move_orig_id, move_dest_id)
           SELECT * FROM unnest(%s::int[], %s::int[])""",
        [mto_in, mto_outs],
    )
    cr.execute(
        """INSERT INTO stock_move_created_purchase_line_rel (move_id, created_purchase_line_id)
           SELECT * FROM unnest(%s::int[], %s::int[])""",
        [mto_outs, mto_lines],
    )
    env.invalidate_all()
    # free stock for COVERED of the new demand from stock of each product
    demand = {}
    for product_id, qty, is_mto in zip(product_ids, qtys, mto):
        if not is_mto:
            demand[product_id] = demand.get(product_id, 0.0) + qty
    location = env["stock.warehouse"].search([("code", "=", "BCC")]).lot_stock_id
    for product in products:
        quantity = round(demand.get(product.id, 0.0) * COVERED)
        env["stock.quant"]._update_available_quantity(product, location, quantity)
    env.flush_all()
    # the statistics PostgreSQL keeps of live tables (autovacuum has not seen the copies)
    for table in (
        "sale_order",
        "sale_order_line",
        "stock_move",
        "stock_quant",
        "purchase_order",
        "purchase_order_line",
        "stock_move_move_rel",
        "stock_move_created_purchase_line_rel",
        "workflow_exception",
    ):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return len(stock_lines[0]) + len(mto_lines)


def purchase_lines(cr, template, product_ids, late, now):
    """One confirmed purchase (cloned) per line, its line and its open receipt move."""
    count = len(product_ids)
    pos = clone(
        cr,
        "purchase_order",
        template["purchase"],
        {"seq": ("int", list(range(count)))},
        {"name": "'BCP/' || v.seq || '/' || random()"},
    )
    planned = [fields.Datetime.to_string(now)] * count
    offsets = [-3 if is_late else 1 for is_late in late]
    qtys = [float(5 + i % 20) for i in range(count)]
    line_ids = clone(
        cr,
        "purchase_order_line",
        template["po_line"],
        {
            "order_id": ("int", pos),
            "product_id": ("int", product_ids),
            "qty": ("float8", qtys),
            "offset_days": ("int", offsets),
            "planned": ("timestamp", planned),
        },
        {
            "order_id": "v.order_id",
            "product_id": "v.product_id",
            "product_qty": "v.qty",
            "product_uom_qty": "v.qty",
            "qty_received": "0",
            "date_planned": "v.planned + v.offset_days * interval '1 day'",
        },
    )
    moves = clone(
        cr,
        "stock_move",
        template["in_move"],
        {
            "purchase_line_id": ("int", line_ids),
            "product_id": ("int", product_ids),
            "qty": ("float8", qtys),
            "offset_days": ("int", offsets),
            "planned": ("timestamp", planned),
        },
        {
            "purchase_line_id": "v.purchase_line_id",
            "product_id": "v.product_id",
            "product_uom_qty": "v.qty",
            "product_qty": "v.qty",
            "date": "v.planned + v.offset_days * interval '1 day'",
        },
    )
    return line_ids, moves


def run_detector(env, detector):
    """One scheduled run of ``detector`` (causes and impact pass), committed; with the
    number of impacts it resolved."""
    Detector = env["workflow.distribution.detector"]
    resolved = resolved_impacts(env.cr)
    queries = sql_db.sql_counter
    start = time.perf_counter()
    Detector._cron_detect(detector)
    env.cr.commit()
    elapsed, count = time.perf_counter() - start, sql_db.sql_counter - queries
    return elapsed, count, resolved_impacts(env.cr) - resolved


def resolved_impacts(cr):
    cr.execute(
        """SELECT count(*) FROM workflow_exception
            WHERE cause_exception_id IS NOT NULL AND state = 'resolved'"""
    )
    return cr.fetchone()[0]


def open_impacts(cr):
    cr.execute(
        """SELECT c.code, count(*), count(DISTINCT e.cause_exception_id), sum(e.impact_amount)
             FROM workflow_exception e JOIN workflow_exception_category c ON c.id = e.category_id
            WHERE c.code IN ('supplier_delay_impact', 'shortage_impact')
              AND e.state IN ('new', 'assigned', 'in_progress')
            GROUP BY c.code"""
    )
    return {code: (n, causes, float(amount or 0)) for code, n, causes, amount in cr.fetchall()}


def measure(env, label):
    result = {}
    for detector in ("supplier_delay", "stock_shortage"):
        first_s, first_q, resolved = run_detector(env, detector)
        rerun_s, rerun_q, _none = run_detector(env, detector)
        result[detector] = {
            "run_s": round(first_s, 3),
            "queries": first_q,
            "impacts_resolved": resolved,
            "rerun_s": round(rerun_s, 3),
            "rerun_queries": rerun_q,
        }
    result["open_impacts"] = {
        code: {"impacts": n, "causes": causes, "revenue_at_risk": amount}
        for code, (n, causes, amount) in open_impacts(env.cr).items()
    }
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
    with scratch_database(args.db, "causal_chain") as db:
        registry, cr, env = environment(db)
        try:
            env = env(context=dict(env.context, tracking_disable=True))
            now = fields.Datetime.now()
            products, template = templates(env, args.products)
            small_lines = args.lines // 10
            fill(env, products, template, small_lines, rng, now)
            cr.commit()
            small = measure(env, f"{small_lines} lines")
            start = time.perf_counter()
            fill(env, products, template, args.lines - small_lines, rng, now)
            cr.commit()
            fill_s = time.perf_counter() - start
            large = measure(env, f"{args.lines} lines")
        finally:
            cr.close()
    checks = []
    for detector in ("supplier_delay", "stock_shortage"):
        checks.append(
            check(f"{detector} run, {args.lines} lines", large[detector]["run_s"], "<", 10, "s")
        )
        checks.append(
            check(f"{detector} rerun, {args.lines} lines", large[detector]["rerun_s"], "<", 10, "s")
        )
        # a rerun sees the same problems: the steady state of a scheduled detector
        checks.append(
            check(
                f"{detector} rerun queries at {args.lines} lines vs {small_lines}",
                large[detector]["rerun_queries"],
                "==",
                small[detector]["rerun_queries"],
            )
        )
        # a run that also resolves impacts adds their write and events (a few
        # statements, whatever their number)
        checks.append(
            check(
                f"{detector} first-run queries at {args.lines} lines vs {small_lines} + 4",
                large[detector]["queries"],
                "<=",
                small[detector]["queries"] + 4,
            )
        )
    report(
        "causal_chain",
        {
            "database": f"{args.db} (copied to {db}, dropped)",
            "scenario": (
                f"{args.lines} open order lines ({100 // MTO_SHARE} % made to order) over "
                f"{args.products} products in one warehouse; half the stock purchases late"
            ),
            "fill_s": round(fill_s, 1),
            "small": small,
            "large": large,
            "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
