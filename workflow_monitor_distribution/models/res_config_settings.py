# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

SETTINGS_TARGETS = {
    "workflow_target_fill_rate": "workflow_monitor_distribution.kpi_fill_rate",
    "workflow_target_on_time": "workflow_monitor_distribution.kpi_on_time_dispatch",
}


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
    # replenishment detectors: defaults of the company being configured
    workflow_replenishment_aging_hours = fields.Float(
        related="company_id.workflow_replenishment_aging_hours", readonly=False
    )
    workflow_duplicate_replenishment_tolerance = fields.Float(
        related="company_id.workflow_duplicate_replenishment_tolerance", readonly=False
    )
    # The targets of the Fill Rate and On-time Dispatch KPIs themselves (one value, read
    # by the tiles, the briefing and the KPI form), the default of every warehouse
    # without a target of its own.
    workflow_target_fill_rate = fields.Float(
        string="Target fill rate (%)",
        help="Target of the Fill Rate KPI; a warehouse's own target replaces it on its tiles.",
    )
    workflow_target_on_time = fields.Float(
        string="Target on-time dispatch (%)",
        help="Target of the On-time Dispatch KPI; a warehouse's own target replaces it on "
        "its tiles.",
    )

    @api.model
    def get_values(self):
        # callable over RPC: the settings are the administrators' (their access rights)
        self.check_access("read")
        res = super().get_values()
        for fname, xmlid in SETTINGS_TARGETS.items():
            kpi = self.env.ref(xmlid, raise_if_not_found=False)
            res[fname] = kpi.sudo().target if kpi else 0.0
        return res

    def set_values(self):
        # callable over RPC on any settings record: writes below are sudo
        self.check_access("write")
        super().set_values()
        for fname, xmlid in SETTINGS_TARGETS.items():
            kpi = self.env.ref(xmlid, raise_if_not_found=False)
            # sudo (below): the Settings screen is for administrators (base.group_system), who
            # may lack the Workflow Monitor manager group that edits KPIs; the write is
            # audited by the KPI's configuration audit
            kpi = kpi.sudo() if kpi else kpi
            if kpi and kpi.target != self[fname]:
                # the warning band keeps its width around the new target
                warning = kpi.warning_threshold
                kpi.write(
                    {
                        "target": self[fname],
                        "warning_threshold": warning + self[fname] - kpi.target
                        if warning
                        else warning,
                    }
                )
