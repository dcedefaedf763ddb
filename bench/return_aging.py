#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Return-aging benchmark: the ``return_aging`` detector
(workflow.distribution.detector._cron_detect) over --lines open customer returns
(default 20,000), at a tenth of that volume first and then at the full volume, in the
same run.

Scenario, in one fresh warehouse: one order delivered and invoiced through the ORM and a
return of part of it through Odoo's return wizard; then --lines copies (bulk SQL, like
bench/causal_chain.py) of that order, its line and its return: half of them requested
ten days ago and not received, half received ten days ago while the order still invoices
the returned goods (its lines share the template's posted invoice line), each with its
customer_return flow instance. Every copy is a
return_aging problem: the first run raises them all, the rerun counts occurrences.
Measured: each run's seconds and query count. Targets: every run under 10 s, and the
query count of a rerun (the steady state: every problem already open) the same at both
volumes. A first run's count is reported, not checked: raising thousands of new
exceptions at once costs the engine's per-batch work after the upsert (what create()
does for them), which grows with their number whatever the detector.

The script works on a throwaway copy of --db (``<db>_return_aging``), dropped at the end.

    python bench/return_aging.py --db wm_bench --config .odoo.conf [--lines 20000]
"""

import time
from datetime import timedelta

from _common import check, environment, parse_args, report, scratch_database
from causal_chain import clone

from odoo import Command, fields, sql_db
from odoo.tests import Form
from odoo.tools import SQL

RETURNED = 2.0  # of 10 delivered and invoiced


def templates(env):
    """A delivered, invoiced order and the return of part of it, through the ORM."""
    warehouse = env["stock.warehouse"].create({"name": "Bench Returns", "code": "BRT"})
    product = env["product.product"].create(
        {
            "name": "Bench Return Widget",
            "is_storable": True,
            "type": "consu",
            "invoice_policy": "delivery",
            "list_price": 10.0,
            "taxes_id": [Command.clear()],
        }
    )
    env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10)
    customer = env["res.partner"].create({"name": "Bench Return Customer"})
    order = env["sale.order"].create(
        {
            "partner_id": customer.id,
            "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 10})],
        }
    )
    order.action_confirm()
    delivery = order.picking_ids
    delivery.move_ids.quantity = 10
    delivery.move_ids.picked = True
    delivery.button_validate()
    invoice = order._create_invoices()
    invoice.action_post()
    wizard = Form(
        env["stock.return.picking"].with_context(
            active_id=delivery.id, active_ids=delivery.ids, active_model="stock.picking"
        )
    ).save()
    wizard.product_return_moves.quantity = RETURNED
    returned = env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
    env.cr.commit()  # capture: the return's flow instance, the copies' template
    instance = env["workflow.instance"].search(
        [("res_model", "=", "stock.picking"), ("res_id", "=", returned.id)]
    )
    return {
        "instance": instance.id,
        "order": order.id,
        "line": order.order_line.id,
        "invoice_line": invoice.invoice_line_ids.id,
        "return": returned.id,
        "return_move": returned.move_ids.id,
    }


def fill(env, template, lines, now, offset):
    """Add ``lines`` aging returns: even ones requested, odd ones received, ten days ago."""
    cr = env.cr
    seq = list(range(offset, offset + lines))
    done = [i % 2 == 1 for i in seq]
    ago = fields.Datetime.to_string(now - timedelta(days=10))
    orders = clone(
        cr, "sale_order", template["order"], {"seq": ("int", seq)}, {"name": "'BRO/' || v.seq"}
    )
    sale_lines = clone(
        cr,
        "sale_order_line",
        template["line"],
        {"order_id": ("int", orders), "done": ("bool", done)},
        {
            "order_id": "v.order_id",
            # what the customer kept once a return is received (Odoo's figure)
            "qty_delivered": f"CASE WHEN v.done THEN 10 - {RETURNED} ELSE 10 END",
        },
    )
    cr.execute(
        """INSERT INTO sale_order_line_invoice_rel (invoice_line_id, order_line_id)
           SELECT %s, unnest(%s::int[])""",
        [template["invoice_line"], sale_lines],
    )
    pickings = clone(
        cr,
        "stock_picking",
        template["return"],
        {
            "seq": ("int", seq),
            "order_id": ("int", orders),
            "done": ("bool", done),
            "ago": ("timestamp", [ago] * lines),
        },
        {
            "name": "'BRT/RET/' || v.seq",
            "sale_id": "v.order_id",
            "state": "CASE WHEN v.done THEN 'done' ELSE 'assigned' END",
            "date_done": "CASE WHEN v.done THEN v.ago END",
            "create_date": "v.ago",
        },
    )
    clone(
        cr,
        "stock_move",
        template["return_move"],
        {
            "picking_id": ("int", pickings),
            "sale_line_id": ("int", sale_lines),
            "done": ("bool", done),
        },
        {
            "picking_id": "v.picking_id",
            "sale_line_id": "v.sale_line_id",
            "state": "CASE WHEN v.done THEN 'done' ELSE 'assigned' END",
            "quantity": str(RETURNED),
        },
    )
    # the flow of each return, as capture would have left it
    cr.execute(
        """SELECT s.code, s.id FROM workflow_stage s
             JOIN workflow_definition d ON d.id = s.definition_id AND d.code = 'customer_return'"""
    )
    stages = dict(cr.fetchall())
    clone(
        cr,
        "workflow_instance",
        template["instance"],
        {
            "res_id": ("int", pickings),
            "stage_id": ("int", [stages["received" if d else "requested"] for d in done]),
            "ago": ("timestamp", [ago] * lines),
        },
        {
            "res_id": "v.res_id",
            "stage_id": "v.stage_id",
            "started_at": "v.ago",
            "stage_entered_at": "v.ago",
        },
    )
    env.invalidate_all()
    for table in (
        "workflow_instance",
        "sale_order",
        "sale_order_line",
        "sale_order_line_invoice_rel",
        "stock_picking",
        "stock_move",
        "workflow_exception",
    ):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))


def run_detector(env):
    queries = sql_db.sql_counter
    start = time.perf_counter()
    raised = env["workflow.distribution.detector"]._cron_detect("return_aging")
    env.cr.commit()
    return time.perf_counter() - start, sql_db.sql_counter - queries, raised


def measure(env, label):
    first_s, first_q, first_n = run_detector(env)
    rerun_s, rerun_q, rerun_n = run_detector(env)
    result = {
        "run_s": round(first_s, 3),
        "queries": first_q,
        "problems": first_n,
        "rerun_s": round(rerun_s, 3),
        "rerun_queries": rerun_q,
        "rerun_problems": rerun_n,
    }
    print(label, result)
    return result


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: parser.add_argument("--lines", type=int, default=20_000),
    )
    with scratch_database(args.db, "return_aging") as db:
        registry, cr, env = environment(db)
        try:
            env = env(context=dict(env.context, tracking_disable=True))
            now = fields.Datetime.now()
            template = templates(env)
            cr.commit()
            small_lines = args.lines // 10
            fill(env, template, small_lines, now, 0)
            cr.commit()
            small = measure(env, f"{small_lines} returns")
            start = time.perf_counter()
            fill(env, template, args.lines - small_lines, now, small_lines)
            cr.commit()
            fill_s = time.perf_counter() - start
            large = measure(env, f"{args.lines} returns")
        finally:
            cr.close()
    checks = [
        check(f"return_aging run, {args.lines} returns", large["run_s"], "<", 10, "s"),
        check(f"return_aging rerun, {args.lines} returns", large["rerun_s"], "<", 10, "s"),
        check(
            f"return_aging problems seen at {args.lines} returns",
            large["rerun_problems"],
            ">=",
            args.lines,
        ),
        check(
            f"return_aging rerun queries at {args.lines} returns vs {small_lines}",
            large["rerun_queries"],
            "==",
            small["rerun_queries"],
        ),
    ]
    report(
        "return_aging",
        {
            "database": f"{args.db} (copied to {db}, dropped)",
            "scenario": (
                f"{args.lines} customer returns in one warehouse, half requested and not "
                "received, half received and not credited, all ten days old"
            ),
            "fill_s": round(fill_s, 1),
            "small": small,
            "large": large,
            "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
