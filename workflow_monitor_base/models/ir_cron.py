from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.base.models.ir_cron import CompletionStatus

# Odoo deactivates a job after 5 failures spread over 7 days (ir_cron.py constants):
# warn well before that.
FAILURE_SEVERITY = ((4, "critical"), (2, "high"), (1, "medium"))


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

    @api.model
    def _workflow_health_watch(self):
        """Raise ``cron_failure`` for scheduled actions that fail or lag, before Odoo
        deactivates them, and for the ones Odoo deactivated until they run successfully
        again; resolve the ones that recovered. One grouped query."""
        params = self.env["ir.config_parameter"].sudo()
        lag_minutes = int(params.get_param("workflow_monitor.cron_lag_minutes", 60))
        now = fields.Datetime.now()
        # the query below reads the table: write pending ORM changes first
        self.flush_model(
            [
                "active",
                "cron_name",
                "failure_count",
                "first_failure_date",
                "nextcall",
                "workflow_deactivated_at",
            ]
        )
        self.env.cr.execute(
            SQL(
                """SELECT c.id, c.cron_name, c.failure_count, c.first_failure_date, c.nextcall,
                          c.workflow_deactivated_at, c.active
                     FROM ir_cron c
                    WHERE c.workflow_deactivated_at IS NOT NULL
                       OR (c.active AND (c.failure_count > 0 OR c.nextcall < %s))""",
                now - timedelta(minutes=lag_minutes),
            )
        )
        vals_list = []
        for (
            cron_id,
            name,
            failures,
            first_failure,
            nextcall,
            deactivated_at,
            active,
        ) in self.env.cr.fetchall():
            lag = (now - nextcall).total_seconds() / 60.0 if nextcall else 0.0
            if deactivated_at:
                severity = "critical"
                title = (
                    _(
                        "Scheduled action '%(name)s' was deactivated by Odoo after repeated "
                        "failures",
                        name=name,
                    )
                    if not active
                    else _(
                        "Scheduled action '%(name)s', deactivated by Odoo after repeated "
                        "failures, has not run successfully since",
                        name=name,
                    )
                )
                description = _(
                    "Odoo deactivated it on %(when)s (5 failures over at least 7 days). Fix the "
                    "cause from the server log, then re-enable it: this alert resolves once it "
                    "runs successfully.",
                    when=deactivated_at,
                )
            elif failures:
                severity = next(sev for floor, sev in FAILURE_SEVERITY if failures >= floor)
                title = _(
                    "Scheduled action '%(name)s' failed %(count)s time(s)",
                    name=name,
                    count=failures,
                )
                description = _(
                    "First failure: %(first)s. Odoo deactivates a scheduled action after 5 "
                    "failures over at least 7 days. Check the server log for the traceback.",
                    first=first_failure or "-",
                )
            else:
                severity = "high" if lag > 6 * lag_minutes else "medium"
                title = _(
                    "Scheduled action '%(name)s' is %(minutes)d minutes late",
                    name=name,
                    minutes=lag,
                )
                description = _(
                    "It should have run at %(nextcall)s. Are cron workers running "
                    "(--max-cron-threads) and not saturated?",
                    nextcall=nextcall,
                )
            vals_list.append(
                {
                    "category_code": "cron_failure",
                    "res_model": "ir.cron",
                    "res_id": cron_id,
                    "severity": severity,
                    "dedupe_key": f"ir.cron,{cron_id}",
                    "name": title,
                    "description": description,
                    "company_id": self.env.company.id,
                }
            )
        exceptions = self.env["workflow.exception"].sudo()
        exceptions.raise_exceptions(vals_list)
        exceptions.resolve_cleared("cron_failure", [vals["dedupe_key"] for vals in vals_list])
        self.env["ir.cron"]._notify_progress(done=len(vals_list), remaining=0)
        return len(vals_list)
