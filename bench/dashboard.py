#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Dashboard benchmark: get_dashboard_data on 1M events, 100k instances and 100k
exceptions, against a plain SELECT count(*) over the events table in the same run.

Targets: p95 < 200 ms and p95 < 10x the count(*) p95.
The data is filled once with bulk SQL (marked by a bench definition) and reused.
"""

import time

from _common import check, environment, parse_args, report, timed

EVENTS = 1_000_000
INSTANCES = 100_000
EXCEPTIONS = 100_000


def fill(env):
    cr = env.cr
    definition = env["workflow.definition"].search([("code", "=", "bench_flow")])
    if definition:
        cr.execute("SELECT count(*) FROM workflow_event")
        if cr.fetchone()[0] >= EVENTS:
            return False
    start = time.perf_counter()
    cr.execute("TRUNCATE workflow_event, workflow_instance RESTART IDENTITY CASCADE")
    cr.execute("DELETE FROM workflow_exception")
    if not definition:
        definition = env["workflow.definition"].create(
            {
                "name": "Bench Flow",
                "code": "bench_flow",
                "model_id": env["ir.model"]._get_id("res.partner"),
                "stage_ids": [
                    (
                        0,
                        0,
                        {"name": f"Stage {i}", "code": f"s{i}", "sequence": i, "is_final": i == 6},
                    )
                    for i in range(1, 7)
                ],
            }
        )
    stage_ids = definition.stage_ids.ids
    company_id = env.company.id
    # 100k instances: 70% running spread over the 5 first stages, ages up to 10 days
    cr.execute(
        """INSERT INTO workflow_instance
               (name, definition_id, res_model, res_id, company_id, stage_id, stage_entered_at,
                started_at, state, sla_state, sla_deadline, sla_warning_at,
                create_uid, create_date, write_uid, write_date)
           SELECT 'BENCH/' || g, %(definition)s, 'res.partner', g, %(company)s,
                  (%(stages)s::int[])[1 + (g %% CASE WHEN g %% 10 < 7 THEN 5 ELSE 6 END)],
                  now() at time zone 'UTC' - (g %% 14400) * interval '1 minute',
                  now() at time zone 'UTC' - (g %% 14400 + 600) * interval '1 minute',
                  CASE WHEN g %% 10 < 7 THEN 'running' ELSE 'done' END,
                  (ARRAY['on_track', 'warning', 'breached', 'none'])[1 + g %% 4],
                  now() at time zone 'UTC' + ((g %% 96) - 48) * interval '1 hour',
                  now() at time zone 'UTC' + ((g %% 96) - 60) * interval '1 hour',
                  1, now(), 1, now()
             FROM generate_series(1, %(n)s) g""",
        {"definition": definition.id, "company": company_id, "stages": stage_ids, "n": INSTANCES},
    )
    # 1M events over 365 days, appended in time order like a log
    cr.execute(
        """INSERT INTO workflow_event
               (instance_id, definition_id, res_model, res_id, event_type, stage_from_id,
                stage_to_id, occurred_at, duration_seconds, source, user_id, company_id, payload)
           SELECT 1 + g %% %(instances)s, %(definition)s, 'res.partner', 1 + g %% %(instances)s,
                  (ARRAY['stage', 'stage', 'stage', 'stage', 'sla', 'exception', 'config',
                         'custom'])[1 + g %% 8],
                  (%(stages)s::int[])[1 + g %% 6], (%(stages)s::int[])[1 + (g + 1) %% 6],
                  now() at time zone 'UTC' - interval '365 days'
                      + g * (interval '365 days' / %(n)s),
                  (g %% 86400)::float, 'user', 1, %(company)s,
                  CASE WHEN g %% 5 = 0 THEN '{"sla": "met"}'::jsonb END
             FROM generate_series(1, %(n)s) g""",
        {
            "definition": definition.id,
            "company": company_id,
            "stages": stage_ids,
            "instances": INSTANCES,
            "n": EVENTS,
        },
    )
    categories = env["workflow.exception.category"].search([]).ids
    cr.execute(
        """INSERT INTO workflow_exception
               (name, category_id, severity, severity_rank, state, company_id, dedupe_key,
                occurrence_count, first_seen, last_seen, failure_kind, escalation_level,
                response_deadline, res_model, res_id, create_uid, create_date, write_uid,
                write_date)
           SELECT 'Bench exception ' || g, (%(categories)s::int[])[1 + g %% %(ncat)s],
                  (ARRAY['low', 'medium', 'high', 'critical'])[1 + g %% 4], 1 + g %% 4,
                  CASE WHEN g %% 5 = 0 THEN 'new' WHEN g %% 5 = 1 THEN 'assigned'
                       ELSE 'resolved' END,
                  %(company)s, 'bench:' || g, 1,
                  now() at time zone 'UTC' - (g %% 20000) * interval '1 minute',
                  now() at time zone 'UTC', 'structural', 0,
                  now() at time zone 'UTC' + ((g %% 48) - 24) * interval '1 hour',
                  'res.partner', g, 1, now(), 1, now()
             FROM generate_series(1, %(n)s) g""",
        {"categories": categories, "ncat": len(categories), "company": company_id, "n": EXCEPTIONS},
    )
    cr.commit()
    return time.perf_counter() - start


def main():
    args = parse_args(__doc__)
    registry, cr, env = environment(args.db)
    try:
        filled = fill(env)
        if filled:
            # VACUUM cannot run inside a transaction
            cr._cnx.autocommit = True
            for table in ("workflow_event", "workflow_instance", "workflow_exception"):
                cr.execute(f"VACUUM ANALYZE {table}")
            cr._cnx.autocommit = False
        Dashboard = env["workflow.dashboard"]

        def dashboard():
            env.invalidate_all()
            Dashboard.get_dashboard_data({"period_days": 30})

        def count():
            cr.execute("SELECT count(*) FROM workflow_event")
            cr.fetchone()

        # interleave the two measurements so machine noise hits both alike
        rounds = max(3, args.runs // 10)
        dash_samples, count_samples = [], []
        for _ in range(rounds):
            dash_samples.append(timed(dashboard, 10, warmup=1))
            count_samples.append(timed(count, 10, warmup=1))
        dash_p95 = sorted(s["p95"] for s in dash_samples)[len(dash_samples) // 2]
        dash_p50 = sorted(s["p50"] for s in dash_samples)[len(dash_samples) // 2]
        count_p95 = sorted(s["p95"] for s in count_samples)[len(count_samples) // 2]
        count_p50 = sorted(s["p50"] for s in count_samples)[len(count_samples) // 2]
        cr.execute("SELECT count(*) FROM workflow_event")
        events = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM workflow_instance")
        instances = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM workflow_exception")
        exceptions = cr.fetchone()[0]
        ratio = dash_p95 / count_p95 if count_p95 else float("inf")
        report(
            "dashboard",
            {
                "benchmark": "dashboard",
                "rows": {"events": events, "instances": instances, "exceptions": exceptions},
                "fill_seconds": filled or None,
                "get_dashboard_data_ms": {"p50": round(dash_p50, 1), "p95": round(dash_p95, 1)},
                "count_star_ms": {"p50": round(count_p50, 1), "p95": round(count_p95, 1)},
                "ratio_p95": round(ratio, 2),
                "checks": [
                    check("get_dashboard_data p95", round(dash_p95, 1), "<", 200, "ms"),
                    check("dashboard p95 / count(*) p95", round(ratio, 2), "<", 10, "x"),
                ],
            },
        )
    finally:
        cr.rollback()
        cr.close()


if __name__ == "__main__":
    main()
