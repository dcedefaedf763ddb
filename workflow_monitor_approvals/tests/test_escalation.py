# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common import ApprovalCommon

T0 = datetime(2026, 3, 2, 9, 0, 0)


@tagged("post_install", "-at_install")
class TestEscalation(ApprovalCommon):
    def _pending_at(self, when, **policy_vals):
        self.policy(
            threshold=1000.0,
            tiers=[
                {
                    "user_ids": self.approver,
                    "sla_hours": 4,
                    "escalate_to_user_id": self.escalation_user.id,
                }
            ],
            **policy_vals,
        )
        with freeze_time(when):
            order = self.sale_order(qty=20)
            order.action_confirm()
        return order, self.requests_of(order, "pending")

    def overdue_exceptions(self, request):
        return self.env["workflow.exception"].search(
            [
                ("category_id.code", "=", "approval_overdue"),
                ("dedupe_key", "=", f"approval:{request.id}"),
            ]
        )

    def test_escalation_after_sla(self):
        cron = self.env.ref("workflow_monitor_approvals.ir_cron_approval_escalation")
        self.assertIn("_cron_escalate", cron.code)
        order, request = self._pending_at(T0)
        self.assertEqual(request.deadline, T0 + timedelta(hours=4))
        Request = self.env["workflow.approval.request"]
        with freeze_time(T0 + timedelta(hours=3)):
            self.assertFalse(Request._cron_escalate())
        self.assertFalse(request.escalated)
        with freeze_time(T0 + timedelta(hours=5)):
            escalated = Request._cron_escalate()
            self.assertEqual(escalated, request)
            self.assertTrue(request.is_overdue)
            self.assertIn(request, Request.search([("is_overdue", "=", True)]))
        self.assertTrue(request.escalated)
        self.assertTrue(request.sla_missed)
        self.assertIn(self.escalation_user, request.approver_ids)
        self.assertIn(self.escalation_user, request.activity_ids.user_id)
        exception = self.overdue_exceptions(request)
        self.assertEqual(exception.state, "new" if not exception.user_id else "assigned")
        self.assertEqual(exception.user_id, self.escalation_user)
        self.assertTrue(self.approval_events(order, "escalated"))
        # idempotent: a second run finds nothing new
        with freeze_time(T0 + timedelta(hours=6)):
            self.assertFalse(Request._cron_escalate())
        self.assertEqual(self.overdue_exceptions(request).occurrence_count, 1)
        # the escalation user decides; the exception resolves
        with freeze_time(T0 + timedelta(hours=7)):
            request.with_user(self.escalation_user).action_approve()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.overdue_exceptions(request).state, "resolved")

    def test_cron_resolves_exceptions_of_decided_requests(self):
        _order, request = self._pending_at(T0)
        with freeze_time(T0 + timedelta(hours=5)):
            self.env["workflow.approval.request"]._cron_escalate()
        # cancelled by a manager: the next sweep closes the exception
        request.with_user(self.wf_manager).action_cancel()
        self.assertEqual(self.overdue_exceptions(request).state, "resolved")

    def test_tier_change_restarts_the_clock(self):
        self.policy(
            threshold=1000.0,
            tiers=[
                {"user_ids": self.approver, "sla_hours": 4},
                {"user_ids": self.approver2, "sla_hours": 10},
            ],
        )
        with freeze_time(T0):
            order = self.sale_order(qty=20)
            order.action_confirm()
        request = self.requests_of(order, "pending")
        with freeze_time(T0 + timedelta(hours=2)):
            request.with_user(self.approver).action_approve()
        self.assertEqual(request.deadline, T0 + timedelta(hours=12))
        self.assertFalse(request.sla_missed)
