from odoo import _, api, models


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "workflow.approval.mixin"]
    _approval_action = "validate"
    _approval_target_states = ("done",)
    _approval_open_states = ("draft", "waiting", "confirmed", "assigned")

    # ------------------------------------------------------------
    # DOORS: button_validate (the backorder wizard calls it again)
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        for picking, vals in zip(pickings, vals_list):
            picking._approval_guard_state(vals, door="create")
        return pickings

    def write(self, vals):
        self._approval_guard_state(vals)
        return super().write(vals)

    def button_validate(self):
        allowed, notification = self._approval_check()
        if not allowed:
            return notification
        result = super(StockPicking, allowed).button_validate()
        return notification or result

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _approval_candidates(self, door="action"):
        if door == "create":  # created directly in state done
            return self
        return self.filtered(lambda p: p.state in self._approval_open_states)

    def _approval_warehouse(self):
        return self.picking_type_id.warehouse_id

    def _approval_amount(self, policy):
        """Value of the goods moved, at cost (company currency)."""
        company = self.company_id
        moves = self.move_ids.filtered(lambda m: m.state != "cancel")
        if policy.product_category_id:
            moves = moves.filtered(
                lambda m: m.product_id.categ_id.parent_path.startswith(
                    policy.product_category_id.parent_path
                )
            )
        return sum(
            (m.quantity or m.product_uom_qty) * m.product_id.with_company(company).standard_price
            for m in moves
        )

    def _approval_is_return(self):
        return bool(self.return_id) or any(self.move_ids.mapped("origin_returned_move_id"))

    def _approval_hash_values(self):
        return {
            "partner": self.partner_id.id,
            "location": self.location_id.id,
            "location_dest": self.location_dest_id.id,
            "moves": sorted(
                (m.product_id.id, m.product_uom_qty, m.quantity)
                for m in self.move_ids
                if m.state != "cancel"
            ),
        }

    def _approval_context_rows(self, policy, info):
        rows = super()._approval_context_rows(policy, info)
        if self.return_id:
            rows.append((_("Return of"), self.return_id.display_name))
        rows.append((_("Origin"), self.origin or "-"))
        return rows

    def _approval_continue(self):
        return self.button_validate()
