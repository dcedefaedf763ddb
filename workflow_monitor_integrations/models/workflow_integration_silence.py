# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Silent integrations: a service that should send webhooks regularly (a carrier's
tracking feed) and has sent nothing for longer than its expected interval raises
``integration_silent`` ("the carrier's webhooks stopped arriving"), resolved when
traffic returns.

One query for every watched integration: the last inbound message of each (any stored
request of an authenticated sender: processed, stale, duplicate, rejected or failed all
prove the feed is alive; refused requests, whose sender is not authenticated, do not)
read through the index ``workflow_integration_message_inbound_idx``.
"""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import clock, cron_run_alone

SILENT_CATEGORY = "integration_silent"
MAX_INTERVAL_MINUTES = 60 * 24 * 31  # a month
# Watched integrations (active, receiving, not paused by hand) and the last inbound
# message of each; a feed that never sent anything is silent since the integration
# was created.
SILENCE_SQL = """
SELECT i.id, i.company_id, i.expected_interval_minutes,
       last.at AS last_inbound_at, COALESCE(last.at, i.create_date) AS silent_since
  FROM workflow_integration i
  LEFT JOIN LATERAL (
      SELECT m.create_date AS at FROM workflow_integration_message m
       WHERE m.integration_id = i.id AND m.direction = 'in'
       ORDER BY m.create_date DESC LIMIT 1
  ) last ON TRUE
 WHERE i.active AND i.inbound_enabled AND NOT COALESCE(i.paused, FALSE)
   AND i.expected_interval_minutes > 0
   AND COALESCE(last.at, i.create_date)
       < %(now)s - make_interval(mins => i.expected_interval_minutes)
"""


class WorkflowIntegrationSilence(models.Model):
    _inherit = "workflow.integration"

    expected_interval_minutes = fields.Integer(
        string="Expected Inbound Interval (min)",
        default=0,
        tracking=True,
        help="The service sends webhooks at least this often (e.g. 60 for a carrier's "
        "tracking feed during working hours). No inbound message for longer raises an "
        "Integration Silent exception, resolved when messages arrive again. "
        "0: not watched.",
    )
    last_inbound_at = fields.Datetime(
        string="Last Inbound Message",
        compute="_compute_last_inbound_at",
        help="When the last inbound webhook of an authenticated sender was stored.",
    )

    @api.constrains("expected_interval_minutes")
    def _check_expected_interval(self):
        for integration in self:
            if not 0 <= integration.expected_interval_minutes <= MAX_INTERVAL_MINUTES:
                raise ValidationError(
                    _(
                        "%(name)s: the expected inbound interval must be between 0 (not "
                        "watched) and %(max)s minutes (field: Expected Inbound Interval).",
                        name=integration.name,
                        max=MAX_INTERVAL_MINUTES,
                    )
                )

    def _compute_last_inbound_at(self):
        last = dict(
            self.env["workflow.integration.message"]
            .sudo()
            ._read_group(
                [("integration_id", "in", self.ids), ("direction", "=", "in")],
                ["integration_id"],
                ["create_date:max"],
            )
        )
        for integration in self:
            integration.last_inbound_at = last.get(integration._origin, False)

    # ------------------------------------------------------------
    # WATCH
    # ------------------------------------------------------------

    @api.model
    @api.private
    def _cron_silence_watch(self):
        """Raise ``integration_silent`` on every watched integration without inbound
        traffic for longer than its interval, resolve the others (idempotent)."""
        if not cron_run_alone(self.env, "workflow_monitor_integration_silence"):
            return 0
        now = clock.now(self.env)
        vals_list = self._silence_vals(self._silent_rows(now), now)
        # sudo: a scheduled action watching every company's integrations
        exceptions = self.env["workflow.exception"].sudo()
        exceptions.raise_exceptions(vals_list)
        exceptions.resolve_cleared(SILENT_CATEGORY, [vals["dedupe_key"] for vals in vals_list])
        self.env["ir.cron"]._notify_progress(done=len(vals_list), remaining=0)
        return len(vals_list)

    @api.model
    def _silent_rows(self, now):
        self.env["workflow.integration.message"].flush_model(
            ["integration_id", "direction", "create_date"]
        )
        self.flush_model(
            ["active", "inbound_enabled", "paused", "expected_interval_minutes", "company_id"]
        )
        self.env.cr.execute(SQL(SILENCE_SQL, now=now))
        return self.env.cr.dictfetchall()

    @api.model
    def _silence_vals(self, rows, now):
        integrations = self.browse([row["id"] for row in rows]).with_context(active_test=False)
        names = {integration.id: integration.name for integration in integrations}
        vals_list = []
        for row in rows:
            hours = (now - row["silent_since"]).total_seconds() / 3600.0
            interval = row["expected_interval_minutes"]
            vals_list.append(
                {
                    "category_code": SILENT_CATEGORY,
                    "res_model": self._name,
                    "res_id": row["id"],
                    "company_id": row["company_id"],
                    "dedupe_key": f"integration_silent:{row['id']}",
                    "name": _(
                        "%(name)s: no webhook received for %(hours).1f h (expected every "
                        "%(interval)s min)",
                        name=names[row["id"]],
                        hours=hours,
                        interval=interval,
                    ),
                    "description": _(
                        "Last inbound message: %(last)s (UTC). The service's webhooks "
                        "stopped arriving: check its side (sending, URL, secret) and the "
                        "refused requests of the integration.",
                        last=row["last_inbound_at"] or _("never"),
                    ),
                    # silent for a day and ten intervals at least: high
                    "severity": "high" if hours >= max(24.0, interval / 6.0) else None,
                }
            )
        return vals_list


class WorkflowIntegrationMessageSilence(models.Model):
    _inherit = "workflow.integration.message"

    @api.private
    def init(self):
        result = super().init()
        # the silence watch reads the last inbound message of each integration
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_integration_message_inbound_idx
                   ON workflow_integration_message (integration_id, create_date)
                WHERE direction = 'in'"""
        )
        return result
