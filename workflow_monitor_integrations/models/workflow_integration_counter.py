# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Cumulative delivery counters of an integration, for the Prometheus counters of
``/workflow_monitor/metrics`` (``workflow_integration_metrics.py``).

A Prometheus counter must never go down. Counting stored messages would: the retention
job deletes delivered messages, a replay resets a message's attempts. So every attempt is
counted once, when its outcome is recorded, into one row per integration and counter,
and nothing but that upsert changes the rows (no message purge or replay touches them).

The upsert is one statement per delivery batch, written as a data-modifying CTE of the
breaker's own UPDATE (``workflow_integration_circuit._record_delivery_outcomes``): a batch
keeps its statement budget.
"""

import collections
import dataclasses

from odoo import api, fields, models
from odoo.tools import SQL

# upper bounds (ms) of the latency histogram of delivered webhooks
LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)
DELIVERED = "delivered"  # messages delivered (2xx); also the histogram's count
FAILED_ATTEMPTS = "failed_attempts"  # attempts that got no 2xx answer
DEAD = "dead"  # messages given up (last attempt failed, or 410 Gone)
LATENCY_SUM_MS = "latency_sum_ms"  # total latency of the delivered ones


def latency_bucket(bound_ms):
    """The counter code of the histogram bucket ``latency <= bound_ms``."""
    return f"latency_le_{bound_ms}"


@dataclasses.dataclass
class DeliveryCounts:
    """What the attempts of one batch add to the counters: {integration id: {code: n}}."""

    values: dict = dataclasses.field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )

    def add(self, integration_id, state, error, latency_ms):
        """Count one attempt that ended in ``state`` (delivered, failed or dead)."""
        counts = self.values[integration_id]
        if error is not None:
            counts[FAILED_ATTEMPTS] += 1
        if state == "dead":
            counts[DEAD] += 1
        if state == "delivered":
            counts[DELIVERED] += 1
            counts[LATENCY_SUM_MS] += latency_ms or 0.0
            for bound in LATENCY_BUCKETS_MS:
                if (latency_ms or 0.0) <= bound:
                    counts[latency_bucket(bound)] += 1

    def rows(self):
        """(integration id, code, increment) of every counter that moved."""
        return [
            (integration_id, code, float(value))
            for integration_id, counts in sorted(self.values.items())
            for code, value in sorted(counts.items())
            if value
        ]


class WorkflowIntegrationCounter(models.Model):
    """One cumulative counter of an integration (see the module docstring)."""

    _name = "workflow.integration.counter"
    _description = "Integration Delivery Counter"
    _order = "integration_id, code"
    _rec_name = "code"
    _log_access = False

    integration_id = fields.Many2one(
        "workflow.integration", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(
        related="integration_id.company_id", store=True, index=True, readonly=True
    )
    code = fields.Char(required=True, readonly=True)
    value = fields.Float(readonly=True, default=0.0, aggregator="sum")

    _sql_constraints = [
        (
            "integration_code_unique",
            "unique(integration_id, code)",
            "An integration has one row per counter.",
        ),
    ]

    @api.model
    def _upsert_sql(self, counts):
        """The INSERT ... ON CONFLICT adding ``counts`` (a ``DeliveryCounts``) to the
        counters, as an SQL object to run alone or as a CTE; None when nothing moved."""
        rows = counts.rows()
        if not rows:
            return None
        ids, codes, values = (list(column) for column in zip(*rows))
        return SQL(
            """INSERT INTO workflow_integration_counter AS c
                      (integration_id, company_id, code, value)
               SELECT v.id, i.company_id, v.code, v.value
                 FROM unnest(%s::int[], %s::varchar[], %s::float8[]) AS v(id, code, value)
                 JOIN workflow_integration i ON i.id = v.id
               ON CONFLICT (integration_id, code) DO UPDATE SET value = c.value + EXCLUDED.value""",
            ids,
            codes,
            values,
        )

    @api.model
    def _counter_values(self):
        """{integration id: {code: value}} of every counter, in one query."""
        self.env.cr.execute("SELECT integration_id, code, value FROM workflow_integration_counter")
        values = collections.defaultdict(dict)
        for integration_id, code, value in self.env.cr.fetchall():
            values[integration_id][code] = value
        return values
