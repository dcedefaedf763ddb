# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_approval_default_sla_hours = fields.Float(
        string="Default approval SLA (hours)",
        config_parameter="workflow_monitor_approvals.default_sla_hours",
        default=24.0,
        help="SLA proposed for new approval tiers; a tier past its SLA escalates.",
    )
    workflow_approval_policy_count = fields.Integer(
        compute="_compute_workflow_approval_policy_count"
    )

    def _compute_workflow_approval_policy_count(self):
        count = self.env["workflow.approval.policy"].search_count([])
        for settings in self:
            settings.workflow_approval_policy_count = count

    @api.constrains("workflow_approval_default_sla_hours")
    def _check_workflow_approval_sla(self):
        for settings in self:
            if settings.workflow_approval_default_sla_hours < 0:
                raise ValidationError(
                    _("The default approval SLA cannot be negative (field: Default approval SLA).")
                )
