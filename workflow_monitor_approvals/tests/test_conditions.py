# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import SUPERUSER_ID, Command
from odoo.tests import tagged

from .common import ApprovalCommon


@tagged("post_install", "-at_install")
class TestConditions(ApprovalCommon):
    """Each condition: above the threshold the document waits, below it goes on."""

    def assertWaits(self, record, result, state_before):
        self.assertEqual(result["tag"], "display_notification", "the user is told it waits")
        self.assertEqual(record.state, state_before)
        request = self.requests_of(record, "pending")
        self.assertEqual(len(request), 1)
        self.assertEqual(record.approval_state, "pending")
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "workflow.approval.request"), ("res_id", "=", request.id)]
        )
        self.assertEqual(
            activities.activity_type_id,
            self.env.ref("workflow_monitor_approvals.mail_activity_type_approval"),
        )
        self.assertIn(self.approver, activities.user_id)
        self.assertTrue(self.approval_events(record, "requested"))
        return request

    def test_amount_sale_order(self):
        self.policy(threshold=1000.0)
        big = self.sale_order(qty=20)  # 2000
        request = self.assertWaits(big, big.action_confirm(), "draft")
        self.assertEqual(request.amount, 2000.0)
        self.assertEqual(request.requester_id, self.salesperson)
        self.assertIn("2,000", request.context_html)
        small = self.sale_order(qty=5)  # 500
        small.action_confirm()
        self.assertEqual(small.state, "sale")
        self.assertFalse(self.requests_of(small))

    def test_amount_multi_currency(self):
        eur = self.env["res.currency"].create(
            {
                "name": "WMX",
                "symbol": "X",
                "rate_ids": [
                    Command.create(
                        {"rate": 4.0, "name": "2020-01-01", "company_id": self.company.id}
                    )
                ],
            }
        )
        pricelist = self.env["product.pricelist"].create({"name": "WM EUR", "currency_id": eur.id})
        self.policy(threshold=1000.0)
        # 3000 EUR = 750 in company currency: below
        cheap = self.sale_order(qty=30, pricelist_id=pricelist.id)
        self.assertEqual(cheap.currency_id, eur)
        cheap.action_confirm()
        self.assertEqual(cheap.state, "sale")
        # 6000 EUR = 1500 in company currency: above
        dear = self.sale_order(qty=60, pricelist_id=pricelist.id)
        request = self.assertWaits(dear, dear.action_confirm(), "draft")
        self.assertAlmostEqual(request.amount, 1500.0, places=2)

    def test_discount(self):
        self.policy(condition="discount", threshold=20.0)
        generous = self.sale_order(qty=2, discount=30.0)
        request = self.assertWaits(generous, generous.action_confirm(), "draft")
        self.assertEqual(request.condition_value, 30.0)
        fair = self.sale_order(qty=2, discount=10.0)
        fair.action_confirm()
        self.assertEqual(fair.state, "sale")

    def test_margin(self):
        # cost 50: selling at 100 is a 50 % margin, at 55 a 9 % margin
        self.policy(condition="margin", threshold=25.0)
        thin = self.sale_order(qty=2, price=55.0)
        request = self.assertWaits(thin, thin.action_confirm(), "draft")
        self.assertAlmostEqual(request.condition_value, 100.0 * 5 / 55, places=2)
        healthy = self.sale_order(qty=2, price=100.0)
        healthy.action_confirm()
        self.assertEqual(healthy.state, "sale")

    def test_credit_limit(self):
        self.company.account_use_credit_limit = True
        self.customer.with_company(self.company).credit_limit = 1000.0
        self.policy(condition="credit_limit", threshold=0.0)
        over = self.sale_order(qty=15)  # 1500 > 1000
        request = self.assertWaits(over, over.action_confirm(), "draft")
        self.assertEqual(request.condition_value, 500.0)
        within = self.sale_order(qty=5)  # 500
        within.action_confirm()
        self.assertEqual(within.state, "sale")
        # the confirmed 500 is now exposure: another 600 passes the limit
        next_one = self.sale_order(qty=6)
        self.assertWaits(next_one, next_one.action_confirm(), "draft")
        # a customer without a limit is never held
        other = self.sale_order(qty=50, partner=self.customer2)
        other.action_confirm()
        self.assertEqual(other.state, "sale")

    def _deliver(self, qty=10):
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.warehouse.lot_stock_id, 100.0
        )
        order = self.sale_order(qty=qty)
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.quantity = qty
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _return(self, picking, qty):
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = qty
        result = wizard.action_create_returns()
        return self.env["stock.picking"].browse(result["res_id"])

    def test_return_picking(self):
        self.policy(res_model="stock.picking", condition="return", threshold=200.0)
        delivery = self._deliver(qty=10)  # deliveries are not returns: validated above
        big_return = self._return(delivery, 6)  # 6 x 50 = 300 at cost
        self.assertTrue(big_return.return_id)
        big_return.move_ids.quantity = 6
        request = self.assertWaits(big_return, big_return.button_validate(), big_return.state)
        self.assertNotEqual(big_return.state, "done")
        self.assertEqual(request.amount, 300.0)
        small_return = self._return(delivery, 2)  # 100
        small_return.move_ids.quantity = 2
        small_return.button_validate()
        self.assertEqual(small_return.state, "done")

    def test_inventory_adjustment(self):
        self.policy(res_model="stock.quant", condition="inventory_adjustment", threshold=1000.0)
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        location = self.warehouse.lot_stock_id
        self.env["stock.quant"]._update_available_quantity(self.product, location, 10.0)
        quant = Quant.search(
            [("product_id", "=", self.product.id), ("location_id", "=", location.id)]
        )
        quant.with_user(self.salesperson).inventory_quantity = 40.0  # +30 x 50 = 1500
        result = quant.with_user(self.salesperson).action_apply_inventory()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(quant.quantity, 10.0, "the adjustment waits")
        request = self.requests_of(quant, "pending")
        self.assertEqual(request.amount, 1500.0)
        # a small count difference is applied at once
        quant2 = Quant.create(
            {
                "product_id": self.product_special.id,
                "location_id": location.id,
                "inventory_quantity": 4.0,
            }
        )  # 4 x 50 = 200
        quant2.action_apply_inventory()
        self.assertEqual(quant2.quantity, 4.0)
        # approval applies the waiting adjustment
        request.with_user(self.approver).action_approve()
        self.assertEqual(quant.quantity, 40.0)
        self.assertEqual(request.execution_state, "done")

    def test_procurement_threshold_per_vendor_and_category(self):
        self.policy(
            res_model="purchase.order", threshold=1000.0, partner_ids=[Command.set(self.vendor.ids)]
        )
        self.policy(
            res_model="purchase.order",
            threshold=300.0,
            product_category_id=self.category_special.id,
        )
        held = self.purchase_order(qty=20)  # vendor 1, 2000
        result = held.button_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(held.state, "draft")
        passed = self.purchase_order(qty=20, vendor=self.vendor2)  # other vendor
        passed.button_confirm()
        self.assertEqual(passed.state, "purchase")
        special = self.purchase_order(qty=5, vendor=self.vendor2, product=self.product_special)
        special.button_confirm()  # 500 of the special category > 300
        self.assertEqual(special.state, "draft")
        self.assertEqual(self.requests_of(special).amount, 500.0)

    def test_domain_condition(self):
        self.policy(condition="domain", domain=f"[('partner_id', '=', {self.customer2.id})]")
        watched = self.sale_order(qty=1, partner=self.customer2)
        self.assertWaits(watched, watched.action_confirm(), "draft")
        other = self.sale_order(qty=1)
        other.action_confirm()
        self.assertEqual(other.state, "sale")

    def test_vendor_bill_post(self):
        self.policy(res_model="account.move", threshold=1000.0)
        bill = self.vendor_bill(price=5000.0)
        result = bill.action_post()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(bill.state, "draft")
        self.assertEqual(self.requests_of(bill, "pending").amount, 5000.0)
        # the auto-post cron (superuser) and other modules call _post directly: held too,
        # logged, but the scheduled job is not counted as a bypass attempt
        self.env.cr.precommit.data.pop("workflow_approval.held", None)
        self.assertFalse(bill.with_user(SUPERUSER_ID)._post(soft=False))
        self.assertEqual(bill.state, "draft")
        self.assertTrue(self.approval_events(bill, "blocked"))
        self.assertEqual(self.signal_count(bill), 0)
        self.env.cr.precommit.data.pop("workflow_approval.held", None)
        bill.with_user(self.buyer).action_post()
        self.assertEqual(self.signal_count(bill), 1, "a person trying again is counted")
        small = self.vendor_bill(price=100.0)
        small.action_post()
        self.assertEqual(small.state, "posted")

    def test_auto_approve_below(self):
        self.policy(threshold=1000.0, auto_approve_below=3000.0)
        medium = self.sale_order(qty=20)  # 2000: above threshold, below auto-approval
        medium.action_confirm()
        self.assertEqual(medium.state, "sale")
        request = self.requests_of(medium)
        self.assertEqual(request.state, "approved")
        self.assertTrue(request.auto_approved)
        self.assertTrue(self.approval_events(medium, "auto_approved"))
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", request._name), ("res_id", "=", request.id)]
            )
        )
        large = self.sale_order(qty=40)  # 4000
        large.action_confirm()
        self.assertEqual(large.state, "draft")

    def test_batch_confirm_processes_the_ones_that_pass(self):
        self.policy(threshold=1000.0)
        small = self.sale_order(qty=2)
        big = self.sale_order(qty=20)
        result = (small | big).action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(small.state, "sale")
        self.assertEqual(big.state, "draft")
        self.assertEqual(self.requests_of(big).state, "pending")

    def test_company_and_warehouse_scope(self):
        policy = self.policy(threshold=1000.0, company_id=self.company_b.id)
        order = self.sale_order(qty=20)
        order.action_confirm()
        self.assertEqual(order.state, "sale", "a policy of company B never holds company A")
        other_wh = self.env["stock.warehouse"].create(
            {"name": "WM Second", "code": "WMS2", "company_id": self.company.id}
        )
        policy.write({"company_id": self.company.id, "warehouse_id": other_wh.id})
        order2 = self.sale_order(qty=20)
        order2.action_confirm()
        self.assertEqual(order2.state, "sale", "another warehouse's policy does not apply")
        order3 = self.sale_order(qty=20, warehouse_id=other_wh.id)
        order3.action_confirm()
        self.assertEqual(order3.state, "draft")
