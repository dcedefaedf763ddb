#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Dashboard on an event table partitioned by month: get_dashboard_data (last 30 days)
with 1M events and with 10M events, in one run, on a scratch copy of --db.

The business is the same in both: about 2,740 events a day (1M a year), 100k instances
and 100k exceptions (bench/dashboard.py's data). 1M events are the last 365 days; 10M
are the last ten years, i.e. a longer retention, which is what makes a table grow ten
times at the same volume. Steps:

1. bench/dashboard.py's fill (1M events, ordinary table), VACUUM ANALYZE, p95 (reference);
2. ``workflow.event.action_partition_by_month()`` (timed), VACUUM ANALYZE, p95 at 1M;
3. the months of the nine years before (``tools.partition.ensure_months``), 9M older
   events inserted with ``generate_series`` (one statement per year, timed), VACUUM
   ANALYZE, p95 at 10M, and the disk size of the partitions.

Targets: p95 at 10M <= 1.5x the partitioned 1M figure of the same run, and < 150 ms.
The scratch database (<db>_partitioned) is dropped at the end.
"""

import time
from datetime import timedelta

from _common import check, environment, parse_args, report, scratch_database, timed
from dashboard import EVENTS, INSTANCES, fill

import odoo  # noqa: E402  (path set by _common)

YEARS_BEFORE = 9  # 1M events a year: 1M + 9M = 10M
TARGET_GROWTH = 1.5
TARGET_P95_MS = 150

OLDER_EVENTS_SQL = """
INSERT INTO workflow_event
       (instance_id, definition_id, res_model, res_id, event_type, stage_from_id,
        stage_to_id, occurred_at, duration_seconds, source, user_id, company_id, payload)
SELECT 1 + g %% %(instances)s, %(definition)s, 'res.partner', 1 + g %% %(instances)s,
       (ARRAY['stage', 'stage', 'stage', 'stage', 'sla', 'exception', 'config',
              'custom'])[1 + g %% 8],
       (%(stages)s::int[])[1 + g %% 6], (%(stages)s::int[])[1 + (g + 1) %% 6],
       %(end)s - g * (interval '365 days' / %(n)s),
       (g %% 86400)::float, 'user', 1, %(company)s,
       CASE WHEN g %% 5 = 0 THEN '{"sla": "met"}'::jsonb END
  FROM generate_series(1, %(n)s) g
"""


def vacuum(cr):
    cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
    for table in ("workflow_event", "workflow_instance", "workflow_exception"):
        cr.execute(f"VACUUM ANALYZE {table}")
    cr._cnx.autocommit = False


def dashboard_p95(env, runs):
    Dashboard = env["workflow.dashboard"]

    def call():
        env.invalidate_all()
        Dashboard.get_dashboard_data({"period_days": 30})

    rounds = [timed(call, 10, warmup=1) for _ in range(max(3, runs // 10))]
    p95 = sorted(s["p95"] for s in rounds)[len(rounds) // 2]
    p50 = sorted(s["p50"] for s in rounds)[len(rounds) // 2]
    return {"p50": round(p50, 1), "p95": round(p95, 1)}


def events_size(cr):
    """(rows, bytes on disk of the table, its partitions and their indexes, partitions)."""
    cr.execute("SELECT count(*) FROM workflow_event")
    rows = cr.fetchone()[0]
    cr.execute(
        """SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0), count(*)
             FROM pg_inherits WHERE inhparent = 'workflow_event'::regclass"""
    )
    size, partitions = cr.fetchone()
    if not partitions:
        cr.execute("SELECT pg_total_relation_size('workflow_event')")
        size = cr.fetchone()[0]
    return rows, size, partitions


def add_older_years(env, years):
    """Insert ``years`` x 1M events before the oldest one, in their monthly partitions."""
    from odoo.addons.workflow_monitor_base.tools import partition

    cr = env.cr
    definition = env["workflow.definition"].search([("code", "=", "bench_flow")])
    cr.execute("SELECT min(occurred_at) FROM workflow_event")
    end = cr.fetchone()[0]
    start = end - timedelta(days=365 * years)
    partition.ensure_months(cr, "workflow_event", "occurred_at", start, partition.month_start(end))
    cr.commit()
    seconds = []
    for year in range(years):
        began = time.perf_counter()
        cr.execute(
            OLDER_EVENTS_SQL,
            {
                "instances": INSTANCES,
                "definition": definition.id,
                "stages": definition.stage_ids.ids,
                "company": env.company.id,
                "end": end - timedelta(days=365 * year),
                "n": EVENTS,
            },
        )
        cr.commit()
        seconds.append(round(time.perf_counter() - began, 1))
        print(f"year {year + 1}/{years}: {EVENTS} events in {seconds[-1]} s", flush=True)
    return seconds


def measure(db, runs):
    registry, cr, env = environment(db)
    try:
        began = time.perf_counter()
        fill(env)
        fill_seconds = round(time.perf_counter() - began, 1)
        vacuum(cr)
        ordinary = dashboard_p95(env, runs)
        print(f"1M events, ordinary table: {ordinary}", flush=True)
        cr.rollback()
        began = time.perf_counter()
        env["workflow.event"].action_partition_by_month()
        cr.commit()
        convert_seconds = round(time.perf_counter() - began, 1)
        vacuum(cr)
        one = dashboard_p95(env, runs)
        one_size = events_size(cr)
        print(f"1M events, partitioned: {one} {one_size}", flush=True)
        cr.rollback()
        began = time.perf_counter()
        per_year = add_older_years(env, YEARS_BEFORE)
        insert_seconds = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        vacuum(cr)
        vacuum_seconds = round(time.perf_counter() - began, 1)
        ten = dashboard_p95(env, runs)
        ten_size = events_size(cr)
        print(f"10M events, partitioned: {ten} {ten_size}", flush=True)
        cr.rollback()
    finally:
        cr.rollback()
        cr.close()
        odoo.modules.registry.Registry.delete(db)
    return {
        "fill_1m_seconds": fill_seconds,
        "partition_1m_seconds": convert_seconds,
        "insert_9m_seconds": insert_seconds,
        "insert_seconds_per_million": per_year,
        "vacuum_analyze_10m_seconds": vacuum_seconds,
        "ordinary_1m_ms": ordinary,
        "partitioned_1m_ms": one,
        "partitioned_10m_ms": ten,
        "partitioned_1m": {"rows": one_size[0], "bytes": one_size[1], "partitions": one_size[2]},
        "partitioned_10m": {"rows": ten_size[0], "bytes": ten_size[1], "partitions": ten_size[2]},
    }


def main():
    args = parse_args(__doc__)
    started = time.perf_counter()
    with scratch_database(args.db, "partitioned") as db:
        result = measure(db, args.runs)
    growth = result["partitioned_10m_ms"]["p95"] / result["partitioned_1m_ms"]["p95"]
    report(
        "partitioned",
        {
            "benchmark": "partitioned",
            "database": f"{args.db}_partitioned (scratch copy, dropped)",
            **result,
            "p95_10m_over_1m": round(growth, 2),
            "disk_10m_gib": round(result["partitioned_10m"]["bytes"] / 2**30, 2),
            "seconds": round(time.perf_counter() - started, 1),
            "checks": [
                check(
                    "dashboard p95, 10M / 1M events (partitioned)",
                    round(growth, 2),
                    "<=",
                    TARGET_GROWTH,
                    "x",
                ),
                check(
                    "dashboard p95 on 10M events (partitioned)",
                    result["partitioned_10m_ms"]["p95"],
                    "<",
                    TARGET_P95_MS,
                    "ms",
                ),
            ],
        },
    )


if __name__ == "__main__":
    main()
