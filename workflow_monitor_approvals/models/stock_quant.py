# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, models
from odoo.tools import float_is_zero


class StockQuant(models.Model):
    _name = "stock.quant"
    _inherit = ["stock.quant", "workflow.approval.mixin"]
    _approval_label = "Inventory Adjustment"
    _approval_action = "apply"
    # quants have no state: the funnel _apply_inventory performs (and consumes) it
    _approval_state_field = None
    _approval_doors = {"action_apply_inventory": "notify", "_apply_inventory": "filter"}
    _approval_conditions = ("amount", "inventory_adjustment", "domain")

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _approval_candidates(self):
        # what _apply_inventory would change: inventory_quantity - quantity, whatever the
        # user-writable inventory_quantity_set flag says
        return self.filtered(
            lambda q: not float_is_zero(
                q.inventory_quantity - q.quantity,
                precision_rounding=q.product_uom_id.rounding or 0.01,
            )
        )

    def _workflow_warehouse(self):
        return {quant: quant.warehouse_id for quant in self}

    def _approval_partner(self):
        return self.env["res.partner"]

    def _approval_responsible(self):
        return self.user_id

    def _approval_amount(self, policy):
        """Value of the adjustment: |counted - on hand| x cost (company currency)."""
        if not self._approval_category_lines(self, policy):
            return 0.0
        price = self.product_id.with_company(self.company_id).standard_price
        return abs(self.inventory_quantity - self.quantity) * price

    def _approval_hash_values(self):
        return {
            "product": self.product_id.id,
            "location": self.location_id.id,
            "lot": self.lot_id.id,
            "package": self.package_id.id,
            "owner": self.owner_id.id,
            "quantity": self.quantity,
            "inventory_quantity": self.inventory_quantity,
        }

    def _approval_context_rows(self, policy, measure):
        return [
            (_("Product"), self.product_id.display_name),
            (_("Location"), self.location_id.display_name),
            (_("On hand"), self.quantity),
            (_("Counted"), self.inventory_quantity),
        ]

    def _approval_continue(self):
        return self._apply_inventory()

    def _approval_is_done(self):
        # applying clears the count: done is when the approval was consumed
        return False
