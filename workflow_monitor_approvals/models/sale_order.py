# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, models

from .workflow_approval_gate import Measure


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "workflow.approval.mixin"]
    _approval_action = "confirm"
    _approval_done_states = ("sale",)
    _approval_doors = {"action_confirm": "notify"}
    _approval_conditions = ("amount", "discount", "margin", "credit_limit", "domain")
    _approval_fingerprint_fields = (
        "partner_id",
        "partner_invoice_id",
        "partner_shipping_id",
        "payment_term_id",
        "warehouse_id",
        "currency_id",
        "pricelist_id",
        "order_line",
    )

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _workflow_warehouse(self):
        return {order: order.warehouse_id for order in self}

    def _approval_amount(self, policy):
        return self._approval_order_amount(policy)

    def _approval_max_discount(self, policy):
        return self._approval_order_max_discount(policy)

    def _approval_condition_margin(self, policy):
        margin = self._approval_margin_percent(policy)
        triggered = margin is not None and margin < policy.threshold
        return Measure(triggered, margin or 0.0, self._approval_amount(policy))

    def _approval_margin_percent(self, policy):
        """Margin in % of the untaxed amount (None without amount)."""
        lines = self._approval_order_lines()
        if policy.category_path:
            lines = self._approval_category_lines(lines, policy)
            untaxed = sum(lines.mapped("price_subtotal"))
            return 100.0 * sum(lines.mapped("margin")) / untaxed if untaxed else None
        if not self.amount_untaxed:
            return None
        return 100.0 * self.margin_percent  # sale_margin stores a ratio

    def _approval_author_lines(self):
        return [self.order_line]

    def _approval_hash_values(self):
        return {
            "amount_total": self.amount_total,
            "currency": self.currency_id.id,
            "partner": self.partner_id.id,
            "invoice_address": self.partner_invoice_id.id,
            "delivery_address": self.partner_shipping_id.id,
            "payment_term": self.payment_term_id.id,
            "warehouse": self.warehouse_id.id,
            "lines": self._approval_lines_fingerprint(
                self._approval_order_lines(), "product_uom_qty", "product_uom"
            ),
        }

    def _approval_context_rows(self, policy, measure):
        rows = super()._approval_context_rows(policy, measure)
        partner = self._approval_partner()
        orders = self.search_count(
            [
                ("partner_id", "child_of", partner.id),
                ("state", "=", "sale"),
                ("company_id", "=", self.company_id.id),
            ]
        )
        rows.append((_("Confirmed orders of the customer"), orders))
        rows.append((_("Margin"), "%s %%" % round(100.0 * self.margin_percent, 1)))
        return rows

    def _approval_continue(self):
        return self.action_confirm()


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "workflow.approval.line.mixin"]
    _approval_document_field = "order_id"
    _approval_watched_fields = (
        "product_id",
        "product_uom_qty",
        "product_uom",
        "price_unit",
        "discount",
        "tax_id",
    )
