# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.workflow_monitor_base.tools import clock

DECISIONS = [
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("changes", "Changes Requested"),
    ("delegated", "Delegated"),
]


class WorkflowApprovalDecision(models.Model):
    """The decision log of a request: who decided what, when, at which tier, on whose
    behalf and why. Written by the engine only; never changed."""

    _name = "workflow.approval.decision"
    _description = "Approval Decision"
    _order = "date desc, id desc"

    request_id = fields.Many2one(
        "workflow.approval.request", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True)
    tier_id = fields.Many2one("workflow.approval.tier", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Decided by", required=True)
    on_behalf_of_id = fields.Many2one(
        "res.users",
        string="On behalf of",
        help="The approver whose delegation let this user decide.",
    )
    decision = fields.Selection(DECISIONS, required=True)
    comment = fields.Text()
    date = fields.Datetime(required=True, default=lambda self: clock.now(self.env))

    def write(self, vals):  # pylint: disable=method-required-super
        # the decision log is append-only
        raise UserError(_("Approval decisions are an audit log and cannot be modified."))

    @api.ondelete(at_uninstall=True)
    def _unlink_never_by_users(self):
        if not self.env.su:
            raise UserError(_("Approval decisions are an audit log and cannot be deleted."))
