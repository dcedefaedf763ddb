# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime

from odoo import Command
from odoo.tests import Form, freeze_time, tagged

from .return_common import ReturnCommon

T0 = datetime(2030, 5, 6, 9, 0)  # a Monday
T1 = datetime(2030, 5, 7, 10, 0)
T2 = datetime(2030, 5, 8, 11, 0)
T3 = datetime(2030, 5, 9, 12, 0)


@tagged("post_install", "-at_install")
class TestCustomerReturnFlow(ReturnCommon):
    """The customer_return flow through Odoo's own return wizard, receipt and credit
    notes: stages and events in order, what is not a customer return, cancellation,
    companies, and the order's own flow left as it was."""

    def assert_return(self, picking, code, state="running"):
        instance = self.return_instance(picking)
        self.assertEqual(len(instance), 1, "one customer_return instance")
        self.assertEqual(instance.stage_id.code, code)
        self.assertEqual(instance.state, state)
        # the stored stage is the one the document shows now
        self.assertEqual(picking._workflow_final_stage_code()[picking], code)
        return instance

    def test_partial_return_received_and_refunded(self):
        with freeze_time(T0):
            order, delivery, invoice = self.delivered_order(10)
        o2c_before = self.stage_codes(order)
        with freeze_time(T1):
            returned = self.request_return(delivery, {self.product_1: 2})
        self.assertEqual(returned.return_id, delivery)
        self.assertEqual(returned.picking_type_code, "incoming")
        instance = self.assert_return(returned, "requested")
        self.assertEqual(instance.node_ref, self.node(self.wh_a))
        self.assertEqual(instance.company_id, self.company)
        self.assertEqual(instance.started_at, T1)
        # a return is no delivery
        self.assertFalse(self.instance_of(returned))
        self.assertEqual(returned.workflow_instance_id, instance)
        with freeze_time(T2):
            self.deliver(returned)
        self.assert_return(returned, "received")
        with freeze_time(T3):
            refund = self.refund(invoice, {self.product_1: 2})
        instance = self.assert_return(returned, "refunded", state="done")
        self.assertEqual(instance.ended_at, T3)
        self.assertEqual(self.return_stages(returned), ["requested", "received", "refunded"])
        events = self.stage_events(returned)
        self.assertEqual(events.mapped("occurred_at"), [T1, T2, T3])
        # the credit note that moved it is linked to the event
        self.assertIn({"model": "account.move", "id": refund.id}, events[-1].related_documents)
        # the delivery keeps its own flow, done
        self.assertEqual(self.instance_of(delivery).stage_id.code, "done")
        # the order's flow: shipped once the return leaves it over-invoiced, invoiced with
        # the credit note (as test_stages.test_return_then_credit_note)
        self.assertEqual(self.stage_codes(order), [*o2c_before, "shipped", "invoiced"])

    def test_full_return_with_return_all_and_full_credit_note(self):
        order, delivery, invoice = self.delivered_order(5)
        returned = self.request_return(delivery, all_of_it=True)
        self.assertEqual(returned.move_ids.product_uom_qty, 5)
        self.assert_return(returned, "requested")
        self.deliver(returned)
        self.assertEqual(order.order_line.qty_delivered, 0)
        self.assert_return(returned, "received")
        self.refund(invoice)  # the whole invoice, through account.move.reversal
        self.assert_return(returned, "refunded", state="done")
        self.assertEqual(self.return_stages(returned), ["requested", "received", "refunded"])

    def test_credit_note_before_the_goods_are_back(self):
        _order, delivery, invoice = self.delivered_order(10)
        returned = self.request_return(delivery, {self.product_1: 3})
        self.refund(invoice, {self.product_1: 3})
        # credited, but the goods are not back: still requested
        self.assert_return(returned, "requested")
        self.deliver(returned)
        self.assert_return(returned, "refunded", state="done")
        self.assertEqual(self.return_stages(returned), ["requested", "refunded"])

    def test_partial_credit_note_leaves_it_received(self):
        _order, delivery, invoice = self.delivered_order(10)
        returned = self.request_return(delivery, {self.product_1: 4})
        self.deliver(returned)
        self.refund(invoice, {self.product_1: 1})
        self.assert_return(returned, "received")
        self.refund(invoice, {self.product_1: 3})
        self.assert_return(returned, "refunded", state="done")

    def test_draft_credit_note_is_no_refund_and_reset_goes_back(self):
        _order, delivery, invoice = self.delivered_order(10)
        returned = self.request_return(delivery, {self.product_1: 2})
        self.deliver(returned)
        refund = self.refund(invoice, {self.product_1: 2}, post=False)
        self.assert_return(returned, "received")
        refund.action_post()
        self.run_deferred()
        self.assert_return(returned, "refunded", state="done")
        refund.button_draft()
        self.run_deferred()
        self.assert_return(returned, "received")
        self.assertEqual(
            self.return_stages(returned), ["requested", "received", "refunded", "received"]
        )

    def test_two_returns_of_one_line(self):
        order, delivery, invoice = self.delivered_order(10)
        first = self.request_return(delivery, {self.product_1: 2})
        self.deliver(first)
        self.refund(invoice, {self.product_1: 2})
        self.assert_return(first, "refunded", state="done")
        second = self.request_return(delivery, {self.product_1: 3})
        self.deliver(second)
        self.assertEqual(order.order_line.qty_delivered, 5)
        # the second one waits for its own credit note; the first stays refunded
        self.assert_return(second, "received")
        self.assert_return(first, "refunded", state="done")
        self.refund(invoice, {self.product_1: 3})
        self.assert_return(second, "refunded", state="done")
        self.assert_return(first, "refunded", state="done")

    def test_return_of_goods_never_invoiced_is_received(self):
        order, delivery, _invoice = self.delivered_order(10, invoice=False)
        returned = self.request_return(delivery, {self.product_1: 2})
        self.deliver(returned)
        # nothing was invoiced: nothing to credit, no refund to wait for
        self.assert_return(returned, "received")
        self.assertFalse(returned._workflow_refund_states()[returned.id].due)
        invoice = self.invoice_sale(order)
        self.assertEqual(invoice.invoice_line_ids.quantity, 8)
        self.assert_return(returned, "received")

    def test_cancelled_return(self):
        _order, delivery, _invoice = self.delivered_order(10)
        returned = self.request_return(delivery, {self.product_1: 2})
        returned.action_cancel()
        self.run_deferred()
        self.assert_return(returned, "cancelled", state="cancelled")
        self.assertEqual(self.return_stages(returned), ["requested", "cancelled"])

    def test_vendor_return_is_no_customer_return(self):
        purchase = self.create_purchase([(self.product_2, 6, 5.0)])
        receipt = self.receive(purchase)
        vendor_return = self.request_return(receipt, {self.product_2: 2})
        self.deliver(vendor_return)
        self.assertEqual(vendor_return.return_id, receipt)
        self.assertFalse(self.return_instance(vendor_return))
        self.assertFalse(self.return_instance(receipt))
        self.assertNotEqual(
            vendor_return._workflow_definition_code()[vendor_return], "customer_return"
        )

    def test_receipt_from_a_customer_location_without_return_is_not_one(self):
        """An incoming picking from a customer location that returns nothing (typed by
        hand) follows no return flow."""
        customers = self.env.ref("stock.stock_location_customers")
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.wh_a.in_type_id.id,
                "location_id": customers.id,
                "location_dest_id": self.wh_a.lot_stock_id.id,
                "partner_id": self.customer.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": "manual",
                            "product_id": self.product_1.id,
                            "product_uom_qty": 1,
                            "location_id": customers.id,
                            "location_dest_id": self.wh_a.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        self.run_deferred()
        self.assertFalse(self.return_instance(picking))

    def test_other_company(self):
        company_2 = self.env["res.company"].create({"name": "WM Return Co 2"})
        self.env.user.company_ids |= company_2
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company_2.id]))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company_2.id)], limit=1)
        product = self.product_1.with_env(env)
        self.env["stock.quant"].with_env(env)._update_available_quantity(
            product, warehouse.lot_stock_id, 10
        )
        order = env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "company_id": company_2.id,
                "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 4})],
            }
        )
        order.action_confirm()
        self.run_deferred()
        self.deliver(order.picking_ids)
        wizard = Form(
            env["stock.return.picking"].with_context(
                active_id=order.picking_ids.id,
                active_ids=order.picking_ids.ids,
                active_model="stock.picking",
            )
        ).save()
        wizard.product_return_moves.quantity = 1
        returned = env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        self.run_deferred()
        instance = self.return_instance(returned)
        self.assertEqual(instance.company_id, company_2)
        self.assertEqual(instance.node_ref, self.node(warehouse))
        # the users of the main company alone do not see it
        user = self.env["res.users"].create(
            {
                "name": "WM Return Main User",
                "login": "wm_return_main_user",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [
                    Command.link(self.env.ref("workflow_monitor_base.group_workflow_user").id),
                    Command.link(self.env.ref("stock.group_stock_user").id),
                ],
            }
        )
        visible = (
            self.env["workflow.instance"]
            .with_user(user)
            .search([("definition_id", "=", self.definition_return.id)])
        )
        self.assertNotIn(instance, visible)

    def test_process_map_of_the_definition(self):
        with freeze_time(T0):
            _order, delivery, invoice = self.delivered_order(10)
        with freeze_time(T1):
            returned = self.request_return(delivery, {self.product_1: 2})
        with freeze_time(T2):
            self.deliver(returned)
        with freeze_time(T3):
            self.refund(invoice, {self.product_1: 2})
        process = self.env["workflow.definition"].get_process_map(
            "customer_return",
            {
                "date_from": str(T0.date()),
                "date_to": str(T3.date()),
                "company_ids": self.company.ids,
            },
        )
        nodes = {node["stage"]: node for node in process["nodes"]}
        self.assertEqual(list(nodes), ["requested", "received", "refunded", "cancelled"])
        self.assertGreaterEqual(nodes["refunded"]["count"], 1)
        edges = {(edge["from"], edge["to"]) for edge in process["edges"]}
        self.assertLessEqual({("requested", "received"), ("received", "refunded")}, edges)
