# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Every scheduled action of the suite run by two processes at the same time.

DESIGN.md promises scheduled actions that are "set-based, chunked, idempotent, safe with
two workers running at once". Two ``odoo-bin shell`` processes wait at a barrier, then
each runs the server action of every ``workflow_monitor_*`` scheduled action and
commits, over the same realistic database (simulated distribution company, due SLA
timers, queued webhooks). The outcome must be free of duplicates and errors and equal to
what a single process produces on a copy of the same database. A second test runs two
SLA sweeps over 40,000 due instances, the second one started between two chunks of the
first.
"""

import collections
import json
import logging
import os
import tempfile
import time

import pytest

from . import harness
from .test_crash_safety import insert_due_instances, sla_counts

_logger = logging.getLogger(__name__)

SECRET = "whsec_" + "Y29uY3VycmVudC1jcm9uLXJ1bnMtc2VjcmV0LWtleQ=="
MESSAGES = 30
OPEN = ("new", "assigned", "in_progress")

# Realistic data, then work for every job: open exceptions dismissed (the detectors
# raise them again, at the same time in both processes), today's KPI values removed,
# due SLA timers on the running instances, webhooks queued, and every job marked as
# just run so the health watch sees the same lag whenever the run happens.
SETUP = """
env["workflow.simulator"].run(days=5, orders_per_day=8, seed=11, commit=True)
integration = env["workflow.integration"].create({{
    "name": "concurrency receiver", "url": {url!r}, "signing_secret": {secret!r},
}})
env["workflow.integration.route"].create({{
    "name": "custom events", "integration_id": integration.id, "event_type": "custom",
}})
env["workflow.event"].log_events(
    [{{"event_type": "custom", "payload": {{"n": n}}}} for n in range({messages})]
)
env.flush_all()
env.cr.execute("UPDATE workflow_exception SET state = 'dismissed' WHERE state IN %s", [{open}])
env.cr.execute("DELETE FROM workflow_kpi_value WHERE date = current_date")
env.cr.execute(
    '''UPDATE workflow_instance
          SET sla_state = 'on_track',
              sla_deadline = now() at time zone 'UTC' - interval '1 hour',
              sla_warning_at = now() at time zone 'UTC' - interval '2 hours'
        WHERE state = 'running' AND sla_policy_id IS NOT NULL'''
)
env.cr.execute(
    "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' + interval '1 day'"
)
env.cr.commit()
"""

# One worker: wait for the other at a file barrier, then run every job of the suite
# in xml id order, one transaction each, and report how each one ended. The clock is
# frozen at the same instant in every run (the detectors compare dates with now), so the
# single and the concurrent runs see the same overdue documents.
WORKER = """
import json, os, time, traceback
import freezegun
from freezegun.api import real_monotonic
data = env["ir.model.data"].search(
    [("model", "=", "ir.cron"), ("module", "=like", "workflow_monitor_%")]
)
jobs = sorted((d.res_id, f"{{d.module}}.{{d.name}}") for d in data)
env.cr.commit()
open({ready!r}, "w").close()
deadline = time.monotonic() + 120
while not os.path.exists({go!r}):
    assert time.monotonic() < deadline, "barrier timeout"
    time.sleep(0.02)
freezegun.freeze_time({instant!r}).start()
results = {{}}
for cron_id, xmlid in jobs:
    cron = env["ir.cron"].browse(cron_id)
    started = real_monotonic()
    try:
        cron.ir_actions_server_id.with_context(lastcall=cron.lastcall, cron_id=cron_id).run()
        env.cr.commit()
        results[xmlid] = ["ok", round(real_monotonic() - started, 2)]
    except Exception:
        env.cr.rollback()
        results[xmlid] = ["error", traceback.format_exc()]
print("RESULT " + json.dumps(results))
"""

# The final state compared between the single run and the concurrent one. Not compared:
# occurrence_count of exceptions (it counts detections, so two runs count twice by design).
SUMMARY = {
    "open exceptions by category": """
        SELECT c.code, count(*) FROM workflow_exception e
          JOIN workflow_exception_category c ON c.id = e.category_id
         WHERE e.state IN ('new', 'assigned', 'in_progress') GROUP BY c.code""",
    "exceptions by category and state": """
        SELECT c.code || '/' || e.state, count(*) FROM workflow_exception e
          JOIN workflow_exception_category c ON c.id = e.category_id GROUP BY 1""",
    "kpi values": """
        SELECT k.code, count(*) FROM workflow_kpi_value v
          JOIN workflow_kpi k ON k.id = v.kpi_id GROUP BY k.code""",
    "instances by sla state": """
        SELECT sla_state, count(*) FROM workflow_instance GROUP BY sla_state""",
    "events by type and action": """
        SELECT event_type || '/' || COALESCE(payload->>'action', payload->>'sla_state', ''),
               count(*)
          FROM workflow_event GROUP BY 1""",
    "messages by state": """
        SELECT state, count(*) FROM workflow_integration_message GROUP BY state""",
}


def duplicates(db):
    """Keys that must be unique, with the rows that share them."""
    return {
        "open exceptions per category and record": harness.query(
            db,
            """SELECT category_id, res_model, res_id, count(*) FROM workflow_exception
                WHERE state IN %s GROUP BY 1, 2, 3 HAVING count(*) > 1""",
            [OPEN],
        ),
        "open exceptions per category and dedupe key": harness.query(
            db,
            """SELECT category_id, dedupe_key, count(*) FROM workflow_exception
                WHERE state IN %s GROUP BY 1, 2 HAVING count(*) > 1""",
            [OPEN],
        ),
        "kpi values per kpi, date, company and node": harness.query(
            db,
            """SELECT kpi_id, date, company_id, node_ref, count(*) FROM workflow_kpi_value
                GROUP BY 1, 2, 3, 4 HAVING count(*) > 1""",
        ),
        "breach events per instance and stage": harness.query(
            db,
            """SELECT instance_id, stage_to_id, count(*) FROM workflow_event
                WHERE event_type = 'sla' AND payload->>'sla_state' = 'breached'
                GROUP BY 1, 2 HAVING count(*) > 1""",
        ),
    }


def summary(db):
    return {name: dict(harness.query(db, sql)) for name, sql in SUMMARY.items()}


# Tables not compared: the AI log and the classifier versions have one row per run of a
# job, not per fact (a training that overlaps another is skipped, one that follows it adds
# a version); the similar incidents proposed for an exception are the nearest *resolved*
# ones, so they depend on which exceptions the detectors of the other worker had already
# resolved: on the order of the jobs, not on their overlap.
NOT_COMPARED = ("workflow_ai_log", "workflow_ai_model", "workflow_ai_suggestion_related_rel")


def table_counts(db):
    """Exact row counts of the workflow_* tables (but NOT_COMPARED)."""
    tables = [
        row[0]
        for row in harness.query(
            db,
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'workflow%%' "
            "AND tablename <> ALL(%s)",
            [list(NOT_COMPARED)],
        )
    ]
    return {
        table: harness.scalar(db, f'SELECT count(*) FROM "{table}"')  # names from pg_tables
        for table in sorted(tables)
    }


def run_workers(db, names, instant):
    """Start one worker per name, release them together at the frozen ``instant``,
    return {name: (results, output)}."""
    barrier = tempfile.mkdtemp(prefix="wm_h3_barrier_")
    go = os.path.join(barrier, "go")
    procs = {}
    try:
        for name in names:
            code = WORKER.format(ready=os.path.join(barrier, name), go=go, instant=instant)
            procs[name] = harness.shell_process(db, code, log=f"cron-concurrency-{db}-{name}.log")
        deadline = time.monotonic() + 120
        while not all(os.path.exists(os.path.join(barrier, name)) for name in names):
            assert time.monotonic() < deadline, "workers not ready after 120 s"
            assert all(p.poll() is None for p in procs.values()), "a worker exited early"
            time.sleep(0.05)
        open(go, "w").close()  # noqa: SIM115 (an empty marker file)
        for proc in procs.values():
            proc.wait(timeout=300)
    finally:
        for proc in procs.values():
            harness.kill_process(proc)
        for entry in os.listdir(barrier):
            os.unlink(os.path.join(barrier, entry))
        os.rmdir(barrier)
    outcome = {}
    for name, proc in procs.items():
        with open(proc.log) as handle:
            output = handle.read()
        lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
        assert proc.returncode == 0 and lines, f"worker {name} failed:\n{output[-4000:]}"
        outcome[name] = (json.loads(lines[-1][len("RESULT ") :]), output)
    return outcome


@pytest.fixture
def databases():
    names = []

    def make(name, template=harness.TEMPLATE):
        names.append(harness.new_database(name, template=template))
        return name

    try:
        yield make
    finally:
        for name in reversed(names):
            harness.drop_database(name)


def test_every_cron_twice_at_once(databases):
    """Both workers end without error; the concurrent run leaves no duplicate and
    reaches the state of a single run."""
    base = databases("wm_h3_cron_base")
    with harness.WebhookReceiver(SECRET, delay=0.02) as receiver:
        setup_started = time.monotonic()
        harness.shell(
            base,
            SETUP.format(url=receiver.url, secret=SECRET, messages=MESSAGES, open=OPEN),
            timeout=600,
            log="cron-concurrency-setup.log",
        )
        setup_seconds = time.monotonic() - setup_started
        queued = harness.scalar(
            base, "SELECT count(*) FROM workflow_integration_message WHERE state = 'pending'"
        )
        due = harness.scalar(
            base,
            "SELECT count(*) FROM workflow_instance WHERE state = 'running' "
            "AND sla_state = 'on_track' AND sla_deadline < now() at time zone 'UTC'",
        )
        assert queued == MESSAGES and due > 0, (queued, due)
        instant = harness.scalar(base, "SELECT (now() at time zone 'UTC')::text")
        single = databases("wm_h3_cron_single", template=base)
        pair = databases("wm_h3_cron_pair", template=base)

        started = time.monotonic()
        single_outcome = run_workers(single, ["solo"], instant)
        single_seconds = time.monotonic() - started
        single_receipts = receiver.snapshot()

        started = time.monotonic()
        pair_outcome = run_workers(pair, ["a", "b"], instant)
        pair_seconds = time.monotonic() - started
        pair_receipts = receiver.snapshot()[len(single_receipts) :]

    # every finding is collected first, so a failure reports all of them at once
    problems = []
    for name, (results, output) in {**single_outcome, **pair_outcome}.items():
        for xmlid, (status, detail) in results.items():
            if status != "ok":
                problems.append(f"worker {name}, job {xmlid} failed:\n{error_summary(detail)}")
        errors = [line[:300] for line in harness.error_lines(output)]
        if errors:
            problems.append(f"worker {name} logged errors:\n" + "\n".join(errors[:10]))
    jobs = set(single_outcome["solo"][0])
    assert len(jobs) >= 10 and set(pair_outcome["a"][0]) == set(pair_outcome["b"][0]) == jobs

    single_duplicates, pair_duplicates = duplicates(single), duplicates(pair)
    for key, rows in pair_duplicates.items():
        if rows != single_duplicates[key]:
            problems.append(f"{key}: {rows} (single run: {single_duplicates[key]})")

    for run, receipts in (("single", single_receipts), ("concurrent", pair_receipts)):
        counts = collections.Counter(r["id"] for r in receipts)
        if len(counts) != MESSAGES or set(counts.values()) != {1}:
            problems.append(f"{run} run: webhooks received {sorted(counts.values())}")
        if not all(r["signature_ok"] for r in receipts):
            problems.append(f"{run} run: a webhook with a wrong signature")

    single_state, pair_state = summary(single), summary(pair)
    for key, expected in single_state.items():
        if pair_state[key] != expected:
            problems.append(f"{key}: concurrent {pair_state[key]} != single {expected}")
    single_tables, pair_tables = table_counts(single), table_counts(pair)
    for table, count in single_tables.items():
        if pair_tables[table] != count:
            problems.append(f"rows of {table}: concurrent {pair_tables[table]} != single {count}")
    breached = single_state["instances by sla state"].get("breached", 0)
    opened = sum(single_state["open exceptions by category"].values())
    _logger.info(
        f"cron concurrency: {len(jobs)} jobs, setup {setup_seconds:.0f} s, single run "
        f"{single_seconds:.1f} s, concurrent run {pair_seconds:.1f} s; {due} SLA timers due "
        f"({breached} breached instances in all), {opened} open exceptions, "
        f"{len(pair_receipts)} webhook receipts for {MESSAGES} messages; job seconds a/b: "
        + ", ".join(
            f"{xmlid.split('.')[-1]} {seconds(pair_outcome['a'][0], xmlid)}/"
            f"{seconds(pair_outcome['b'][0], xmlid)}"
            for xmlid in sorted(jobs)
        )
    )
    assert not problems, "\n\n".join(problems)


def seconds(results, xmlid):
    status, detail = results[xmlid]
    return detail if status == "ok" else "error"


def error_summary(detail):
    """The product frames and the error line of a worker's traceback."""
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    frames = [line for line in lines if line.startswith("File") and "/work/main/" in line]
    return "\n".join(frames[-4:] + lines[-2:])


SWEEP = """
import json, traceback
try:
    done = env["workflow.instance"]._cron_sla_sweep(batch_size=5000)
    env.cr.commit()
    print("RESULT " + json.dumps(["ok", done]))
except Exception:
    print("RESULT " + json.dumps(["error", traceback.format_exc()]))
"""


def test_two_sla_sweeps_split_the_work(databases):
    """A second SLA sweep started while the first one runs: it finds the advisory lock
    held and does nothing, or takes it between two chunk commits, and then the first
    stops and the second goes on. Both end without error; together they breach each
    instance once, with one event and one exception."""
    count = 40000
    db = databases("wm_h3_two_sweeps")
    definition_id = insert_due_instances(db, count)
    first = harness.shell_process(db, SWEEP, log="two-sweeps-first.log")
    second = None
    try:
        deadline = time.monotonic() + 180
        while not sla_counts(db, definition_id)[0]:
            assert time.monotonic() < deadline and first.poll() is None, "no chunk committed"
            time.sleep(0.05)
        second = harness.shell_process(db, SWEEP, log="two-sweeps-second.log")
        for proc in (first, second):
            proc.wait(timeout=300)
    finally:
        for proc in filter(None, (first, second)):
            harness.kill_process(proc)
    done = []
    for proc in (first, second):
        with open(proc.log) as handle:
            output = handle.read()
        lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
        assert lines, output[-3000:]
        status, detail = json.loads(lines[-1][len("RESULT ") :])
        assert status == "ok", detail
        done.append(detail)
    assert done[0] > 0 and sum(done) == count, done
    assert sla_counts(db, definition_id) == (count,) * 6
    _logger.info("two sla sweeps: %s due instances split %s / %s", count, done[0], done[1])
