# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Prometheus metrics of the suite (``GET /workflow_monitor/metrics``), from grouped
queries only: one step per group of metric families. Another module adds families by
extending ``_metrics_write`` (call ``super()``, then write its own)."""

from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools.severity import SEVERITY_CODES

from ..tools.metrics import Exposition

LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)
QUEUED_STATES = ("pending", "sending", "failed")
OPEN_EXCEPTION_STATES = ("new", "assigned", "in_progress")
REFUSED_WINDOW_HOURS = 24


class MessageCount(NamedTuple):
    """Messages of one integration, direction and state."""

    integration_id: int
    direction: str
    state: str
    count: int
    attempts: int
    delivered: int


class WorkflowIntegration(models.Model):
    _inherit = "workflow.integration"

    @api.model
    @api.private
    def _metrics_text(self):
        """The Prometheus exposition text of the suite."""
        self.env.flush_all()
        out = Exposition()
        self._metrics_write(out, fields.Datetime.now())
        return out.text()

    @api.model
    def _metrics_write(self, out, now):
        names = self._metrics_integrations()
        counts = self._metrics_message_counts()
        self._metrics_queue(out, names, counts)
        self._metrics_deliveries(out, names, counts)
        self._metrics_up(out, names)
        self._metrics_refused(out, now)
        self._metrics_latency(out, names)
        self._metrics_exceptions(out)
        self._metrics_crons(out, now)

    @api.model
    def _metrics_integrations(self):
        """{id: (name, state)} of the active integrations, in id order."""
        self.env.cr.execute(
            "SELECT id, name, state FROM workflow_integration WHERE active ORDER BY id"
        )
        return {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}

    @api.model
    def _metrics_message_counts(self):
        self.env.cr.execute(
            """SELECT integration_id, direction, state, count(*),
                      COALESCE(sum(attempts), 0),
                      count(*) FILTER (WHERE state = 'delivered')
                 FROM workflow_integration_message GROUP BY 1, 2, 3"""
        )
        return [MessageCount(*row) for row in self.env.cr.fetchall()]

    @staticmethod
    def _metrics_name(names, integration_id):
        return names.get(integration_id, (str(integration_id),))[0]

    @api.model
    def _metrics_queue(self, out, names, counts):
        """Queue depth per integration, and every stored message by state."""
        out.family(
            "workflow_monitor_integration_queue_depth",
            "gauge",
            "Outbound messages waiting to be delivered (pending, sending, failed).",
        )
        depth = dict.fromkeys(names, 0)
        for row in counts:
            if row.direction == "out" and row.state in QUEUED_STATES:
                depth[row.integration_id] = depth.get(row.integration_id, 0) + row.count
        for integration_id, count in sorted(depth.items()):
            out.sample(
                "workflow_monitor_integration_queue_depth",
                count,
                integration=self._metrics_name(names, integration_id),
            )
        out.family(
            "workflow_monitor_integration_messages",
            "gauge",
            "Stored integration messages by integration, direction and state.",
        )
        for row in sorted(counts, key=str):
            out.sample(
                "workflow_monitor_integration_messages",
                row.count,
                integration=self._metrics_name(names, row.integration_id),
                direction=row.direction,
                state=row.state,
            )

    @api.model
    def _metrics_deliveries(self, out, names, counts):
        """Delivered messages and failed attempts per integration (counters)."""
        delivered, failures = defaultdict(int), defaultdict(int)
        for row in counts:
            if row.direction == "out":
                delivered[row.integration_id] += row.delivered
                failures[row.integration_id] += row.attempts - row.delivered
        integration_ids = sorted(set(names) | set(delivered))
        for name, kind, help_text, values in (
            (
                "workflow_monitor_integration_deliveries_total",
                "counter",
                "Outbound messages delivered (2xx) per integration.",
                delivered,
            ),
            (
                "workflow_monitor_integration_failures_total",
                "counter",
                "Failed delivery attempts (non-2xx, timeout, connection error) per integration.",
                failures,
            ),
        ):
            out.family(name, kind, help_text)
            for integration_id in integration_ids:
                out.sample(
                    name,
                    values.get(integration_id, 0),
                    integration=self._metrics_name(names, integration_id),
                )

    @api.model
    def _metrics_up(self, out, names):
        out.family(
            "workflow_monitor_integration_up",
            "gauge",
            "1 when the integration is healthy or degraded, 0 when down or paused.",
        )
        for name, state in names.values():
            up = 1 if state in ("healthy", "degraded") else 0
            out.sample("workflow_monitor_integration_up", up, integration=name, state=state)

    @api.model
    def _metrics_refused(self, out, now):
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
        out.family(
            "workflow_monitor_inbound_refused",
            "gauge",
            "Inbound requests refused before their sender was authenticated, by integration "
            "and reason, over the last 24 hours (unknown key: integration empty).",
        )
        for _integration_id, name, reason, count in self.env.cr.fetchall():
            out.sample(
                "workflow_monitor_inbound_refused", count, integration=name or "", reason=reason
            )

    @api.model
    def _metrics_latency(self, out, names):
        """Latency histogram of the delivered webhooks, per integration."""
        buckets = SQL(", ").join(
            SQL("count(*) FILTER (WHERE latency_ms <= %s)", bound) for bound in LATENCY_BUCKETS_MS
        )
        self.env.cr.execute(
            SQL(
                """SELECT integration_id, %s, count(*), COALESCE(sum(latency_ms), 0)
                     FROM workflow_integration_message
                    WHERE direction = 'out' AND state = 'delivered' AND latency_ms IS NOT NULL
                 GROUP BY integration_id ORDER BY integration_id""",
                buckets,
            )
        )
        name = "workflow_monitor_webhook_latency_seconds"
        out.family(name, "histogram", "Latency of delivered outbound webhooks.")
        for row in self.env.cr.fetchall():
            integration_id, counts, total, total_ms = row[0], row[1:-2], row[-2], row[-1]
            integration = self._metrics_name(names, integration_id)
            for bound, count in zip(LATENCY_BUCKETS_MS, counts):
                out.sample(f"{name}_bucket", count, integration=integration, le=f"{bound / 1000:g}")
            out.sample(f"{name}_bucket", total, integration=integration, le="+Inf")
            out.sample(f"{name}_sum", f"{total_ms / 1000:.6f}", integration=integration)
            out.sample(f"{name}_count", total, integration=integration)

    @api.model
    def _metrics_exceptions(self, out):
        """Open exceptions by severity and running instances in SLA breach."""
        self.env.cr.execute(
            SQL(
                """SELECT severity, count(*) FROM workflow_exception
                    WHERE state IN %s GROUP BY severity""",
                OPEN_EXCEPTION_STATES,
            )
        )
        open_by_severity = dict(self.env.cr.fetchall())
        out.family(
            "workflow_monitor_open_exceptions", "gauge", "Open workflow exceptions by severity."
        )
        for severity in SEVERITY_CODES:
            out.sample(
                "workflow_monitor_open_exceptions",
                open_by_severity.get(severity, 0),
                severity=severity,
            )
        self.env.cr.execute(
            """SELECT count(*) FROM workflow_instance
                WHERE state = 'running' AND sla_state = 'breached'"""
        )
        out.family(
            "workflow_monitor_sla_breached_instances",
            "gauge",
            "Running workflow instances whose SLA is breached.",
        )
        out.sample("workflow_monitor_sla_breached_instances", self.env.cr.fetchone()[0])

    @api.model
    def _metrics_crons(self, out, now):
        """Lag and consecutive failures of every active scheduled action."""
        self.env.cr.execute(
            "SELECT cron_name, nextcall, failure_count FROM ir_cron WHERE active ORDER BY id"
        )
        crons = self.env.cr.fetchall()
        out.family(
            "workflow_monitor_cron_lag_seconds",
            "gauge",
            "Seconds an active scheduled action is late (now - nextcall, 0 if not due).",
        )
        for name, nextcall, _failures in crons:
            lag = max(0.0, (now - nextcall).total_seconds()) if nextcall else 0.0
            out.sample("workflow_monitor_cron_lag_seconds", f"{lag:.0f}", cron=name)
        out.family(
            "workflow_monitor_cron_failures",
            "gauge",
            "Consecutive failures of an active scheduled action (Odoo's failure_count).",
        )
        for name, _nextcall, failures in crons:
            out.sample("workflow_monitor_cron_failures", failures or 0, cron=name)
