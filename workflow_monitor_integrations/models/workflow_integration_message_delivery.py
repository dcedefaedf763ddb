# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Delivery of the outbox: claim, lease, send, retry.

One batch is: ask the integrations' circuit breaker which integrations may be sent to
(``workflow.integration._delivery_gate``), claim due messages with ``FOR UPDATE SKIP
LOCKED`` under a lease, POST them signed (``tools/transport.py``), up to
``max_in_flight`` at once per integration, store the results in one UPDATE, report the
outcomes to the breaker in one UPDATE, then turn 410 answers and exhausted attempts into
dead letters. The number of statements of a batch does not grow with its size
(``test_delivery_batch_statement_budget``).

Concurrency: a thread pool does the HTTP requests and nothing else. Claiming, deciding
what may start, and recording what came back all happen in the job's own thread, on its
cursor; the sending threads get a message's bytes and an endpoint and give back a
``PostResult``.

Order per document: a message is claimed only when no earlier message of the same
integration and document (``res_model``, ``res_id``) is still waiting, failed (to be
retried) or being sent, by this worker or another one. Two messages of one document are
therefore never in flight together and never arrive out of order; a failing message
holds the later ones of its document back until it is delivered or given up (dead).
"""

import collections
import dataclasses
import logging
import time
from concurrent.futures import FIRST_COMPLETED, wait
from datetime import datetime, timedelta
from typing import NamedTuple

import psycopg2

from odoo import _, api, fields, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import bulk_update, commit_chunk

from ..tools import transport
from .workflow_integration_counter import DeliveryCounts
from .workflow_integration_message import MAX_ERROR, message_body, retry_delay

_logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 300
LEASE_SAFETY = 0.8  # stop sending a batch once this share of its lease is spent
GONE = 410  # the service asks us to stop: the route is disabled
# columns written for every message of a batch, in DeliveryResult order plus the lease
RESULT_COLUMNS = (
    ("id", "int4"),
    ("state", "varchar"),
    ("attempts", "int4"),
    ("last_attempt_at", "timestamp"),
    ("last_http_status", "int4"),
    ("last_error", "text"),
    ("latency_ms", "float8"),
    ("delivered_at", "timestamp"),
    ("next_attempt_at", "timestamp"),
    ("lease_until", "timestamp"),
    ("write_date", "timestamp"),
    ("write_uid", "int4"),
)


# true for a message ``m`` that must wait: an earlier message of its integration and
# document is not settled yet (pending, failed and waiting for its retry, or being sent)
WAITS_FOR_EARLIER = SQL(
    """EXISTS (SELECT 1 FROM workflow_integration_message earlier
                WHERE earlier.direction = 'out'
                  AND earlier.state IN ('pending', 'failed', 'sending')
                  AND earlier.integration_id = m.integration_id
                  AND earlier.res_model = m.res_model
                  AND earlier.res_id = m.res_id
                  AND earlier.id < m.id)"""
)


class ClaimedMessage(NamedTuple):
    """A message taken by this worker (state 'sending' under its lease)."""

    id: int
    integration_id: int
    route_id: int | None
    webhook_id: str
    payload: dict
    attempts: int


class DeliveryResult(NamedTuple):
    """The new delivery state of one message after its attempt."""

    id: int
    state: str
    attempts: int
    last_attempt_at: datetime
    last_http_status: int | None
    last_error: str | None
    latency_ms: float
    delivered_at: datetime | None
    next_attempt_at: datetime | None


class DeadLetter(NamedTuple):
    message_id: int
    integration_id: int
    error: str | None


@dataclasses.dataclass
class BatchOutcome:
    """What one batch did: results to store, messages given back unsent, dead letters
    and routes answered 410 Gone ({route id: message id})."""

    results: list = dataclasses.field(default_factory=list)
    released: list = dataclasses.field(default_factory=list)
    dead: list = dataclasses.field(default_factory=list)
    gone_routes: dict = dataclasses.field(default_factory=dict)
    counts: DeliveryCounts = dataclasses.field(default_factory=DeliveryCounts)


class WorkflowIntegrationMessage(models.Model):
    _inherit = "workflow.integration.message"

    # ------------------------------------------------------------
    # THE JOB
    # ------------------------------------------------------------

    @api.model
    @api.private
    def _cron_deliver(self, batch_size=200, time_budget=50):
        """Deliver due outbound messages, batch after batch, within ``time_budget``
        seconds (the cron runner stops after 10 progress batches, so the loop is here).

        Each batch is claimed with FOR UPDATE SKIP LOCKED and marked 'sending' under a
        lease before anything is sent: two workers never send the same message, and a
        message left 'sending' by a crashed worker is sent again once the lease expires.
        """
        started = time.monotonic()
        done = 0
        commit_chunk(self.env)  # start each batch in a fresh transaction (see _read_committed)
        self._read_committed()
        reclaimed = self._reclaim_expired_leases(fields.Datetime.now())
        if reclaimed:
            _logger.warning("%s webhook message(s) reclaimed after their lease expired", reclaimed)
        touched = set()
        while True:
            sent = self._deliver_batch(batch_size, started, time_budget, touched=touched)
            done += sent
            commit_chunk(self.env)
            if not sent or time.monotonic() - started >= time_budget:
                break
        self._read_committed()
        if touched:
            self.env["workflow.integration"].browse(list(touched))._refresh_health()
        remaining = self._schedule_next_run()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _read_committed(self):
        """Run the coming transaction in READ COMMITTED when it has not started yet
        (the cron commits between batches). Odoo's default REPEATABLE READ would fail
        with a serialization error whenever another worker commits a claimed row or the
        integration's counters after our snapshot; READ COMMITTED with SKIP LOCKED is
        the queue pattern PostgreSQL documents. Inside an open transaction (tests,
        callers mid-transaction) nothing changes."""
        connection = self.env.cr._cnx
        if connection.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return True
        return False

    @api.model
    @api.private
    def _deliver_batch(self, batch_size, started=None, time_budget=None, touched=None):
        """Claim and send one batch; the ids of the integrations it touched are added to
        ``touched`` (a set) when given, for one health refresh at the end of the job."""
        self._read_committed()
        now = fields.Datetime.now()
        lease_seconds = self._lease_seconds()
        gate = self.env["workflow.integration"]._delivery_gate(now)
        claimed = self._claim_batch(gate, batch_size, now, now + timedelta(seconds=lease_seconds))
        if not claimed:
            return 0
        tally = gate.tally()
        outcome = self._send_claimed(claimed, gate.endpoints, tally, lease_seconds)
        self._store_results(outcome.results, outcome.released)
        self.env["workflow.integration"]._record_delivery_outcomes(tally, outcome.counts)
        if outcome.gone_routes:
            self._disable_gone_routes(outcome.gone_routes)
        if outcome.dead:
            self._raise_dead_letters(outcome.dead, gate.endpoints)
        # health: at once when something failed (down must show quickly), otherwise
        # once at the end of the job's call (see _cron_deliver)
        if tally.failing:
            self.env["workflow.integration"].browse(tally.failing)._refresh_health()
        if touched is not None:
            touched.update(tally.touched)
        return len(outcome.results)

    # ------------------------------------------------------------
    # CLAIM AND LEASE
    # ------------------------------------------------------------

    @api.model
    def _lease_seconds(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("workflow_monitor.webhook_lease_seconds", DEFAULT_LEASE_SECONDS)
        )

    @api.model
    @api.private
    def _reclaim_expired_leases(self, now):
        """Messages left 'sending' by a crashed worker go back to 'pending'."""
        self.env.cr.execute(
            SQL(
                """UPDATE workflow_integration_message
                      SET state = 'pending', lease_until = NULL, next_attempt_at = %(now)s,
                          last_error = 'Lease expired while sending (worker stopped?): sent again.'
                    WHERE id IN (SELECT id FROM workflow_integration_message
                                  WHERE state = 'sending' AND lease_until < %(now)s
                                    FOR UPDATE SKIP LOCKED)""",
                now=now,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _claim_batch(self, gate, batch_size, now, lease_until):
        """A batch from the open integrations, plus a single probe per integration whose
        circuit is half-open."""
        claimed = self._claim(gate.open, batch_size, now, lease_until)
        for integration_id in gate.probing:
            claimed += self._claim([integration_id], 1, now, lease_until)
        return claimed

    @api.model
    @api.private
    def _claim(self, integration_ids, limit, now, lease_until):
        """Take up to ``limit`` due messages of these integrations, skipping rows other
        workers hold, and mark them 'sending' under a lease: ``ClaimedMessage``s in id
        order. A message waits while an earlier one of its document is unsettled (see
        the module docstring): at most one message per document is taken."""
        if not integration_ids or limit <= 0:
            return []
        self.env.cr.execute(
            SQL(
                """WITH due AS (
                       SELECT id FROM workflow_integration_message m
                        WHERE direction = 'out' AND state IN ('pending', 'failed')
                          AND next_attempt_at <= %(now)s
                          AND integration_id = ANY(%(ids)s)
                          AND NOT %(waits)s
                     ORDER BY next_attempt_at, id
                        LIMIT %(limit)s
                          FOR UPDATE SKIP LOCKED)
                   UPDATE workflow_integration_message m
                      SET state = 'sending', lease_until = %(lease)s
                     FROM due WHERE m.id = due.id
                RETURNING m.id, m.integration_id, m.route_id, m.webhook_id, m.payload,
                          COALESCE(m.attempts, 0)""",
                now=now,
                ids=list(integration_ids),
                limit=limit,
                lease=lease_until,
                waits=WAITS_FOR_EARLIER,
            )
        )
        return sorted(ClaimedMessage(*row) for row in self.env.cr.fetchall())

    # ------------------------------------------------------------
    # SEND AND RETRY
    # ------------------------------------------------------------

    @api.model
    def _send_claimed(self, claimed, endpoints, tally, lease_seconds):
        """POST the claimed messages, in id order per integration and up to the number
        its tally allows at once (``CircuitTally.room``). The threads only send; each
        answer is recorded here as it comes. Stops early (the rest is given back) for an
        integration whose circuit this batch opened, and for everything once the lease is
        nearly spent."""
        outcome = BatchOutcome()
        deadline = time.monotonic() + lease_seconds * LEASE_SAFETY
        waiting = collections.defaultdict(collections.deque)
        for message in claimed:
            waiting[message.integration_id].append(message)
        for integration_id in waiting:
            endpoints[integration_id].signing_key()  # decoded once, before any thread
        pool = transport.sending_pool()
        in_flight = {}  # future -> ClaimedMessage
        try:
            self._start_sends(pool, waiting, in_flight, endpoints, tally, deadline, outcome)
            while in_flight:
                done, _running = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    message = in_flight.pop(future)
                    endpoint = endpoints[message.integration_id]
                    attempt_at = fields.Datetime.now()
                    sent = future.result()
                    tally.report(endpoint.id, attempt_at, sent.error)
                    self._add_result(outcome, message, endpoint, sent, attempt_at)
                self._start_sends(pool, waiting, in_flight, endpoints, tally, deadline, outcome)
        finally:
            wait(in_flight)  # an error above: the requests already sent still finish
        for queue in waiting.values():  # nothing left to wait for: give the rest back
            outcome.released.extend(message.id for message in queue)
        return outcome

    @api.model
    def _start_sends(self, pool, waiting, in_flight, endpoints, tally, deadline, outcome):
        """Hand to the pool as many waiting messages as each integration has room for;
        release those of an integration whose circuit opened, and all once the lease is
        nearly spent."""
        busy = collections.Counter(message.integration_id for message in in_flight.values())
        late = time.monotonic() > deadline
        for integration_id, queue in waiting.items():
            if late or tally.tripped(integration_id):
                outcome.released.extend(message.id for message in queue)
                queue.clear()
                continue
            endpoint = endpoints[integration_id]
            for _slot in range(min(len(queue), tally.room(integration_id, busy[integration_id]))):
                message = queue.popleft()
                body = message_body(message.payload)
                future = pool.submit(transport.post_signed, endpoint, message.webhook_id, body)
                in_flight[future] = message

    @api.model
    def _add_result(self, outcome, message, endpoint, sent, attempt_at):
        """The state after one attempt: delivered; dead (410 Gone, or the last attempt);
        or failed, retried after the backoff of its attempt number."""
        attempts = message.attempts + 1
        if sent.error is None:
            state, next_at = "delivered", None
        elif sent.status == GONE or attempts >= endpoint.max_attempts:
            state, next_at = "dead", None
        else:
            state, next_at = "failed", attempt_at + timedelta(seconds=retry_delay(attempts))
        outcome.results.append(
            DeliveryResult(
                id=message.id,
                state=state,
                attempts=attempts,
                last_attempt_at=attempt_at,
                last_http_status=sent.status,
                last_error=sent.error[:MAX_ERROR] if sent.error else None,
                latency_ms=sent.latency_ms,
                delivered_at=attempt_at if state == "delivered" else None,
                next_attempt_at=next_at,
            )
        )
        outcome.counts.add(message.integration_id, state, sent.error, sent.latency_ms)
        if state == "dead":
            outcome.dead.append(DeadLetter(message.id, message.integration_id, sent.error))
        if sent.status == GONE and message.route_id:
            outcome.gone_routes[message.route_id] = message.id

    @api.model
    @api.private
    def _store_results(self, results, released):
        """One UPDATE for the results of the batch; the released messages go back to
        the queue untouched."""
        cr = self.env.cr
        now = fields.Datetime.now()
        if results:
            bulk_update(
                cr,
                self._table,
                RESULT_COLUMNS,
                [tuple(result) + (None, now, self.env.uid) for result in results],
            )
        if released:
            # not sent (circuit opened or lease nearly over): back to the queue untouched
            cr.execute(
                SQL(
                    """UPDATE workflow_integration_message
                          SET state = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,
                              lease_until = NULL
                        WHERE id = ANY(%s) AND state = 'sending'""",
                    released,
                )
            )
        self.invalidate_model()

    @api.model
    @api.private
    def _schedule_next_run(self):
        """Count what is still due now (a message held back by an earlier one of its
        document is not); trigger the job for the next retry or the end of an open
        circuit. Returns the number of messages due now."""
        now = fields.Datetime.now()
        gate = self.env["workflow.integration"]._delivery_gate(now)
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FILTER (WHERE next_attempt_at <= %(now)s
                                             AND integration_id = ANY(%(ids)s)
                                             AND NOT %(waits)s),
                          min(next_attempt_at) FILTER (WHERE next_attempt_at > %(now)s)
                     FROM workflow_integration_message m
                    WHERE direction = 'out' AND state IN ('pending', 'failed')""",
                now=now,
                ids=list(gate.endpoints),
                waits=WAITS_FOR_EARLIER,
            )
        )
        remaining, next_retry = self.env.cr.fetchone()
        moments = [moment for moment in (next_retry, gate.reopening_at(now)) if moment]
        cron = self.env.ref(
            "workflow_monitor_integrations.ir_cron_webhook_delivery", raise_if_not_found=False
        )
        if cron and moments:
            cron.sudo()._trigger(min(moments))
        return remaining

    # ------------------------------------------------------------
    # DEAD LETTERS
    # ------------------------------------------------------------

    @api.model
    @api.private
    def _disable_gone_routes(self, gone_routes):
        """410 Gone: the service asks us to stop. Deactivate the route, turn what it still
        queues into dead letters and tell the technical team once per route."""
        routes = self.env["workflow.integration.route"].sudo().browse(list(gone_routes))
        routes.write({"active": False})
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """UPDATE workflow_integration_message
                      SET state = 'dead',
                          last_error = 'Route disabled: the service answered 410 Gone.'
                    WHERE route_id = ANY(%s) AND direction = 'out'
                      AND state IN ('pending', 'failed')""",
                routes.ids,
            )
        )
        self.invalidate_model()
        self.env["workflow.exception"].sudo().raise_exceptions(
            [
                {
                    "category_code": "integration_failure",
                    "record": route.integration_id,
                    "severity": "high",
                    "failure_kind": "structural",
                    "dedupe_key": f"integration_route_gone:{route.id}",
                    "name": _(
                        "%(integration)s answered 410 Gone: route %(route)s disabled",
                        integration=route.integration_id.name,
                        route=route.name,
                    ),
                    "description": _(
                        "The service no longer accepts these webhooks. Check its endpoint, "
                        "reactivate the route and replay the dead letters if it was a mistake."
                    ),
                    "company_id": route.integration_id.company_id.id or None,
                }
                for route in routes
            ]
        )

    @api.model
    @api.private
    def _raise_dead_letters(self, dead, endpoints):
        """One ``integration_failure`` per integration, counting its dead letters."""
        self.env["workflow.exception"].sudo().raise_exceptions(
            [
                {
                    "category_code": "integration_failure",
                    "res_model": "workflow.integration",
                    "res_id": letter.integration_id,
                    "severity": "high",
                    "dedupe_key": f"integration_dead:{letter.integration_id}",
                    "name": _(
                        "Webhooks to %(name)s became dead letters",
                        name=endpoints[letter.integration_id].name,
                    ),
                    "description": _(
                        "Message %(webhook)s was given up after its last attempt (%(error)s). "
                        "Fix the cause, then replay the dead letters from Integrations > "
                        "Messages.",
                        webhook=letter.message_id,
                        error=(letter.error or "")[:300],
                    ),
                    "company_id": endpoints[letter.integration_id].company_id or None,
                }
                for letter in dead
            ]
        )
