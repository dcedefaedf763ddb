#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Approval overhead: statements per order that the approvals module adds when no
policy matches, for confirming, delivering and invoicing N sale orders, in one run.

Three modes, each an (N) cell in its own rolled-back transaction, with capture ON:

- ``without``: a database with the suite but without workflow_monitor_approvals
  (``--baseline-db``, default ``<db>_noapprovals``; ``make bench`` builds it);
- ``inert``: the approvals module installed, no active policy (every door returns on
  the cached policy lookup);
- ``nomatch``: an active policy on each gated model of the flow (sale.order amount,
  stock.picking amount, account.move amount) whose threshold no order reaches, so that
  every door evaluates its condition.

The orders, steps and measurement are those of bench/capture_overhead.py (one order per
"request": the step, ``flush_all`` and pre-commit inside the counting). Reported: SQL
statements per order and step in each mode, and the extra statements of ``inert`` and
``nomatch`` over ``without``. Target: at most 2 extra statements per action. The
approvals module depends on ``sale_margin`` (the margin condition), whose stored margin
and cost computations are part of what ``inert`` adds over ``without``; the statements of
the approvals code itself are ``nomatch`` minus ``inert`` (the doors evaluating policies).
"""

import time

from _common import check, environment, parse_args, report

import odoo  # noqa: E402  (path set by _common)
from odoo import Command, sql_db  # noqa: E402

TARGET_EXTRA = 2.0
NO_MATCH_THRESHOLD = 1e12  # no benchmark order is worth that much


def extra_args(parser):
    parser.add_argument("--size", type=int, default=30, help="orders per cell")
    parser.add_argument("--lines", type=int, default=3, help="lines per order")
    parser.add_argument(
        "--baseline-db", default=None, help="database without workflow_monitor_approvals"
    )
    parser.set_defaults(runs=1)


def no_match_policies(env):
    """Active policies that every benchmark order passes (evaluated, never triggered)."""
    admin = env.ref("base.user_admin")
    for res_model in ("sale.order", "stock.picking", "account.move"):
        env["workflow.approval.policy"].create(
            {
                "name": f"Bench no-match {res_model}",
                "res_model": res_model,
                "condition": "amount",
                "threshold": NO_MATCH_THRESHOLD,
                "tier_ids": [Command.create({"approver_type": "user", "user_ids": admin.ids})],
            }
        )


def run_cell(registry, size, lines, mode, recorder):
    """{step: statements per order} for one mode, rolled back at the end."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "workflow.approval.policy" in env:
            env["workflow.approval.policy"].search([]).write({"active": False})
            if mode == "nomatch":
                no_match_policies(env)
        tag = f"approvals-{mode}-{time.time_ns()}"
        order_ids = make_orders(env, size + 1, lines, tag)
        warmup, order_ids = order_ids[0], order_ids[1:]
        for step in STEPS:  # warm the caches (policy ids, sequences, ormcache)
            STEP_FUNCS[step](env, warmup)
            env.flush_all()
            cr.precommit.run()
        env.invalidate_all()
        results = {}
        for step in STEPS:
            queries = 0
            recorder.take()
            for order_id in order_ids:
                recorder.active = True
                start = sql_db.sql_counter
                STEP_FUNCS[step](env, order_id)
                env.flush_all()
                cr.precommit.run()
                queries += sql_db.sql_counter - start
                recorder.active = False
                env.invalidate_all()
            results[step] = (queries / size, recorder.take())
        cr.rollback()
        env.registry.clear_cache()  # the policies of this cell are gone
    return results


def main():
    args = parse_args(__doc__, extra_args)
    # the orders and steps of the capture benchmark (importable once Odoo's addons path
    # is set by the configuration)
    global STEP_FUNCS, STEPS, StatementRecorder, make_orders  # noqa: PLW0603
    from capture_overhead import STEP_FUNCS, STEPS, StatementRecorder, make_orders

    baseline_db = args.baseline_db or f"{args.db}_noapprovals"
    registry, cr, env = environment(args.db)
    installed = env["ir.module.module"].search_count(
        [("name", "=", "workflow_monitor_approvals"), ("state", "=", "installed")]
    )
    cr.close()
    if not installed:
        raise SystemExit(f"workflow_monitor_approvals is not installed in {args.db}")
    baseline, bcr, benv = environment(baseline_db)
    bcr.execute(
        "SELECT 1 FROM ir_module_module WHERE name = 'workflow_monitor_approvals'"
        " AND state = 'installed'"
    )
    if bcr.fetchone():
        raise SystemExit(f"{baseline_db} must not have workflow_monitor_approvals installed")
    bcr.close()
    recorder = StatementRecorder()
    started = time.perf_counter()
    registries = {"without": baseline, "inert": registry, "nomatch": registry}
    for mode, reg in registries.items():  # warm-up cells, not measured
        run_cell(reg, 3, args.lines, mode, recorder)
    measured = {
        mode: run_cell(reg, args.size, args.lines, mode, recorder)
        for mode, reg in registries.items()
    }
    steps = {}
    for step in STEPS:
        base_q, base_stmts = measured["without"][step]
        row = {"without_queries_per_order": round(base_q, 2)}
        for mode in ("inert", "nomatch"):
            q, stmts = measured[mode][step]
            row[f"{mode}_queries_per_order"] = round(q, 2)
            row[f"{mode}_extra_per_order"] = round(q - base_q, 2)
            row[f"{mode}_extra_statements"] = {
                stmt: round(count / args.size, 2)
                for stmt, count in (stmts - base_stmts).most_common(10)
            }
        steps[step] = row
        print(
            f"{step}: without {base_q:.1f}, inert {row['inert_queries_per_order']:.1f} "
            f"(+{row['inert_extra_per_order']}), no-match {row['nomatch_queries_per_order']:.1f} "
            f"(+{row['nomatch_extra_per_order']}) statements per order",
            flush=True,
        )
    checks = [
        check(
            f"approvals module, no matching policy, vs the suite without it ({step})",
            steps[step]["nomatch_extra_per_order"],
            "<=",
            TARGET_EXTRA,
            "queries",
        )
        for step in STEPS
    ] + [
        check(
            "approvals code itself: no matching policy vs no active policy (worst step)",
            max(
                round(
                    steps[step]["nomatch_queries_per_order"]
                    - steps[step]["inert_queries_per_order"],
                    2,
                )
                for step in STEPS
            ),
            "<=",
            TARGET_EXTRA,
            "queries",
        )
    ]
    report(
        "approval_overhead",
        {
            "benchmark": "approval_overhead",
            "database": args.db,
            "baseline_database": baseline_db,
            "orders": args.size,
            "lines_per_order": args.lines,
            "steps": steps,
            "seconds": round(time.perf_counter() - started, 1),
            "checks": checks,
            "pass": all(c["pass"] for c in checks),
        },
    )


if __name__ == "__main__":
    main()
