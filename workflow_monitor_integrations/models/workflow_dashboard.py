# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class WorkflowDashboard(models.AbstractModel):
    _inherit = "workflow.dashboard"

    @api.model
    def _dashboard_integrations(self, filters, now):
        """Health of each integration of the filtered companies (stored figures kept
        fresh by the delivery and health jobs: one query, no per-record work)."""
        integrations = super()._dashboard_integrations(filters, now)
        Integration = self.env["workflow.integration"]
        if not Integration.has_access("read"):
            return integrations
        labels = dict(Integration._fields["state"].selection)
        rows = Integration.search_read(
            [("company_id", "in", filters["company_ids"] + [False])],
            [
                "name",
                "state",
                "success_rate",
                "latency_p95_ms",
                "queue_depth",
                "consecutive_failures",
                "last_success_at",
            ],
            order="state, name",
        )
        order = {"down": 0, "degraded": 1, "paused": 2, "healthy": 3}
        rows.sort(key=lambda row: (order.get(row["state"], 9), row["name"]))
        for row in rows:
            integrations.append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "state": row["state"],
                    "state_label": labels.get(row["state"], row["state"]),
                    "model": "workflow.integration",
                    "domain": [("id", "=", row["id"])],
                    "success_rate": row["success_rate"],
                    "latency_p95_ms": row["latency_p95_ms"],
                    "queue_depth": row["queue_depth"],
                    "consecutive_failures": row["consecutive_failures"],
                    "last_success_at": row["last_success_at"],
                }
            )
        return integrations
