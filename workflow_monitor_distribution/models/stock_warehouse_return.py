# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class StockWarehouse(models.Model):
    """The return_aging thresholds of a warehouse (its Workflow Monitor page); empty
    values use the defaults of Settings."""

    _inherit = "stock.warehouse"
    _workflow_audit_fields = (
        "workflow_return_receipt_days",
        "workflow_return_refund_days",
    )

    workflow_return_receipt_days = fields.Float(
        string="Return Receipt (days)",
        help="A customer return requested and not received after this many days raises a "
        "Return Aging exception; empty uses the default of Settings.",
    )
    workflow_return_refund_days = fields.Float(
        string="Return Refund (days)",
        help="A customer return received and not credited after this many days (while its "
        "order still invoices the returned goods) raises a Return Aging exception; empty "
        "uses the default of Settings.",
    )

    @api.constrains("workflow_return_receipt_days", "workflow_return_refund_days")
    def _check_workflow_return_days(self):
        for warehouse in self:
            for fname in ("workflow_return_receipt_days", "workflow_return_refund_days"):
                if warehouse[fname] < 0:
                    raise ValidationError(
                        _(
                            "%(name)s: %(field)s cannot be negative.",
                            name=warehouse.name,
                            field=warehouse._fields[fname].string,
                        )
                    )
