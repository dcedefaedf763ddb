# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class WorkflowApprovalTier(models.Model):
    """One step of a policy: who approves, within how many hours, and who takes over
    when the step is overdue."""

    _name = "workflow.approval.tier"
    _description = "Approval Tier"
    _inherit = ["workflow.config.audit.mixin"]
    _order = "policy_id, sequence, id"
    _workflow_audit_fields = (
        "sequence",
        "approver_type",
        "user_ids",
        "group_id",
        "sla_hours",
        "escalate_to_user_id",
    )

    policy_id = fields.Many2one(
        "workflow.approval.policy", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    sequence = fields.Integer(default=10, help="Tiers approve one after the other, in order.")
    name = fields.Char(compute="_compute_name", store=True)
    approver_type = fields.Selection(
        [
            ("user", "Specific users"),
            ("group", "Members of a group"),
            ("requester_manager", "Manager of the requester"),
        ],
        required=True,
        default="user",
        help="Any one approver of the tier decides for the tier. The requester's manager "
        "is their employee manager when HR is installed, otherwise the leader of their "
        "sales team.",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Approvers",
        domain=[("share", "=", False)],
        help="Approvers of the tier; with another approver type they are the fallback "
        "when nobody else is found.",
    )
    group_id = fields.Many2one("res.groups", string="Approver Group")
    sla_hours = fields.Float(
        string="SLA (hours)",
        default=lambda self: self._default_sla_hours(),
        help="Hours the tier has to decide before the request escalates (0: no SLA).",
    )
    escalate_to_user_id = fields.Many2one(
        "res.users",
        string="Escalate to",
        domain=[("share", "=", False)],
        help="Receives an activity and may decide when the tier passes its SLA.",
    )

    @api.model
    def _default_sla_hours(self):
        return float(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("workflow_monitor_approvals.default_sla_hours", 24.0)
        )

    @api.depends("sequence", "approver_type", "user_ids", "group_id")
    def _compute_name(self):
        labels = dict(self._fields["approver_type"].selection)
        for tier in self:
            if tier.approver_type == "user":
                who = ", ".join(tier.user_ids.mapped("name")) or labels["user"]
            elif tier.approver_type == "group":
                who = tier.group_id.full_name or labels["group"]
            else:
                who = labels["requester_manager"]
            tier.name = who

    @api.constrains("approver_type", "user_ids", "group_id", "sla_hours")
    def _check_approvers(self):
        for tier in self:
            if tier.approver_type == "user" and not tier.user_ids:
                raise ValidationError(
                    _(
                        "%(policy)s: a tier of specific users needs at least one approver "
                        "(field: Approvers).",
                        policy=tier.policy_id.name,
                    )
                )
            if tier.approver_type == "group" and not tier.group_id:
                raise ValidationError(
                    _(
                        "%(policy)s: a group tier needs a group (field: Approver Group).",
                        policy=tier.policy_id.name,
                    )
                )
            if tier.sla_hours < 0:
                raise ValidationError(
                    _(
                        "%(policy)s: the SLA cannot be negative (field: SLA (hours)).",
                        policy=tier.policy_id.name,
                    )
                )
