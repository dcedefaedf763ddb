from odoo import _, models
from odoo.tools import float_is_zero


class StockQuant(models.Model):
    _name = "stock.quant"
    _inherit = ["stock.quant", "workflow.approval.mixin"]
    _approval_action = "apply"

    # ------------------------------------------------------------
    # DOORS: action_apply_inventory (the button, returns the notification) and
    # _apply_inventory (the funnel of every inventory wizard)
    # ------------------------------------------------------------

    def action_apply_inventory(self):
        allowed, notification = self._approval_check()
        if not allowed:
            return notification
        result = super(StockQuant, allowed).action_apply_inventory()
        return notification or result

    def _apply_inventory(self):
        allowed, notification = self._approval_check()
        if allowed:
            super(StockQuant, allowed)._apply_inventory()
        return notification

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _approval_candidates(self, door="action"):
        return self.filtered(
            lambda q: q.inventory_quantity_set
            and not float_is_zero(
                q.inventory_diff_quantity, precision_rounding=q.product_uom_id.rounding or 0.01
            )
        )

    def _approval_warehouse(self):
        return self.warehouse_id

    def _approval_partner(self):
        return self.env["res.partner"]

    def _approval_requester(self):
        user = self.env.user
        if user._is_superuser() or user._is_public() or user.share:
            return self.user_id or self.env.ref("base.user_admin")
        return user

    def _approval_amount(self, policy):
        """Value of the adjustment: |counted - on hand| x cost (company currency)."""
        if policy.product_category_id and not self.product_id.categ_id.parent_path.startswith(
            policy.product_category_id.parent_path
        ):
            return 0.0
        price = self.product_id.with_company(self.company_id).standard_price
        return abs(self.inventory_diff_quantity) * price

    def _approval_hash_values(self):
        return {
            "product": self.product_id.id,
            "location": self.location_id.id,
            "lot": self.lot_id.id,
            "quantity": self.quantity,
            "inventory_quantity": self.inventory_quantity,
        }

    def _approval_context_rows(self, policy, info):
        return [
            (_("Product"), self.product_id.display_name),
            (_("Location"), self.location_id.display_name),
            (_("On hand"), self.quantity),
            (_("Counted"), self.inventory_quantity),
        ]

    def _approval_continue(self):
        return self._apply_inventory()

    def _approval_is_done(self):
        return (
            float_is_zero(
                self.inventory_diff_quantity,
                precision_rounding=self.product_uom_id.rounding or 0.01,
            )
            or not self.inventory_quantity_set
        )
