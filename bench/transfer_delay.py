#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Transfer-delay benchmark: the ``transfer_delay`` detector
(workflow.distribution.detector._cron_detect) over --lines open inter-warehouse
transfers (default 20,000, one line each) plus --history received ones (default
100,000), at a tenth of the open volume first and then at the full volume, in the same
run.

Scenario: warehouse B resupplied from warehouse A through the company's transit
location; one transfer made through the ORM (procurement at B: shipment A -> transit,
receipt transit -> B, captured flow) is cloned in bulk SQL (pickings, moves, the
``move_orig_ids`` chain, the flow instances): open transfers are a third requested, a
third ready, a third in transit (half of those with an In Transit SLA deadline), half of
them late; the received history only has to be skipped. Measured: the detection alone (its
query and the exception values), each run (raise: the engine creates the new
exceptions in batches, so a first run's statements grow with the number of new ones),
its query count, and a rerun (every exception already open: occurrences only).
Targets: every run under 10 s; the detection's and a rerun's query counts the same at
both volumes.

The script works on a throwaway copy of --db (``<db>_transfer_delay``), dropped at the end.

    python bench/transfer_delay.py --db wm_bench --config .odoo.conf [--lines 20000]
"""

import random
import time
from datetime import timedelta

from _common import check, environment, parse_args, report, scratch_database
from causal_chain import clone

from odoo import Command, fields, sql_db
from odoo.tools import SQL

STAGES = ("requested", "ready", "in_transit")
SHIPMENT_STATE = {"requested": "confirmed", "ready": "assigned", "in_transit": "done"}
RECEIPT_STATE = {"requested": "waiting", "ready": "waiting", "in_transit": "assigned"}


def templates(env):
    """Two warehouses, a resupply route, one product with stock and one transfer through
    the ORM: the rows the bulk copies clone."""
    Warehouse = env["stock.warehouse"]
    supplier = Warehouse.create({"name": "Bench Transfer A", "code": "BTA"})
    receiver = Warehouse.create(
        {"name": "Bench Transfer B", "code": "BTB", "resupply_wh_ids": [Command.set(supplier.ids)]}
    )
    product = env["product.product"].create(
        {
            "name": "Bench Transfer",
            "is_storable": True,
            "type": "consu",
            "route_ids": [Command.set(receiver.resupply_route_ids.ids)],
        }
    )
    env["stock.quant"]._update_available_quantity(product, supplier.lot_stock_id, 10)
    group = env["procurement.group"].create({"name": "Bench transfer"})
    Group = env["procurement.group"]
    Group.run(
        [
            Group.Procurement(
                product,
                1,
                product.uom_id,
                receiver.lot_stock_id,
                "Bench",
                "Bench",
                env.company,
                {"warehouse_id": receiver, "group_id": group},
            )
        ]
    )
    env.flush_all()
    env.cr.precommit.run()  # the flow's instance, as the commit would
    pickings = env["stock.picking"].search([("group_id", "=", group.id)])
    shipment = pickings.filtered("workflow_transfer_stage")
    receipt = pickings - shipment
    instance = env["workflow.instance"].search(
        [("res_model", "=", "stock.picking"), ("res_id", "=", shipment.id)]
    )
    stages = {
        stage.code: stage.id
        for stage in env.ref(
            "workflow_monitor_distribution.definition_inter_warehouse_transfer"
        ).stage_ids
    }
    return stages, {
        "shipment": shipment.id,
        "receipt": receipt.id,
        "out_move": shipment.move_ids.id,
        "in_move": receipt.move_ids.id,
        "instance": instance.id,
    }


def fill(env, template, stages, count, rng, now, history=False):
    """Add ``count`` transfers (open, or received when ``history``) with their receipt,
    moves, chain and flow instance."""
    cr = env.cr
    if history:
        codes = ["received"] * count
    else:
        codes = [STAGES[i % len(STAGES)] for i in range(count)]
    # half of the open transfers late: due from 3 days ago to 3 days ahead
    hours = [rng.randint(-72, 72) for _ in range(count)]
    base = [fields.Datetime.to_string(now)] * count
    ship_state = [SHIPMENT_STATE.get(code, "done") for code in codes]
    receipt_state = [RECEIPT_STATE.get(code, "done") for code in codes]
    # in transit with an SLA deadline one time in two
    sla = [code == "in_transit" and i % 2 == 0 for i, code in enumerate(codes)]
    shipments = clone(
        cr,
        "stock_picking",
        template["shipment"],
        {
            "seq": ("int", list(range(count))),
            "code": ("varchar", codes),
            "state": ("varchar", ship_state),
        },
        {
            "name": "'BTS/' || v.seq || '/' || random()",
            "state": "v.state",
            "workflow_transfer_stage": "v.code",
        },
    )
    receipts = clone(
        cr,
        "stock_picking",
        template["receipt"],
        {
            "seq": ("int", list(range(count))),
            "state": ("varchar", receipt_state),
            "hours": ("int", hours),
            "base": ("timestamp", base),
        },
        {
            "name": "'BTR/' || v.seq || '/' || random()",
            "state": "v.state",
            "scheduled_date": "v.base + v.hours * interval '1 hour'",
        },
    )
    out_moves = clone(
        cr,
        "stock_move",
        template["out_move"],
        {"picking_id": ("int", shipments), "state": ("varchar", ship_state)},
        {"picking_id": "v.picking_id", "state": "v.state"},
    )
    in_moves = clone(
        cr,
        "stock_move",
        template["in_move"],
        {"picking_id": ("int", receipts), "state": ("varchar", receipt_state)},
        {"picking_id": "v.picking_id", "state": "v.state"},
    )
    cr.execute(
        """INSERT INTO stock_move_move_rel (move_orig_id, move_dest_id)
           SELECT * FROM unnest(%s::int[], %s::int[])""",
        [out_moves, in_moves],
    )
    deadlines = [
        fields.Datetime.to_string(now + timedelta(hours=h)) if with_sla else None
        for h, with_sla in zip(hours, sla)
    ]
    clone(
        cr,
        "workflow_instance",
        template["instance"],
        {
            "res_id": ("int", shipments),
            "stage_id": ("int", [stages[code] for code in codes]),
            "state": ("varchar", ["done" if history else "running"] * count),
            "deadline": ("timestamp", deadlines),
        },
        {
            "res_id": "v.res_id",
            "stage_id": "v.stage_id",
            "state": "v.state",
            "sla_deadline": "v.deadline",
            "sla_state": "CASE WHEN v.deadline IS NULL THEN 'none' ELSE 'on_track' END",
        },
    )
    env.invalidate_all()
    for table in (
        "stock_picking",
        "stock_move",
        "stock_move_move_rel",
        "workflow_instance",
        "workflow_exception",
    ):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))


def run_detector(env):
    queries = sql_db.sql_counter
    start = time.perf_counter()
    raised = env["workflow.distribution.detector"]._cron_detect("transfer_delay")
    env.cr.commit()
    return time.perf_counter() - start, sql_db.sql_counter - queries, raised


def detect_only(env):
    """The detection itself (the grouped query and the exception values), no upsert."""
    env.flush_all()
    queries = sql_db.sql_counter
    start = time.perf_counter()
    rows = env["workflow.distribution.detector"]._detect_transfer_delay(fields.Datetime.now())
    return time.perf_counter() - start, sql_db.sql_counter - queries, len(rows)


def measure(env, label):
    detect_only(env)  # warm: the registry's caches (stage labels, parameters)
    detect_s, detect_q, _rows = detect_only(env)
    first_s, first_q, raised = run_detector(env)
    rerun_s, rerun_q, _raised = run_detector(env)
    result = {
        "detect_s": round(detect_s, 3),
        "detect_queries": detect_q,
        "run_s": round(first_s, 3),
        "queries": first_q,
        "raised": raised,
        "rerun_s": round(rerun_s, 3),
        "rerun_queries": rerun_q,
    }
    print(label, result)
    return result


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--lines", type=int, default=20_000),
            parser.add_argument("--history", type=int, default=100_000),
            parser.add_argument("--seed", type=int, default=18),
        ),
    )
    rng = random.Random(args.seed)
    with scratch_database(args.db, "transfer_delay") as db:
        registry, cr, env = environment(db)
        try:
            env = env(context=dict(env.context, tracking_disable=True))
            now = fields.Datetime.now()
            stages, template = templates(env)
            start = time.perf_counter()
            fill(env, template, stages, args.history, rng, now, history=True)
            small_lines = args.lines // 10
            fill(env, template, stages, small_lines, rng, now)
            cr.commit()
            small = measure(env, f"{small_lines} open transfers")
            fill(env, template, stages, args.lines - small_lines, rng, now)
            cr.commit()
            fill_s = time.perf_counter() - start
            large = measure(env, f"{args.lines} open transfers")
        finally:
            cr.close()
    checks = [
        check(f"transfer_delay run, {args.lines} open", large["run_s"], "<", 10, "s"),
        check(f"transfer_delay rerun, {args.lines} open", large["rerun_s"], "<", 10, "s"),
        # a rerun sees the same problems: the steady state of a scheduled detector
        check(
            f"transfer_delay rerun queries at {args.lines} vs {small_lines}",
            large["rerun_queries"],
            "==",
            small["rerun_queries"],
        ),
        # the detection itself: one grouped query, whatever the number of transfers
        check(
            f"transfer_delay detection queries at {args.lines} vs {small_lines}",
            large["detect_queries"],
            "==",
            small["detect_queries"],
        ),
    ]
    report(
        "transfer_delay",
        {
            "database": f"{args.db} (copied to {db}, dropped)",
            "scenario": (
                f"{args.lines} open inter-warehouse transfers (a third requested, ready, in "
                f"transit; about half late) and {args.history} received ones"
            ),
            "fill_s": round(fill_s, 1),
            "small": small,
            "large": large,
            "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
