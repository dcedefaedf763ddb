# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Health of an integration: figures over the last 24 hours of its outbox, the state
derived from them and the circuit breaker, and the ``integration_failure`` exception
of an integration that is down (resolved when it delivers again).

Figures are written by one UPDATE for all integrations whose figures changed: they are
derived, not configuration, so the write goes through neither the audit, the chatter
nor the cache mixin (see ``workflow_integration_circuit.py``).
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from odoo import _, api, fields, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import bulk_update

# health figures are measured over this window of outbound messages
HEALTH_WINDOW_HOURS = 24
DEGRADED_SUCCESS_RATE = 95.0  # percent
DEGRADED_QUEUE_AGE_MINUTES = 15
QUEUED_STATES = ("pending", "sending", "failed")
OPEN_EXCEPTION_STATES = ("new", "assigned", "in_progress")
# the stored health figures, with their column types
HEALTH_COLUMNS = (
    ("id", "int4"),
    ("state", "varchar"),
    ("success_rate", "float8"),
    ("latency_p95_ms", "float8"),
    ("queue_depth", "int4"),
    ("dead_count", "int4"),
    ("health_checked_at", "timestamp"),
    ("write_date", "timestamp"),
    ("write_uid", "int4"),
)


class HealthFigures(NamedTuple):
    """Figures of one integration's outbox over the health window."""

    queue_depth: int = 0
    oldest_queued: datetime | None = None
    delivered: int = 0
    failing: int = 0
    dead: int = 0
    latency_p95_ms: float | None = None

    @property
    def success_rate(self):
        attempted = self.delivered + self.failing
        return 100.0 * self.delivered / attempted if attempted else 100.0


class WorkflowIntegration(models.Model):
    _inherit = "workflow.integration"

    @api.model
    @api.private
    def _cron_health(self):
        """Refresh the health of every active integration (one grouped query), raise one
        ``integration_failure`` per integration that is down, resolve the recovered ones,
        retry failed inbound messages and purge old messages and refusal counters."""
        self.search([])._refresh_health()
        Message = self.env["workflow.integration.message"]
        Message._cron_retry_inbound()
        Message._purge_old_messages()

    @api.private
    def _health_figures(self, now):
        """{integration id: HealthFigures} from one grouped query over the messages."""
        if not self:
            return {}
        self.env["workflow.integration.message"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT integration_id,
                          count(*) FILTER (WHERE state IN %(queued)s) AS queue_depth,
                          min(create_date) FILTER (WHERE state IN %(queued)s) AS oldest,
                          count(*) FILTER (WHERE state = 'delivered'
                                             AND delivered_at >= %(window)s) AS delivered,
                          count(*) FILTER (WHERE attempts > 0 AND state <> 'delivered'
                                             AND last_attempt_at >= %(window)s) AS failing,
                          count(*) FILTER (WHERE state = 'dead'
                                             AND last_attempt_at >= %(window)s) AS dead,
                          percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
                              FILTER (WHERE state = 'delivered'
                                        AND delivered_at >= %(window)s) AS p95
                     FROM workflow_integration_message
                    WHERE direction = 'out' AND integration_id = ANY(%(ids)s)
                      AND (state IN %(queued)s OR last_attempt_at >= %(window)s)
                 GROUP BY integration_id""",
                queued=QUEUED_STATES,
                window=now - timedelta(hours=HEALTH_WINDOW_HOURS),
                ids=self.ids,
            )
        )
        return {row[0]: HealthFigures(*row[1:]) for row in self.env.cr.fetchall()}

    @api.private
    def _refresh_health(self, now=None):
        """Recompute, store and act on the health of these integrations."""
        now = now or fields.Datetime.now()
        figures = self._health_figures(now)
        changed, down = {}, self.browse()
        for integration in self:
            vals = integration._health_vals(figures.get(integration.id, HealthFigures()), now)
            if any(integration[fname] != value for fname, value in vals.items()):
                changed[integration.id] = vals
            if vals["state"] == "down":
                down |= integration
        self._store_health(changed, now)
        down._raise_down_exceptions()
        (self - down)._resolve_down_exceptions()
        return figures

    def _health_state(self, figures, now):
        """healthy / degraded / down / paused, from the pause, the breaker and figures."""
        self.ensure_one()
        if self.paused:
            return "paused"
        if self._circuit_is_open():
            return "down"
        oldest = figures.oldest_queued
        if (
            self.consecutive_failures
            or figures.dead
            or figures.success_rate < DEGRADED_SUCCESS_RATE
            or (oldest and oldest < now - timedelta(minutes=DEGRADED_QUEUE_AGE_MINUTES))
        ):
            return "degraded"
        return "healthy"

    def _health_vals(self, figures, now):
        """The stored health figures of this integration (health_checked_at aside)."""
        self.ensure_one()
        return {
            "state": self._health_state(figures, now),
            "success_rate": round(figures.success_rate, 2),
            "latency_p95_ms": round(figures.latency_p95_ms or 0.0, 1),
            "queue_depth": figures.queue_depth,
            "dead_count": figures.dead,
        }

    @api.model
    def _store_health(self, changed, now):
        """One UPDATE for the integrations whose figures changed ({id: vals})."""
        if not changed:
            return
        self.flush_model()
        bulk_update(
            self.env.cr,
            self._table,
            HEALTH_COLUMNS,
            [
                (
                    integration_id,
                    vals["state"],
                    vals["success_rate"],
                    vals["latency_p95_ms"],
                    vals["queue_depth"],
                    vals["dead_count"],
                    now,
                    now,
                    self.env.uid,
                )
                for integration_id, vals in changed.items()
            ],
        )
        self.browse(list(changed)).invalidate_recordset(
            [name for name, _type in HEALTH_COLUMNS[1:]]
        )

    def _raise_down_exceptions(self):
        """One critical ``integration_failure`` per integration that is down."""
        if not self:
            return
        self.env["workflow.exception"].sudo().raise_exceptions(
            [
                {
                    "category_code": "integration_failure",
                    "record": integration,
                    "severity": "critical",
                    "dedupe_key": f"integration_down:{integration.id}",
                    "name": _("Integration %(name)s is down", name=integration.name),
                    "description": _(
                        "%(count)s consecutive failed deliveries; last error: %(error)s. "
                        "%(queue)s message(s) wait in the outbox.",
                        count=integration.consecutive_failures,
                        error=integration.last_error or "-",
                        queue=integration.queue_depth,
                    ),
                    "company_id": integration.company_id.id or None,
                    "failure_kind": "transient",
                }
                for integration in self
            ]
        )

    def _resolve_down_exceptions(self):
        """Resolve the ``integration_down`` exceptions of these (recovered) integrations."""
        if not self:
            return
        recovered = (
            self.env["workflow.exception"]
            .sudo()
            .search(
                [
                    ("category_id.code", "=", "integration_failure"),
                    ("dedupe_key", "in", [f"integration_down:{i.id}" for i in self]),
                    ("state", "in", OPEN_EXCEPTION_STATES),
                ]
            )
        )
        recovered._resolve(_("The integration delivers again."), auto=True)
