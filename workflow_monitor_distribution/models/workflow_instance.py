# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class WorkflowInstance(models.Model):
    _inherit = "workflow.instance"

    warehouse_id = fields.Many2one(
        "stock.warehouse", compute="_compute_warehouse_id", search="_search_warehouse_id"
    )

    def _compute_warehouse_id(self):
        for instance in self:
            model, _sep, res_id = (instance.node_ref or "").partition(",")
            instance.warehouse_id = (
                self.env["stock.warehouse"].browse(int(res_id))
                if model == "stock.warehouse" and res_id
                else False
            )

    def _search_warehouse_id(self, operator, value):
        if operator == "=" and value:
            return [("node_ref", "=", f"stock.warehouse,{int(value)}")]
        if operator == "in":
            return [("node_ref", "in", [f"stock.warehouse,{int(v)}" for v in value])]
        return [("node_ref", "like", "stock.warehouse,%")]
