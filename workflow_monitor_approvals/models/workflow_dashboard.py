# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
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
