# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date, datetime

from odoo.tests import freeze_time, tagged

from .common import DistributionCommon

T0 = datetime(2030, 4, 1, 8, 0)  # a Monday
T1 = datetime(2030, 4, 1, 9, 30)
T2 = datetime(2030, 4, 1, 15, 0)
T3 = datetime(2030, 4, 2, 10, 0)
T4 = datetime(2030, 4, 3, 11, 0)
T5 = datetime(2030, 4, 4, 12, 0)


@tagged("post_install", "-at_install")
class TestOrderToCashStages(DistributionCommon):
    def assert_stage(self, record, code, state="running"):
        instance = self.instance_of(record)
        self.assertEqual(len(instance), 1)
        self.assertEqual(instance.stage_id.code, code)
        self.assertEqual(instance.state, state)
        # the stored stage is the one the document shows now
        self.assertEqual(record._workflow_final_stage_code()[record], code)
        return instance

    def test_full_order_to_cash(self):
        self.add_stock(self.product_1, self.wh_a, 20)
        with freeze_time(T0):
            order = self.create_sale([(self.product_1, 5)], confirm=False)
        instance = self.assert_stage(order, "quotation")
        self.assertEqual(instance.node_ref, self.node(self.wh_a))
        self.assertEqual(instance.started_at, T0)
        with freeze_time(T1):
            self.confirm_sale(order)
        # confirmed, then allocated in the same step (the stock is there)
        self.assert_stage(order, "allocated")
        picking = self.outgoing(order)
        self.assertEqual(len(picking), 1)
        delivery = self.instance_of(picking)
        self.assertEqual(delivery.stage_id.code, "ready")
        self.assertEqual(delivery.node_ref, self.node(self.wh_a))
        with freeze_time(T2):
            self.deliver(picking)
        self.assert_stage(order, "shipped")
        self.assertEqual(self.instance_of(picking).stage_id.code, "done")
        self.assertEqual(self.instance_of(picking).state, "done")
        with freeze_time(T3):
            invoice = self.invoice_sale(order)
        self.assert_stage(order, "invoiced")
        with freeze_time(T4):
            self.pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        instance = self.assert_stage(order, "paid", state="done")
        self.assertEqual(instance.ended_at, T4)
        self.assertEqual(
            self.stage_codes(order),
            ["quotation", "confirmed", "allocated", "shipped", "invoiced", "paid"],
        )
        events = self.stage_events(order)
        self.assertEqual(events.mapped("occurred_at"), [T0, T1, T1, T2, T3, T4])
        self.assertEqual(
            events.mapped("duration_seconds"),
            [
                0.0,
                (T1 - T0).total_seconds(),
                0.0,
                (T2 - T1).total_seconds(),
                (T3 - T2).total_seconds(),
                (T4 - T3).total_seconds(),
            ],
        )
        self.assertEqual([e.stage_from_id.code for e in events[1:]], self.stage_codes(order)[:-1])
        self.assertTrue(all(e.instance_id == instance for e in events))
        # created waiting, reserved in the same step, then done
        self.assertEqual(self.stage_codes(picking), ["waiting", "ready", "done"])

    def test_partial_delivery_backorder_invoice_credit_note(self):
        self.add_stock(self.product_1, self.wh_a, 4)
        with freeze_time(T0):
            order = self.create_sale([(self.product_1, 10)])
        # only 4 of 10 reserved: confirmed, not allocated
        self.assert_stage(order, "confirmed")
        first = self.outgoing(order)
        with freeze_time(T1):
            backorder = self.deliver(first, {self.product_1: 4})
        self.assertEqual(len(backorder), 1)
        self.assertEqual(order.order_line.qty_delivered, 4)
        # a partial shipment is an event of the delivery flow, the order stays confirmed
        self.assert_stage(order, "confirmed")
        self.assertEqual(self.instance_of(first).stage_id.code, "done")
        bo_instance = self.instance_of(backorder)
        self.assertEqual(len(bo_instance), 1)
        self.assertEqual(bo_instance.stage_id.code, "waiting")
        self.assertEqual(bo_instance.node_ref, self.node(self.wh_a))
        self.assertEqual(self.stage_codes(order), ["quotation", "confirmed"])

        # the rest arrives and is reserved: allocated, then shipped with the backorder
        self.add_stock(self.product_1, self.wh_a, 6)
        with freeze_time(T2):
            backorder.action_assign()
            self.run_deferred()
        self.assert_stage(order, "allocated")
        self.assertEqual(self.instance_of(backorder).stage_id.code, "ready")
        with freeze_time(T3):
            self.deliver(backorder)
        self.assert_stage(order, "shipped")
        self.assertEqual(self.stage_codes(backorder), ["waiting", "ready", "done"])
        # one delivery instance per outgoing picking, the backorder included
        deliveries = self.env["workflow.instance"].search(
            [
                ("definition_id", "=", self.definition_delivery.id),
                ("res_model", "=", "stock.picking"),
                ("res_id", "in", self.outgoing(order).ids),
            ]
        )
        self.assertEqual(len(deliveries), 2)
        self.assertEqual(set(deliveries.mapped("state")), {"done"})

        with freeze_time(T4):
            invoice = self.invoice_sale(order)
        self.assertEqual(invoice.invoice_line_ids.quantity, 10)
        self.assert_stage(order, "invoiced")

        # a full credit note: the order is no longer invoiced, it is back to shipped
        with freeze_time(T5):
            refund = self.credit_note(invoice)
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(order.invoice_status, "to invoice")
        self.assert_stage(order, "shipped")
        last = self.stage_events(order)[-1]
        self.assertEqual(last.stage_from_id.code, "invoiced")
        self.assertEqual(last.stage_to_id.code, "shipped")
        self.assertEqual(last.occurred_at, T5)
        # invoiced again: invoiced again
        self.invoice_sale(order)
        self.assert_stage(order, "invoiced")
        self.assertEqual(
            self.stage_codes(order),
            ["quotation", "confirmed", "allocated", "shipped", "invoiced", "shipped", "invoiced"],
        )

    def test_return_then_credit_note(self):
        self.add_stock(self.product_1, self.wh_a, 10)
        order = self.create_sale([(self.product_1, 10)])
        picking = self.outgoing(order)
        self.deliver(picking)
        invoice = self.invoice_sale(order)
        self.assert_stage(order, "invoiced")
        returned = self.return_picking(picking, {self.product_1: 2})
        self.assertEqual(returned.state, "done")
        self.assertEqual(returned.picking_type_code, "incoming")
        self.assertEqual(order.order_line.qty_delivered, 8)
        # invoiced above what the customer kept: waiting for a credit note
        self.assert_stage(order, "shipped")
        # a return is no delivery: no delivery instance for it
        self.assertFalse(self.instance_of(returned))
        refund = self.credit_note(invoice, post=False)
        refund.invoice_line_ids.quantity = 2
        refund.action_post()
        self.run_deferred()
        self.assertEqual(order.order_line.qty_invoiced, 8)
        self.assert_stage(order, "invoiced")
        self.assertEqual(self.stage_codes(order)[-2:], ["shipped", "invoiced"])

    def test_partial_delivery_without_backorder(self):
        """Shipping ends short (no backorder): invoicing what was shipped completes it."""
        self.add_stock(self.product_1, self.wh_a, 3)
        order = self.create_sale([(self.product_1, 5)])
        self.assertFalse(self.deliver(self.outgoing(order), {self.product_1: 3}, backorder=False))
        self.assert_stage(order, "shipped")
        invoice = self.invoice_sale(order)
        self.assertEqual(invoice.invoice_line_ids.quantity, 3)
        self.assertEqual(order.invoice_status, "no")
        self.assert_stage(order, "invoiced")
        self.pay(invoice)
        self.assert_stage(order, "paid", state="done")

    def test_cancel_and_reopen_quotation(self):
        with freeze_time(T0):
            order = self.create_sale([(self.product_2, 3)])
        self.assert_stage(order, "confirmed")
        picking = self.outgoing(order)
        self.assertEqual(self.instance_of(picking).stage_id.code, "waiting")
        with freeze_time(T1):
            order.with_context(disable_cancel_warning=True).action_cancel()
            self.run_deferred()
        instance = self.assert_stage(order, "cancelled", state="cancelled")
        self.assertEqual(instance.ended_at, T1)
        delivery = self.instance_of(picking)
        self.assertEqual(delivery.stage_id.code, "cancelled")
        self.assertEqual(delivery.state, "cancelled")
        with freeze_time(T2):
            order.action_draft()
            self.run_deferred()
        instance = self.assert_stage(order, "quotation")
        self.assertFalse(instance.ended_at)
        self.assertEqual(instance.stage_entered_at, T2)
        self.assertEqual(instance.started_at, T0)
        last = self.stage_events(order)[-1]
        self.assertEqual(last.stage_from_id.code, "cancelled")
        self.assertEqual(last.duration_seconds, (T2 - T1).total_seconds())
        # confirmed again: a new delivery, a running flow
        self.add_stock(self.product_2, self.wh_a, 3)
        self.confirm_sale(order)
        self.assert_stage(order, "allocated")
        self.assertEqual(
            self.stage_codes(order),
            ["quotation", "confirmed", "cancelled", "quotation", "confirmed", "allocated"],
        )

    def test_multi_warehouse_orders(self):
        self.add_stock(self.product_1, self.wh_b, 5)
        order_a = self.create_sale([(self.product_1, 2)], warehouse=self.wh_a)
        order_b = self.create_sale([(self.product_1, 2)], warehouse=self.wh_b)
        self.assertEqual(self.instance_of(order_a).node_ref, self.node(self.wh_a))
        self.assertEqual(self.instance_of(order_b).node_ref, self.node(self.wh_b))
        self.assertEqual(self.instance_of(order_a).warehouse_id, self.wh_a)
        self.assertEqual(self.instance_of(order_b).warehouse_id, self.wh_b)
        # stock in B only: B is allocated, A waits
        self.assert_stage(order_a, "confirmed")
        self.assert_stage(order_b, "allocated")
        picking_b = self.outgoing(order_b)
        self.assertEqual(picking_b.picking_type_id.warehouse_id, self.wh_b)
        self.assertEqual(self.instance_of(picking_b).node_ref, self.node(self.wh_b))
        found = self.env["workflow.instance"].search(
            [("warehouse_id", "=", self.wh_b.id), ("definition_id", "=", self.definition_o2c.id)]
        )
        self.assertIn(self.instance_of(order_b), found)
        self.assertNotIn(self.instance_of(order_a), found)


@tagged("post_install", "-at_install")
class TestProcureToPayStages(DistributionCommon):
    def test_full_procure_to_pay(self):
        with freeze_time(T0):
            po = self.create_purchase([(self.product_1, 10, 4.0)], confirm=False)
        instance = self.instance_of(po)
        self.assertEqual(instance.stage_id.code, "rfq")
        self.assertEqual(instance.node_ref, self.node(self.wh_a))
        with freeze_time(T1):
            self.send_rfq(po)
        self.assertEqual(po.state, "sent")
        self.assertEqual(instance.stage_id.code, "sent")
        with freeze_time(T2):
            po.button_confirm()
            self.run_deferred()
        self.assertEqual(instance.stage_id.code, "confirmed")
        with freeze_time(T3):
            receipt = self.receive(po, {self.product_1: 6})
        # partially received: still confirmed
        self.assertEqual(instance.stage_id.code, "confirmed")
        self.assertEqual(receipt.state, "done")
        with freeze_time(T3.replace(hour=16)):
            self.receive(po)
        self.assertEqual(po.receipt_status, "full")
        self.assertEqual(instance.stage_id.code, "received")
        with freeze_time(T4):
            bill = self.bill_purchase(po, invoice_date=date(2030, 4, 3))
        self.assertEqual(bill.state, "posted")
        self.assertEqual(instance.stage_id.code, "billed")
        with freeze_time(T5):
            self.pay(bill)
        self.assertEqual(instance.stage_id.code, "paid")
        self.assertEqual(instance.state, "done")
        self.assertEqual(
            self.stage_codes(po), ["rfq", "sent", "confirmed", "received", "billed", "paid"]
        )
        self.assertEqual(
            self.stage_events(po).mapped("occurred_at"),
            [T0, T1, T2, T3.replace(hour=16), T4, T5],
        )

    def test_cancel_purchase(self):
        po = self.create_purchase([(self.product_1, 1, 4.0)], warehouse=self.wh_b)
        self.assertEqual(self.instance_of(po).node_ref, self.node(self.wh_b))
        po.button_cancel()
        self.run_deferred()
        self.assertEqual(self.instance_of(po).stage_id.code, "cancelled")
        self.assertEqual(self.instance_of(po).state, "cancelled")
