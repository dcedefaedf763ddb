# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

LOG_KINDS = [
    ("provider", "Provider Call"),
    ("training", "Training"),
    ("classification", "Classification"),
    ("anomaly", "Anomaly Detection"),
    ("root_cause", "Root Cause"),
    ("briefing", "Briefing"),
]


class WorkflowAiLog(models.Model):
    """What the AI did: every prompt sent to a provider and its answer (masked), every
    training, and every error. Written by the engine only, never changed afterwards."""

    _name = "workflow.ai.log"
    _description = "Workflow AI Log"
    _order = "id desc"

    name = fields.Char(required=True)
    kind = fields.Selection(LOG_KINDS, required=True, index=True)
    status = fields.Selection(
        [
            ("ok", "OK"),
            ("error", "Error"),
            ("timeout", "Timeout"),
            ("blocked", "Blocked"),
            ("cold_start", "Cold Start"),
            ("refused", "Refused"),
        ],
        required=True,
        default="ok",
        index=True,
    )
    message = fields.Text(help="What happened, in words (errors say what to fix).")
    provider_url = fields.Char(string="Endpoint")
    model_name = fields.Char(string="Model")
    prompt = fields.Text(help="The prompt exactly as sent, after masking of personal data.")
    response = fields.Text(help="The answer exactly as received.")
    masked_count = fields.Integer(help="Personal data items replaced before sending.")
    http_status = fields.Integer(string="HTTP Status")
    duration_ms = fields.Integer(string="Duration (ms)")
    exception_id = fields.Many2one(
        "workflow.exception", index="btree_not_null", ondelete="set null"
    )
    user_id = fields.Many2one("res.users", default=lambda self: self.env.uid)
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)

    @api.model
    def _log(self, kind, name, status="ok", **vals):
        # sudo: the log is written by the engine for every caller; nobody may edit it
        return self.sudo().create(dict(vals, kind=kind, name=name[:250], status=status))
