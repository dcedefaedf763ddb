#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Process map benchmark: workflow.definition.get_process_map over the largest
definition of the 1M-event data set of bench/dashboard.py (its fill, on a scratch copy
of the bench database), as a workflow user (record rules applied), against a bare
``SELECT stage_from_id, stage_to_id, count(*) ... GROUP BY 1, 2`` over the same stage
events in the same run.

Targets, with the dashboard's default filters (the last 30 days): p95 <= 300 ms and
p95 <= 5x the GROUP BY p95. The whole year (period_days=366, every stage event of the
definition) is measured too and reported without a target, and so are the Process Map
screen's call (get_process_screen: the map plus the instances behind each number) and
one of its drill-downs (action_process_instances on the most frequent variant).
"""

import time

from _common import check, environment, parse_args, report, scratch_database, timed
from dashboard import fill

from odoo import api
from odoo.tools import SQL

BASELINE_SQL = """
SELECT stage_from_id, stage_to_id, count(*)
  FROM workflow_event
 WHERE definition_id = %(definition)s AND event_type = 'stage'
   AND occurred_at >= %(start)s AND occurred_at < %(end)s
 GROUP BY 1, 2
"""
WINDOWS = (("period_30d", 30), ("period_366d", 366))


def vacuum(cr):
    cr.commit()
    cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
    for table in ("workflow_event", "workflow_instance"):
        cr.execute(f"VACUUM ANALYZE {table}")
    cr._cnx.autocommit = False


def largest_definition(env):
    env.cr.execute(
        """SELECT definition_id FROM workflow_event WHERE event_type = 'stage'
            GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"""
    )
    return env["workflow.definition"].browse(env.cr.fetchone()[0])


def measure(env, user_env, definition, period_days, rounds):
    """p50/p95 of get_process_map and of the bare GROUP BY, interleaved so that machine
    noise hits both alike; plus the rows both counted (they must agree)."""
    cr = env.cr
    Definition = user_env["workflow.definition"]
    filters = {"period_days": period_days}
    window = Definition._process_map_window(filters, period_days)
    params = {"definition": definition.id, "start": window.start, "end": window.end}

    def process_map():
        user_env.invalidate_all()
        return Definition.get_process_map(definition.code, filters)

    def baseline():
        cr.execute(SQL(BASELINE_SQL, **params))
        return cr.fetchall()

    map_samples, base_samples = [], []
    for _ in range(rounds):
        map_samples.append(timed(process_map, 10, warmup=1))
        base_samples.append(timed(baseline, 10, warmup=1))

    def median_of(samples, key):
        return sorted(s[key] for s in samples)[len(samples) // 2]

    result = process_map()
    screen_figures = measure_screen(user_env, definition, filters, result)
    mapped = sum(edge["count"] for edge in result["edges"])
    counted = sum(row[2] for row in baseline())
    map_p95, base_p95 = median_of(map_samples, "p95"), median_of(base_samples, "p95")
    return {
        "window": [str(window.start), str(window.end)],
        "stage_events": counted,
        "stage_events_mapped": mapped,
        "variants": len(result["variants"]),
        "deviations": len(result["deviations"]),
        "get_process_map_ms": {
            "p50": round(median_of(map_samples, "p50"), 1),
            "p95": round(map_p95, 1),
        },
        "group_by_ms": {
            "p50": round(median_of(base_samples, "p50"), 1),
            "p95": round(base_p95, 1),
        },
        "ratio_p95": round(map_p95 / base_p95, 2) if base_p95 else None,
        **screen_figures,
    }


def measure_screen(user_env, definition, filters, result):
    """p50/p95 of the screen's call and of the drill-down of the top variant (no target)."""
    Definition = user_env["workflow.definition"]
    path = result["variants"][0]["path"] if result["variants"] else None

    def screen():
        user_env.invalidate_all()
        return Definition.get_process_screen(definition.code, filters)

    def drill():
        user_env.invalidate_all()
        return Definition.action_process_instances(definition.code, filters, "variant", path)

    figures = {"get_process_screen_ms": timed(screen, 10, warmup=1)}
    if path:
        figures["drill_variant_ms"] = timed(drill, 10, warmup=1)
    return {
        name: {key: round(value, 1) for key, value in sample.items() if key in ("p50", "p95")}
        for name, sample in figures.items()
    }


def main():
    args = parse_args(__doc__)
    with scratch_database(args.db, "process_map") as db:
        registry, cr, env = environment(db)
        try:
            start = time.perf_counter()
            filled = fill(env)
            if filled:
                vacuum(cr)
            fill_s = time.perf_counter() - start if filled else None
            definition = largest_definition(env)
            # the admin user (a workflow user): the record rules apply as in the client
            admin = env.ref("base.user_admin")
            user_env = api.Environment(cr, admin.id, {})
            rounds = max(3, args.runs // 10)
            figures = {
                name: measure(env, user_env, definition, days, rounds) for name, days in WINDOWS
            }
            main_figures = figures["period_30d"]
            map_p95 = main_figures["get_process_map_ms"]["p95"]
            ratio = main_figures["ratio_p95"]
            cr.execute("SELECT count(*) FROM workflow_event")
            events = cr.fetchone()[0]
            report(
                "process_map",
                {
                    "rows": {"events": events},
                    "definition": definition.code,
                    "fill_seconds": fill_s,
                    **figures,
                    "checks": [
                        check("get_process_map p95 (30 days)", map_p95, "<=", 300, "ms"),
                        check("process map p95 / GROUP BY p95 (30 days)", ratio, "<=", 5, "x"),
                        check(
                            "process map counts the GROUP BY's rows (30 days)",
                            main_figures["stage_events_mapped"],
                            "==",
                            main_figures["stage_events"],
                        ),
                    ],
                },
            )
        finally:
            cr.rollback()
            cr.close()


if __name__ == "__main__":
    main()
