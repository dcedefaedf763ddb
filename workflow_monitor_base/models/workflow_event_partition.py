# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The event table partitioned by month: the conversion (administrators) and the
retention job on a partitioned table (months created ahead, whole months dropped)."""

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

from ..tools import clock, commit_chunk, partition

ADMIN_GROUP = "workflow_monitor_base.group_workflow_admin"
MONTHS_AHEAD = 3  # partitions kept ready after the current month
PARTITION_KEY = "occurred_at"

# Odoo's schema code must see a partitioned table as a table (module updates)
partition.install_odoo_patch()


class WorkflowEventPartition(models.Model):
    _inherit = "workflow.event"

    def action_partition_by_month(self):
        """Convert the event table into a table partitioned by month on ``occurred_at``
        (administrators of Workflow Monitor; one transaction; a second call says it is
        already done). Every later retention run creates the coming months and drops
        whole months older than the retention instead of deleting rows."""
        self._partition_check_caller()
        cr = self.env.cr
        if partition.is_partitioned(cr, self._table):
            return self._partition_notification(
                _("The event table is already partitioned by month."), "info"
            )
        self._partition_check_convertible()
        self.flush_model()
        rows, created = partition.convert_to_monthly(
            cr, self._table, PARTITION_KEY, clock.now(self.env), MONTHS_AHEAD
        )
        self.invalidate_model()
        self._log_events(
            [
                {
                    "event_type": "config",
                    "res_model": self._name,
                    "payload": {
                        "action": "partition_by_month",
                        "rows": rows,
                        "partitions": created,
                    },
                }
            ]
        )
        return self._partition_notification(
            _(
                "The event table is now partitioned by month: %(rows)s events in "
                "%(partitions)s partitions.",
                rows=rows,
                partitions=created,
            ),
            "success",
        )

    @api.model
    def _partition_check_caller(self):
        """Administrators of Workflow Monitor allowed in every company: the conversion
        locks and rewrites the events of all companies."""
        if self.env.su:
            return
        if not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                _("Only Workflow Monitor administrators can partition the event table.")
            )
        # sudo: every company of the database, to compare with the caller's
        if self.env["res.company"].sudo().search([]) - self.env.user.company_ids:
            raise AccessError(
                _(
                    "The event table holds the events of every company: only an "
                    "administrator allowed in all companies can partition it."
                )
            )

    @api.model
    def _events_partitioned(self):
        return partition.is_partitioned(self.env.cr, self._table)

    @api.model
    def _partition_check_convertible(self):
        """Refuse, before anything changes, what PostgreSQL would refuse midway."""
        cr = self.env.cr
        if references := partition.referencing_foreign_keys(cr, self._table):
            raise UserError(
                _(
                    "The event table cannot be partitioned while foreign keys point to it "
                    "(%(constraints)s): the module owning them must drop them "
                    "(tools.sql.drop_foreign_keys in its model's init()).",
                    constraints=", ".join(f"{table}.{name}" for table, name in references),
                )
            )
        if unique := partition.unique_indexes_without(cr, self._table, PARTITION_KEY):
            raise UserError(
                _(
                    "The event table cannot be partitioned: its unique indexes %(indexes)s "
                    "do not contain occurred_at.",
                    indexes=", ".join(unique),
                )
            )

    @api.model
    def _partition_notification(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Event partitions"), "message": message, "type": kind},
        }

    # ------------------------------------------------------------
    # RETENTION on a partitioned table
    # ------------------------------------------------------------

    @api.model
    def _cron_retention(self, batch_size=10000, time_budget=60):
        if not self._events_partitioned():
            return super()._cron_retention(batch_size=batch_size, time_budget=time_budget)
        cr = self.env.cr
        current = partition.month_start(clock.now(self.env))
        partition.ensure_months(
            cr, self._table, PARTITION_KEY, current, partition.add_months(current, MONTHS_AHEAD)
        )
        commit_chunk(self.env)  # release the partition locks at once
        limit_date = self._retention_limit()
        deleted = remaining = 0
        if limit_date:
            # whole months older than the retention: no row-by-row delete, no vacuum
            _dropped, deleted = partition.drop_months_before(cr, self._table, limit_date)
            commit_chunk(self.env)
            # rows outside every month (the default partition) are deleted as before
            default_deleted, remaining = self._retention_delete(
                partition.default_name(self._table), limit_date, batch_size, time_budget
            )
            deleted += default_deleted
        self.env["ir.cron"]._notify_progress(done=deleted, remaining=remaining)
        self.invalidate_model()
        return deleted
