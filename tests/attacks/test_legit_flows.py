# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The legitimate work the governance fixes must keep working, over the same real
JSON-RPC doors as the attacks (must pass before and after the fixes)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AttackCase


@tagged("post_install", "-at_install")
class TestLegitFlows(AttackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sale_policy = cls.make_policy("sale.order", 1000.0)

    def held_over_rpc(self, order):
        """The sales user confirms over RPC: held, with one pending request."""
        sales = self.rpc(self.sales)
        result = self.execute(sales, "sale.order", "action_confirm", [order.id])
        self.assertIsInstance(result, dict, "the order waits for approval")
        self.assertIn(self.reread(order).state, ("draft", "sent"))
        request = self.requests_of(order, "pending")
        self.assertEqual(len(request), 1)
        return request

    def test_approve_confirms_the_order(self):
        order = self.sale_order()
        request = self.held_over_rpc(order)
        approver = self.rpc(self.approver)
        self.execute(approver, "workflow.approval.request", "action_approve", [request.id])
        self.assertEqual(self.reread(request).state, "approved")
        self.assertEqual(self.reread(order).state, "sale", "confirmed by itself")

    def test_reject_with_a_reason(self):
        order = self.sale_order()
        request = self.held_over_rpc(order)
        approver = self.rpc(self.approver)
        self.execute(
            approver,
            "workflow.approval.request",
            "action_reject",
            [request.id],
            reason="Price below the floor",
        )
        request = self.reread(request)
        self.assertEqual(request.state, "rejected")
        self.assertIn("Price below the floor", request.decision_ids.mapped("comment"))
        self.assertEqual(self.reread(order).state, "draft")

    def test_out_of_office_delegation(self):
        order = self.sale_order()
        request = self.held_over_rpc(order)
        approver = self.rpc(self.approver)
        today = fields.Date.today()
        self.execute(
            approver,
            "workflow.approval.delegation",
            "create",
            {
                "user_id": self.approver.id,
                "substitute_id": self.substitute.id,
                "date_from": fields.Date.to_string(today - timedelta(days=1)),
                "date_to": fields.Date.to_string(today + timedelta(days=7)),
            },
        )
        substitute = self.rpc(self.substitute)
        self.execute(substitute, "workflow.approval.request", "action_approve", [request.id])
        request = self.reread(request)
        self.assertEqual(request.state, "approved")
        self.assertEqual(self.reread(order).state, "sale")
        decision = request.decision_ids.filtered(lambda d: d.decision == "approved")
        self.assertEqual(decision.user_id, self.substitute)
        self.assertEqual(decision.on_behalf_of_id, self.approver, "decided on whose behalf")

    def test_reconfirm_after_a_new_approval(self):
        order = self.sale_order()
        request = self.held_over_rpc(order)
        approver = self.rpc(self.approver)
        self.execute(approver, "workflow.approval.request", "action_approve", [request.id])
        self.assertEqual(self.reread(order).state, "sale")
        sales = self.rpc(self.sales)
        self.execute(
            sales,
            "sale.order",
            "action_cancel",
            [order.id],
            context={"disable_cancel_warning": True},
        )
        self.execute(sales, "sale.order", "action_draft", [order.id])
        self.assertEqual(self.reread(order).state, "draft")
        # confirmed again: a new approval, approved, confirms it again
        self.execute(sales, "sale.order", "action_confirm", [order.id])
        pending = self.requests_of(order, "pending")
        if pending:  # approvals are single use (after the fixes)
            self.assertNotEqual(pending, request)
            self.execute(approver, "workflow.approval.request", "action_approve", [pending.id])
            self.assertEqual(self.reread(pending).state, "approved")
        self.assertEqual(self.reread(order).state, "sale")

    def test_portal_acceptance_below_thresholds(self):
        self.portal.partner_id.parent_id = False
        order = self.quotation_sent(qty=1.0, partner=self.portal.partner_id)
        result = self.portal_accept(order, self.portal)
        self.assertNotIn("error", result, result)
        self.assertNotIn("error", result.get("result") or {}, result)
        order = self.reread(order)
        self.assertEqual(order.state, "sale")
        self.assertFalse(self.requests_of(order))

    def test_workflow_user_logs_an_event(self):
        since = self.last_event_id()
        before = fields.Datetime.now() - timedelta(seconds=5)
        client = self.rpc(self.wf_user)
        order = self.sale_order(qty=1.0)
        self.execute(
            client,
            "workflow.event",
            "log_events",
            [
                {
                    "event_type": "custom",
                    "source": "api",
                    "res_model": "sale.order",
                    "res_id": order.id,
                    "payload": {"note": "picked up by the carrier"},
                }
            ],
        )
        events = self.events_since(since, [("event_type", "=", "custom")])
        self.assertEqual(len(events), 1)
        self.assertEqual(events.user_id, self.wf_user)
        self.assertEqual(events.source, "api")
        self.assertEqual(events.payload, {"note": "picked up by the carrier"})
        self.assertGreaterEqual(events.occurred_at, before)
