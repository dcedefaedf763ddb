# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class WorkflowDashboard(models.AbstractModel):
    _inherit = "workflow.dashboard"

    @api.model
    def _dashboard_nodes(self, filters):
        """Warehouses of the allowed companies are the dashboard's nodes."""
        warehouses = self.env["stock.warehouse"].search(
            [("company_id", "in", filters.get("company_ids") or self.env.companies.ids)]
        )
        return [{"ref": f"stock.warehouse,{w.id}", "name": w.name} for w in warehouses]
