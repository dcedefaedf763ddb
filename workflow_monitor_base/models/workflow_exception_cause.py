# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Causal chains: an impact exception names the exception that causes it.

A detector that finds a cause (a late receipt, missing stock) also raises, on the
documents that depend on it (customer orders), impact exceptions that point to the cause
(``cause_exception_id``) and carry the revenue at risk (``impact_amount``). The engine sets
both through the exception upsert (workflow_exception_raise.py); the detector's
``resolve_cleared`` resolves the impacts it no longer sees, so they clear with the cause.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .workflow_exception import OPEN_STATES


class WorkflowExceptionCause(models.Model):
    _inherit = "workflow.exception"

    cause_exception_id = fields.Many2one(
        "workflow.exception",
        string="Cause",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The exception this one is an impact of (e.g. the late purchase order a "
        "customer order waits for).",
    )
    impact_exception_ids = fields.One2many(
        "workflow.exception", "cause_exception_id", string="Impacts", readonly=True
    )
    impact_count = fields.Integer(string="Open Impacts", compute="_compute_impact_count")
    impact_currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    impact_amount = fields.Monetary(
        string="Revenue at Risk",
        currency_field="impact_currency_id",
        readonly=True,
        help="Untaxed amount of the document lines this impact puts at risk, in the "
        "company's currency.",
    )

    # ------------------------------------------------------------
    # COMPUTES / CONSTRAINTS
    # ------------------------------------------------------------

    def _compute_impact_count(self):
        counts = dict(
            self._read_group(
                [("cause_exception_id", "in", self.ids), ("state", "in", OPEN_STATES)],
                ["cause_exception_id"],
                ["__count"],
            )
        )
        for exception in self:
            exception.impact_count = counts.get(exception, 0)

    @api.constrains("cause_exception_id", "company_id")
    def _check_cause_company(self):
        """A cause and its impacts are of one company, and nothing is its own cause
        (the ORM path; the upsert's values are checked by raise_exceptions)."""
        for exception in self.filtered("cause_exception_id"):
            # sudo: the cause's company is compared, nothing is shown
            cause = exception.sudo().cause_exception_id
            if cause == exception or cause.company_id != exception.company_id:
                raise ValidationError(
                    _(
                        "%(name)s: the cause of an exception is another exception of the same "
                        "company (field: cause_exception_id).",
                        name=exception.display_name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def unlink(self):
        """A deleted cause's impacts lose their cause, as ON DELETE SET NULL would (the
        column has no foreign key: the upsert writes it in bulk)."""
        if self.ids:
            self.flush_model(["cause_exception_id"])
            self.env.cr.execute(
                SQL(
                    """UPDATE workflow_exception SET cause_exception_id = NULL
                        WHERE cause_exception_id = ANY(%s)""",
                    self.ids,
                )
            )
            self.invalidate_model(["cause_exception_id", "impact_exception_ids"])
        return super().unlink()

    # ------------------------------------------------------------
    # CLOSING: impacts clear with their cause
    # ------------------------------------------------------------

    def _resolve(self, resolution, auto=False):
        """Resolving a cause, by its detector or by hand, resolves its open impacts
        (auto-resolved, saying why): they exist only because of it."""
        # an impact causes nothing: no query for the impacts of impacts
        causes = self.filtered(lambda e: e.state in OPEN_STATES and not e.cause_exception_id)
        super()._resolve(resolution, auto=auto)
        causes._resolve_impacts()

    def action_dismiss(self):
        causes = self.filtered(lambda e: e.state in OPEN_STATES and not e.cause_exception_id)
        result = super().action_dismiss()
        # sudo: the impacts are the engine's to close once their cause is (access to
        # the cause was checked)
        causes.sudo()._resolve_impacts()
        return result

    def _resolve_impacts(self):
        """Auto-resolve the open impacts of the closed causes ``self`` (one query to
        find them, one write)."""
        if not self.ids:
            return
        impacts = self.search(
            [("cause_exception_id", "in", self.ids), ("state", "in", OPEN_STATES)]
        )
        impacts._resolve(_("Resolved with its cause."), auto=True)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_impacts(self):
        """The open impact exceptions of these causes (the user's record rules apply)."""
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": _("Impacts"),
            "res_model": "workflow.exception",
            "views": [(False, "list"), (False, "form")],
            "domain": [("cause_exception_id", "in", self.ids), ("state", "in", OPEN_STATES)],
            "context": {"create": False},
        }

    def action_view_impacted_documents(self):
        """The documents (e.g. customer orders) of the open impacts of these causes, as
        found through the impacts the user can read; the documents' own access rules
        decide what the list shows."""
        self.check_access("read")
        impacts = self.env["workflow.exception"].search(
            [("cause_exception_id", "in", self.ids), ("state", "in", OPEN_STATES)]
        )
        models_ = {impact.res_model for impact in impacts if impact.res_model}
        if len(models_) > 1:
            return self.action_view_impacts()
        if not models_:
            raise UserError(_("No open impact of %(name)s.", name=self[:1].display_name))
        res_model = models_.pop()
        if res_model not in self.env:
            raise UserError(_("Unknown model '%(model)s' (field: res_model).", model=res_model))
        return {
            "type": "ir.actions.act_window",
            "name": _("Impacted Documents"),
            "res_model": res_model,
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", sorted({impact.res_id for impact in impacts}))],
            "context": {"create": False},
        }
