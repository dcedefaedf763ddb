from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

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

    @api.model
    def _workflow_health_watch(self):
        """Raise ``cron_failure`` for scheduled actions that fail or lag, before Odoo
        deactivates them; resolve the ones that recovered. One grouped query."""
        params = self.env["ir.config_parameter"].sudo()
        lag_minutes = int(params.get_param("workflow_monitor.cron_lag_minutes", 60))
        now = fields.Datetime.now()
        # the query below reads the table: write pending ORM changes first
        self.flush_model(["active", "cron_name", "failure_count", "first_failure_date", "nextcall"])
        self.env.cr.execute(
            SQL(
                """SELECT c.id, c.cron_name, c.failure_count, c.first_failure_date, c.nextcall,
                          c.interval_number, c.interval_type
                     FROM ir_cron c
                    WHERE c.active
                      AND (c.failure_count > 0 OR c.nextcall < %s)""",
                now - timedelta(minutes=lag_minutes),
            )
        )
        vals_list = []
        for cron_id, name, failures, first_failure, nextcall, _num, _type in self.env.cr.fetchall():
            lag = (now - nextcall).total_seconds() / 60.0 if nextcall else 0.0
            if failures:
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
