# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class AccountMove(models.Model):
    """Invoices and bills have no flow of their own: posting, paying or reversing one
    moves the order-to-cash or procure-to-pay instance of its orders."""

    _name = "account.move"
    _inherit = ["account.move", "workflow.tracked.mixin"]
    _workflow_tracked_fields = ("state", "payment_state")

    def _workflow_capture(self):
        invoices = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        bills = self.filtered(lambda m: m.move_type in ("in_invoice", "in_refund"))
        # each move is linked to the order's stage events it moves (related_documents)
        invoices._workflow_feed(lambda m: m.line_ids.sale_line_ids.order_id)
        bills._workflow_feed(lambda m: m.line_ids.purchase_line_id.order_id)
