# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, models
from odoo.exceptions import UserError

from .workflow_approval_mixin import MEMO_ACTING


class StockMove(models.Model):
    """Moves are the lines of a transfer, and ``_action_done`` is the lower door every
    validation goes through (stock.picking._action_done, server code, other modules)."""

    _name = "stock.move"
    _inherit = ["stock.move", "workflow.approval.line.mixin"]
    _approval_document_field = "picking_id"
    _approval_watched_fields = (
        "product_id",
        "product_uom_qty",
        "quantity",
        "product_uom",
        "location_id",
        "location_dest_id",
    )

    def _action_done(self, cancel_backorder=False):
        pickings = self.picking_id.filtered(lambda p: p.state not in p._approval_done_states)
        pickings._approval_pass(door="stock.move._action_done")
        self._approval_check_stock_loss()
        with pickings._approval_acting():
            return super()._action_done(cancel_backorder=cancel_backorder)

    def _approval_quantity(self):
        """The quantity the move moves: what is done or reserved, else what is asked
        (validation fills the one from the other; the fingerprint must not change)."""
        self.ensure_one()
        return self.quantity or self.product_uom_qty

    def _approval_check_stock_loss(self):
        """Moves to or from an inventory-loss location outside a transfer, a scrap or an
        approved inventory adjustment (inventory revert, relocation to a loss location,
        server code): refused when an inventory adjustment policy would ask for an
        approval of that value. Adjustments go through the quants, which ask for it."""
        Quant = self.env["stock.quant"]
        policies = self.env["workflow.approval.policy"]._policy_specs(Quant._name)
        if not policies:
            return
        acting = self.env.cr.cache.get(MEMO_ACTING, set())
        if any(model == Quant._name for model, _id in acting):
            return  # an approved (or not gated) inventory adjustment creates these moves
        moves = self.filtered(
            lambda m: not m.picking_id
            and not m.scrap_id
            and m.state not in ("done", "cancel")
            and "inventory" in (m.location_id.usage, m.location_dest_id.usage)
        )
        for policy in policies:
            in_scope = moves._approval_loss_in_scope(policy)
            value = sum(
                m.product_qty * m.product_id.with_company(m.company_id).standard_price
                for m in in_scope
            )
            if in_scope and (policy.condition == "domain" or value > policy.threshold):
                raise UserError(
                    _(
                        "Moving %(products)s to or from an inventory-loss location needs an "
                        "approval (policy: %(policy)s). Count the quantity as an inventory "
                        "adjustment (Inventory > Physical Inventory) and apply it: the "
                        "approval is asked for there.",
                        products=", ".join(in_scope.product_id.mapped("display_name")[:5]),
                        policy=policy.name,
                    )
                )

    def _approval_loss_in_scope(self, policy):
        moves = self
        if policy.company_id:
            moves = moves.filtered(lambda m: m.company_id.id == policy.company_id)
        if policy.warehouse_id:
            moves = moves.filtered(
                lambda m: policy.warehouse_id
                in (m.location_id.warehouse_id | m.location_dest_id.warehouse_id).ids
            )
        if policy.category_path:
            moves = moves.filtered(
                lambda m: (m.product_id.categ_id.parent_path or "").startswith(policy.category_path)
            )
        return moves


class StockMoveLine(models.Model):
    """Done move lines can be edited (Odoo then corrects the stock): a change of the
    approved values of a validated transfer."""

    _name = "stock.move.line"
    _inherit = ["stock.move.line", "workflow.approval.line.mixin"]
    _approval_document_field = "picking_id"
    _approval_watched_fields = (
        "product_id",
        "quantity",
        "product_uom_id",
        "location_id",
        "location_dest_id",
        "lot_id",
        "package_id",
        "result_package_id",
    )
