# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "workflow.approval.mixin"]
    _approval_label = "Invoice / Bill"
    _approval_action = "post"
    _approval_done_states = ("posted",)
    # action_post is the button; _post the funnel the auto-post cron and other modules
    # call directly (held moves stay in draft, callers get the moves actually posted)
    _approval_doors = {"action_post": "notify", "_post": "filter"}
    _approval_conditions = ("amount", "discount", "credit_limit", "return", "domain")
    _approval_fingerprint_fields = (
        "partner_id",
        "partner_bank_id",
        "invoice_payment_term_id",
        "currency_id",
        "move_type",
        "invoice_line_ids",
        "line_ids",
    )

    # ------------------------------------------------------------
    # APPROVAL HOOKS
    # ------------------------------------------------------------

    def _approval_candidates(self):
        # invoices, bills, refunds and receipts; journal entries and payments never wait
        return self.filtered(lambda m: m.is_invoice(include_receipts=True))

    def _approval_product_lines(self):
        return self.invoice_line_ids.filtered(lambda line: line.display_type == "product")

    def _approval_amount(self, policy):
        if policy.category_path:
            total = self._approval_line_amount(self._approval_product_lines(), policy)
            return abs(self._approval_to_company_currency(total, self.currency_id, self.date))
        return abs(self.amount_total_signed)

    def _approval_max_discount(self, policy):
        lines = self._approval_category_lines(self._approval_product_lines(), policy)
        return max(lines.mapped("discount") or [0.0])

    def _approval_credit_exposure(self, amount):
        if self.move_type != "out_invoice":
            return 0.0, 0.0
        return super()._approval_credit_exposure(amount)

    def _approval_is_return(self):
        return self.move_type in ("out_refund", "in_refund") or bool(self.reversed_entry_id)

    def _approval_responsible(self):
        return self.invoice_user_id

    def _approval_author_lines(self):
        return [self.invoice_line_ids]

    def _approval_hash_values(self):
        return {
            "amount_total": self.amount_total,
            "currency": self.currency_id.id,
            "partner": self.partner_id.id,
            "bank_account": self.partner_bank_id.id,
            "payment_term": self.invoice_payment_term_id.id,
            "move_type": self.move_type,
            "lines": self._approval_lines_fingerprint(
                self._approval_product_lines(), "quantity", "product_uom_id"
            ),
        }

    def _approval_continue(self):
        return self.action_post()


class AccountMoveLine(models.Model):
    _name = "account.move.line"
    _inherit = ["account.move.line", "workflow.approval.line.mixin"]
    _approval_document_field = "move_id"
    _approval_watched_fields = (
        "product_id",
        "quantity",
        "product_uom_id",
        "price_unit",
        "discount",
        "tax_ids",
    )
