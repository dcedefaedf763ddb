# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models

from odoo.addons.workflow_monitor_base.tools.process_relations import RelatedDocuments


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "workflow.tracked.mixin"]
    _workflow_tracked_fields = ("state",)
    _workflow_object_qualifier = "picking"

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        # keep Odoo's order of sale.order.picking_ids (see sale_order.py)
        self.env["sale.order"]._workflow_drop_loaded_pickings()
        return pickings

    def _workflow_definition_code(self):
        """An outgoing picking follows the delivery flow; the flows of other pickings
        (transfers between warehouses, customer returns) are declared by their own files
        overriding this, each with its ``_workflow_stage_code_<definition>``."""
        return {
            picking: "delivery" if picking.picking_type_code == "outgoing" else None
            for picking in self
        }

    def _workflow_capture(self):
        """A picking follows its own flow (see _workflow_definition_code); every picking
        moves the flow of its sale order (delivery, return) or purchase order (receipt)."""
        self._workflow_observe()
        # the picking is linked to the order's stage events it moves (related_documents)
        self.filtered("sale_id")._workflow_feed(lambda p: p.sale_id)
        receipts = self.filtered(lambda p: p.picking_type_code == "incoming")
        receipts._workflow_feed(lambda p: p.move_ids.purchase_line_id.order_id)

    @api.model
    def _workflow_related_documents(self):
        # the delivery flow's export links the sale order of each picking
        return (RelatedDocuments("order", "sale.order", "picking_ids"),)

    def _workflow_stage_code_delivery(self):
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
