# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "workflow.tracked.mixin"]
    _workflow_definition = "delivery"
    _workflow_tracked_fields = ("state",)

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        # keep Odoo's order of sale.order.picking_ids (see sale_order.py)
        self.env["sale.order"]._workflow_drop_loaded_pickings()
        return pickings

    def _workflow_capture(self):
        """An outgoing picking follows its own delivery flow; every picking moves the
        flow of its sale order (delivery, return) or purchase order (receipt)."""
        self.filtered(lambda p: p.picking_type_code == "outgoing")._workflow_observe()
        self.sale_id._workflow_observe()
        purchases = self.filtered(lambda p: p.picking_type_code == "incoming").move_ids
        purchases.purchase_line_id.order_id._workflow_observe()

    def _workflow_stage_code(self):
        codes = {}
        for picking in self:
            if picking.state == "cancel":
                codes[picking] = "cancelled"
            elif picking.state == "done":
                codes[picking] = "done"
            elif picking.state == "assigned":
                codes[picking] = "ready"
            else:
                codes[picking] = "waiting"
        return codes

    def _workflow_node_ref(self):
        return {
            picking: f"stock.warehouse,{picking.picking_type_id.warehouse_id.id}"
            if picking.picking_type_id.warehouse_id
            else False
            for picking in self
        }

    def _workflow_warehouse(self):
        return {picking: picking.picking_type_id.warehouse_id for picking in self}
