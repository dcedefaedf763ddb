# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common import DistributionCommon

S = datetime(2030, 5, 6, 10, 0)  # a Monday
H = timedelta(hours=1)
DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestDistributionDetectors(DistributionCommon):
    """One scenario per detector: the problem raises exactly one exception linked to
    its record and warehouse, a case just inside the threshold raises none, a rerun
    only counts an occurrence on the same exception, and fixing the cause resolves it."""

    # ------------------------------------------------------------
    # late_delivery
    # ------------------------------------------------------------

    def test_late_delivery(self):
        order = self.create_sale([(self.product_1, 2)])
        picking = self.outgoing(order)
        picking.scheduled_date = S
        # 3h59 late with a 4h tolerance (Settings): not late yet
        with freeze_time(S + 4 * H - timedelta(minutes=1)):
            self.detect("late_delivery")
        self.assertFalse(self.exceptions_of("late_delivery", picking))
        with freeze_time(S + 4 * H + timedelta(minutes=1)):
            self.detect("late_delivery")
            exception = self.assert_one_open("late_delivery", picking, self.wh_a)
            self.assertEqual(exception.dedupe_key, f"stock.picking,{picking.id}")
            self.assertEqual(exception.severity, "medium")
            self.assertIn(picking.name, exception.name)
            self.assert_rerun_idempotent("late_delivery", picking, exception)
        # shipped: the exception resolves by itself
        self.add_stock(self.product_1, self.wh_a, 2)
        picking.action_assign()
        self.deliver(picking)
        with freeze_time(S + 5 * H):
            self.assert_resolved("late_delivery", picking, exception)

    def test_late_delivery_warehouse_tolerance(self):
        """The warehouse's own tolerance wins over Settings."""
        self.wh_b.workflow_late_tolerance_hours = 8.0
        order = self.create_sale([(self.product_1, 2)], warehouse=self.wh_b)
        picking = self.outgoing(order)
        picking.scheduled_date = S
        with freeze_time(S + 7 * H):
            self.detect("late_delivery")
        self.assertFalse(self.exceptions_of("late_delivery", picking))
        with freeze_time(S + 9 * H):
            self.detect("late_delivery")
        self.assert_one_open("late_delivery", picking, self.wh_b)
        # cancelled deliveries are no longer late
        with freeze_time(S + 10 * H):
            order.with_context(disable_cancel_warning=True).action_cancel()
            self.assert_resolved(
                "late_delivery", picking, self.exceptions_of("late_delivery", picking)
            )

    # ------------------------------------------------------------
    # allocation_delay
    # ------------------------------------------------------------

    def test_allocation_delay(self):
        with freeze_time(S):
            order = self.create_sale([(self.product_1, 5)])
        self.assertEqual(order.date_order, S)
        self.assertEqual(self.outgoing(order).state, "confirmed")
        with freeze_time(S + 24 * H - timedelta(minutes=1)):
            self.detect("allocation_delay")
        self.assertFalse(self.exceptions_of("allocation_delay", order))
        with freeze_time(S + 24 * H + timedelta(minutes=1)):
            self.detect("allocation_delay")
            exception = self.assert_one_open("allocation_delay", order, self.wh_a)
            self.assertEqual(exception.dedupe_key, f"sale.order,{order.id}")
            self.assert_rerun_idempotent("allocation_delay", order, exception)
        # stock arrives and is reserved: resolved
        self.add_stock(self.product_1, self.wh_a, 5)
        self.outgoing(order).action_assign()
        self.assertEqual(self.outgoing(order).state, "assigned")
        with freeze_time(S + 25 * H):
            self.assert_resolved("allocation_delay", order, exception)

    def test_allocation_delay_warehouse_hours(self):
        self.wh_b.workflow_allocation_delay_hours = 2.0
        with freeze_time(S):
            order = self.create_sale([(self.product_1, 5)], warehouse=self.wh_b)
        with freeze_time(S + 2 * H - timedelta(minutes=1)):
            self.detect("allocation_delay")
        self.assertFalse(self.exceptions_of("allocation_delay", order))
        with freeze_time(S + 2 * H + timedelta(minutes=1)):
            self.detect("allocation_delay")
        self.assert_one_open("allocation_delay", order, self.wh_b)

    # ------------------------------------------------------------
    # supplier_delay
    # ------------------------------------------------------------

    def test_supplier_delay_late_line(self):
        po = self.create_purchase([(self.product_1, 10, 4.0)], date_planned=S)
        self.assertEqual(po.order_line.date_planned, S)
        # planned yesterday, within the 1-day allowance
        with freeze_time(S + DAY - timedelta(minutes=1)):
            self.detect("supplier_delay")
        self.assertFalse(self.exceptions_of("supplier_delay", po))
        with freeze_time(S + DAY + timedelta(minutes=1)):
            self.detect("supplier_delay")
            exception = self.assert_one_open("supplier_delay", po, self.wh_a)
            self.assertEqual(exception.dedupe_key, f"po:{po.id}")
            self.assert_rerun_idempotent("supplier_delay", po, exception)
            # partly received: still late
            self.receive(po, {self.product_1: 4})
            self.detect("supplier_delay")
            self.assertEqual(exception.occurrence_count, 3)
            # fully received: resolved
            self.receive(po)
            self.assert_resolved("supplier_delay", po, exception)

    def test_supplier_delay_unanswered_rfq(self):
        future = S + 30 * DAY
        with freeze_time(S):
            po = self.create_purchase(
                [(self.product_1, 10, 4.0)], warehouse=self.wh_b, confirm=False, date_planned=future
            )
            self.send_rfq(po)
        self.assertEqual(self.instance_of(po).stage_entered_at, S)
        with freeze_time(S + 3 * DAY - timedelta(minutes=1)):
            self.detect("supplier_delay")
        self.assertFalse(self.exceptions_of("supplier_delay", po))
        with freeze_time(S + 3 * DAY + timedelta(minutes=1)):
            self.detect("supplier_delay")
            exception = self.assert_one_open("supplier_delay", po, self.wh_b)
            self.assertEqual(exception.dedupe_key, f"rfq:{po.id}")
            self.assertEqual(exception.severity, "low")
            self.assert_rerun_idempotent("supplier_delay", po, exception)
            # the vendor answers: confirmed, nothing late yet
            po.button_confirm()
            self.run_deferred()
            self.assert_resolved("supplier_delay", po, exception)

    def test_supplier_delay_draft_rfq_is_not_unanswered(self):
        with freeze_time(S):
            po = self.create_purchase([(self.product_1, 10, 4.0)], confirm=False)
        with freeze_time(S + 10 * DAY):
            self.detect("supplier_delay")
        self.assertFalse(self.exceptions_of("supplier_delay", po))

    # ------------------------------------------------------------
    # backorder_aging
    # ------------------------------------------------------------

    def _backorder(self, warehouse=None):
        warehouse = warehouse or self.wh_a
        self.add_stock(self.product_1, warehouse, 4)
        order = self.create_sale([(self.product_1, 10)], warehouse=warehouse)
        backorder = self.deliver(self.outgoing(order), {self.product_1: 4})
        self.assertEqual(len(backorder), 1)
        backorder.date = S  # its creation date, from which it ages
        return order, backorder

    def test_backorder_aging(self):
        order, backorder = self._backorder()
        with freeze_time(S + 5 * DAY - timedelta(minutes=1)):
            self.detect("backorder_aging")
        self.assertFalse(self.exceptions_of("backorder_aging", backorder))
        with freeze_time(S + 5 * DAY + timedelta(minutes=1)):
            self.detect("backorder_aging")
            exception = self.assert_one_open("backorder_aging", backorder, self.wh_a)
            self.assertEqual(backorder.backorder_id, self.outgoing(order) - backorder)
            self.assertIn(backorder.backorder_id.name, exception.description)
            self.assert_rerun_idempotent("backorder_aging", backorder, exception)
            # the first delivery is no backorder
            self.assertFalse(self.exceptions_of("backorder_aging", backorder.backorder_id))
            self.add_stock(self.product_1, self.wh_a, 6)
            backorder.action_assign()
            self.deliver(backorder)
            self.assert_resolved("backorder_aging", backorder, exception)

    def test_backorder_aging_warehouse_days(self):
        self.wh_b.workflow_backorder_aging_days = 2.0
        _order, backorder = self._backorder(self.wh_b)
        with freeze_time(S + 2 * DAY - timedelta(minutes=1)):
            self.detect("backorder_aging")
        self.assertFalse(self.exceptions_of("backorder_aging", backorder))
        with freeze_time(S + 2 * DAY + timedelta(minutes=1)):
            self.detect("backorder_aging")
            exception = self.assert_one_open("backorder_aging", backorder, self.wh_b)
            # cancelled: resolved
            backorder.action_cancel()
            self.assert_resolved("backorder_aging", backorder, exception)

    # ------------------------------------------------------------
    # invoice_mismatch
    # ------------------------------------------------------------

    def test_invoice_mismatch_bill_price(self):
        po = self.create_purchase([(self.product_1, 10, 100.0)])
        self.receive(po)
        # 1.5% above the purchase price, within the 2% tolerance
        bill = self.bill_purchase(po, post=False, prices={self.product_1: 101.5})
        self.detect("invoice_mismatch")
        self.assertFalse(self.exceptions_of("invoice_mismatch", bill))
        bill.invoice_line_ids.price_unit = 103.0
        self.detect("invoice_mismatch")
        exception = self.assert_one_open("invoice_mismatch", bill, self.wh_a)
        self.assertEqual(exception.dedupe_key, f"account.move,{bill.id}")
        self.assertIn("price differs", exception.description.lower())
        self.assertIn(po.name, exception.name)
        self.assertNotIn("quantity", exception.description.lower())
        self.assert_rerun_idempotent("invoice_mismatch", bill, exception)
        # price corrected: resolved
        bill.invoice_line_ids.price_unit = 100.0
        self.assert_resolved("invoice_mismatch", bill, exception)

    def test_invoice_mismatch_bill_quantity(self):
        po = self.create_purchase([(self.product_1, 10, 100.0)], warehouse=self.wh_b)
        self.receive(po, {self.product_1: 6})
        bill = self.bill_purchase(po, post=False)
        # billed what was received: fine
        self.assertEqual(bill.invoice_line_ids.quantity, 6)
        self.detect("invoice_mismatch")
        self.assertFalse(self.exceptions_of("invoice_mismatch", bill))
        bill.invoice_line_ids.quantity = 8
        bill.action_post()
        self.detect("invoice_mismatch")
        exception = self.assert_one_open("invoice_mismatch", bill, self.wh_b)
        self.assertIn("billed quantity above", exception.description.lower())
        self.assert_rerun_idempotent("invoice_mismatch", bill, exception)
        # the rest arrives: 10 received for 8 billed, resolved
        self.receive(po)
        self.assert_resolved("invoice_mismatch", bill, exception)

    def test_invoice_mismatch_bill_quantity_refunded(self):
        """A vendor credit note for the excess clears an over-billed bill."""
        po = self.create_purchase([(self.product_1, 10, 100.0)])
        self.receive(po, {self.product_1: 6}, backorder=False)
        bill = self.bill_purchase(po, quantities={self.product_1: 8})
        self.detect("invoice_mismatch")
        exception = self.assert_one_open("invoice_mismatch", bill, self.wh_a)
        refund = self.credit_note(bill, post=False)
        self.assertEqual(refund.move_type, "in_refund")
        refund.invoice_line_ids.quantity = 2
        refund.action_post()
        self.assert_resolved("invoice_mismatch", bill, exception)
        # the refund itself is no bill to check
        self.assertFalse(self.exceptions_of("invoice_mismatch", refund))

    def test_invoice_mismatch_customer_invoice_refunded(self):
        self.add_stock(self.product_1, self.wh_b, 4)
        order = self.create_sale([(self.product_1, 10)], warehouse=self.wh_b)
        self.deliver(self.outgoing(order), {self.product_1: 4})
        invoice = self.invoice_sale(order, post=False)
        invoice.invoice_line_ids.quantity = 6
        invoice.action_post()
        self.detect("invoice_mismatch")
        exception = self.assert_one_open("invoice_mismatch", order, self.wh_b)
        refund = self.credit_note(invoice, post=False)
        refund.invoice_line_ids.quantity = 2
        refund.action_post()
        self.assertEqual(order.order_line.qty_invoiced, 4)
        self.assert_resolved("invoice_mismatch", order, exception)

    def test_invoice_mismatch_customer_invoice(self):
        self.add_stock(self.product_1, self.wh_a, 4)
        order = self.create_sale([(self.product_1, 10)])
        backorder = self.deliver(self.outgoing(order), {self.product_1: 4})
        invoice = self.invoice_sale(order, post=False)
        self.assertEqual(invoice.invoice_line_ids.quantity, 4)
        self.detect("invoice_mismatch")
        self.assertFalse(self.exceptions_of("invoice_mismatch", order))
        invoice.invoice_line_ids.quantity = 6
        invoice.action_post()
        self.detect("invoice_mismatch")
        exception = self.assert_one_open("invoice_mismatch", order, self.wh_a)
        self.assertEqual(exception.dedupe_key, f"sale.order,{order.id}")
        self.assert_rerun_idempotent("invoice_mismatch", order, exception)
        # the backorder ships: 10 delivered for 6 invoiced, resolved
        self.add_stock(self.product_1, self.wh_a, 6)
        backorder.action_assign()
        self.deliver(backorder)
        self.assert_resolved("invoice_mismatch", order, exception)

    # ------------------------------------------------------------
    # stock_shortage
    # ------------------------------------------------------------

    def test_stock_shortage(self):
        order = self.create_sale([(self.product_2, 5)], warehouse=self.wh_b)
        self.assertEqual(self.outgoing(order).move_ids.state, "confirmed")
        self.detect("stock_shortage")
        exception = self.assert_one_open("stock_shortage", self.product_2, self.wh_b)
        self.assertEqual(exception.dedupe_key, f"shortage:{self.product_2.id}:{self.wh_b.id}")
        self.assertIn(self.wh_b.name, exception.name)
        # the other warehouse has no demand: no shortage there
        self.assertEqual(len(self.exceptions_of("stock_shortage", self.product_2)), 1)
        # 4 free for 5 missing: still short, counted on the same exception
        self.add_stock(self.product_2, self.wh_b, 4)
        self.assert_rerun_idempotent("stock_shortage", self.product_2, exception)
        # 5 free for 5 missing (not reserved yet): no shortage any more
        self.add_stock(self.product_2, self.wh_b, 1)
        self.assert_resolved("stock_shortage", self.product_2, exception)

    def test_stock_shortage_partly_reserved(self):
        """Only the unreserved part of the demand needs free stock."""
        self.add_stock(self.product_2, self.wh_a, 4)
        order = self.create_sale([(self.product_2, 10)])
        move = self.outgoing(order).move_ids
        self.assertEqual((move.state, move.quantity), ("partially_available", 4))
        self.detect("stock_shortage")
        exception = self.assert_one_open("stock_shortage", self.product_2, self.wh_a)
        self.assertIn("6.0", exception.description)
        # 6 free (not reserved yet) cover the 6 missing
        self.add_stock(self.product_2, self.wh_a, 6)
        self.assert_resolved("stock_shortage", self.product_2, exception)

    def test_stock_shortage_free_stock_other_warehouse(self):
        """Free stock of another warehouse does not cover the demand."""
        self.add_stock(self.product_2, self.wh_a, 50)
        self.create_sale([(self.product_2, 5)], warehouse=self.wh_b)
        self.detect("stock_shortage")
        self.assert_one_open("stock_shortage", self.product_2, self.wh_b)

    def test_stock_shortage_at_threshold(self):
        order = self.create_sale([(self.product_2, 5)])
        self.add_stock(self.product_2, self.wh_a, 5)  # free, not reserved yet
        self.assertEqual(self.outgoing(order).move_ids.state, "confirmed")
        self.detect("stock_shortage")
        self.assertFalse(self.exceptions_of("stock_shortage", self.product_2))

    # ------------------------------------------------------------
    # credit_hold
    # ------------------------------------------------------------

    def test_credit_hold(self):
        self.company.account_use_credit_limit = True
        self.customer.credit_limit = 1000.0
        # exactly at the limit: not over it
        order = self.create_sale([(self.product_1, 10, 100.0)])
        self.assertEqual(order.amount_total, 1000.0)
        self.detect("credit_hold")
        self.assertFalse(self.exceptions_of("credit_hold", order))
        # one more unit: over the limit
        order_2 = self.create_sale([(self.product_1, 1, 1.0)], warehouse=self.wh_b)
        self.detect("credit_hold")
        self.assert_one_open("credit_hold", order, self.wh_a)
        exception = self.assert_one_open("credit_hold", order_2, self.wh_b)
        self.assertIn("1001.0", exception.description)
        self.assert_rerun_idempotent("credit_hold", order_2, exception)
        # the limit is raised: both resolved
        self.customer.credit_limit = 2000.0
        self.assert_resolved("credit_hold", order_2, exception)
        self.assertFalse(self.exceptions_of("credit_hold", order, open_only=True))

    def test_credit_hold_counts_receivable(self):
        """Posted, unpaid invoices count; paying them clears the hold."""
        self.company.account_use_credit_limit = True
        self.customer.credit_limit = 1000.0
        self.add_stock(self.product_1, self.wh_a, 10)
        shipped = self.create_sale([(self.product_1, 8, 100.0)])
        self.deliver(self.outgoing(shipped))
        invoice = self.invoice_sale(shipped)
        order = self.create_sale([(self.product_1, 3, 100.0)])
        self.detect("credit_hold")
        # 800 receivable + 300 to invoice > 1000; the invoiced order is not on hold
        exception = self.assert_one_open("credit_hold", order, self.wh_a)
        self.assertFalse(self.exceptions_of("credit_hold", shipped))
        self.pay(invoice)
        self.assert_resolved("credit_hold", order, exception)

    def test_credit_hold_off_without_company_setting(self):
        self.company.account_use_credit_limit = False
        self.customer.credit_limit = 10.0
        order = self.create_sale([(self.product_1, 10, 100.0)])
        self.detect("credit_hold")
        self.assertFalse(self.exceptions_of("credit_hold", order))
