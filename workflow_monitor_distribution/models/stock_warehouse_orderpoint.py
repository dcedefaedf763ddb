# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.workflow_monitor_base.tools import clock

# what makes a rule need an order it did not need (or stop needing one)
RULE_FIELDS = frozenset(
    {
        "product_id",
        "warehouse_id",
        "location_id",
        "product_min_qty",
        "product_max_qty",
        "active",
        "snoozed_until",
        "trigger",
    }
)
ENGINE_FIELDS = ("workflow_need_since", "workflow_rule_changed_at")


class StockWarehouseOrderpoint(models.Model):
    """The time a reordering rule started to need an order nobody placed: set and
    cleared by the ``replenishment_aging`` detector alone (one statement per run), which
    raises once the need is older than the warehouse's hours. When the detector first
    sees a need, it dates it from the latest change that can have caused it (see
    workflow_detector_replenishment.py), among them the last change of the rule itself,
    kept here."""

    _inherit = "stock.warehouse.orderpoint"

    workflow_need_since = fields.Datetime(
        string="Needs an Order Since",
        readonly=True,
        copy=False,
        help="First time the Workflow Monitor saw this rule's forecast below its minimum "
        "with no RFQ, receipt or transfer covering it; empty when nothing is needed.",
    )

    workflow_rule_changed_at = fields.Datetime(
        string="Rule Changed",
        readonly=True,
        copy=False,
        help="Last time the rule was created or its product, place, quantities, trigger, "
        "snooze or archiving changed (the engine's clock).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(f in vals for vals in vals_list for f in ENGINE_FIELDS):
            self._workflow_refuse_need_since()
        now = clock.now(self.env)
        return super().create([dict(vals, workflow_rule_changed_at=now) for vals in vals_list])

    def write(self, vals):
        if not self.env.su and any(f in vals for f in ENGINE_FIELDS):
            self._workflow_refuse_need_since()
        if not RULE_FIELDS.isdisjoint(vals):
            vals = dict(vals, workflow_rule_changed_at=clock.now(self.env))
        return super().write(vals)

    def _workflow_refuse_need_since(self):
        # a hand-set date would restart (or hold back) the aging of a missing order
        raise AccessError(
            _(
                "Only the replenishment detector records since when a reordering rule needs "
                "an order (fields: Needs an Order Since, Rule Changed)."
            )
        )
