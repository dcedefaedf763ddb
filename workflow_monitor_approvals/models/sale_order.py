from odoo import _, api, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "workflow.approval.mixin"]
    _approval_action = "confirm"
    _approval_target_states = ("sale",)
    _approval_open_states = ("draft", "sent")

    # ------------------------------------------------------------
    # DOORS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        for order, vals in zip(orders, vals_list):
            order._approval_guard_state(vals, door="create")
        return orders

    def write(self, vals):
        self._approval_guard_state(vals)
        return super().write(vals)

    def action_confirm(self):
        allowed, notification = self._approval_check()
        if not allowed:
            return notification
        result = super(SaleOrder, allowed).action_confirm()
        return notification or result

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _approval_warehouse(self):
        return self.warehouse_id

    def _approval_amount(self, policy):
        return self._approval_order_amount(policy)

    def _approval_max_discount(self, policy):
        return self._approval_order_max_discount(policy)

    def _approval_margin_percent(self, policy):
        lines = self.order_line.filtered(lambda line: not line.display_type)
        if policy.product_category_id:
            lines = self._approval_category_lines(lines, policy)
            untaxed = sum(lines.mapped("price_subtotal"))
            return 100.0 * sum(lines.mapped("margin")) / untaxed if untaxed else None
        if not self.amount_untaxed:
            return None
        return 100.0 * self.margin_percent  # sale_margin stores a ratio

    def _approval_hash_values(self):
        return self._approval_order_hash_values("product_uom_qty")

    def _approval_context_rows(self, policy, info):
        rows = super()._approval_context_rows(policy, info)
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
