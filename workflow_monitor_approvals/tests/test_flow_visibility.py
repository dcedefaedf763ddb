# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import UserError

from .common import ApprovalCommon


def apply_deferred(env):
    """What a commit does first: the workflow capture writes instances at pre-commit."""
    env.flush_all()
    env.cr.precommit.run()


class TestFlowVisibility(ApprovalCommon):
    """A flow whose document waits for an approval shows it: on the instance, in the
    queue aging of the dashboard, and the approval events are on the flow's timeline."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sale_policy = cls.policy(cls, threshold=1000.0)

    def held_order(self, qty=20):
        order = self.sale_order(qty=qty)
        apply_deferred(self.env)  # created, then confirmed: two requests of the UI
        order.with_user(self.salesperson).action_confirm()
        apply_deferred(self.env)
        self.assertEqual(order.state, "draft", "the approval holds the confirmation")
        return order

    def instance_of(self, order):
        return self.env["workflow.instance"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )

    def test_instance_awaits_approval_until_decided(self):
        held, free = self.held_order(), self.sale_order(qty=1)
        apply_deferred(self.env)
        instance, other = self.instance_of(held), self.instance_of(free)
        self.assertTrue(instance and other)
        self.assertTrue(instance.approval_pending)
        self.assertFalse(other.approval_pending)
        Instance = self.env["workflow.instance"]
        self.assertIn(instance, Instance.search([("approval_pending", "=", True)]))
        self.assertNotIn(other, Instance.search([("approval_pending", "=", True)]))
        self.assertIn(other, Instance.search([("approval_pending", "!=", True)]))
        self.assertNotIn(instance, Instance.search([("approval_pending", "=", False)]))
        with self.assertRaisesRegex(UserError, "approval_pending"):
            Instance.search([("approval_pending", "in", [True])])

        self.requests_of(held, "pending").with_user(self.approver).action_approve()
        apply_deferred(self.env)
        instance.invalidate_recordset(["approval_pending"])
        self.assertFalse(instance.approval_pending)
        self.assertEqual(held.state, "sale")

    def test_approval_events_are_on_the_flow_timeline(self):
        order = self.held_order()
        self.requests_of(order, "pending").with_user(self.approver).action_approve()
        apply_deferred(self.env)
        instance = self.instance_of(order)
        events = self.approval_events(order)
        self.assertTrue(events)
        self.assertEqual(events.instance_id, instance, "every approval event names the flow")
        self.assertEqual(events.definition_id, instance.definition_id)
        self.assertLessEqual(events, instance.event_ids, "they are on the instance's timeline")

    def test_queue_aging_column_counts_what_it_opens(self):
        held = self.held_order() | self.held_order(qty=30)
        self.sale_order(qty=1)
        apply_deferred(self.env)
        dashboard = self.env["workflow.dashboard"].with_user(self.wf_manager)
        aging = dashboard.get_dashboard_data({})["aging"]
        self.assertIn("approval_pending", [c["key"] for c in aging["columns"]])
        total = 0
        for row in aging["rows"]:
            cell = row["extra"]["approval_pending"]
            opened = self.env["workflow.instance"].with_user(self.wf_manager).search(cell["domain"])
            self.assertEqual(len(opened), cell["count"], row["stage"])
            self.assertTrue(all(opened.mapped("approval_pending")))
            total += cell["count"]
        mine = self.instance_of(held[0]) | self.instance_of(held[1])
        self.assertGreaterEqual(total, 2)
        self.assertTrue(mine.filtered("approval_pending") == mine)
