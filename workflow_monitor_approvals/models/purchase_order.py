# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, models


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "workflow.approval.mixin"]
    _approval_action = "confirm"
    _approval_done_states = ("purchase", "done")
    # button_approve is public and has no state check: a door of its own
    _approval_doors = {"button_confirm": "notify", "button_approve": "notify"}
    _approval_conditions = ("amount", "discount", "domain")
    _approval_fingerprint_fields = (
        "partner_id",
        "payment_term_id",
        "picking_type_id",
        "dest_address_id",
        "currency_id",
        "order_line",
    )

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _workflow_warehouse(self):
        return {order: order.picking_type_id.warehouse_id for order in self}

    def _approval_amount(self, policy):
        return self._approval_order_amount(policy)

    def _approval_max_discount(self, policy):
        return self._approval_order_max_discount(policy)

    def _approval_author_lines(self):
        return [self.order_line]

    def _approval_hash_values(self):
        return {
            "amount_total": self.amount_total,
            "currency": self.currency_id.id,
            "partner": self.partner_id.id,
            "payment_term": self.payment_term_id.id,
            "destination": self.picking_type_id.id,
            "dropship_address": self.dest_address_id.id,
            "lines": self._approval_lines_fingerprint(
                self._approval_order_lines(), "product_qty", "product_uom"
            ),
        }

    def _approval_context_rows(self, policy, measure):
        rows = super()._approval_context_rows(policy, measure)
        partner = self._approval_partner()
        orders = self.search_count(
            [
                ("partner_id", "child_of", partner.id),
                ("state", "in", ("purchase", "done")),
                ("company_id", "=", self.company_id.id),
            ]
        )
        rows.append((_("Confirmed purchases from the vendor"), orders))
        return rows

    def _approval_continue(self):
        if self.state == "to approve":
            return self.button_approve()
        return self.button_confirm()

    def _approval_is_done(self):
        # with two-step validation, "to approve" is Odoo's own step after our approval
        return self.state in ("purchase", "done", "to approve")


class PurchaseOrderLine(models.Model):
    _name = "purchase.order.line"
    _inherit = ["purchase.order.line", "workflow.approval.line.mixin"]
    _approval_document_field = "order_id"
    _approval_watched_fields = (
        "product_id",
        "product_qty",
        "product_uom",
        "price_unit",
        "discount",
        "taxes_id",
    )
