#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Event ingest benchmark: workflow.event.log_events of 100k events against a raw batched
INSERT of the same rows into the same table, interleaved, in the same run.

log_events gets the events as dicts (what its callers pass) and validates, resolves and
inserts them (one INSERT per 5,000 rows). The raw baseline gets the rows already as
tuples and inserts them in batches of the same size in two ways, psycopg2's
execute_values (multi-row VALUES) and unnest of one array per column; the faster of the
two is the denominator. Every path ends with its commit. Target: log_events throughput
at least 30 % of the raw one (raw time / log_events time >= 0.30).

Events are append-only: like the retention job (their only deletion path), the script
removes its rows with a plain SQL DELETE, recognised by their source_ref, after each
round and before starting (rows left by a killed run).

    python bench/event_ingest.py --db wm_bench --config .odoo.conf [--events 100000]
"""

import statistics
import time

from _common import check, environment, parse_args, report
from psycopg2.extras import Json, execute_values

from odoo import fields
from odoo.tools import SQL

MARK = "bench:event_ingest"
BATCH = 5000  # rows per INSERT, as log_events does


def make_events(env, count):
    """The same events twice: as log_events dicts and as raw rows in the column order of
    the product's INSERT (EVENT_COLUMNS of workflow_monitor_base/models/workflow_event.py)."""
    now = fields.Datetime.now()
    company = env.company.id
    vals_list, rows = [], []
    for n in range(count):
        payload = {"n": n, "kind": "bench", "note": "ingest benchmark"}
        vals_list.append(
            {
                "res_model": "res.partner",
                "res_id": n + 1,
                "event_type": "custom",
                "occurred_at": now,
                "source": "api",
                "source_ref": MARK,
                "user_id": env.uid,
                "correlation_id": f"bench-{n}",
                "payload": payload,
                "company_id": company,
            }
        )
        rows.append(
            (
                None,
                None,
                "res.partner",
                n + 1,
                "custom",
                None,
                None,
                now,
                None,
                "api",
                MARK,
                env.uid,
                f"bench-{n}",
                Json(payload),
                company,
            )
        )
    return vals_list, rows


def cleanup(cr):
    cr.execute("DELETE FROM workflow_event WHERE source_ref = %s", [MARK])
    cr.commit()


def timed_commit(cr, func):
    start = time.perf_counter()
    func()
    cr.commit()
    return time.perf_counter() - start


def inserted(cr):
    cr.execute("SELECT count(*) FROM workflow_event WHERE source_ref = %s", [MARK])
    return cr.fetchone()[0]


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--events", type=int, default=100_000),
            parser.add_argument("--rounds", type=int, default=3),
        ),
    )
    # the addons are importable once the config is parsed
    from odoo.addons.workflow_monitor_base.models.workflow_event import EVENT_COLUMNS

    registry, cr, env = environment(args.db)
    columns = ", ".join(name for name, _type in EVENT_COLUMNS)
    types = [pg_type for _name, pg_type in EVENT_COLUMNS]

    def values(rows):
        execute_values(
            cr._obj,
            f"INSERT INTO workflow_event ({columns}) VALUES %s",
            rows,
            page_size=BATCH,
        )

    def unnest(rows):
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            arrays = SQL(", ").join(
                SQL(f"%s::{pg_type}[]", [row[index] for row in chunk])
                for index, pg_type in enumerate(types)
            )
            cr.execute(
                SQL(f"INSERT INTO workflow_event ({columns}) SELECT * FROM unnest(%s)", arrays)
            )

    try:
        cleanup(cr)
        vals_list, rows = make_events(env, args.events)
        paths = {
            "log_events": (env["workflow.event"].log_events, vals_list),
            "raw_execute_values": (values, rows),
            "raw_unnest": (unnest, rows),
        }
        # warm-up of every path (caches, query plans), then rounds in rotating order
        for func, data in paths.values():
            timed_commit(cr, lambda func=func, data=data: func(data[:BATCH]))
            cleanup(cr)
        times = {name: [] for name in paths}
        counts = {name: [] for name in paths}
        names = list(paths)
        for round_no in range(args.rounds):
            for name in names[round_no % len(names) :] + names[: round_no % len(names)]:
                func, data = paths[name]
                times[name].append(timed_commit(cr, lambda func=func, data=data: func(data)))
                counts[name].append(inserted(cr))
                cleanup(cr)
            print(
                f"round {round_no}: "
                + ", ".join(f"{name} {args.events / times[name][-1]:,.0f} ev/s" for name in names),
                flush=True,
            )
        cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
        cr.execute("VACUUM ANALYZE workflow_event")
        cr._cnx.autocommit = False
    finally:
        cr.rollback()
        cr.close()
    median = {name: statistics.median(samples) for name, samples in times.items()}
    raw_name = min(("raw_execute_values", "raw_unnest"), key=median.get)
    ratio = median[raw_name] / median["log_events"]
    rates = {name: round(args.events / t) for name, t in median.items()}
    report(
        "event_ingest",
        {
            "database": args.db,
            "events_per_round": args.events,
            "batch_rows": BATCH,
            "seconds_per_round": {name: [round(t, 3) for t in ts] for name, ts in times.items()},
            "events_per_s_median": rates,
            "raw_baseline": raw_name,
            "ratio_raw_time_to_log_events_time": round(ratio, 3),
            "rows_inserted_per_round": counts,
            "checks": [
                check(
                    f"raw time / log_events time (log_events {rates['log_events']:,} ev/s, "
                    f"{raw_name} {rates[raw_name]:,} ev/s)",
                    round(ratio, 3),
                    ">=",
                    0.30,
                    "x",
                ),
                check("rows inserted by log_events", min(counts["log_events"]), "==", args.events),
            ],
        },
    )


if __name__ == "__main__":
    main()
