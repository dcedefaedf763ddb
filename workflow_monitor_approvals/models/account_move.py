from odoo import api, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "workflow.approval.mixin"]
    _approval_action = "post"
    _approval_target_states = ("posted",)
    _approval_open_states = ("draft",)

    # ------------------------------------------------------------
    # DOORS: action_post (the button, returns the notification) and _post (the funnel
    # that the auto-post cron and other modules call directly)
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        for move, vals in zip(moves, vals_list):
            move._approval_guard_state(vals, door="create")
        return moves

    def write(self, vals):
        self._approval_guard_state(vals)
        return super().write(vals)

    def action_post(self):
        allowed, notification = self._approval_check()
        if not allowed:
            return notification
        result = super(AccountMove, allowed).action_post()
        return notification or result

    def _post(self, soft=True):
        # held moves stay in draft (their request is created and the approvers notified);
        # callers get the moves actually posted, as _post documents
        allowed, _notification = self._approval_check()
        return super(AccountMove, allowed)._post(soft=soft)

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _approval_candidates(self, door="action"):
        # invoices, bills, refunds and receipts; journal entries and payments never wait
        return self.filtered(lambda m: m.is_invoice(include_receipts=True))

    def _approval_amount(self, policy):
        if policy.product_category_id:
            lines = self.invoice_line_ids.filtered(lambda line: line.display_type == "product")
            total = self._approval_line_amount(lines, policy, "price_total")
            return abs(self._approval_to_company_currency(total, self.currency_id, self.date))
        return abs(self.amount_total_signed)

    def _approval_max_discount(self, policy):
        lines = self.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        if policy.product_category_id:
            lines = lines.filtered(
                lambda line: line.product_id.categ_id.parent_path
                and line.product_id.categ_id.parent_path.startswith(
                    policy.product_category_id.parent_path
                )
            )
        return max(lines.mapped("discount") or [0.0])

    def _approval_credit_exposure(self, amount):
        if self.move_type != "out_invoice":
            return 0.0, 0.0
        return super()._approval_credit_exposure(amount)

    def _approval_is_return(self):
        return self.move_type in ("out_refund", "in_refund") or bool(self.reversed_entry_id)

    def _approval_requester(self):
        user = self.env.user
        if user._is_superuser() or user._is_public() or user.share:
            return self.invoice_user_id or self.env.ref("base.user_admin")
        return user

    def _approval_hash_values(self):
        return {
            "amount_total": self.amount_total,
            "currency": self.currency_id.id,
            "partner": self.partner_id.id,
            "move_type": self.move_type,
            "lines": sorted(
                (line.product_id.id, line.quantity, line.price_unit, line.discount)
                for line in self.invoice_line_ids
                if line.display_type == "product"
            ),
        }

    def _approval_continue(self):
        return self.action_post()
