# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, models


class StockScrap(models.Model):
    _name = "stock.scrap"
    _inherit = ["stock.scrap", "workflow.approval.mixin"]
    _approval_label = "Scrap"
    _approval_action = "validate"
    _approval_done_states = ("done",)
    # do_scrap is public too: a door of its own
    _approval_doors = {"action_validate": "notify", "do_scrap": "notify"}
    _approval_conditions = ("amount", "inventory_adjustment", "domain")
    _approval_fingerprint_fields = (
        "product_id",
        "scrap_qty",
        "product_uom_id",
        "location_id",
        "scrap_location_id",
        "lot_id",
        "package_id",
    )

    def _workflow_warehouse(self):
        return {scrap: scrap.location_id.warehouse_id for scrap in self}

    def _approval_responsible(self):
        return self.env["res.users"]

    def _approval_amount(self, policy):
        """Value of the scrapped goods at cost (company currency)."""
        if not self._approval_category_lines(self, policy):
            return 0.0
        quantity = self.product_uom_id._compute_quantity(self.scrap_qty, self.product_id.uom_id)
        return quantity * self.product_id.with_company(self.company_id).standard_price

    def _approval_hash_values(self):
        return {
            "product": self.product_id.id,
            "quantity": self.scrap_qty,
            "uom": self.product_uom_id.id,
            "location": self.location_id.id,
            "scrap_location": self.scrap_location_id.id,
            "lot": self.lot_id.id,
            "package": self.package_id.id,
        }

    def _approval_context_rows(self, policy, measure):
        return [
            (_("Product"), self.product_id.display_name),
            (_("Quantity"), self.scrap_qty),
            (_("From"), self.location_id.display_name),
            (_("Origin"), self.origin or "-"),
        ]

    def _approval_continue(self):
        return self.action_validate()
