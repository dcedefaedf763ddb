# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.models.workflow_dashboard import AGE_BUCKETS


class WorkflowDashboard(models.AbstractModel):
    _inherit = "workflow.dashboard"

    @api.model
    def get_dashboard_data(self, filters=None):
        data = super().get_dashboard_data(filters)
        if "executive" in data.get("layers", []) or "operations" in data.get("layers", []):
            data["approvals"] = self._dashboard_approvals(data["filters"], fields.Datetime.now())
        return data

    def _dashboard_aging_columns(self, domain, rows):
        """Queue aging: how many of each stage's open flows wait for an approval (one
        grouped query over the rows' instances)."""
        columns = super()._dashboard_aging_columns(domain, rows)
        if not rows:
            return columns
        table = self.env["workflow.instance"]._table
        counts = {
            (definition_id, stage_id or False): count
            for definition_id, stage_id, count in self._grouped(
                "workflow.instance",
                domain + [("approval_pending", "=", True)],
                [
                    SQL.identifier(table, "definition_id"),
                    SQL.identifier(table, "stage_id"),
                    SQL("count(*)"),
                ],
                SQL("1, 2"),
            )
        }
        for row in rows:
            row["extra"]["approval_pending"] = {
                "count": counts.get((row["definition_id"], row["stage_id"]), 0),
                "domain": row["domain"] + [("approval_pending", "=", True)],
            }
        columns.append(
            {
                "key": "approval_pending",
                "label": _("Awaiting approval"),
                "help": _("Open flows whose document waits for an approval request."),
            }
        )
        return columns

    @api.model
    def _dashboard_approvals(self, filters, now):
        """Pending approval requests by age bucket, each with its drill-down domain."""
        table = self.env["workflow.approval.request"]._table
        domain = [("company_id", "in", filters["company_ids"]), ("state", "=", "pending")]
        bucket = self._bucket_case(SQL.identifier(table, "requested_at"), now)
        rows = self._grouped(
            "workflow.approval.request",
            domain,
            [bucket, SQL("count(*)")],
            SQL("1"),
        )
        counts = dict(rows)
        buckets = [
            {
                "key": key,
                "label": label,
                "count": counts.get(index, 0),
                "domain": domain + self._bucket_domain("requested_at", now, low, high),
            }
            for index, (key, label, low, high) in enumerate(AGE_BUCKETS)
        ]
        return {
            "pending": sum(b["count"] for b in buckets),
            "buckets": buckets,
            "domain": domain,
            "model": "workflow.approval.request",
        }
