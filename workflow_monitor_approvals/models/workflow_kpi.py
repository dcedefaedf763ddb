# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.tools import SQL

APPROVAL_PROVIDERS = [
    ("approval_turnaround_p50", "Approval turnaround (median)"),
    ("approval_turnaround_p90", "Approval turnaround (90th percentile)"),
    ("approval_within_sla", "Approvals decided within SLA"),
    ("approval_auto_rate", "Auto-approval rate"),
    ("approval_rejection_rate", "Approval rejection rate"),
    ("approval_bypass_attempts", "Blocked approval bypass attempts"),
    ("approval_pending_aged", "Approvals pending for more than 24 h"),
]


class WorkflowKpi(models.Model):
    _inherit = "workflow.kpi"

    provider = fields.Selection(
        selection_add=APPROVAL_PROVIDERS,
        ondelete={code: "cascade" for code, _label in APPROVAL_PROVIDERS},
    )

    # ------------------------------------------------------------
    # PROVIDERS (one grouped query each, per company)
    # ------------------------------------------------------------

    def _approval_rows(self, query):
        self.env["workflow.approval.request"].flush_model()
        return self._kpi_rows(query)

    def _approval_turnaround(self, fraction, date_from, date_to):
        # human decisions only: auto-approvals would pull the figure to zero
        return self._approval_rows(
            SQL(
                """SELECT company_id,
                          percentile_cont(%s) WITHIN GROUP (
                              ORDER BY EXTRACT(EPOCH FROM decided_at - requested_at) / 3600.0),
                          NULL, count(*)
                     FROM workflow_approval_request
                    WHERE state IN ('approved', 'rejected') AND NOT COALESCE(auto_approved, FALSE)
                      AND decided_at >= %s AND decided_at < %s
                    GROUP BY company_id""",
                fraction,
                date_from,
                date_to,
            )
        )

    def _kpi_compute_approval_turnaround_p50(self, date_from, date_to):
        return self._approval_turnaround(0.5, date_from, date_to)

    def _kpi_compute_approval_turnaround_p90(self, date_from, date_to):
        return self._approval_turnaround(0.9, date_from, date_to)

    def _kpi_compute_approval_within_sla(self, date_from, date_to):
        return self._approval_rows(
            SQL(
                """SELECT company_id,
                          100.0 * count(*) FILTER (WHERE NOT COALESCE(sla_missed, FALSE))
                                / count(*),
                          count(*) FILTER (WHERE NOT COALESCE(sla_missed, FALSE)), count(*)
                     FROM workflow_approval_request
                    WHERE state IN ('approved', 'rejected') AND NOT COALESCE(auto_approved, FALSE)
                      AND decided_at >= %s AND decided_at < %s
                    GROUP BY company_id""",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_approval_auto_rate(self, date_from, date_to):
        return self._approval_rows(
            SQL(
                """SELECT company_id,
                          100.0 * count(*) FILTER (WHERE auto_approved) / count(*),
                          count(*) FILTER (WHERE auto_approved), count(*)
                     FROM workflow_approval_request
                    WHERE requested_at >= %s AND requested_at < %s
                    GROUP BY company_id""",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_approval_rejection_rate(self, date_from, date_to):
        return self._approval_rows(
            SQL(
                """SELECT company_id,
                          100.0 * count(*) FILTER (WHERE state = 'rejected') / count(*),
                          count(*) FILTER (WHERE state = 'rejected'), count(*)
                     FROM workflow_approval_request
                    WHERE state IN ('approved', 'rejected') AND NOT COALESCE(auto_approved, FALSE)
                      AND decided_at >= %s AND decided_at < %s
                    GROUP BY company_id""",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_approval_bypass_attempts(self, date_from, date_to):
        self.env["workflow.event"].flush_model()
        return self._kpi_rows(
            SQL(
                """SELECT company_id, count(*), count(*), NULL
                     FROM workflow_event
                    WHERE event_type = 'custom' AND occurred_at >= %s AND occurred_at < %s
                      AND payload->>'security_signal' = 'approval_bypass'
                    GROUP BY company_id""",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_approval_pending_aged(self, date_from, date_to):
        return self._approval_rows(
            SQL(
                """SELECT company_id, count(*), count(*), NULL
                     FROM workflow_approval_request
                    WHERE requested_at < %s - interval '24 hours'
                      AND (state = 'pending' OR decided_at >= %s)
                    GROUP BY company_id""",
                date_to,
                date_to,
            )
        )
