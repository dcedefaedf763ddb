# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The simulator acts as named users and routes documents through approvals
(Workflow Monitor Approvals is installed in the test database: nothing is skipped)."""

from datetime import datetime, timedelta

from odoo.tests import TransactionCase, tagged

from odoo.addons.workflow_monitor_distribution.simulator import approvals
from odoo.addons.workflow_monitor_distribution.simulator.catalogue import USERS
from odoo.addons.workflow_monitor_distribution.simulator.summary import table

from .test_simulator import DAYS, END, SMALL

# outcome shares of the run below, and the tolerance (absolute) on what the database
# shows: with about 40 decided requests, 0.12 is about two standard deviations
OUTCOMES = {
    "approval_reject_share": 0.2,
    "approval_delegate_share": 0.2,
    "approval_escalate_share": 0.2,
}
TOLERANCE = 0.12


@tagged("post_install", "-at_install")
class TestSimulatorApprovals(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.summary = cls.env["workflow.simulator"].run(
            days=DAYS + 2,
            orders_per_day=8,
            seed=7,
            end_date=END,
            discount_share=0.4,
            over_credit_share=0.15,
            **OUTCOMES,
            **SMALL,
        )
        cls.policies = (
            cls.env["workflow.approval.policy"]
            .with_context(active_test=False)
            .search([("name", "=like", f"{approvals.PREFIX} %")])
        )
        cls.requests = cls.env["workflow.approval.request"].search(
            [("policy_id", "in", cls.policies.ids)]
        )
        cls.users = {
            role: cls.env["res.users"].search(
                [("login", "in", [u.login for u in USERS if u.role == role])]
            )
            for role in ("sales", "buyer", "warehouse", "approver")
        }

    def test_policies_and_requests(self):
        self.assertEqual(len(self.policies), 4)
        self.assertTrue(all(self.policies.mapped("active")))
        self.assertEqual(
            set(self.requests.mapped("res_model")), {"sale.order", "purchase.order", "stock.quant"}
        )
        tiers = self.policies.tier_ids
        self.assertEqual(tiers.user_ids, self.users["approver"])
        self.assertTrue(all(tiers.mapped("sla_hours")))
        self.assertEqual(tiers.escalate_to_user_id, self.users["approver"])
        # the approval list of the demo is not empty, and the shipped examples stay archived
        self.assertTrue(self.env["workflow.approval.request"].search_count([]))
        demo = self.env.ref(
            "workflow_monitor_approvals.demo_policy_large_sale", raise_if_not_found=False
        )
        if demo:
            self.assertFalse(demo.active)

    def test_outcomes_in_their_shares(self):
        """Each request state exists, in the promised share (± TOLERANCE) of the requests
        the approvers saw: manual ones, not made outdated by a change of their document,
        and requested a day before the end at least (the escalation had time to run)."""
        last_day = datetime.combine(END - timedelta(days=1), datetime.min.time())
        seen = self.requests.filtered(
            lambda r: not r.auto_approved and r.state != "cancelled" and r.requested_at < last_day
        )
        self.assertGreater(len(seen), 20)
        delegated = (
            self.env["workflow.approval.decision"]
            .search([("request_id", "in", seen.ids), ("decision", "=", "delegated")])
            .request_id
        )

        # the outcome is drawn per document (a document asked again after a change, or a
        # quant counted twice, has several requests): shares are of the documents
        def documents(requests):
            return {(r.res_model, r.res_id) for r in requests}

        shares = {
            "approval_reject_share": documents(seen.filtered(lambda r: r.state == "rejected")),
            "approval_delegate_share": documents(delegated),
            "approval_escalate_share": documents(seen.filtered("escalated")),
        }
        total = len(documents(seen))
        for name, docs in shares.items():
            self.assertTrue(docs, name)
            self.assertAlmostEqual(len(docs) / total, OUTCOMES[name], delta=TOLERANCE, msg=name)
        approved = seen.filtered(lambda r: r.state == "approved")
        self.assertTrue(approved - delegated)
        # delegated requests were decided by the substitute, on behalf of the approver
        for request in delegated:
            decision = request.decision_ids.filtered(lambda d: d.decision == "approved")
            self.assertTrue(decision.on_behalf_of_id)
            self.assertNotEqual(decision.user_id, decision.on_behalf_of_id)
        self.assertTrue(all(self.requests.filtered("escalated").mapped("sla_missed")))
        self.assertTrue(
            self.env["workflow.exception"].search_count(
                [("category_id.code", "=", "approval_overdue")]
            )
        )
        # the summary counts them by outcome
        counts = self.summary["approvals"]
        self.assertEqual(counts["requests"], len(self.requests))
        self.assertEqual(
            counts["rejected"], len(self.requests.filtered(lambda r: r.state == "rejected"))
        )
        self.assertRegex(table(self.summary), rf"Approval requests +{counts['requests']}\n")

    def test_approved_documents_are_done_with_the_simulated_dates(self):
        approved = self.requests.filtered(lambda r: r.state == "approved")
        for request in approved.filtered(lambda r: r.res_model == "sale.order"):
            order = self.env["sale.order"].browse(request.res_id)
            if request.execution_state == "done":
                # confirmed by the approval (a customer may cancel it later, as any order)
                self.assertIn(order.state, ("sale", "cancel"))
                self.assertGreaterEqual(order.date_order, request.decided_at)
                self.assertLess(order.date_order, datetime.combine(END, datetime.min.time()))
                self.assertTrue(order.picking_ids)
        for request in approved.filtered(lambda r: r.res_model == "purchase.order"):
            order = self.env["purchase.order"].browse(request.res_id)
            self.assertIn(order.state, ("purchase", "done"))
            self.assertEqual(order.date_approve, request.decided_at)
        rejected = self.requests.filtered(lambda r: r.state == "rejected")
        for request in rejected.filtered(lambda r: r.res_model == "sale.order"):
            self.assertEqual(self.env["sale.order"].browse(request.res_id).state, "cancel")
        # requests follow the simulated clock
        low = datetime.combine(END - timedelta(days=DAYS + 3), datetime.min.time())
        high = datetime.combine(END, datetime.min.time())
        for value in self.requests.mapped("requested_at") + self.requests.mapped("decided_at"):
            if value:
                self.assertTrue(low <= value < high, value)

    def test_four_eyes(self):
        """An approver never decided a request of a document they authored."""
        decisions = self.requests.decision_ids
        self.assertTrue(decisions)
        for decision in decisions:
            request = decision.request_id
            self.assertNotIn(decision.user_id, request.author_ids | request.requester_id)
            self.assertIn(decision.user_id, self.users["approver"])
        decided = self.requests.filtered("decided_by_id")
        self.assertFalse(decided.filtered(lambda r: r.decided_by_id in r.author_ids))

    def test_documents_belong_to_the_named_users(self):
        odoobot = self.env.ref("base.user_root")
        orders = self.env["sale.order"].search([("partner_id.name", "=like", "SIM %")])
        self.assertTrue(orders)
        self.assertEqual(orders.create_uid, self.users["sales"])
        self.assertEqual(orders.user_id, self.users["sales"])
        purchases = self.env["purchase.order"].search([("partner_id.name", "=like", "SIM %")])
        self.assertEqual(purchases.user_id, self.users["buyer"])
        self.assertEqual(
            self.requests.requester_id - self.users["sales"],
            self.users["buyer"] | self.users["warehouse"],
        )

        def movers(model, stage):
            # the simulated documents only: demo data of other modules has flows too
            documents = self.env[model].search([("partner_id.name", "=like", "SIM %")])
            events = self.env["workflow.event"].search(
                [
                    ("res_model", "=", model),
                    ("res_id", "in", documents.ids),
                    ("event_type", "=", "stage"),
                    ("stage_to_id.code", "=", stage),
                ]
            )
            self.assertTrue(events, f"{model} {stage}")
            return events.user_id

        self.assertEqual(movers("sale.order", "confirmed"), self.users["sales"])
        self.assertEqual(movers("purchase.order", "confirmed"), self.users["buyer"])
        self.assertEqual(movers("stock.picking", "done"), self.users["warehouse"])
        self.assertNotIn(odoobot, orders.create_uid | purchases.user_id)
