# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ApprovalCommon


@tagged("post_install", "-at_install")
class TestDoors(ApprovalCommon):
    """Every door of DESIGN section 10: writes of the state from any state, changes of
    approved values of done documents, single use, the full fingerprint, the lower stock
    doors, four eyes and delegations. Each test is an attack that worked before the
    approval mixin owned these doors."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock = cls.warehouse.lot_stock_id
        cls.env["stock.quant"]._update_available_quantity(cls.product, cls.stock, 500.0)

    def confirmed_below_threshold(self):
        self.policy(threshold=1000.0)
        order = self.sale_order(qty=5)  # 500: no approval needed
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")
        return order

    def approved(self, record, method):
        result = getattr(record, method)()
        self.assertEqual(result["tag"], "display_notification")
        request = self.requests_of(record, "pending")
        request.with_user(self.approver).action_approve()
        return request

    # ------------------------------------------------------------
    # models join through one registry hook
    # ------------------------------------------------------------

    def test_gated_models_come_from_the_registry(self):
        names = self.env["workflow.approval.policy"]._get_approval_model_names()
        self.assertEqual(
            set(names),
            {
                "account.move",
                "purchase.order",
                "sale.order",
                "stock.picking",
                "stock.quant",
                "stock.scrap",
            },
        )
        policy_field = self.env["workflow.approval.policy"]._fields["res_model"]
        selection = dict(policy_field._description_selection(self.env))
        self.assertEqual(selection["stock.quant"], "Inventory Adjustment")
        self.assertEqual(
            self.env["sale.order"].action_confirm._approval_door, ("sale.order", "action_confirm")
        )

    # ------------------------------------------------------------
    # changes of approved values after the action
    # ------------------------------------------------------------

    def test_confirmed_order_cannot_be_raised_line_by_line(self):
        order = self.confirmed_below_threshold()
        line = order.order_line.with_user(self.salesperson)
        with self.assertRaises(UserError) as caught:
            line.write({"product_uom_qty": 5000})
        self.assertIn("needs a new approval", str(caught.exception))
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).write(
                {"order_line": [Command.update(line.id, {"product_uom_qty": 5000})]}
            )
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).write(
                {
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 50})
                    ]
                }
            )
        self.assertEqual(order.order_line.product_uom_qty, 5.0)
        self.assertEqual(order.amount_total, 500.0)

    def test_confirmed_order_can_change_within_policy(self):
        order = self.confirmed_below_threshold()
        order.order_line.with_user(self.salesperson).product_uom_qty = 8  # 800: still fine
        self.assertEqual(order.amount_total, 800.0)

    def test_approved_order_values_are_locked(self):
        self.policy(threshold=1000.0)
        order = self.sale_order(qty=20)
        request = self.approved(order.with_user(self.salesperson), "action_confirm")
        self.assertEqual(order.state, "sale")
        self.assertTrue(request.consumed_at)
        with self.assertRaises(UserError):
            order.order_line.with_user(self.salesperson).price_unit = 10000
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).partner_shipping_id = self.customer2
        # fields the approval does not cover stay editable
        order.with_user(self.salesperson).note = "Deliver at the back door"

    # ------------------------------------------------------------
    # writes of the state from any state
    # ------------------------------------------------------------

    def test_held_order_cancelled_then_written_to_sale(self):
        self.policy(threshold=1000.0)
        order = self.sale_order(qty=20).with_user(self.salesperson)
        order.action_confirm()
        order._action_cancel()
        self.assertEqual(order.state, "cancel")
        self.purge_committed("sale.order", order.ids)
        with self.assertRaises(UserError):
            order.write({"state": "sale"})
        self.assertEqual(order.state, "cancel")

    def test_held_purchase_cancelled_then_written_to_purchase(self):
        self.policy(res_model="purchase.order", threshold=1000.0)
        order = self.purchase_order(qty=20).with_user(self.buyer)
        order.button_confirm()
        order.button_cancel()
        self.purge_committed("purchase.order", order.ids)
        with self.assertRaises(UserError):
            order.write({"state": "purchase"})
        self.assertEqual(order.state, "cancel")

    def test_cancelled_bill_written_to_posted(self):
        self.policy(res_model="account.move", threshold=1000.0)
        bill = self.vendor_bill(price=2000.0).with_user(self.buyer)
        bill.action_post()
        self.assertEqual(bill.state, "draft")
        bill.button_cancel()
        self.purge_committed("account.move", bill.ids)
        with self.assertRaises(UserError):
            bill.write({"state": "posted"})
        self.assertEqual(bill.state, "cancel")

    # ------------------------------------------------------------
    # single use, complete fingerprint
    # ------------------------------------------------------------

    def test_approval_is_single_use_and_sees_the_unit(self):
        self.policy(threshold=1000.0)
        order = self.sale_order(qty=20).with_user(self.salesperson)
        first = self.approved(order, "action_confirm")
        self.assertEqual(order.state, "sale")
        order._action_cancel()
        order.action_draft()
        before = order._approval_values()[1]
        order.order_line.product_uom = self.env.ref("uom.product_uom_dozen")
        self.assertNotEqual(order._approval_values()[1], before, "the unit is fingerprinted")
        result = order.action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.state, "draft")
        self.assertTrue(first.consumed_at)
        self.assertEqual(len(self.requests_of(order, "pending")), 1)

    def test_bill_fingerprint_covers_payee_and_terms(self):
        bill = self.vendor_bill(price=2000.0)
        digest = bill._approval_values()[1]
        bank = self.env["res.partner.bank"].create(
            {"acc_number": "WM-0001", "partner_id": self.vendor.id}
        )
        bill.partner_bank_id = bank
        self.assertNotEqual(bill._approval_values()[1], digest)
        digest = bill._approval_values()[1]
        bill.invoice_payment_term_id = self.env.ref("account.account_payment_term_30days")
        self.assertNotEqual(bill._approval_values()[1], digest)

    def test_posted_bill_reset_with_new_bank_account_needs_new_approval(self):
        self.policy(res_model="account.move", threshold=1000.0)
        bill = self.vendor_bill(price=2000.0).with_user(self.buyer)
        self.approved(bill, "action_post")
        self.assertEqual(bill.state, "posted")
        bill.button_draft()
        bill.partner_bank_id = self.env["res.partner.bank"].create(
            {"acc_number": "WM-0002", "partner_id": self.vendor.id}
        )
        result = bill.action_post()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(bill.state, "draft")

    # ------------------------------------------------------------
    # stock: quants, scrap, loss moves, done move lines, the lower door
    # ------------------------------------------------------------

    def test_quant_flag_does_not_choose_the_candidates(self):
        self.policy(res_model="stock.quant", condition="inventory_adjustment", threshold=0.0)
        quant = self.env["stock.quant"]._gather(self.product, self.stock)
        quant = quant.with_user(self.salesperson).with_context(inventory_mode=True)
        quant.write({"inventory_quantity": 9000.0, "inventory_quantity_set": False})
        result = quant.action_apply_inventory()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(quant.quantity, 500.0)
        self.assertEqual(len(self.requests_of(quant, "pending")), 1)

    def test_scrap_needs_its_approval_at_every_door(self):
        self.policy(res_model="stock.scrap", condition="amount", threshold=100.0)
        scrap = self.env["stock.scrap"].create(
            {"product_id": self.product.id, "scrap_qty": 10, "location_id": self.stock.id}
        )
        as_user = scrap.with_user(self.salesperson)
        for door in ("do_scrap", "action_validate"):
            result = getattr(as_user, door)()
            self.assertEqual(result["tag"], "display_notification", door)
            self.assertEqual(scrap.state, "draft")
        self.assertEqual(self.env["stock.quant"]._gather(self.product, self.stock).quantity, 500.0)
        self.requests_of(scrap, "pending").with_user(self.approver).action_approve()
        self.assertEqual(scrap.state, "done")

    def test_relocation_to_a_loss_location_is_refused(self):
        self.policy(res_model="stock.quant", condition="inventory_adjustment", threshold=10.0)
        quant = self.env["stock.quant"]._gather(self.product, self.stock)
        loss = self.product.with_company(self.company).property_stock_inventory
        with self.assertRaises(UserError):
            quant.with_user(self.salesperson).move_quants(location_dest_id=loss)
        self.assertEqual(quant.quantity, 500.0)

    def test_inventory_revert_is_refused(self):
        quant = self.env["stock.quant"]._gather(self.product, self.stock)
        quant.with_context(inventory_mode=True).inventory_quantity = 400.0
        quant.action_apply_inventory()  # no policy yet: applied
        self.assertEqual(quant.quantity, 400.0)
        line = self.env["stock.move.line"].search(
            [("product_id", "=", self.product.id), ("is_inventory", "=", True)], limit=1
        )
        self.policy(res_model="stock.quant", condition="inventory_adjustment", threshold=10.0)
        with self.assertRaises(UserError):
            line.with_user(self.salesperson).action_revert_inventory()
        self.assertEqual(quant.quantity, 400.0)

    def _validated_picking(self):
        self.policy(res_model="stock.picking", threshold=400.0)
        self.sale_policy_off()
        order = self.sale_order(qty=10)
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.quantity = 10
        self.approved(picking.with_user(self.salesperson), "button_validate")
        self.assertEqual(picking.state, "done")
        return picking

    def sale_policy_off(self):
        self.env["workflow.approval.policy"].search(
            [("res_model", "=", "sale.order")]
        ).active = False

    def test_done_move_line_edit_needs_approval(self):
        picking = self._validated_picking()
        with self.assertRaises(UserError):
            picking.move_line_ids.with_user(self.salesperson).quantity = 100
        self.assertEqual(picking.move_ids.quantity, 10.0)

    def test_lower_door_action_done(self):
        self.policy(res_model="stock.picking", threshold=400.0)
        order = self.sale_order(qty=10)
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.quantity = 10
        self.purge_committed("stock.picking", picking.ids)
        with self.assertRaises(UserError):
            picking.with_user(self.salesperson)._action_done()
        self.assertNotEqual(picking.state, "done")
        with self.assertRaises(UserError):
            picking.move_ids.with_user(self.salesperson)._action_done()
        self.assertNotEqual(picking.state, "done")

    # ------------------------------------------------------------
    # four eyes
    # ------------------------------------------------------------

    def test_approver_who_changed_the_values_cannot_approve(self):
        self.policy(threshold=1000.0, tiers=[{"user_ids": self.approver | self.approver2}])
        order = self.sale_order(qty=20)
        order.with_user(self.salesperson).action_confirm()
        request = self.requests_of(order, "pending")
        order.order_line.with_user(self.approver).product_uom_qty = 30
        order.with_user(self.salesperson).action_confirm()  # submitted again
        new = self.requests_of(order, "pending")
        self.assertEqual(new.amount, 3000.0)
        self.assertEqual(request.state, "cancelled")
        self.assertIn(self.approver, new.author_ids)
        self.assertNotIn(self.approver, new.approver_ids)
        self.purge_committed("workflow.approval.request", new.ids)
        with self.assertRaises(UserError) as caught:
            new.with_user(self.approver).action_approve()
        self.assertIn("four eyes", str(caught.exception))
        new.with_user(self.approver2).action_approve()
        self.assertEqual(order.state, "sale")

    def test_salesperson_cannot_approve_an_order_accepted_on_the_portal(self):
        self.policy(threshold=1000.0, tiers=[{"user_ids": self.approver | self.approver2}])
        order = self.sale_order(qty=20, user=self.wf_manager, user_id=self.approver.id)
        portal = self.env["res.users"].create(
            {
                "name": "WM Portal Customer",
                "login": "wm_portal_customer",
                "partner_id": self.customer.id,
                "groups_id": [Command.set([self.env.ref("base.group_portal").id])],
            }
        )
        # what the portal acceptance route does: sudo, as the portal user
        order.with_user(portal).sudo().action_confirm()
        self.assertEqual(order.state, "draft")
        request = self.requests_of(order, "pending")
        self.assertEqual(request.requester_id, self.approver, "the salesperson answers for it")
        self.purge_committed("workflow.approval.request", request.ids)
        with self.assertRaises(UserError):
            request.with_user(self.approver).action_approve()
        request.with_user(self.approver2).action_approve()
        self.assertEqual(order.state, "sale")

    # ------------------------------------------------------------
    # delegations
    # ------------------------------------------------------------

    def test_delegation_cannot_be_moved_to_someone_else(self):
        Delegation = self.env["workflow.approval.delegation"]
        own = Delegation.with_user(self.salesperson).create(
            {"user_id": self.salesperson.id, "substitute_id": self.substitute.id}
        )
        with self.assertRaises(AccessError):
            own.write({"user_id": self.approver.id, "substitute_id": self.salesperson.id})
        with self.assertRaises(AccessError):
            Delegation.with_user(self.salesperson).create(
                {"user_id": self.approver.id, "substitute_id": self.salesperson.id}
            )
        self.assertFalse(Delegation.search([("user_id", "=", self.approver.id)]))
        # an approval manager sets one up for an absent approver
        delegation = Delegation.with_user(self.wf_manager).create(
            {"user_id": self.approver.id, "substitute_id": self.substitute.id}
        )
        self.assertEqual(delegation.user_id, self.approver)
