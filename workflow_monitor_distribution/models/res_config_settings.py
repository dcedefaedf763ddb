# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_late_tolerance_hours = fields.Float(
        string="Late tolerance (h)",
        config_parameter="workflow_monitor.late_tolerance_hours",
        default=4.0,
    )
    workflow_backorder_aging_days = fields.Float(
        string="Backorder aging (days)",
        config_parameter="workflow_monitor.backorder_aging_days",
        default=5.0,
    )
    workflow_allocation_delay_hours = fields.Float(
        string="Allocation delay (h)",
        config_parameter="workflow_monitor.allocation_delay_hours",
        default=24.0,
    )
    workflow_supplier_delay_days = fields.Float(
        string="Supplier delay (days)",
        config_parameter="workflow_monitor.supplier_delay_days",
        default=1.0,
        help="Purchase lines later than their planned date by more than this.",
    )
    workflow_rfq_answer_days = fields.Float(
        string="RFQ unanswered (days)",
        config_parameter="workflow_monitor.rfq_answer_days",
        default=3.0,
        help="Sent RFQs not confirmed after this many days.",
    )
    workflow_invoice_price_tolerance = fields.Float(
        string="Price tolerance (%)",
        config_parameter="workflow_monitor.invoice_price_tolerance",
        default=2.0,
        help="Vendor bill price differing from the purchase price by more.",
    )
    workflow_invoice_qty_tolerance = fields.Float(
        string="Quantity tolerance",
        config_parameter="workflow_monitor.invoice_qty_tolerance",
        default=0.0,
        help="Invoiced quantity above the received/delivered one by more.",
    )
    workflow_target_fill_rate = fields.Float(
        string="Target fill rate (%)",
        config_parameter="workflow_monitor.target_fill_rate",
        default=95.0,
    )
    workflow_target_on_time = fields.Float(
        string="Target on-time dispatch (%)",
        config_parameter="workflow_monitor.target_on_time",
        default=95.0,
    )
