# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models

from odoo.addons.workflow_monitor_base.tools.process_relations import RelatedDocuments


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "workflow.tracked.mixin"]
    _workflow_definition = "procure_to_pay"
    _workflow_tracked_fields = ("state", "receipt_status", "invoice_status")
    _workflow_defer_stage = True
    _workflow_confirm_state = "purchase"
    _workflow_object_qualifier = "order"

    # Stages: rfq, sent (or waiting for the second validation), confirmed, received (every
    # receipt done), billed (fully billed, all posted), paid, cancelled.

    def _workflow_open_stage(self):
        """The stage of an RFQ or cancelled order (None for a confirmed one)."""
        if self.state == "cancel":
            return "cancelled"
        if self.state == "draft":
            return "rfq"
        if self.state in ("sent", "to approve"):
            return "sent"
        return None

    def _workflow_confirmed_stage(self):
        self.ensure_one()
        if self.invoice_status == "invoiced":
            bills = self.invoice_ids.filtered(
                lambda m: m.move_type == "in_invoice" and m.state != "cancel"
            )
            if bills and all(m.state == "posted" for m in bills):
                if all(m.payment_state in ("paid", "in_payment", "reversed") for m in bills):
                    return "paid"
                return "billed"
        if self.receipt_status == "full":
            return "received"
        return "confirmed"

    @api.model
    def _workflow_related_documents(self):
        """The documents of a purchase order the exports link: its receipts (and
        returns) and its bills and refunds."""
        return (
            RelatedDocuments("receipt", "stock.picking", "move_ids.purchase_line_id.order_id"),
            RelatedDocuments(
                "bill",
                "account.move",
                "line_ids.purchase_line_id.order_id",
                (("move_type", "in", ("in_invoice", "in_refund")),),
            ),
        )

    def _workflow_node_ref(self):
        return {
            order: f"stock.warehouse,{order.picking_type_id.warehouse_id.id}"
            if order.picking_type_id.warehouse_id
            else False
            for order in self
        }

    def _workflow_warehouse(self):
        return {order: order.picking_type_id.warehouse_id for order in self}
