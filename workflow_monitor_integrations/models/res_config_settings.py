# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import secrets

from odoo import _, fields, models
from odoo.exceptions import AccessError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_metrics_token = fields.Char(
        string="Metrics Token",
        config_parameter="workflow_monitor.metrics_token",
        groups="base.group_system",
        help="Bearer token of GET /workflow_monitor/metrics (Prometheus). Empty: the "
        "endpoint answers 401 to everyone.",
    )
    workflow_integration_retention_days = fields.Integer(
        string="Keep integration messages (days)",
        config_parameter="workflow_monitor.integration_message_retention_days",
        default=30,
        help="Delivered, processed, duplicate, stale and rejected messages older than this "
        "are purged (dead letters and failed ones are kept); 0 keeps all.",
    )
    workflow_webhook_lease_seconds = fields.Integer(
        string="Webhook lease (seconds)",
        config_parameter="workflow_monitor.webhook_lease_seconds",
        default=300,
        help="A message still 'sending' after this time (crashed worker) is sent again.",
    )

    def action_workflow_generate_metrics_token(self):
        if not self.env.is_system():
            raise AccessError(_("Only system administrators can set the metrics token."))
        self.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor.metrics_token", secrets.token_urlsafe(32)
        )
        return {"type": "ir.actions.client", "tag": "reload"}
