# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_stale_days = fields.Integer(
        string="Stale after (days)",
        config_parameter="workflow_monitor.stale_days",
        default=3,
        help="A running document idle in one stage for longer raises a Stale Record exception.",
    )
    workflow_response_hours_low = fields.Float(
        string="Low", config_parameter="workflow_monitor.response_hours_low", default=72.0
    )
    workflow_response_hours_medium = fields.Float(
        string="Medium", config_parameter="workflow_monitor.response_hours_medium", default=24.0
    )
    workflow_response_hours_high = fields.Float(
        string="High", config_parameter="workflow_monitor.response_hours_high", default=8.0
    )
    workflow_response_hours_critical = fields.Float(
        string="Critical", config_parameter="workflow_monitor.response_hours_critical", default=2.0
    )
    workflow_event_retention_days = fields.Integer(
        string="Keep events (days)",
        config_parameter="workflow_monitor.event_retention_days",
        default=365,
        help="Older workflow events are purged by the retention job; 0 keeps all.",
    )
    workflow_events_partitioned = fields.Boolean(
        string="Events partitioned by month",
        compute="_compute_workflow_events_partitioned",
        help="The event table is partitioned by month: retention drops whole months.",
    )
    workflow_dashboard_refresh = fields.Integer(
        string="Dashboard refresh (seconds)",
        config_parameter="workflow_monitor.dashboard_refresh_seconds",
        default=60,
    )
    workflow_cron_lag_minutes = fields.Integer(
        string="Scheduled action lag alert (minutes)",
        config_parameter="workflow_monitor.cron_lag_minutes",
        default=60,
    )
    workflow_security_signal_threshold = fields.Integer(
        string="Security signals per hour",
        config_parameter="workflow_monitor.security_signal_threshold",
        default=10,
        help="More signals of one kind within an hour raise a Security Signal exception.",
    )

    def _compute_workflow_events_partitioned(self):
        partitioned = self.env["workflow.event"]._events_partitioned()
        for settings in self:
            settings.workflow_events_partitioned = partitioned

    @api.constrains(
        "workflow_stale_days",
        "workflow_response_hours_low",
        "workflow_response_hours_medium",
        "workflow_response_hours_high",
        "workflow_response_hours_critical",
        "workflow_event_retention_days",
        "workflow_dashboard_refresh",
        "workflow_cron_lag_minutes",
        "workflow_security_signal_threshold",
    )
    def _check_workflow_values(self):
        for settings in self:
            for fname in (
                "workflow_stale_days",
                "workflow_response_hours_low",
                "workflow_response_hours_medium",
                "workflow_response_hours_high",
                "workflow_response_hours_critical",
                "workflow_event_retention_days",
                "workflow_dashboard_refresh",
                "workflow_cron_lag_minutes",
                "workflow_security_signal_threshold",
            ):
                if settings[fname] < 0:
                    raise ValidationError(
                        _("%(field)s cannot be negative.", field=settings._fields[fname].string)
                    )
            if 0 < settings.workflow_dashboard_refresh < 5:
                raise ValidationError(_("Dashboard refresh must be at least 5 seconds."))

    def action_workflow_partition_events(self):
        """Settings button: partition the event table by month (administrators)."""
        return self.env["workflow.event"].action_partition_by_month()
