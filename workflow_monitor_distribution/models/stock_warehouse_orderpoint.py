# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class StockWarehouseOrderpoint(models.Model):
    """The time a reordering rule started to need an order nobody placed: set and
    cleared by the ``replenishment_aging`` detector alone (one statement per run), which
    raises once the need is older than the warehouse's hours."""

    _inherit = "stock.warehouse.orderpoint"

    workflow_need_since = fields.Datetime(
        string="Needs an Order Since",
        readonly=True,
        copy=False,
        help="First time the Workflow Monitor saw this rule's forecast below its minimum "
        "with no RFQ, receipt or transfer covering it; empty when nothing is needed.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any("workflow_need_since" in vals for vals in vals_list):
            self._workflow_refuse_need_since()
        return super().create(vals_list)

    def write(self, vals):
        if "workflow_need_since" in vals and not self.env.su:
            self._workflow_refuse_need_since()
        return super().write(vals)

    def _workflow_refuse_need_since(self):
        # a hand-set date would restart (or hold back) the aging of a missing order
        raise AccessError(
            _(
                "Only the replenishment detector records since when a reordering rule needs "
                "an order (field: Needs an Order Since)."
            )
        )
