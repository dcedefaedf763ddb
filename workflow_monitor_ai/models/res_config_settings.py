# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_ai_confidence_threshold = fields.Float(
        string="AI confidence threshold",
        config_parameter="workflow_monitor_ai.confidence_threshold",
        default=0.85,
        help="Category and severity suggestions at or above this confidence (0-1) are applied "
        "automatically; below it they wait for a person.",
    )
    workflow_ai_risk_threshold = fields.Float(
        string="Breach risk threshold",
        config_parameter="workflow_monitor_ai.risk_threshold",
        default=0.6,
        help="Open instances whose predicted breach risk (0-1) reaches this value get a "
        "Predicted Breach suggestion for a person to review.",
    )
    workflow_ai_min_examples = fields.Integer(
        string="Minimum training examples",
        config_parameter="workflow_monitor_ai.min_examples",
        default=50,
        help="Below this number of resolved exceptions the classifier stays in cold start.",
    )
    workflow_ai_min_per_class = fields.Integer(
        string="Minimum examples per class",
        config_parameter="workflow_monitor_ai.min_per_class",
        default=10,
        help="A category or severity with fewer resolved examples is not learned.",
    )
    workflow_ai_kill_switch = fields.Boolean(
        string="AI kill switch",
        config_parameter="workflow_monitor_ai.kill_switch",
        help="Stops every call to the AI provider and every automatic change at once: "
        "suggestions are still proposed for review.",
    )
    workflow_ai_provider_enabled = fields.Boolean(
        string="Use an AI provider",
        config_parameter="workflow_monitor_ai.provider_enabled",
        help="Send masked exception texts to an OpenAI-compatible API for summaries only.",
    )
    workflow_ai_provider_url = fields.Char(
        string="Provider URL",
        config_parameter="workflow_monitor_ai.provider_url",
        help="Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1; "
        "/chat/completions is added.",
    )
    workflow_ai_provider_model = fields.Char(
        string="Provider model", config_parameter="workflow_monitor_ai.provider_model"
    )
    workflow_ai_provider_api_key = fields.Char(
        string="Provider API key",
        config_parameter="workflow_monitor_ai.provider_api_key",
        groups="base.group_system",
    )
    workflow_ai_provider_timeout = fields.Float(
        string="Provider timeout (s)",
        config_parameter="workflow_monitor_ai.provider_timeout",
        default=20.0,
    )
    workflow_ai_anomaly_z = fields.Float(
        string="Anomaly z-score",
        config_parameter="workflow_monitor_ai.anomaly_z",
        default=3.5,
        help="Robust z-score (median / MAD of the same weekday) from which a value is an anomaly.",
    )
    workflow_ai_anomaly_min_history = fields.Integer(
        string="Anomaly minimum history",
        config_parameter="workflow_monitor_ai.anomaly_min_history",
        default=4,
        help="Same-weekday values needed before a series is judged.",
    )
    workflow_ai_burst_min_count = fields.Integer(
        string="Burst size",
        config_parameter="workflow_monitor_ai.burst_min_count",
        default=5,
        help="Exceptions within the burst window that trigger a root-cause analysis.",
    )
    workflow_ai_burst_window_hours = fields.Float(
        string="Burst window (hours)",
        config_parameter="workflow_monitor_ai.burst_window_hours",
        default=2.0,
    )
    workflow_ai_briefing_group_id = fields.Many2one(
        "res.groups",
        string="E-mail the briefing to",
        config_parameter="workflow_monitor_ai.briefing_group_id",
        help="Members of this group receive the daily operations briefing by e-mail (it is "
        "always posted in the Workflow Monitor Briefing channel).",
    )

    @api.constrains(
        "workflow_ai_confidence_threshold",
        "workflow_ai_risk_threshold",
        "workflow_ai_min_examples",
        "workflow_ai_min_per_class",
        "workflow_ai_provider_timeout",
        "workflow_ai_anomaly_z",
        "workflow_ai_anomaly_min_history",
        "workflow_ai_burst_min_count",
        "workflow_ai_burst_window_hours",
        "workflow_ai_provider_url",
    )
    def _check_workflow_ai_values(self):
        for settings in self:
            if not 0.5 <= settings.workflow_ai_confidence_threshold <= 1.0:
                raise ValidationError(
                    _(
                        "The AI confidence threshold must be between 0.5 and 1 "
                        "(field: AI confidence threshold)."
                    )
                )
            if not 0.05 <= settings.workflow_ai_risk_threshold <= 0.99:
                raise ValidationError(
                    _(
                        "The breach risk threshold must be between 0.05 and 0.99 "
                        "(field: Breach risk threshold)."
                    )
                )
            if settings.workflow_ai_min_per_class < 2 or settings.workflow_ai_min_examples < 2:
                raise ValidationError(
                    _(
                        "The classifier needs at least 2 examples "
                        "(fields: Minimum training examples, per class)."
                    )
                )
            if not 0 < settings.workflow_ai_provider_timeout <= 300:
                raise ValidationError(
                    _(
                        "The provider timeout must be between 0 and 300 seconds "
                        "(field: Provider timeout)."
                    )
                )
            if settings.workflow_ai_anomaly_z <= 0 or settings.workflow_ai_anomaly_min_history < 2:
                raise ValidationError(
                    _(
                        "The anomaly z-score must be positive and the minimum history at least 2 "
                        "(fields: Anomaly z-score, Anomaly minimum history)."
                    )
                )
            if (
                settings.workflow_ai_burst_min_count < 2
                or settings.workflow_ai_burst_window_hours <= 0
            ):
                raise ValidationError(
                    _(
                        "A burst needs at least 2 exceptions and a positive window "
                        "(fields: Burst size, Burst window)."
                    )
                )
            url = settings.workflow_ai_provider_url
            if url and not url.startswith(("http://", "https://")):
                raise ValidationError(
                    _("The provider URL must start with http:// or https:// (field: Provider URL).")
                )
