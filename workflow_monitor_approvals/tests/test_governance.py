# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import ApprovalCommon


@tagged("post_install", "-at_install")
class TestGovernance(ApprovalCommon):
    """Who may decide, tiers, delegation, decision log, companies."""

    def _pending(self, order=None, user=None):
        order = order or self.sale_order(qty=20, user=user)
        order.with_user(user or self.salesperson).action_confirm()
        return order, self.requests_of(order, "pending")

    def test_self_approval_refused(self):
        self.policy(threshold=1000.0, tiers=[{"user_ids": self.approver | self.approver2}])
        order, request = self._pending(user=self.approver)
        self.assertEqual(request.requester_id, self.approver)
        self.assertNotIn(self.approver, request.approver_ids, "no activity for the requester")
        self.purge_committed("workflow.approval.request", request.ids)
        with self.assertRaises(UserError):
            request.with_user(self.approver).action_approve()
        self.assertEqual(request.state, "pending")
        self.assertIn(
            "approval_self", [p.get("security_signal") for _k, p in self.committed_events(request)]
        )
        request.with_user(self.approver2).action_approve()
        self.assertEqual(order.state, "sale")

    def test_self_approval_allowed_by_policy(self):
        self.policy(threshold=1000.0, allow_self_approval=True)
        order, request = self._pending(user=self.approver)
        self.assertIn(self.approver, request.approver_ids)
        request.with_user(self.approver).action_approve()
        self.assertEqual(order.state, "sale")

    def test_only_tier_approvers_decide(self):
        self.policy(threshold=1000.0)
        _order, request = self._pending()
        self.purge_committed("workflow.approval.request", request.ids)
        with self.assertRaises(UserError):
            request.with_user(self.approver2).action_approve()
        with self.assertRaises(UserError):
            request.with_user(self.salesperson).action_approve()
        # nobody writes the state directly, not even a workflow manager
        with self.assertRaises(AccessError):
            request.with_user(self.wf_manager).write({"state": "approved"})
        self.assertEqual(request.state, "pending")
        signals = [p.get("security_signal") for _k, p in self.committed_events(request)]
        self.assertEqual(signals.count("approval_unauthorized"), 1)
        self.assertEqual(signals.count("approval_self"), 1)

    def test_multi_tier_sequence(self):
        self.policy(
            threshold=1000.0,
            tiers=[
                {"user_ids": self.approver, "sla_hours": 4},
                {"user_ids": self.approver2, "sla_hours": 8},
            ],
        )
        order, request = self._pending()
        tier1, tier2 = request.policy_id.tier_ids
        self.assertEqual(request.tier_id, tier1)
        self.purge_committed("workflow.approval.request", request.ids)
        with self.assertRaises(UserError):
            request.with_user(self.approver2).action_approve()  # not yet their turn
        request.with_user(self.approver).action_approve("Fine by me")
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.tier_id, tier2)
        self.assertEqual(request.approver_ids, self.approver2)
        self.assertEqual(order.state, "draft")
        request.with_user(self.approver2).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(order.state, "sale")
        decisions = request.decision_ids.sorted("id")
        self.assertEqual(decisions.mapped("tier_id"), tier1 | tier2)
        self.assertEqual(decisions.mapped("user_id"), self.approver | self.approver2)
        self.assertEqual(decisions[0].comment, "Fine by me")
        actions = [e.payload["action"] for e in self.approval_events(order)]
        self.assertEqual(
            actions,
            ["requested", "tier_approved", "tier_approved", "approved", "consumed", "executed"],
        )

    def test_reject_needs_reason_and_notifies(self):
        self.policy(threshold=1000.0)
        order, request = self._pending()
        with self.assertRaises(UserError):
            request.with_user(self.approver).action_reject("")
        wizard = (
            self.env["workflow.approval.decision.wizard"]
            .with_user(self.approver)
            .create(
                {
                    "request_ids": [Command.set(request.ids)],
                    "decision": "rejected",
                    "comment": "Customer is on hold",
                }
            )
        )
        wizard.action_confirm()
        self.assertEqual(request.state, "rejected")
        self.assertEqual(order.state, "draft")
        self.assertEqual(request.decision_ids.comment, "Customer is on hold")
        todo = request.activity_ids.filtered(lambda a: a.user_id == self.salesperson)
        self.assertTrue(todo, "the requester gets an activity")
        self.assertTrue(self.approval_events(order, "rejected"))

    def test_request_changes_from_the_record(self):
        self.policy(threshold=1000.0)
        order, request = self._pending()
        self.assertTrue(order.with_user(self.approver).approval_can_decide)
        self.assertFalse(order.with_user(self.salesperson).approval_can_decide)
        action = order.with_user(self.approver).action_approval_request_changes()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.approver)
            .with_context(**action["context"])
            .create({"comment": "Split it in two orders"})
        )
        wizard.action_confirm()
        self.assertEqual(request.state, "cancelled")
        self.assertEqual(request.decision_ids.decision, "changes")
        self.assertEqual(order.approval_state, "none")

    def test_approve_from_the_record(self):
        self.policy(threshold=1000.0)
        order, request = self._pending()
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).action_approval_approve()
        order.with_user(self.approver).action_approval_approve()
        self.assertEqual(order.state, "sale")

    def test_out_of_office_delegation(self):
        self.policy(threshold=1000.0)
        order, request = self._pending()
        today = fields.Date.today()
        self.env["workflow.approval.delegation"].with_user(self.approver).create(
            {
                "substitute_id": self.substitute.id,
                "date_from": today,
                "date_to": today + timedelta(days=7),
            }
        )
        self.assertIn(self.substitute, request.approver_ids)
        mine = (
            self.env["workflow.approval.request"]
            .with_user(self.substitute)
            .search([("is_my_approval", "=", True)])
        )
        self.assertIn(request, mine)
        self.assertIn(self.substitute, request.activity_ids.user_id)
        request.with_user(self.substitute).action_approve()
        self.assertEqual(order.state, "sale")
        decision = request.decision_ids
        self.assertEqual(decision.user_id, self.substitute)
        self.assertEqual(decision.on_behalf_of_id, self.approver)
        self.assertIn("on behalf of", " ".join(request.message_ids.mapped("body")))
        # new requests go to the substitute as well
        _order2, request2 = self._pending()
        self.assertEqual(request2.approver_ids, self.approver | self.substitute)
        self.assertEqual(request2.activity_ids.user_id, self.approver | self.substitute)

    def test_delegation_in_the_future_does_not_apply_yet(self):
        self.policy(threshold=1000.0)
        _order, request = self._pending()
        self.env["workflow.approval.delegation"].with_user(self.approver).create(
            {
                "substitute_id": self.substitute.id,
                "date_from": fields.Date.today() + timedelta(days=3),
            }
        )
        self.purge_committed("workflow.approval.request", request.ids)
        with self.assertRaises(UserError):
            request.with_user(self.substitute).action_approve()

    def test_delegate_one_request(self):
        self.policy(threshold=1000.0)
        order, request = self._pending()
        request.with_user(self.approver).action_delegate(self.substitute, "You know them")
        self.assertIn(self.substitute, request.approver_ids)
        request.with_user(self.substitute).action_approve()
        self.assertEqual(order.state, "sale")
        self.assertEqual(request.decision_ids.mapped("decision"), ["approved", "delegated"])

    def test_multi_company_isolation(self):
        policy_b = self.policy(
            threshold=1000.0, company_id=self.company_b.id, tiers=[{"user_ids": self.user_b}]
        )
        self.policy(threshold=1000.0, company_id=self.company.id)
        order_a, request_a = self._pending()
        self.assertEqual(request_a.policy_id.company_id, self.company)
        self.assertEqual(request_a.company_id, self.company)
        # company B's user sees nothing of company A
        Request_b = self.env["workflow.approval.request"].with_user(self.user_b)
        self.assertFalse(Request_b.search([("id", "=", request_a.id)]))
        with self.assertRaises(UserError):
            request_a.with_user(self.user_b).action_approve()
        # an order of company B follows company B's policy only
        partner_b = self.env["res.partner"].create(
            {"name": "WM B customer", "company_id": self.company_b.id}
        )
        product_b = self.product.with_company(self.company_b)
        order_b = (
            self.env["sale.order"]
            .with_company(self.company_b)
            .create(
                {
                    "partner_id": partner_b.id,
                    "company_id": self.company_b.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product_b.id,
                                "product_uom_qty": 20,
                                "price_unit": 100.0,
                                "tax_id": False,
                            }
                        )
                    ],
                }
            )
        )
        order_b.action_confirm()
        request_b = self.requests_of(order_b)
        self.assertEqual(request_b.policy_id, policy_b)
        self.assertEqual(request_b.approver_ids, self.user_b)
        self.assertEqual(Request_b.search([("is_my_approval", "=", True)]), request_b)
        request_b.with_user(self.user_b).with_company(self.company_b).action_approve()
        self.assertEqual(order_b.state, "sale")
        self.assertEqual(order_a.state, "draft")

    def test_policy_validation(self):
        with self.assertRaises(Exception):  # noqa: B017 - ValidationError or psycopg error
            self.policy(res_model="stock.quant", condition="margin")
        with self.assertRaises(Exception):  # noqa: B017
            self.policy(condition="domain", domain="[('no_such_field', '=', 1)]")
        with self.assertRaises(Exception):  # noqa: B017
            self.policy(condition="domain", domain="__import__('os').system('true')")
        policy = self.policy(threshold=10.0)
        events = self.env["workflow.event"].search(
            [
                ("res_model", "=", policy._name),
                ("res_id", "=", policy.id),
                ("event_type", "=", "config"),
            ]
        )
        self.assertTrue(events, "policy changes are audited as config events")

    def test_access_rights(self):
        policy = self.policy(threshold=1000.0)
        _order, request = self._pending()
        Request = self.env["workflow.approval.request"]
        with self.assertRaises(AccessError):
            Request.with_user(self.salesperson).create(
                {
                    "policy_id": policy.id,
                    "res_model": "sale.order",
                    "res_id": 1,
                    "requester_id": self.salesperson.id,
                    "company_id": self.company.id,
                    "state": "approved",
                }
            )
        with self.assertRaises(AccessError):
            policy.with_user(self.salesperson).write({"threshold": 1e9})
        with self.assertRaises(UserError):
            request.decision_ids.sudo().write({"comment": "x"})
        # the requester sees their request; another salesperson does not
        self.assertTrue(Request.with_user(self.salesperson).search([("id", "=", request.id)]))
        self.assertFalse(Request.with_user(self.buyer).search([("id", "=", request.id)]))
        self.assertTrue(Request.with_user(self.wf_manager).search([("id", "=", request.id)]))

    def test_policy_form_with_inline_tiers(self):
        with Form(self.env["workflow.approval.policy"].with_user(self.wf_manager)) as form:
            form.name = "WM form policy"
            form.res_model = "purchase.order"
            form.condition = "amount"
            form.threshold = 5000.0
            with form.tier_ids.new() as tier:
                tier.approver_type = "user"
                tier.user_ids.add(self.approver)
                tier.sla_hours = 6.0
            with form.tier_ids.new() as tier:
                tier.approver_type = "group"
                tier.group_id = self.env.ref("purchase.group_purchase_manager")
        policy = form.record
        self.assertEqual(policy.action, "confirm")
        self.assertEqual(len(policy.tier_ids), 2)
        self.assertEqual(policy.tier_ids[0].name, self.approver.name)

    def test_settings_and_navigation(self):
        settings = self.env["res.config.settings"].create(
            {"workflow_approval_default_sla_hours": 12.0}
        )
        settings.execute()
        policy = self.policy(threshold=1000.0, tiers=[{"user_ids": self.approver}])
        tier = self.env["workflow.approval.tier"].create(
            {"policy_id": policy.id, "user_ids": [Command.set(self.approver2.ids)]}
        )
        self.assertEqual(tier.sla_hours, 12.0)
        order, request = self._pending()
        action = order.action_view_approval_requests()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), request)
        action = policy.action_view_requests()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), request)
        action = request.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", order.id))
        self.assertEqual(order.approval_request_count, 1)
