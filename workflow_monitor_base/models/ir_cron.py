# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta
from typing import NamedTuple

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.base.models.ir_cron import CompletionStatus

# Odoo deactivates a job after 5 failures spread over 7 days (ir_cron.py constants):
# warn well before that.
FAILURE_SEVERITY = ((4, "critical"), (2, "high"), (1, "medium"))


class CronHealth(NamedTuple):
    """The health columns of one scheduled action, as the watch reads them."""

    id: int
    name: str
    failure_count: int
    first_failure_date: datetime | None
    nextcall: datetime | None
    deactivated_at: datetime | None
    active: bool

    # the ir_cron columns of the fields after ``id``, in order
    FIELDS = (
        "cron_name",
        "failure_count",
        "first_failure_date",
        "nextcall",
        "workflow_deactivated_at",
        "active",
    )


class CronAlert(NamedTuple):
    """What the ``cron_failure`` exception of one job says."""

    severity: str
    title: str
    description: str


class IrCron(models.Model):
    _name = "ir.cron"
    _inherit = ["ir.cron", "workflow.config.audit.mixin"]
    _workflow_audit_fields = (
        "cron_name",
        "active",
        "interval_number",
        "interval_type",
        "user_id",
        "priority",
        "code",
    )

    workflow_deactivated_at = fields.Datetime(
        string="Deactivated by Odoo",
        readonly=True,
        copy=False,
        help="When Odoo deactivated this job after repeated failures. Its Workflow Monitor "
        "alert stays open until an administrator re-enables it and it runs successfully.",
    )

    def write(self, vals):
        if "workflow_deactivated_at" in vals and not self.env.su:
            raise AccessError(
                _(
                    "Only the scheduler records that Odoo deactivated a job "
                    "(field: workflow_deactivated_at)."
                )
            )
        return super().write(vals)

    def _update_failure_count(self, job, status):
        """Remember the jobs Odoo deactivates after repeated failures. Odoo's UPDATE sets
        ``active`` False and resets ``failure_count`` and ``first_failure_date`` at once,
        which leaves nothing for a watch on failures to see: the marker keeps the alert
        open until the job, re-enabled, runs successfully (which clears it)."""
        super()._update_failure_count(job, status)
        if status == CompletionStatus.FAILED:
            # only failed runs of an active job can deactivate it: one UPDATE, no read
            self.env.cr.execute(
                SQL(
                    """UPDATE ir_cron SET workflow_deactivated_at = %s
                        WHERE id = %s AND NOT active AND workflow_deactivated_at IS NULL""",
                    fields.Datetime.now(),
                    job["id"],
                )
            )
        elif job.get("workflow_deactivated_at"):
            self.env.cr.execute(
                SQL("UPDATE ir_cron SET workflow_deactivated_at = NULL WHERE id = %s", job["id"])
            )
        self.invalidate_model(["workflow_deactivated_at"])

    # ------------------------------------------------------------
    # HEALTH WATCH
    # ------------------------------------------------------------

    @api.model
    def _workflow_health_watch(self):
        """Raise ``cron_failure`` for scheduled actions that fail or lag, before Odoo
        deactivates them, and for the ones Odoo deactivated until they run successfully
        again; resolve the ones that recovered. One query for the jobs."""
        now = fields.Datetime.now()
        lag_minutes = self._workflow_lag_minutes()
        vals_list = [
            self._workflow_alert_vals(cron, self._workflow_alert(cron, now, lag_minutes))
            for cron in self._workflow_unhealthy_crons(now, lag_minutes)
        ]
        exceptions = self.env["workflow.exception"].sudo()
        exceptions.raise_exceptions(vals_list)
        exceptions.resolve_cleared("cron_failure", [vals["dedupe_key"] for vals in vals_list])
        self.env["ir.cron"]._notify_progress(done=len(vals_list), remaining=0)
        return len(vals_list)

    @api.model
    def _workflow_lag_minutes(self):
        """Minutes a job may be overdue before it counts as late (setting)."""
        params = self.env["ir.config_parameter"].sudo()
        return int(params.get_param("workflow_monitor.cron_lag_minutes", 60))

    @api.model
    def _workflow_unhealthy_domain(self, now, lag_minutes):
        """Jobs to watch (and to list on the technical dashboard): the ones Odoo
        deactivated (inactive included, until they run successfully again), and the
        active ones that failed or are late. Search them with ``active_test=False``."""
        return [
            "|",
            ("workflow_deactivated_at", "!=", False),
            "&",
            ("active", "=", True),
            "|",
            ("failure_count", ">", 0),
            ("nextcall", "<", fields.Datetime.to_string(now - timedelta(minutes=lag_minutes))),
        ]

    @api.model
    def _workflow_unhealthy_crons(self, now, lag_minutes):
        """[CronHealth] of the jobs of :meth:`_workflow_unhealthy_domain`, read from the
        table in one query (not from the cache: the runner writes it by SQL)."""
        self.flush_model(CronHealth.FIELDS)
        # sudo: the watch reads the health columns of every job, nothing else
        query = (
            self.sudo()
            .with_context(active_test=False)
            ._search(self._workflow_unhealthy_domain(now, lag_minutes), order="id")
        )
        columns = [SQL.identifier(self._table, "id")] + [
            SQL.identifier(self._table, name) for name in CronHealth.FIELDS
        ]
        self.env.cr.execute(query.select(*columns))
        return [CronHealth._make(row) for row in self.env.cr.fetchall()]

    @api.model
    def _workflow_alert(self, cron, now, lag_minutes):
        """The CronAlert of one unhealthy job: deactivated, failing or late."""
        if cron.deactivated_at:
            return self._workflow_alert_deactivated(cron)
        if cron.failure_count:
            return self._workflow_alert_failing(cron)
        lag = (now - cron.nextcall).total_seconds() / 60.0 if cron.nextcall else 0.0
        return self._workflow_alert_late(cron, lag, lag_minutes)

    @api.model
    def _workflow_alert_deactivated(self, cron):
        title = (
            _(
                "Scheduled action '%(name)s' was deactivated by Odoo after repeated failures",
                name=cron.name,
            )
            if not cron.active
            else _(
                "Scheduled action '%(name)s', deactivated by Odoo after repeated "
                "failures, has not run successfully since",
                name=cron.name,
            )
        )
        description = _(
            "Odoo deactivated it on %(when)s (5 failures over at least 7 days). Fix the "
            "cause from the server log, then re-enable it: this alert resolves once it "
            "runs successfully.",
            when=cron.deactivated_at,
        )
        return CronAlert("critical", title, description)

    @api.model
    def _workflow_alert_failing(self, cron):
        severity = next(sev for floor, sev in FAILURE_SEVERITY if cron.failure_count >= floor)
        title = _(
            "Scheduled action '%(name)s' failed %(count)s time(s)",
            name=cron.name,
            count=cron.failure_count,
        )
        description = _(
            "First failure: %(first)s. Odoo deactivates a scheduled action after 5 "
            "failures over at least 7 days. Check the server log for the traceback.",
            first=cron.first_failure_date or "-",
        )
        return CronAlert(severity, title, description)

    @api.model
    def _workflow_alert_late(self, cron, lag, lag_minutes):
        title = _(
            "Scheduled action '%(name)s' is %(minutes)d minutes late",
            name=cron.name,
            minutes=lag,
        )
        description = _(
            "It should have run at %(nextcall)s. Are cron workers running "
            "(--max-cron-threads) and not saturated?",
            nextcall=cron.nextcall,
        )
        return CronAlert("high" if lag > 6 * lag_minutes else "medium", title, description)

    @api.model
    def _workflow_alert_vals(self, cron, alert):
        """Values of the ``cron_failure`` exception of one job (for raise_exceptions)."""
        return {
            "category_code": "cron_failure",
            "res_model": "ir.cron",
            "res_id": cron.id,
            "severity": alert.severity,
            "dedupe_key": f"ir.cron,{cron.id}",
            "name": alert.title,
            "description": alert.description,
            "company_id": self.env.company.id,
        }
