# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The circuit breaker of an integration.

Its state lives on ``workflow.integration`` (``consecutive_failures``,
``circuit_trips``, ``circuit_open_until``, last success and failure) and only this file
changes it. The delivery job asks which integrations it may send to
(``_delivery_gate``), tallies the outcomes of its batch on the ``CircuitTally`` the gate
hands out, and reports it back (``_record_delivery_outcomes``): the breaker opens,
probes (half-open: one message after the cool-down) and closes here.

The tally also says how many requests an integration may have in flight at once
(``CircuitTally.room``): ``max_in_flight`` for a service that answered well last time;
one at first for a service that never answered or is failing, one more after each
success (slow start, as TCP does); and never more than the failures left before the
breaker opens once a failure is seen, so a failing service gets no more requests than
the threshold it was given.

The per-batch write is one UPDATE of the integration's own table, outside ``write()``:
these are runtime counters, not configuration. One statement per batch whatever the
number of integrations, no config audit check, no chatter tracking, and never a registry
cache clear (the cache mixin clears only on ``_workflow_cache_fields``; a clear signals
every worker to drop its caches).
"""

import dataclasses
from datetime import datetime, timedelta
from typing import NamedTuple

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import signature

CIRCUIT_MAX_COOLDOWN = 3600  # seconds: the cool-down doubles at each failed probe up to this
MAX_LAST_ERROR = 250  # characters of the last error kept on the integration


def circuit_tripped(consecutive_failures, threshold):
    """The breaker rule: open once the consecutive failures reach the threshold."""
    return (consecutive_failures or 0) >= threshold


@dataclasses.dataclass
class DeliveryEndpoint:
    """What the delivery job needs of one active integration, read once per batch."""

    id: int
    name: str
    company_id: int | None
    url: str | None
    signing_secret: str
    timeout_seconds: int
    max_attempts: int
    circuit_threshold: int
    circuit_cooldown_seconds: int
    circuit_open_until: datetime | None
    circuit_trips: int
    consecutive_failures: int
    paused: bool
    max_in_flight: int
    proven: bool  # it answered successfully last time (last success, no failure since)
    _key: bytes | None = None

    def signing_key(self):
        """The decoded signing secret, decoded on the first message sent."""
        if self._key is None:
            self._key = signature.secret_key(self.signing_secret)
        return self._key

    def blocked_until(self, now):
        """When the open circuit lets a probe through (None: not blocked by it)."""
        if circuit_tripped(self.consecutive_failures, self.circuit_threshold):
            if self.circuit_open_until and self.circuit_open_until > now:
                return self.circuit_open_until
        return None


class DeliveryGate(NamedTuple):
    """Active integrations split for one batch: ``open`` ones take a full batch,
    ``probing`` ones (circuit half-open) a single message, ``blocked`` ones (paused or
    circuit open) nothing. Each maps an integration id to its ``DeliveryEndpoint``."""

    open: dict
    probing: dict
    blocked: dict

    @property
    def endpoints(self):
        """The integrations the batch may send to, by id."""
        return {**self.open, **self.probing}

    def reopening_at(self, now):
        """The earliest moment an open circuit lets a probe through, or None."""
        moments = [e.blocked_until(now) for e in self.blocked.values()]
        return min((moment for moment in moments if moment), default=None)

    def tally(self):
        return CircuitTally(self.endpoints)


@dataclasses.dataclass
class CircuitTally:
    """The outcomes of one batch per integration, as the delivery job reports them."""

    endpoints: dict
    failures: dict = dataclasses.field(default_factory=dict)  # id -> consecutive failures
    last_success: dict = dataclasses.field(default_factory=dict)  # id -> datetime
    last_failure: dict = dataclasses.field(default_factory=dict)  # id -> (datetime, error)
    windows: dict = dataclasses.field(default_factory=dict)  # id -> requests allowed at once

    def room(self, integration_id, in_flight):
        """How many more requests of this integration may start now, with ``in_flight``
        of them unanswered: its window (slow start up to ``max_in_flight``), and once it
        is failing, no more than the failures left before the breaker opens."""
        endpoint = self.endpoints[integration_id]
        window = self.windows.get(integration_id)
        if window is None:
            window = self.windows[integration_id] = endpoint.max_in_flight if endpoint.proven else 1
        allowed = window
        failures = self.failures.get(integration_id, endpoint.consecutive_failures)
        if failures:
            budget = endpoint.circuit_threshold - failures
            if integration_id not in self.failures:
                budget = max(budget, 1)  # the probe of a half-open circuit always goes
            allowed = min(allowed, budget)
        return max(0, min(allowed, endpoint.max_in_flight) - in_flight)

    def tripped(self, integration_id):
        """True once failures of this batch opened the circuit: stop sending. A probe
        starts above the threshold, so its first message always goes."""
        if integration_id not in self.failures:
            return False
        return circuit_tripped(
            self.failures[integration_id], self.endpoints[integration_id].circuit_threshold
        )

    def report(self, integration_id, attempt_at, error):
        """Count one attempt: a success closes the run of failures, an error extends it."""
        if integration_id not in self.failures:
            self.failures[integration_id] = self.endpoints[integration_id].consecutive_failures
        if error is None:
            self.failures[integration_id] = 0
            self.last_success[integration_id] = attempt_at
            if integration_id in self.windows:  # slow start: one more after each success
                self.windows[integration_id] += 1
        else:
            self.failures[integration_id] += 1
            self.last_failure[integration_id] = (attempt_at, error)

    @property
    def touched(self):
        """Ids of the integrations that got at least one attempt."""
        return list(self.failures)

    @property
    def failing(self):
        """Ids of the integrations that had at least one failed attempt."""
        return list(self.last_failure)


class WorkflowIntegration(models.Model):
    _inherit = "workflow.integration"

    @api.model
    @api.private
    def _delivery_gate(self, now):
        """One query: the active integrations as ``DeliveryEndpoint``s, split by what
        their pause and circuit breaker let through now."""
        self.flush_model()
        self.env.cr.execute(
            """SELECT id, name, company_id, url, signing_secret, timeout_seconds,
                      max_attempts, circuit_threshold, circuit_cooldown_seconds,
                      circuit_open_until, COALESCE(circuit_trips, 0),
                      COALESCE(consecutive_failures, 0), COALESCE(paused, FALSE),
                      GREATEST(COALESCE(max_in_flight, 1), 1),
                      last_success_at IS NOT NULL AND COALESCE(consecutive_failures, 0) = 0
                 FROM workflow_integration WHERE active"""
        )
        gate = DeliveryGate({}, {}, {})
        for row in self.env.cr.fetchall():
            endpoint = DeliveryEndpoint(*row)
            if endpoint.paused or endpoint.blocked_until(now):
                gate.blocked[endpoint.id] = endpoint
            elif circuit_tripped(endpoint.consecutive_failures, endpoint.circuit_threshold):
                gate.probing[endpoint.id] = endpoint
            else:
                gate.open[endpoint.id] = endpoint
        return gate

    @api.model
    @api.private
    def _record_delivery_outcomes(self, tally, counts=None):
        """Consecutive failures, last success and failure, and the breaker, in one
        UPDATE for the integrations of the batch: closed after a success, opened (or
        kept open with a doubled cool-down after a failed probe) at the threshold.
        ``counts`` (a ``DeliveryCounts``) go to the cumulative counters in the same
        statement (``workflow_integration_counter.py``)."""
        if not tally.touched:
            return
        Counter = self.env["workflow.integration.counter"]
        upsert = Counter._upsert_sql(counts) if counts else None
        now = fields.Datetime.now()
        rows = []
        for integration_id in tally.touched:
            endpoint = tally.endpoints[integration_id]
            count = tally.failures[integration_id]
            trips, open_until = self._circuit_after(endpoint, count, now)
            failure_at, error = tally.last_failure.get(integration_id, (None, None))
            rows.append(
                (
                    integration_id,
                    count,
                    tally.last_success.get(integration_id),
                    failure_at,
                    error[:MAX_LAST_ERROR] if error else None,
                    trips,
                    open_until,
                )
            )
        self.env.cr.execute(
            SQL(
                """%s UPDATE workflow_integration i
                      SET consecutive_failures = v.failures,
                          last_success_at = COALESCE(v.success, i.last_success_at),
                          last_failure_at = COALESCE(v.failure_at, i.last_failure_at),
                          last_error = COALESCE(v.error, i.last_error),
                          circuit_trips = v.trips,
                          circuit_open_until = v.open_until
                     FROM unnest(%s::int[], %s::int[], %s::timestamp[], %s::timestamp[],
                                 %s::varchar[], %s::int[], %s::timestamp[])
                          AS v(id, failures, success, failure_at, error, trips, open_until)
                    WHERE i.id = v.id""",
                SQL("WITH counted AS (%s)", upsert) if upsert else SQL(),
                *[list(column) for column in zip(*rows)],
            )
        )
        if upsert:
            Counter.invalidate_model(["value"])
        self.browse(tally.touched).invalidate_recordset(
            [
                "consecutive_failures",
                "last_success_at",
                "last_failure_at",
                "last_error",
                "circuit_trips",
                "circuit_open_until",
            ]
        )

    @api.model
    def _circuit_after(self, endpoint, failures, now):
        """(trips, open until) of the breaker after a batch ending on ``failures``."""
        if failures == 0:
            return 0, None
        if circuit_tripped(failures, endpoint.circuit_threshold):
            # opened in this batch, or a failed probe: pause, doubling the cool-down
            cooldown = min(
                endpoint.circuit_cooldown_seconds * (2**endpoint.circuit_trips),
                CIRCUIT_MAX_COOLDOWN,
            )
            return endpoint.circuit_trips + 1, now + timedelta(seconds=cooldown)
        return endpoint.circuit_trips, endpoint.circuit_open_until

    def _circuit_is_open(self):
        """Whether the breaker of this integration stops (or probes) its deliveries."""
        self.ensure_one()
        return circuit_tripped(self.consecutive_failures, self.circuit_threshold)

    def _circuit_close(self):
        """Close the breaker by hand (Resume): the next batch sends again."""
        self.write({"circuit_open_until": False, "circuit_trips": 0, "consecutive_failures": 0})
