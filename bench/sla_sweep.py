#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""SLA sweep benchmark: the scheduled action "Workflow Monitor: SLA sweep"
(workflow_monitor_base.ir_cron_sla_sweep, i.e. workflow.instance._cron_sla_sweep) over
100k open instances with SLA deadlines, against a plain UPDATE of the same rows setting
the same columns (sla_state, write_date), in the same run.

Scenario: a backlog, as after the scheduled actions were down for a day. Of the running
instances, --breached (default 50 %) are past their deadline and --warning (30 %) past
their warning time only; the rest are not due. The sweep moves the due ones, logs one
``sla`` event per instance and raises one ``sla_breach`` exception per breached one; the
script checks those counts. The baseline UPDATE runs before and after the sweep (rows
reset in between) and its mean is the denominator.

The sweep moves every due instance of a database, so it runs on a throwaway copy of --db
(``<db>_sla_sweep``, whose workflow instances, events and exceptions are emptied first),
dropped at the end. Targets: the sweep under 60 s and at most 3x the baseline.

    python bench/sla_sweep.py --db wm_bench --config .odoo.conf [--instances 100000]
"""

import time

from _common import check, environment, parse_args, report, scratch_database

from odoo import fields, sql_db

CRON_XMLID = "workflow_monitor_base.ir_cron_sla_sweep"
MAX_CRON_CALLS = 20  # the cron stops after its time budget; runs again while rows remain
DUE = """state = 'running' AND sla_state IN ('on_track', 'warning')
         AND (sla_deadline <= %(now)s OR (sla_state = 'on_track' AND sla_warning_at <= %(now)s))"""


def fill(env, instances, breached, warning):
    """Empty the workflow tables of the scratch copy, then bulk-insert the instances of one
    definition (6 stages, an SLA policy of 24 h with a warning at 20 h on the first)."""
    cr = env.cr
    cr.execute("TRUNCATE workflow_instance, workflow_event, workflow_exception CASCADE")
    definition = env["workflow.definition"].create(
        {
            "name": "Bench SLA",
            "code": "bench_sla",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "stage_ids": [
                (0, 0, {"name": f"Stage {i}", "code": f"s{i}", "sequence": i, "is_final": i == 6})
                for i in range(1, 7)
            ],
        }
    )
    stage = definition.stage_ids.sorted("sequence")[0]
    policy = env["workflow.sla.policy"].create(
        {
            "name": "Bench SLA 24 h",
            "definition_id": definition.id,
            "stage_id": stage.id,
            "target_hours": 24.0,
            "warning_hours": 20.0,
        }
    )
    env.flush_all()
    # per mille bucket of each row: [0, breached) past the deadline, then [.., +warning)
    # past the warning time only, the rest not due; entry times spread over an hour
    cr.execute(
        """INSERT INTO workflow_instance
               (name, definition_id, res_model, res_id, company_id, stage_id, stage_entered_at,
                started_at, state, sla_policy_id, sla_state, sla_deadline, sla_warning_at,
                create_uid, create_date, write_uid, write_date)
           SELECT 'SLA/' || g, %(definition)s, 'res.partner', g, %(company)s, %(stage)s,
                  entered, entered, 'running', %(policy)s, 'on_track',
                  entered + interval '24 hours', entered + interval '20 hours',
                  1, %(now)s, 1, %(now)s
             FROM generate_series(1, %(n)s) g,
                  LATERAL (SELECT %(now)s - (g %% 60) * interval '1 minute' - CASE
                      WHEN g %% 1000 < %(breached)s THEN interval '30 hours'
                      WHEN g %% 1000 < %(warning)s THEN interval '22 hours'
                      ELSE interval '1 hour' END AS entered) e""",
        {
            "definition": definition.id,
            "company": env.company.id,
            "stage": stage.id,
            "policy": policy.id,
            "now": fields.Datetime.now(),
            "n": instances,
            "breached": round(breached * 1000),
            "warning": round((breached + warning) * 1000),
        },
    )
    cr.commit()
    return definition


def vacuum(cr):
    cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
    for table in ("workflow_instance", "workflow_event", "workflow_exception"):
        cr.execute(f"VACUUM ANALYZE {table}")
    cr._cnx.autocommit = False


def count_due(cr):
    cr.execute(
        f"SELECT count(*) FROM workflow_instance WHERE {DUE}", {"now": fields.Datetime.now()}
    )
    return cr.fetchone()[0]


def baseline(cr, definition):
    """The same rows, the same columns, one plain UPDATE and its commit; then the rows are
    put back on track (not timed) for the next measurement."""
    start = time.perf_counter()
    cr.execute(
        f"""UPDATE workflow_instance
               SET sla_state = CASE WHEN sla_deadline <= %(now)s THEN 'breached'
                                    ELSE 'warning' END,
                   write_date = %(now)s
             WHERE {DUE}""",
        {"now": fields.Datetime.now()},
    )
    rows = cr.rowcount
    cr.commit()
    elapsed = time.perf_counter() - start
    cr.execute(
        "UPDATE workflow_instance SET sla_state = 'on_track' WHERE definition_id = %s",
        [definition.id],
    )
    cr.commit()
    vacuum(cr)
    return elapsed, rows


def sweep(env):
    """Run the scheduled action's server action as the cron runner does: again while due
    rows remain (each call stops after its time budget), committing after each call."""
    action = env.ref(CRON_XMLID).ir_actions_server_id
    calls = 0
    queries = sql_db.sql_counter
    start = time.perf_counter()
    while calls < MAX_CRON_CALLS:
        calls += 1
        action.run()
        env.cr.commit()
        if not count_due(env.cr):
            break
    return time.perf_counter() - start, calls, sql_db.sql_counter - queries, action.code


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--instances", type=int, default=100_000),
            parser.add_argument("--breached", type=float, default=0.5),
            parser.add_argument("--warning", type=float, default=0.3),
        ),
    )
    with scratch_database(args.db, "sla_sweep") as db:
        registry, cr, env = environment(db)
        try:
            start = time.perf_counter()
            definition = fill(env, args.instances, args.breached, args.warning)
            vacuum(cr)
            fill_s = time.perf_counter() - start
            due = count_due(cr)
            before_s, before_rows = baseline(cr, definition)
            sweep_s, calls, queries, code = sweep(env)
            cr.execute(
                """SELECT sla_state, count(*) FROM workflow_instance
                    WHERE definition_id = %s GROUP BY sla_state""",
                [definition.id],
            )
            states = dict(cr.fetchall())
            cr.execute(
                """SELECT count(*) FROM workflow_exception
                    WHERE dedupe_key LIKE 'sla:%' AND state = 'new'"""
            )
            exceptions = cr.fetchone()[0]
            cr.execute("SELECT count(*) FROM workflow_event WHERE event_type = 'sla'")
            events = cr.fetchone()[0]
            cr.execute(
                "UPDATE workflow_instance SET sla_state = 'on_track' WHERE definition_id = %s",
                [definition.id],
            )
            cr.commit()
            vacuum(cr)
            after_s, after_rows = baseline(cr, definition)
        finally:
            cr.close()
    expected_breached = sum(
        1 for g in range(1, args.instances + 1) if g % 1000 < round(args.breached * 1000)
    )
    expected_warning = due - expected_breached
    baseline_s = (before_s + after_s) / 2
    ratio = sweep_s / baseline_s
    report(
        "sla_sweep",
        {
            "database": f"{args.db} (copied to {db}, dropped)",
            "scenario": (
                f"{args.instances} running instances, {args.breached:.0%} past the deadline, "
                f"{args.warning:.0%} past the warning time only"
            ),
            "cron_code": code,
            "fill_s": round(fill_s, 1),
            "due_rows": due,
            "sweep_s": round(sweep_s, 2),
            "sweep_rows_per_s": round(due / sweep_s),
            "cron_calls": calls,
            "sweep_queries": queries,
            "baseline_update_s": {"before": round(before_s, 3), "after": round(after_s, 3)},
            "baseline_rows": [before_rows, after_rows],
            "ratio_sweep_to_baseline": round(ratio, 2),
            "after_sweep": {"sla_states": states, "open_sla_exceptions": exceptions},
            "sla_events": events,
            "checks": [
                check(
                    f"sweep time ({due:,} due of {args.instances:,}, {calls} cron calls)",
                    round(sweep_s, 2),
                    "<",
                    60,
                    "s",
                ),
                check(
                    f"sweep / plain UPDATE of the same rows ({baseline_s:.2f} s)",
                    round(ratio, 2),
                    "<=",
                    3,
                    "x",
                ),
                check("instances breached", states.get("breached", 0), "==", expected_breached),
                check("instances in warning", states.get("warning", 0), "==", expected_warning),
                check("sla_breach exceptions raised", exceptions, "==", expected_breached),
                check("sla events logged", events, "==", due),
            ],
        },
    )


if __name__ == "__main__":
    main()
