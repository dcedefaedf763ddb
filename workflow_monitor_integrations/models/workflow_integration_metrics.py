# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Prometheus metrics of the suite (``GET /workflow_monitor/metrics``): a prometheus_client
collector over grouped queries (``tools/metrics.py`` renders them), one step per group of
metric families. Counters and the latency histogram come from the cumulative counters
(``workflow_integration_counter.py``), so they never go down when messages are purged or
replayed; gauges come from the current rows. Another module adds families by extending
``_metrics_families`` (call ``super()``, then append its own)."""

from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools.severity import SEVERITY_CODES

from ..tools import metrics
from .workflow_integration_counter import (
    DEAD,
    DELIVERED,
    FAILED_ATTEMPTS,
    LATENCY_BUCKETS_MS,
    LATENCY_SUM_MS,
    latency_bucket,
)

QUEUED_STATES = ("pending", "sending", "failed")
OPEN_EXCEPTION_STATES = ("new", "assigned", "in_progress")
REFUSED_WINDOW_HOURS = 24
INTEGRATION = ["integration"]  # the label naming an integration


class MessageCount(NamedTuple):
    """Messages of one integration, direction and state."""

    integration_id: int
    direction: str
    state: str
    count: int


class IntegrationRow(NamedTuple):
    name: str
    state: str
    max_in_flight: int


class WorkflowIntegration(models.Model):
    _inherit = "workflow.integration"

    @api.model
    @api.private
    def _metrics_text(self):
        """The Prometheus exposition (bytes) of the suite."""
        self.env.flush_all()
        now = fields.Datetime.now()
        return metrics.exposition(lambda: self._metrics_families(now))

    @api.model
    def _metrics_families(self, now):
        """The metric families of one scrape, in exposition order."""
        names = self._metrics_integrations()
        counters = self.env["workflow.integration.counter"]._counter_values()
        return [
            *self._metrics_queue(names, self._metrics_message_counts()),
            *self._metrics_deliveries(names, counters),
            self._metrics_latency(names, counters),
            *self._metrics_up(names),
            self._metrics_refused(now),
            *self._metrics_exceptions(),
            *self._metrics_crons(now),
        ]

    @api.model
    def _metrics_integrations(self):
        """{id: IntegrationRow} of the active integrations, in id order."""
        self.env.cr.execute(
            "SELECT id, name, state, max_in_flight FROM workflow_integration "
            "WHERE active ORDER BY id"
        )
        return {row[0]: IntegrationRow(*row[1:]) for row in self.env.cr.fetchall()}

    @api.model
    def _metrics_message_counts(self):
        self.env.cr.execute(
            """SELECT integration_id, direction, state, count(*)
                 FROM workflow_integration_message GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
        )
        return [MessageCount(*row) for row in self.env.cr.fetchall()]

    @staticmethod
    def _metrics_name(names, integration_id):
        found = names.get(integration_id)
        return found.name if found else str(integration_id)

    @api.model
    def _metrics_queue(self, names, counts):
        """Queue depth per integration, and every stored message by state."""
        queue = GaugeMetricFamily(
            "workflow_monitor_integration_queue_depth",
            "Outbound messages waiting to be delivered (pending, sending, failed).",
            labels=INTEGRATION,
        )
        depth = dict.fromkeys(names, 0)
        for row in counts:
            if row.direction == "out" and row.state in QUEUED_STATES:
                depth[row.integration_id] = depth.get(row.integration_id, 0) + row.count
        for integration_id, count in sorted(depth.items()):
            queue.add_metric([self._metrics_name(names, integration_id)], count)
        stored = GaugeMetricFamily(
            "workflow_monitor_integration_messages",
            "Stored integration messages by integration, direction and state.",
            labels=["integration", "direction", "state"],
        )
        for row in counts:
            stored.add_metric(
                [self._metrics_name(names, row.integration_id), row.direction, row.state],
                row.count,
            )
        return [queue, stored]

    @api.model
    def _metrics_deliveries(self, names, counters):
        """Delivered messages, failed attempts and dead letters per integration (counters
        that never go down), and the concurrency limit of each integration."""
        families = []
        for name, help_text, code in (
            (
                "workflow_monitor_integration_deliveries_total",
                "Outbound messages delivered (2xx) per integration.",
                DELIVERED,
            ),
            (
                "workflow_monitor_integration_failures_total",
                "Failed delivery attempts (non-2xx, timeout, connection error) per integration.",
                FAILED_ATTEMPTS,
            ),
            (
                "workflow_monitor_integration_dead_letters_total",
                "Outbound messages given up (last attempt failed, or 410 Gone) per integration.",
                DEAD,
            ),
        ):
            family = CounterMetricFamily(name, help_text, labels=INTEGRATION)
            for integration_id in sorted(set(names) | set(counters)):
                value = counters.get(integration_id, {}).get(code, 0.0)
                family.add_metric([self._metrics_name(names, integration_id)], value)
            families.append(family)
        limit = GaugeMetricFamily(
            "workflow_monitor_integration_max_in_flight",
            "Requests an integration may have in flight at once (its max_in_flight).",
            labels=INTEGRATION,
        )
        for row in names.values():
            limit.add_metric([row.name], row.max_in_flight or 1)
        families.append(limit)
        return families

    @api.model
    def _metrics_latency(self, names, counters):
        """Latency histogram of the delivered webhooks, per integration (cumulative)."""
        family = HistogramMetricFamily(
            "workflow_monitor_webhook_latency_seconds",
            "Latency of delivered outbound webhooks.",
            labels=INTEGRATION,
        )
        for integration_id in sorted(set(names) | set(counters)):
            values = counters.get(integration_id, {})
            buckets = [
                (metrics.bucket_bound(bound / 1000), values.get(latency_bucket(bound), 0.0))
                for bound in LATENCY_BUCKETS_MS
            ]
            buckets.append(("+Inf", values.get(DELIVERED, 0.0)))
            family.add_metric(
                [self._metrics_name(names, integration_id)],
                buckets,
                sum_value=values.get(LATENCY_SUM_MS, 0.0) / 1000,
            )
        return family

    @api.model
    def _metrics_up(self, names):
        up = GaugeMetricFamily(
            "workflow_monitor_integration_up",
            "1 when the integration is healthy or degraded, 0 when down or paused.",
            labels=["integration", "state"],
        )
        for row in names.values():
            value = 1 if row.state in ("healthy", "degraded") else 0
            up.add_metric([row.name, row.state or ""], value)
        return [up]

    @api.model
    def _metrics_refused(self, now):
        """Refused unauthenticated requests of the last 24 hours, per reason."""
        self.env["workflow.integration.refusal"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT r.integration_id, i.name, r.reason, sum(r.count)
                     FROM workflow_integration_refusal r
                LEFT JOIN workflow_integration i ON i.id = r.integration_id
                    WHERE r.bucket_start >= %s
                 GROUP BY 1, 2, 3 ORDER BY 1 NULLS FIRST, 3""",
                now - timedelta(hours=REFUSED_WINDOW_HOURS),
            )
        )
        family = GaugeMetricFamily(
            "workflow_monitor_inbound_refused",
            "Inbound requests refused before their sender was authenticated, by integration "
            "and reason, over the last 24 hours (unknown key: integration empty).",
            labels=["integration", "reason"],
        )
        for _integration_id, name, reason, count in self.env.cr.fetchall():
            family.add_metric([name or "", reason], count)
        return family

    @api.model
    def _metrics_exceptions(self):
        """Open exceptions by severity and running instances in SLA breach."""
        self.env.cr.execute(
            SQL(
                """SELECT severity, count(*) FROM workflow_exception
                    WHERE state IN %s GROUP BY severity""",
                OPEN_EXCEPTION_STATES,
            )
        )
        open_by_severity = defaultdict(int, self.env.cr.fetchall())
        exceptions = GaugeMetricFamily(
            "workflow_monitor_open_exceptions",
            "Open workflow exceptions by severity.",
            labels=["severity"],
        )
        for severity in SEVERITY_CODES:
            exceptions.add_metric([severity], open_by_severity[severity])
        self.env.cr.execute(
            """SELECT count(*) FROM workflow_instance
                WHERE state = 'running' AND sla_state = 'breached'"""
        )
        breached = GaugeMetricFamily(
            "workflow_monitor_sla_breached_instances",
            "Running workflow instances whose SLA is breached.",
            value=self.env.cr.fetchone()[0],
        )
        return [exceptions, breached]

    @api.model
    def _metrics_crons(self, now):
        """Lag and consecutive failures of every active scheduled action."""
        self.env.cr.execute(
            "SELECT cron_name, nextcall, failure_count FROM ir_cron WHERE active ORDER BY id"
        )
        lag = GaugeMetricFamily(
            "workflow_monitor_cron_lag_seconds",
            "Seconds an active scheduled action is late (now - nextcall, 0 if not due).",
            labels=["cron"],
        )
        failures = GaugeMetricFamily(
            "workflow_monitor_cron_failures",
            "Consecutive failures of an active scheduled action (Odoo's failure_count).",
            labels=["cron"],
        )
        for name, nextcall, failure_count in self.env.cr.fetchall():
            late = max(0.0, (now - nextcall).total_seconds()) if nextcall else 0.0
            lag.add_metric([name], round(late))
            failures.add_metric([name], failure_count or 0)
        return [lag, failures]
