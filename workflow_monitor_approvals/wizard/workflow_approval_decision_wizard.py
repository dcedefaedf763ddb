# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, fields, models
from odoo.exceptions import UserError


class WorkflowApprovalDecisionWizard(models.TransientModel):
    """Asks the reason of a rejection, the changes wanted, or the delegate."""

    _name = "workflow.approval.decision.wizard"
    _description = "Approval Decision"

    request_ids = fields.Many2many("workflow.approval.request", required=True)
    decision = fields.Selection(
        [("rejected", "Reject"), ("changes", "Request Changes"), ("delegated", "Delegate")],
        required=True,
        default="rejected",
    )
    comment = fields.Text(string="Reason")
    user_id = fields.Many2one("res.users", string="Delegate to", domain=[("share", "=", False)])

    def action_confirm(self):
        self.ensure_one()
        if self.decision == "delegated":
            if not self.user_id:
                raise UserError(_("Choose who decides instead of you (field: Delegate to)."))
            self.request_ids.action_delegate(self.user_id, self.comment)
        elif self.decision == "rejected":
            self.request_ids.action_reject(self.comment)
        else:
            self.request_ids.action_request_changes(self.comment)
        return {"type": "ir.actions.act_window_close"}
