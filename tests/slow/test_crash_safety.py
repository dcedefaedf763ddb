# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Crash safety of the two long-running jobs: a worker killed with SIGKILL (OOM killer,
container stop, power loss) in the middle of the webhook delivery or of the SLA sweep
must leave nothing lost, nothing stuck and nothing recorded twice once the job runs
again. Real odoo-bin processes, real PostgreSQL, a real HTTP receiver on 127.0.0.1."""

import collections
import logging
import time

import pytest

from . import harness

_logger = logging.getLogger(__name__)

SECRET = "whsec_" + "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="
MESSAGES = 40
BATCH = 5  # the delivery job commits after each batch of this size
INSTANCES = 30000


def wait_for(predicate, timeout, what, interval=0.1, tick=None):
    """Polls ``predicate`` until it returns a truthy value (returned); fails after
    ``timeout`` seconds. ``tick`` runs before each poll (e.g. waking the cron threads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timeout after {timeout} s waiting for {what}")


@pytest.fixture
def database(request):
    name = harness.new_database(f"wm_h3_{request.node.name.removeprefix('test_')[:40]}")
    try:
        yield name
    finally:
        harness.drop_database(name)


def message_states(db):
    return dict(
        harness.query(
            db,
            "SELECT state, count(*) FROM workflow_integration_message "
            "WHERE direction = 'out' GROUP BY state",
        )
    )


def test_outbox_survives_sigkill(database):
    """SIGKILL the server while its cron delivers slow webhooks, restart it: every
    message arrives, a message sent twice keeps its webhook-id (receivers deduplicate
    on it), nothing stays 'sending', and the database agrees with the receiver."""
    with harness.WebhookReceiver(SECRET, delay=0.3) as receiver:
        harness.shell(
            database,
            f"""
integration = env["workflow.integration"].create({{
    "name": "crash receiver", "url": {receiver.url!r}, "signing_secret": {SECRET!r},
}})
env["workflow.integration.route"].create({{
    "name": "custom events", "integration_id": integration.id, "event_type": "custom",
}})
# a short lease: a message a crash left 'sending' would come back within the test's wait
env["ir.config_parameter"].set_param("workflow_monitor.webhook_lease_seconds", 20)
cron = env.ref("workflow_monitor_integrations.ir_cron_webhook_delivery")
cron.ir_actions_server_id.code = "model._cron_deliver(batch_size={BATCH}, time_budget=50)"
env["workflow.event"].log_events(
    [{{"event_type": "custom", "payload": {{"n": n}}}} for n in range({MESSAGES})]
)
env.cr.commit()
""",
            log="crash-outbox-setup.log",
        )
        expected = dict(
            harness.query(
                database,
                "SELECT webhook_id, (payload->'data'->>'event_id')::int "
                "FROM workflow_integration_message WHERE direction = 'out'",
            )
        )
        assert len(expected) == MESSAGES, "one outbox message per matching event"

        server = harness.Server(database, name="crash-outbox")
        try:
            server.start()
            # two batches committed as delivered, the third one half sent
            wait_for(
                lambda: message_states(database).get("delivered", 0) >= 2 * BATCH
                and len(receiver.snapshot()) >= 2 * BATCH + 3,
                timeout=120,
                what="two delivered batches and a third one half sent",
                tick=lambda: harness.notify_cron(database),
            )
            server.kill()
        finally:
            server.stop()
        at_kill = receiver.snapshot()
        states_at_kill = message_states(database)
        delivered_at_kill = set(
            row[0]
            for row in harness.query(
                database,
                "SELECT webhook_id FROM workflow_integration_message WHERE state = 'delivered'",
            )
        )
        assert 2 * BATCH <= len(at_kill) < MESSAGES, f"killed mid-run: {len(at_kill)} received"
        assert states_at_kill.get("delivered", 0) < MESSAGES, states_at_kill
        # a killed worker's claim dies with its transaction: nothing left 'sending'
        assert set(states_at_kill) <= {"pending", "delivered"}, states_at_kill
        assert delivered_at_kill <= {r["id"] for r in at_kill}, "delivered means received"

        restarted = harness.Server(database, name="crash-outbox-restart")
        started = time.monotonic()
        try:
            restarted.start()
            wait_for(
                lambda: message_states(database) == {"delivered": MESSAGES},
                timeout=120,
                what="the outbox to drain after the restart",
                interval=0.5,
                tick=lambda: harness.notify_cron(database),
            )
            drain_seconds = time.monotonic() - started
            errors = harness.error_lines(restarted.log_text())
        finally:
            restarted.stop()
        received = receiver.snapshot()

    receipts = collections.Counter(r["id"] for r in received)
    assert set(receipts) == set(expected), "every message received, none under a new id"
    assert all(r["signature_ok"] for r in received), "every delivery correctly signed"
    ids_by_event = collections.defaultdict(set)
    for r in received:
        ids_by_event[r["body"]["data"]["event_id"]].add(r["id"])
    assert all(len(ids) == 1 for ids in ids_by_event.values()), "a resend keeps its webhook-id"
    assert {event: ids.pop() for event, ids in ids_by_event.items()} == {
        event: msg_id for msg_id, event in expected.items()
    }
    duplicates = {msg_id: n for msg_id, n in receipts.items() if n > 1}
    # only the batch in flight at the kill can be sent again; committed ones never are
    assert len(duplicates) <= BATCH, duplicates
    assert not set(duplicates) & delivered_at_kill, "a committed delivery is never resent"
    rows = harness.query(
        database,
        "SELECT webhook_id, attempts, last_http_status, delivered_at IS NOT NULL, "
        "lease_until FROM workflow_integration_message WHERE direction = 'out'",
    )
    # the database never counts an attempt the receiver did not see (an attempt lost
    # with the killed transaction is the only gap, the other way round)
    assert all(
        1 <= attempts <= receipts[msg_id] and status == 200 and has_date and lease is None
        for msg_id, attempts, status, has_date, lease in rows
    ), rows
    assert not errors, errors
    _logger.info(
        f"outbox: {MESSAGES} messages, {len(at_kill)} received before the kill "
        f"({states_at_kill.get('delivered', 0)} committed as delivered), "
        f"{len(received)} receipts in all, {len(duplicates)} resent with the same "
        f"webhook-id, drained {drain_seconds:.1f} s after the restart"
    )


def sla_counts(db, definition_id):
    """(breached instances, breach events, distinct instances with a breach event,
    open sla_breach exceptions, distinct instances with one, total occurrences)."""
    return harness.query(
        db,
        """SELECT
             (SELECT count(*) FROM workflow_instance
               WHERE definition_id = %(d)s AND sla_state = 'breached'),
             (SELECT count(*) FROM workflow_event
               WHERE definition_id = %(d)s AND event_type = 'sla'
                 AND payload->>'sla_state' = 'breached'),
             (SELECT count(DISTINCT instance_id) FROM workflow_event
               WHERE definition_id = %(d)s AND event_type = 'sla'
                 AND payload->>'sla_state' = 'breached'),
             (SELECT count(*) FROM workflow_exception e
                JOIN workflow_instance i ON i.id = e.instance_id
               WHERE i.definition_id = %(d)s AND e.dedupe_key LIKE 'sla:%%'),
             (SELECT count(DISTINCT e.instance_id) FROM workflow_exception e
                JOIN workflow_instance i ON i.id = e.instance_id
               WHERE i.definition_id = %(d)s AND e.dedupe_key LIKE 'sla:%%'),
             (SELECT COALESCE(sum(e.occurrence_count), 0) FROM workflow_exception e
                JOIN workflow_instance i ON i.id = e.instance_id
               WHERE i.definition_id = %(d)s AND e.dedupe_key LIKE 'sla:%%')""",
        {"d": definition_id},
    )[0]


def insert_due_instances(db, count):
    """``count`` running order-to-cash instances whose SLA deadline passed an hour ago,
    written directly (the sweep only reads the instance rows); returns the definition id."""
    definition_id, res_model, stage_id = harness.query(
        db,
        """SELECT d.id, d.res_model, s.id FROM workflow_definition d
             JOIN workflow_stage s ON s.definition_id = d.id
            WHERE d.code = 'order_to_cash' AND s.is_final IS NOT TRUE AND s.is_cancel IS NOT TRUE
            ORDER BY s.sequence LIMIT 1""",
    )[0]
    harness.query(
        db,
        """INSERT INTO workflow_instance
                (definition_id, res_model, res_id, name, company_id, stage_id,
                 stage_entered_at, started_at, state, sla_deadline, sla_warning_at,
                 sla_state, create_uid, create_date, write_uid, write_date)
           SELECT %(d)s, %(m)s, 10000000 + g, 'SLA due ' || g, 1, %(s)s,
                  now() at time zone 'UTC' - interval '2 days',
                  now() at time zone 'UTC' - interval '2 days', 'running',
                  now() at time zone 'UTC' - interval '1 hour',
                  now() at time zone 'UTC' - interval '3 hours', 'on_track',
                  1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
             FROM generate_series(1, %(n)s) g""",
        {"d": definition_id, "m": res_model, "s": stage_id, "n": count},
    )
    return definition_id


def test_sla_sweep_survives_sigkill(database):
    """SIGKILL the SLA sweep between two committed chunks, run it again: every due
    instance is breached exactly once (one event, one exception), none is missed."""
    definition_id = insert_due_instances(database, INSTANCES)
    sweep = """
cron = env.ref("workflow_monitor_base.ir_cron_sla_sweep")
cron.ir_actions_server_id.with_user(cron.user_id).run()
env.cr.commit()
"""
    started = time.monotonic()
    proc = harness.shell_process(database, sweep, log="crash-sla-first.log")
    try:
        # at least one chunk committed, the sweep still running
        wait_for(
            lambda: sla_counts(database, definition_id)[0] > 0,
            timeout=180,
            what="the first committed chunk of the sweep",
            interval=0.2,
        )
        assert proc.poll() is None, "the sweep ended before the kill: make it longer"
        harness.kill_process(proc)
    finally:
        harness.kill_process(proc)
    first_seconds = time.monotonic() - started
    at_kill = sla_counts(database, definition_id)
    breached = at_kill[0]
    assert 0 < breached < INSTANCES, f"killed mid-run: {breached} of {INSTANCES} breached"
    # each committed chunk holds its states, events and exceptions together
    assert at_kill == (breached, breached, breached, breached, breached, breached), at_kill

    started = time.monotonic()
    harness.shell(
        database,
        """
Instance = env["workflow.instance"]
while Instance._cron_sla_sweep(batch_size=5000):
    env.cr.commit()
env.cr.commit()
""",
        timeout=600,
        log="crash-sla-rerun.log",
    )
    rerun_seconds = time.monotonic() - started
    final = sla_counts(database, definition_id)
    assert final == (INSTANCES,) * 6, f"every instance breached exactly once: {final}"
    assert not harness.scalar(
        database,
        """SELECT count(*) FROM workflow_instance WHERE definition_id = %s
              AND state = 'running' AND sla_state IN ('on_track', 'warning')""",
        [definition_id],
    ), "no due instance missed"
    _logger.info(
        f"sla sweep: {INSTANCES} due instances, {breached} breached before the kill "
        f"after {first_seconds:.1f} s, the rest in {rerun_seconds:.1f} s after the restart"
    )
