# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common_transfer import TransferCommon

S = datetime(2030, 6, 3, 9, 0)  # a Monday
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@tagged("post_install", "-at_install")
class TestTransferDelay(TransferCommon):
    """transfer_delay: a transfer not received by its due time (In Transit SLA deadline,
    else the receipt's scheduled date + the supplying warehouse's late tolerance) raises
    one exception on the shipment, node = supplying warehouse; just inside the threshold
    nothing; a rerun only counts an occurrence; receipt or cancel resolves it."""

    def request(self, qty=2, stock=0, product=None, warehouse=None, supplier=None):
        product = product or self.product_ab
        if stock:
            self.add_stock(product, supplier or self.wh_a, stock)
        with freeze_time(S - 2 * H):
            shipment, receipt = self.request_transfer(product, qty, warehouse or self.wh_b)
            shipment.scheduled_date = S - H
            receipt.scheduled_date = S
            self.run_deferred()
        return shipment, receipt

    def test_not_shipped_raises_and_cancel_resolves(self):
        shipment, _receipt = self.request()  # no stock at A: waits
        self.assertEqual(self.transfer_instance(shipment).stage_id.code, "requested")
        with freeze_time(S + 4 * H - MINUTE):  # 4 h tolerance (Settings)
            self.detect("transfer_delay")
        self.assertFalse(self.exceptions_of("transfer_delay", shipment))
        with freeze_time(S + 4 * H + 30 * MINUTE):
            self.detect("transfer_delay")
            exception = self.assert_one_open("transfer_delay", shipment, self.wh_a)
            self.assertEqual(exception.dedupe_key, f"stock.picking,{shipment.id}")
            self.assertEqual(exception.severity, "medium")
            for text in (shipment.name, self.wh_a.name, self.wh_b.name, "0.5 h late"):
                self.assertIn(text, exception.name)
            self.assertIn("Requested", exception.description)
            self.assert_rerun_idempotent("transfer_delay", shipment, exception)
        with freeze_time(S + 5 * H):
            shipment.action_cancel()
            self.run_deferred()
            self.assert_resolved("transfer_delay", shipment, exception)

    def test_in_transit_sla_deadline_then_receipt_resolves(self):
        """Once shipped, the lane's In Transit policy sets the due time, even after the
        receipt's scheduled date."""
        stage = self.env.ref("workflow_monitor_distribution.stage_transfer_in_transit")
        self.env["workflow.sla.policy"].create(
            {
                "name": "A to B in 10 h",
                "definition_id": self.definition_transfer.id,
                "stage_id": stage.id,
                "warehouse_id": self.wh_a.id,
                "dest_warehouse_id": self.wh_b.id,
                "target_hours": 10,
                "sequence": 1,
            }
        )
        shipment, receipt = self.request(stock=5)
        with freeze_time(S):
            self.deliver(shipment)
        self.assertEqual(self.transfer_instance(shipment).sla_deadline, S + 10 * H)
        with freeze_time(S + 10 * H - MINUTE):
            self.detect("transfer_delay")
        self.assertFalse(self.exceptions_of("transfer_delay", shipment))
        with freeze_time(S + 60 * H):
            self.detect("transfer_delay")
            exception = self.assert_one_open("transfer_delay", shipment, self.wh_a)
            self.assertEqual(exception.severity, "high")  # 50 h late
            self.assertIn("SLA", exception.description)
            self.assertIn("50.0 h late", exception.name)
            self.assert_rerun_idempotent("transfer_delay", shipment, exception)
            self.deliver(receipt)
            self.assert_resolved("transfer_delay", shipment, exception)

    def test_receipt_date_and_warehouse_tolerance_without_sla(self):
        """Without an In Transit policy: the receipt's scheduled date plus the supplying
        warehouse's own tolerance (8 h here, Settings say 4 h)."""
        self.env.ref("workflow_monitor_distribution.sla_transfer_in_transit_default").active = False
        self.wh_a.workflow_late_tolerance_hours = 8.0
        shipment, receipt = self.request(stock=5)
        with freeze_time(S):
            self.deliver(shipment)
        self.assertFalse(self.transfer_instance(shipment).sla_deadline)
        with freeze_time(S + 8 * H - MINUTE):
            self.detect("transfer_delay")
        self.assertFalse(self.exceptions_of("transfer_delay", shipment))
        with freeze_time(S + 8 * H + MINUTE):
            self.detect("transfer_delay")
            exception = self.assert_one_open("transfer_delay", shipment, self.wh_a)
            self.assertIn("scheduled date", exception.description)
            self.assert_rerun_idempotent("transfer_delay", shipment, exception)
            self.deliver(receipt)
            self.assert_resolved("transfer_delay", shipment, exception)

    def test_partial_receipt_keeps_it_open(self):
        self.env.ref("workflow_monitor_distribution.sla_transfer_in_transit_default").active = False
        shipment, receipt = self.request(qty=4, stock=5)
        with freeze_time(S):
            self.deliver(shipment)
        with freeze_time(S + 5 * H):
            backorder = self.deliver(receipt, {self.product_ab: 1})
            self.detect("transfer_delay")
            exception = self.assert_one_open("transfer_delay", shipment, self.wh_a)
            self.deliver(backorder)
            self.assert_resolved("transfer_delay", shipment, exception)

    def test_deliveries_are_not_transfers(self):
        """A late customer delivery is a late_delivery, never a transfer_delay, and a
        late shipment to transit is a transfer_delay, never a late_delivery."""
        order = self.create_sale([(self.product_1, 2)])
        delivery = self.outgoing(order)
        delivery.scheduled_date = S
        shipment, _receipt = self.request()
        with freeze_time(S + 5 * H):
            self.detect("transfer_delay")
            self.detect("late_delivery")
        self.assertFalse(self.exceptions_of("transfer_delay", delivery))
        self.assertTrue(self.exceptions_of("late_delivery", delivery))
        self.assertTrue(self.exceptions_of("transfer_delay", shipment))
        self.assertFalse(self.exceptions_of("late_delivery", shipment))

    def test_query_count_flat(self):
        """One query set per run, whatever the number of late transfers."""

        def run():
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            with freeze_time(S + 6 * H):
                raised = self.detect("transfer_delay")
            return raised, self.env.cr.sql_log_count - start

        self.request()
        run()  # warm-up: the first exception of the category
        small = run()
        products = self.env["product.product"].create(
            [
                {
                    "name": f"WM Transfer bulk {i}",
                    "is_storable": True,
                    "type": "consu",
                    "route_ids": [Command.set(self.route_ab.ids)],
                }
                for i in range(8)
            ]
        )
        for product in products:
            self.request(product=product)
        run()  # the new exceptions are created (one batch)
        large = run()
        self.assertEqual((small[0], large[0]), (1, 9))
        self.assertEqual(large[1], small[1], f"{small[1]} queries for 1, {large[1]} for 9")
