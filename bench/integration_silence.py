#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Silent-integration watch benchmark: ``workflow.integration._cron_silence_watch``
(``integration_silent``, one query over every watched integration) with --integrations
watched integrations (default 500, half of them silent) and --messages stored inbound
messages (default 1,000,000), at a tenth of the messages first and then at the full
volume, in the same run.

The messages are inserted in bulk SQL (the inbox itself is covered by the integrations
tests). Measured: a first run (raises one exception per silent integration), a rerun
(occurrences only) and a run after traffic returned to every integration (resolves them
all), each with its query count. Targets: every run under 10 s, and the rerun's query
count the same at both volumes.

The script works on a throwaway copy of --db (``<db>_integration_silence``), dropped at
the end.

    python bench/integration_silence.py --db wm_bench --config .odoo.conf
"""

import time
from datetime import timedelta

from _common import check, environment, parse_args, report, scratch_database

from odoo import fields, sql_db

INTERVAL = 60  # minutes expected between two webhooks of each integration


def make_integrations(env, count, now):
    """``count`` watched integrations created a week ago (the first half are silent)."""
    integrations = env["workflow.integration"].create(
        [
            {
                "name": f"Bench carrier {index}",
                "kind": "carrier",
                "expected_interval_minutes": INTERVAL,
            }
            for index in range(count)
        ]
    )
    integrations.flush_recordset()
    env.cr.execute(
        "UPDATE workflow_integration SET create_date = %s WHERE id = ANY(%s)",
        [now - timedelta(days=7), integrations.ids],
    )
    return integrations


def fill(env, integrations, count, now, start, alive_at):
    """``count`` processed inbound messages of the week before ``now`` (the last one 3 h
    before), round robin on the integrations; then one more at ``alive_at`` for the
    second half (the first half stays silent)."""
    ids = integrations.ids
    half = len(ids) // 2
    env.cr.execute(
        """INSERT INTO workflow_integration_message
                  (direction, integration_id, company_id, webhook_id, event_type, state,
                   attempts, create_date, write_date, create_uid, write_uid)
           SELECT 'in', i.id, i.company_id, 'msg_bench_' || g, 'carrier.status',
                  'processed', 1,
                  %(now)s - make_interval(secs => 3600 * 3 + (g %% 600000)), %(now)s, 1, 1
             FROM generate_series(%(start)s, %(stop)s) g
             JOIN workflow_integration i ON i.id = (%(ids)s::int[])[1 + g %% %(n)s]""",
        {"now": now, "start": start, "stop": start + count - 1, "ids": ids, "n": len(ids)},
    )
    alive(env, integrations[half:], alive_at, f"{start}")


def alive(env, integrations, when, tag):
    env.cr.execute(
        """INSERT INTO workflow_integration_message
                  (direction, integration_id, company_id, webhook_id, event_type, state,
                   attempts, create_date, write_date, create_uid, write_uid)
           SELECT 'in', i.id, i.company_id, 'msg_bench_alive_' || %s || '_' || i.id,
                  'carrier.status', 'processed', 1, %s, %s, 1, 1
             FROM workflow_integration i WHERE i.id = ANY(%s)""",
        [tag, when, when, integrations.ids],
    )
    env.cr.execute("ANALYZE workflow_integration_message")


def run_watch(env, now):
    # the addons path is known once the configuration is read
    from odoo.addons.workflow_monitor_base.tools import clock

    Integration = env["workflow.integration"].with_context(**clock.at(now))
    queries = sql_db.sql_counter
    started = time.perf_counter()
    raised = Integration._cron_silence_watch()
    env.cr.commit()
    return round(time.perf_counter() - started, 3), sql_db.sql_counter - queries, raised


def open_silent(cr):
    cr.execute(
        """SELECT count(*) FROM workflow_exception e
             JOIN workflow_exception_category c ON c.id = e.category_id
            WHERE c.code = 'integration_silent' AND e.state IN ('new', 'assigned', 'in_progress')"""
    )
    return cr.fetchone()[0]


def measure(env, integrations, now, label):
    first_s, first_q, raised = run_watch(env, now)
    rerun_s, rerun_q, _again = run_watch(env, now + timedelta(minutes=5))
    alive(env, integrations, now + timedelta(minutes=6), label)
    resolve_s, resolve_q, _none = run_watch(env, now + timedelta(minutes=7))
    result = {
        "silent_raised": raised,
        "run_s": first_s,
        "queries": first_q,
        "rerun_s": rerun_s,
        "rerun_queries": rerun_q,
        "resolve_s": resolve_s,
        "resolve_queries": resolve_q,
        "open_after_resolve": open_silent(env.cr),
    }
    print(label, result)
    return result


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--integrations", type=int, default=500),
            parser.add_argument("--messages", type=int, default=1_000_000),
        ),
    )
    with scratch_database(args.db, "integration_silence") as db:
        registry, cr, env = environment(db)
        try:
            env = env(context=dict(env.context, tracking_disable=True))
            now = fields.Datetime.now().replace(microsecond=0)
            integrations = make_integrations(env, args.integrations, now)
            small_count = args.messages // 10
            fill(env, integrations, small_count, now, 0, now - timedelta(minutes=1))
            cr.commit()
            small = measure(env, integrations, now, f"{small_count} messages")
            # two hours later: the first half silent again, the second alive
            later = now + timedelta(hours=2)
            started = time.perf_counter()
            rest = args.messages - small_count
            fill(env, integrations, rest, now, small_count, later - timedelta(minutes=1))
            cr.commit()
            fill_s = time.perf_counter() - started
            large = measure(env, integrations, later, f"{args.messages} messages")
        finally:
            cr.close()
    volume = f"{args.integrations} integrations, {args.messages} messages"
    checks = [
        check(f"first run, {volume}", large["run_s"], "<", 10, "s"),
        check(f"rerun, {volume}", large["rerun_s"], "<", 10, "s"),
        check(f"resolving run, {volume}", large["resolve_s"], "<", 10, "s"),
        check(
            f"rerun queries at {args.messages} messages vs {small_count}",
            large["rerun_queries"],
            "==",
            small["rerun_queries"],
        ),
        check("silent integrations raised", large["silent_raised"], "==", args.integrations // 2),
    ]
    report(
        "integration_silence",
        {
            "database": f"{args.db} (copied to {db}, dropped)",
            "scenario": (
                f"{args.integrations} watched integrations (every {INTERVAL} min), half of "
                f"them silent for 3 h; {args.messages} stored inbound messages"
            ),
            "fill_s": round(fill_s, 1),
            "small": small,
            "large": large,
            "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
