# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

import numpy as np

from odoo.tests import tagged

from .common import ApprovalCommon

DAY = datetime(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestKpi(ApprovalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy(cls, threshold=1000.0, auto_approve_below=1500.0)
        cls.turnarounds = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 30.0]
        cls.requests = cls.env["workflow.approval.request"]
        for index, hours in enumerate(cls.turnarounds):
            order = cls.sale_order(cls, qty=20 + index)  # 2000+: pending
            order.action_confirm()
            request = cls.requests_of(cls, order, "pending")
            if index == 0:
                request.with_user(cls.approver).action_reject("No")
            else:
                request.with_user(cls.approver).action_approve()
            requested = DAY + timedelta(hours=1)
            cls.env.flush_all()
            cls.env.cr.execute(
                "UPDATE workflow_approval_request SET requested_at = %s, decided_at = %s, "
                "sla_missed = %s WHERE id = %s",
                (requested, requested + timedelta(hours=hours), hours > 24, request.id),
            )
            cls.requests |= request
        auto_order = cls.sale_order(cls, qty=12)  # 1200: auto-approved
        auto_order.action_confirm()
        cls.auto_request = cls.requests_of(cls, auto_order)
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE workflow_approval_request SET requested_at = %s, decided_at = %s WHERE id = %s",
            (DAY + timedelta(hours=2), DAY + timedelta(hours=2), cls.auto_request.id),
        )
        cls.env["workflow.approval.request"].invalidate_model()

    def value(self, code):
        kpi = self.env.ref(f"workflow_monitor_approvals.kpi_{code}")
        rows = kpi._compute_values(DAY, DAY + timedelta(days=1))
        rows = [r for r in rows if r["company_id"] == self.company.id]
        self.assertEqual(len(rows), 1, code)
        return rows[0]

    def test_turnaround_percentiles_match_numpy(self):
        # decided the day after requests at 01:00 + up to 30 h: those decided within DAY
        decided_today = [h for h in self.turnarounds if 1 + h < 24]
        self.assertAlmostEqual(
            self.value("approval_turnaround_p50")["value"], np.percentile(decided_today, 50)
        )
        self.assertAlmostEqual(
            self.value("approval_turnaround_p90")["value"], np.percentile(decided_today, 90)
        )

    def test_rates(self):
        decided_today = [h for h in self.turnarounds if 1 + h < 24]
        rejection = self.value("approval_rejection_rate")
        self.assertEqual(rejection["numerator"], 1)
        self.assertEqual(rejection["denominator"], len(decided_today))
        within = self.value("approval_within_sla")
        self.assertEqual(within["value"], 100.0)  # the 30 h one is decided the next day
        auto = self.value("approval_auto_rate")
        self.assertEqual(auto["numerator"], 1)
        self.assertEqual(auto["denominator"], len(self.turnarounds) + 1)

    def test_pending_aged_and_bypass_counts(self):
        order = self.sale_order(qty=40)
        order.action_confirm()
        request = self.requests_of(order, "pending")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE workflow_approval_request SET requested_at = %s WHERE id = %s",
            (DAY - timedelta(days=2), request.id),
        )
        request.invalidate_recordset()
        self.assertEqual(self.value("approval_pending_aged")["value"], 1)
        self.env["workflow.event"]._log_events(
            [
                {
                    "event_type": "custom",
                    "occurred_at": DAY + timedelta(hours=3),
                    "payload": {"security_signal": "approval_bypass"},
                }
            ]
            * 3
        )
        self.assertEqual(self.value("approval_bypass_attempts")["value"], 3)
        # snapshots run through the base engine
        kpi = self.env.ref("workflow_monitor_approvals.kpi_approval_bypass_attempts")
        kpi._snapshot(DAY.date())
        self.assertEqual(kpi.value_ids.filtered(lambda v: v.company_id == self.company).value, 3)

    def test_dashboard_age_buckets(self):
        data = self.env["workflow.dashboard"].with_user(self.wf_manager).get_dashboard_data({})
        approvals = data["approvals"]
        pending = self.env["workflow.approval.request"].search([("state", "=", "pending")])
        self.assertEqual(approvals["pending"], len(pending))
        for bucket in approvals["buckets"]:
            self.assertEqual(
                self.env["workflow.approval.request"].search_count(bucket["domain"]),
                bucket["count"],
            )
            self.assertEqual(
                self.env["workflow.approval.request"].search_count(
                    [("pending_age", "=", bucket["key"])]
                ),
                bucket["count"],
            )
