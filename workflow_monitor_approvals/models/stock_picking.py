# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, models


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "workflow.approval.mixin"]
    _approval_label = "Transfer"
    _approval_action = "validate"
    # ``state`` is computed from the moves: the transition itself is the lower door
    # stock.move._action_done (see stock_move.py); a direct write of the state is a door too
    _approval_done_states = ("done",)
    _approval_doors = {"button_validate": "notify"}  # the backorder wizard calls it again
    _approval_conditions = ("amount", "return", "domain")
    _approval_fingerprint_fields = (
        "partner_id",
        "location_id",
        "location_dest_id",
        "picking_type_id",
        "move_ids",
        "move_line_ids",
    )

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _workflow_warehouse(self):
        return {picking: picking.picking_type_id.warehouse_id for picking in self}

    def _approval_moves(self):
        return self.move_ids.filtered(lambda m: m.state != "cancel")

    def _approval_amount(self, policy):
        """Value of the goods moved, at cost (company currency)."""
        company = self.company_id
        moves = self._approval_category_lines(self._approval_moves(), policy)
        return sum(
            m._approval_quantity() * m.product_id.with_company(company).standard_price
            for m in moves
        )

    def _approval_is_return(self):
        return bool(self.return_id) or any(self.move_ids.mapped("origin_returned_move_id"))

    def _approval_author_lines(self):
        return [self.move_ids, self.move_line_ids]

    def _approval_hash_values(self):
        return {
            "partner": self.partner_id.id,
            "operation_type": self.picking_type_id.id,
            "location": self.location_id.id,
            "location_dest": self.location_dest_id.id,
            "moves": sorted(
                (
                    m.product_id.id,
                    m._approval_quantity(),
                    m.product_uom.id,
                    m.location_id.id,
                    m.location_dest_id.id,
                )
                for m in self._approval_moves()
            ),
        }

    def _approval_context_rows(self, policy, measure):
        rows = super()._approval_context_rows(policy, measure)
        if self.return_id:
            rows.append((_("Return of"), self.return_id.display_name))
        rows.append((_("Origin"), self.origin or "-"))
        return rows

    def _approval_continue(self):
        return self.button_validate()
