# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ApprovalCommon


@tagged("post_install", "-at_install")
class TestEnforcement(ApprovalCommon):
    """Every door is guarded; bypass attempts are refused or blocked, and logged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sale_policy = cls.policy(cls, threshold=1000.0)

    def test_action_confirm_with_made_up_context_keys(self):
        order = self.sale_order(qty=20)
        order.action_confirm()
        request = self.requests_of(order, "pending")
        self.assertEqual(len(request), 1)
        as_sales = order.with_user(self.salesperson)
        memo = "workflow_approval.held"
        for context in (
            {"skip_approval": True},
            {"workflow_approval_bypass": True, "approval_approved": True, "force": True},
            {"install_mode": True, "tracking_disable": True, "import_file": True},
        ):
            self.env.cr.precommit.data.pop(memo, None)  # each RPC call is a transaction
            result = as_sales.with_context(**context).action_confirm()
            self.assertEqual(result["tag"], "display_notification")
            self.assertEqual(order.state, "draft")
        # sudo is no way around either
        self.env.cr.precommit.data.pop(memo, None)
        as_sales.sudo().action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(len(self.requests_of(order)), 1, "no duplicate request")
        blocked = self.approval_events(order, "blocked")
        self.assertEqual(len(blocked), 4)
        self.assertIn("skip_approval", blocked[0].payload["context_keys"])
        self.assertEqual(self.signal_count(order), 4)

    def test_direct_state_write_is_refused_and_logged(self):
        order = self.sale_order(qty=20)
        self.purge_committed("sale.order", order.ids)
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).write({"state": "sale"})
        self.assertEqual(order.state, "draft")
        events = self.committed_events(order)
        actions = [payload.get("action") for kind, payload in events if kind == "approval"]
        signals = [payload.get("security_signal") for kind, payload in events if kind == "custom"]
        self.assertEqual(actions, ["blocked"])
        self.assertEqual(signals, ["approval_bypass"])
        # small orders (no policy matches) may still be written: the guard is targeted
        small = self.sale_order(qty=1)
        small.with_user(self.salesperson).write({"state": "sale"})
        self.assertEqual(small.state, "sale")

    def test_import_of_confirmed_order_is_refused(self):
        Order = self.env["sale.order"].with_user(self.salesperson)
        before = Order.search_count([("state", "=", "sale")])
        result = Order.load(
            [
                "partner_id/.id",
                "state",
                "order_line/product_id/.id",
                "order_line/product_uom_qty",
                "order_line/price_unit",
            ],
            [[str(self.customer.id), "sale", str(self.product.id), "50", "100"]],
        )
        self.assertFalse(result["ids"])
        self.assertTrue(any(m["type"] == "error" for m in result["messages"]))
        self.assertEqual(Order.search_count([("state", "=", "sale")]), before)
        with self.env.registry.cursor() as cr:
            cr.execute(
                """SELECT res_id FROM workflow_event WHERE res_model = 'sale.order'
                    AND event_type = 'approval' AND payload->>'door' = 'create'
                    AND payload->>'uid' = %s""",
                [str(self.salesperson.id)],
            )
            ids = [row[0] for row in cr.fetchall()]
        self.purge_committed("sale.order", ids)
        self.assertTrue(ids, "the refused import is logged")

    def test_purchase_button_approve_is_a_door(self):
        self.policy(res_model="purchase.order", threshold=1000.0)
        order = self.purchase_order(qty=20)
        result = order.button_approve()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.state, "draft")
        self.assertEqual(self.requests_of(order).state, "pending")
        self.env.cr.precommit.data.pop("workflow_approval.held", None)
        order.button_confirm()
        self.assertEqual(order.state, "draft")
        self.purge_committed("purchase.order", order.ids)
        with self.assertRaises(UserError):
            order.write({"state": "purchase"})

    def test_picking_validate_and_backorder_wizard(self):
        self.policy(res_model="stock.picking", threshold=400.0)
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.warehouse.lot_stock_id, 100.0
        )
        self.sale_policy.active = False
        order = self.sale_order(qty=20)
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.quantity = 10  # partial: 10 x 50 = 500 of goods, 20 x 50 asked
        result = picking.button_validate()
        self.assertEqual(result["tag"], "display_notification")
        request = self.requests_of(picking, "pending")
        self.assertEqual(request.amount, 500.0)  # the quantities being moved
        request.with_user(self.approver).action_approve()
        # a partial delivery needs the backorder choice: the requester finishes it
        self.assertEqual(request.execution_state, "partial")
        wizard_action = picking.with_user(self.salesperson).button_validate()
        self.assertEqual(wizard_action["res_model"], "stock.backorder.confirmation")
        wizard = (
            self.env["stock.backorder.confirmation"]
            .with_context(**wizard_action["context"])
            .create({})
        )
        wizard.process()
        self.assertEqual(picking.state, "done")
        self.assertTrue(picking.backorder_ids)

    def test_approve_continues_the_blocked_action(self):
        order = self.sale_order(qty=20)
        order.with_user(self.salesperson).action_confirm()
        request = self.requests_of(order, "pending")
        request.with_user(self.approver).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.picking_ids, "the real confirmation ran (pickings created)")
        self.assertEqual(request.execution_state, "done")
        self.assertEqual(order.approval_state, "approved")
        self.assertTrue(self.approval_events(order, "executed"))
        # the requester is notified
        notified = request.message_ids.filtered(
            lambda m: self.salesperson.partner_id in m.partner_ids
        )
        self.assertTrue(notified)
        self.assertFalse(
            self.env["mail.activity"].search(
                [
                    ("res_model", "=", request._name),
                    ("res_id", "=", request.id),
                    (
                        "activity_type_id",
                        "=",
                        self.env.ref("workflow_monitor_approvals.mail_activity_type_approval").id,
                    ),
                ]
            )
        )

    def test_amount_raised_after_approval_needs_new_approval(self):
        order = self.sale_order(qty=20)
        order.action_confirm()
        first = self.requests_of(order, "pending")
        first.with_user(self.approver).action_approve()
        self.assertEqual(order.state, "sale")
        self.assertTrue(first.consumed_at, "the confirmation used the approval")
        order._action_cancel()
        order.action_draft()
        # same values, but an approval is single use: confirming again asks again
        result = order.action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.state, "draft")
        again = self.requests_of(order, "pending")
        self.assertEqual(again.values_hash, first.values_hash)
        order.order_line.product_uom_qty = 30
        result = order.action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.state, "draft")
        second = self.requests_of(order, "pending")
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second.values_hash, first.values_hash)
        self.assertEqual(second.amount, 3000.0)
        self.assertEqual(again.state, "cancelled", "outdated by the change")

    def test_change_while_pending_asks_again(self):
        order = self.sale_order(qty=20)
        order.action_confirm()
        request = self.requests_of(order, "pending")
        order.order_line.product_uom_qty = 25  # raised after asking
        # approving the request for 2000 asks again for the 2500 instead
        request.with_user(self.approver).action_approve()
        self.assertEqual(request.state, "cancelled", "outdated: it was for 2000, not 2500")
        self.assertEqual(order.state, "draft")
        new = self.requests_of(order, "pending")
        self.assertEqual(new.amount, 2500.0)
        self.assertEqual(new.requester_id, self.salesperson)
        new.with_user(self.approver).action_approve()
        self.assertEqual(order.state, "sale")

    def test_automation_rule_cannot_bypass(self):
        order = self.sale_order(qty=20)
        self.purge_committed("sale.order", order.ids)
        action = self.env["ir.actions.server"].create(
            {
                "name": "WM confirm everything",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "state": "object_write",
                "update_path": "state",
                "update_field_id": self.env["ir.model.fields"]._get("sale.order", "state").id,
                "value": "sale",
                "evaluation_type": "value",
            }
        )
        with self.assertRaises(UserError):
            action.with_context(active_model="sale.order", active_id=order.id).run()
        self.assertEqual(order.state, "draft")

    def test_rejected_documents_stay_blocked_until_asked_again(self):
        order = self.sale_order(qty=20)
        order.action_confirm()
        request = self.requests_of(order, "pending")
        request.with_user(self.approver).action_reject("Too large for this customer")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.approval_state, "rejected")
        order.action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(len(self.requests_of(order, "pending")), 1, "asked again")

    def test_batch_requests_and_activities_in_one_go(self):
        orders = self.env["sale.order"]
        for _index in range(5):
            orders |= self.sale_order(qty=20)
        orders.action_confirm()
        requests = self.env["workflow.approval.request"].search(
            [("res_model", "=", "sale.order"), ("res_id", "in", orders.ids)]
        )
        self.assertEqual(len(requests), 5)
        self.assertEqual(set(requests.mapped("state")), {"pending"})
        self.assertEqual(len(requests.activity_ids), 5)
        self.assertEqual(len(set(requests.mapped("name"))), 5)
        self.assertTrue(all(name.startswith("APR/") for name in requests.mapped("name")))
        self.assertEqual(
            self.env["sale.order"].search_count(
                [("id", "in", orders.ids), ("approval_state", "=", "pending")]
            ),
            5,
        )
        small = self.sale_order(qty=1)
        Order = self.env["sale.order"]
        self.assertIn(small, Order.search([("approval_state", "=", "none")]))
        self.assertNotIn(orders[0], Order.search([("approval_state", "=", "none")]))
        self.assertIn(small, Order.search([("approval_state", "!=", "pending")]))
        self.assertNotIn(orders[0], Order.search([("approval_state", "!=", "pending")]))

    def test_gate_cost(self):
        """No policy: the gate costs no query. Held documents: a bounded number of
        queries per document (requests, activities and events are written in batches)."""
        self.sale_policy.active = False
        orders = self.env["sale.order"]
        for _index in range(10):
            orders |= self.sale_order(qty=20)
        self.env["workflow.approval.policy"]._policy_specs("sale.order")  # warm the cache
        self.env.flush_all()
        with self.assertQueryCount(0):
            allowed, notification = orders._approval_check()
        self.assertEqual(allowed, orders)
        self.assertIsNone(notification)

        self.sale_policy.active = True

        def held_queries(count):
            batch = self.env["sale.order"]
            for _index in range(count):
                batch |= self.sale_order(qty=20)
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            batch.action_confirm()
            self.env.flush_all()
            self.assertEqual(set(batch.mapped("state")), {"draft"})
            return self.cr.sql_log_count - start

        two, ten = held_queries(2), held_queries(10)
        self.assertLessEqual((ten - two) / 8, 8, f"queries per held order: {two} -> {ten}")
