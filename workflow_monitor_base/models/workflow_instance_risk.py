# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models
from odoo.tools import SQL


class WorkflowInstance(models.Model):
    """Hooks of the breach-risk model (``workflow_monitor_ai``): what counts as a missed
    promise and which features describe an instance at a moment. They live here so that
    the consumer modules (distribution) extend them without depending on the AI module;
    each one is one SQL statement for a whole batch."""

    _inherit = "workflow.instance"

    @api.model
    def _risk_missed_sql(self, instance_ids):
        """SQL selecting ``(instance_id, missed_at)`` rows for the instances ``instance_ids``
        (an SQL expression giving ids): the moments a promise of the instance was missed.
        The risk model takes the earliest per instance, when it comes before the instance
        ended. Here: its SLA breaches (``sla`` events that breached); consumer modules
        add theirs with ``UNION ALL`` (the promised date of the document)."""
        self.env["workflow.event"].flush_model(
            ["instance_id", "event_type", "payload", "occurred_at"]
        )
        return SQL(
            """SELECT e.instance_id, e.occurred_at AS missed_at
                 FROM workflow_event e
                WHERE e.instance_id IN (%s) AND e.event_type = 'sla'
                  AND e.payload ->> 'sla_state' = 'breached'""",
            instance_ids,
        )

    @api.model
    def _risk_features(self, snapshots):
        """Extra features of instances at moments: ``snapshots`` is a list of
        ``(instance_id, moment)``; returns one dict per snapshot (same order) of
        ``{feature: value}``, values being str (categorical) or numbers. The names and
        kinds are the ones of :meth:`_risk_feature_names`. Base has none; distribution
        adds the partner's and products' late history, open shortages and supplier
        delays, and the amount, in one query per batch."""
        return [{} for _snapshot in snapshots]

    @api.model
    def _risk_feature_names(self):
        """``(categorical names, numeric names)`` that :meth:`_risk_features` returns."""
        return [], []
