# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_return_receipt_days = fields.Float(
        string="Return receipt (days)",
        config_parameter="workflow_monitor.return_receipt_days",
        default=7.0,
        help="Customer returns requested and not received after this many days raise a "
        "Return Aging exception (warehouses may set their own).",
    )
    workflow_return_refund_days = fields.Float(
        string="Return refund (days)",
        config_parameter="workflow_monitor.return_refund_days",
        default=3.0,
        help="Customer returns received and not credited after this many days, while the "
        "order still invoices the returned goods, raise a Return Aging exception "
        "(warehouses may set their own).",
    )
