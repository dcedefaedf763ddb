from odoo import _, api, models


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "workflow.approval.mixin"]
    _approval_action = "confirm"
    _approval_target_states = ("purchase", "done")
    _approval_open_states = ("draft", "sent", "to approve")

    # ------------------------------------------------------------
    # DOORS: button_confirm, and button_approve (public, no state check)
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

    def button_confirm(self):
        allowed, notification = self._approval_check()
        if not allowed:
            return notification
        result = super(PurchaseOrder, allowed).button_confirm()
        return notification or result

    def button_approve(self, force=False):
        allowed, notification = self._approval_check()
        if not allowed:
            return notification
        result = super(PurchaseOrder, allowed).button_approve(force=force)
        return notification or result

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _approval_warehouse(self):
        return self.picking_type_id.warehouse_id

    def _approval_amount(self, policy):
        return self._approval_order_amount(policy)

    def _approval_max_discount(self, policy):
        return self._approval_order_max_discount(policy)

    def _approval_hash_values(self):
        return self._approval_order_hash_values("product_qty")

    def _approval_context_rows(self, policy, info):
        rows = super()._approval_context_rows(policy, info)
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
