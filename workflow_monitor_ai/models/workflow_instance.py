# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class WorkflowInstance(models.Model):
    """The breach risk of open instances, written by the risk model's scoring only
    (``workflow.ai.risk.model._score_open``, one UPDATE per chunk)."""

    _inherit = "workflow.instance"

    risk_score = fields.Float(
        string="Breach Risk",
        readonly=True,
        digits=(3, 2),
        aggregator="avg",
        help="Calibrated probability (0-1) that this open instance misses its stage's SLA "
        "or its promised date. Empty: not predicted (already late, finished, or no "
        "model beats the base rate).",
    )
    risk_model_version = fields.Char(
        string="Risk Model", readonly=True, help="The risk model that gave the score."
    )
    risk_suggestion_ids = fields.One2many(
        "workflow.ai.suggestion", "instance_id", string="Predicted Breaches", readonly=True
    )

    def init(self):
        super().init()
        # the dashboard's riskiest open instances and the suggestion refresh
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_instance_running_risk_idx
                   ON workflow_instance (risk_score DESC NULLS LAST)
                WHERE state = 'running' AND risk_score IS NOT NULL"""
        )
