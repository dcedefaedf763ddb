# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from .return_common import ReturnCommon

T0 = datetime(2030, 6, 3, 9, 0)  # a Monday: sold, delivered and invoiced
T1 = datetime(2030, 6, 4, 10, 0)  # the return is requested
HOUR = timedelta(hours=1)
RECEIPT_DAYS = timedelta(days=7)  # Settings (ReturnCommon)
REFUND_DAYS = timedelta(days=3)


@tagged("post_install", "-at_install")
class TestReturnAging(ReturnCommon):
    """return_aging: requested and not received for longer than the Return Receipt days,
    received and not credited (the order still invoices the returned goods) for longer
    than the Return Refund days; raise, near-threshold no-raise, auto-resolve, idempotent
    rerun, warehouse thresholds, and query counts that do not grow with the returns."""

    def detect_at(self, when):
        with freeze_time(when):
            return self.detect("return_aging")

    def aging_return(self, qty=2, warehouse=None):
        with freeze_time(T0):
            order, delivery, invoice = self.delivered_order(10, warehouse=warehouse)
        with freeze_time(T1):
            returned = self.request_return(delivery, {self.product_1: qty})
        return order, returned, invoice

    def test_requested_not_received(self):
        order, returned, _invoice = self.aging_return()
        self.detect_at(T1 + RECEIPT_DAYS - HOUR)
        self.assertFalse(self.exceptions_of("return_aging", returned), "near the threshold")
        self.detect_at(T1 + RECEIPT_DAYS + HOUR)
        exception = self.assert_one_open("return_aging", returned, self.wh_a)
        self.assertIn(order.name, exception.name)
        self.assertIn(self.customer.name, exception.name)
        self.assertIn("not received", exception.name)
        self.assertIn("20.0", exception.description)  # 2 units at 10, no tax
        self.detect_at(T1 + RECEIPT_DAYS + 2 * HOUR)
        self.assertEqual(self.exceptions_of("return_aging", returned), exception)
        self.assertEqual(exception.occurrence_count, 2)
        # received: the receipt exception resolves; the refund days start now
        with freeze_time(T1 + RECEIPT_DAYS + 3 * HOUR):
            self.deliver(returned)
        self.detect_at(T1 + RECEIPT_DAYS + 4 * HOUR)
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(self.exceptions_of("return_aging", returned, open_only=True))

    def test_received_not_credited(self):
        order, returned, invoice = self.aging_return(qty=3)
        received_at = T1 + 2 * HOUR
        with freeze_time(received_at):
            self.deliver(returned)
        self.detect_at(received_at + REFUND_DAYS - HOUR)
        self.assertFalse(self.exceptions_of("return_aging", returned), "near the threshold")
        self.detect_at(received_at + REFUND_DAYS + HOUR)
        exception = self.assert_one_open("return_aging", returned, self.wh_a)
        self.assertIn("not credited", exception.name)
        self.assertIn(order.name, exception.name)
        self.assertIn("30.0", exception.description)
        self.detect_at(received_at + REFUND_DAYS + 2 * HOUR)
        self.assertEqual(self.exceptions_of("return_aging", returned), exception)
        self.assertEqual(exception.occurrence_count, 2)
        # a credit note for part of it: still due
        self.refund(invoice, {self.product_1: 1})
        self.detect_at(received_at + REFUND_DAYS + 3 * HOUR)
        self.assertIn(exception.state, ("new", "assigned", "in_progress"))
        self.refund(invoice, {self.product_1: 2})
        self.detect_at(received_at + REFUND_DAYS + 4 * HOUR)
        self.assertEqual(exception.state, "resolved")

    def test_nothing_invoiced_nothing_due(self):
        with freeze_time(T0):
            _order, delivery, _invoice = self.delivered_order(10, invoice=False)
        with freeze_time(T1):
            returned = self.request_return(delivery, {self.product_1: 2})
            self.deliver(returned)
        self.detect_at(T1 + REFUND_DAYS * 10)
        self.assertFalse(self.exceptions_of("return_aging", returned))

    def test_cancelled_return_resolves(self):
        _order, returned, _invoice = self.aging_return()
        self.detect_at(T1 + RECEIPT_DAYS + HOUR)
        exception = self.assert_one_open("return_aging", returned, self.wh_a)
        returned.action_cancel()
        self.run_deferred()
        self.detect_at(T1 + RECEIPT_DAYS + 2 * HOUR)
        self.assertEqual(exception.state, "resolved")

    def test_warehouse_days_replace_the_settings(self):
        self.wh_b.workflow_return_receipt_days = 2.0
        _order, returned_b, _invoice = self.aging_return(warehouse=self.wh_b)
        _order, returned_a, _invoice = self.aging_return()
        self.detect_at(T1 + timedelta(days=2) + HOUR)
        self.assert_one_open("return_aging", returned_b, self.wh_b)
        self.assertFalse(self.exceptions_of("return_aging", returned_a))

    def test_queries_do_not_grow_with_returns(self):
        when = T1 + RECEIPT_DAYS + HOUR

        def counted():
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            self.detect_at(when)
            return self.env.cr.sql_log_count - start

        self.aging_return()
        counted()  # warm-up: the first raise of the category
        rerun_one = counted()
        self.aging_return()
        first_one = counted()  # one raised, one counted again
        for _i in range(4):
            self.aging_return()
        first_four = counted()  # four raised, two counted again
        rerun_six = counted()
        self.assertEqual(
            len(
                self.env["workflow.exception"]
                .search([("category_id.code", "=", "return_aging"), ("occurrence_count", ">", 0)])
                .filtered(lambda e: e.state != "resolved")
            ),
            6,
        )
        self.assertEqual(rerun_six, rerun_one, "reruns: the same queries for 1 or 6")
        self.assertEqual(first_four, first_one, "raising: the same queries for 1 or 4")
