# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import freeze_time, tagged

from odoo.addons.workflow_monitor_base.tools.context import server_context

from .common import DistributionCommon


@tagged("post_install", "-at_install")
class TestCaptureCost(DistributionCommon):
    """Capture on the hot paths costs the engine's one statement per transaction (it
    reads the instances, upserts them and inserts the events) and nothing more:
    the same confirm, deliver and invoice of identical orders, capture off then on.
    Query counts are deterministic under a frozen clock (Odoo itself splits a flush when
    two writes of a move's date fall in different seconds); timings are the benchmark's
    job (bench/capture_overhead.py)."""

    def setUp(self):
        super().setUp()
        Product = self.env["product.product"]
        self.orders = {}
        for mode in ("warmup", "off", "on"):
            products = Product.create(
                [
                    {
                        "name": f"WM Cost {mode} {i}",
                        "is_storable": True,
                        "type": "consu",
                        "invoice_policy": "delivery",
                        "list_price": 10.0,
                    }
                    for i in range(2)
                ]
            )
            for product in products:
                self.add_stock(product, self.wh_a, 100)
            self.orders[mode] = self.create_sale(
                [(products[0], 3), (products[1], 5)], confirm=False
            )

    def queries(self, mode, step):
        """SQL statements of ``step`` on the order of ``mode``, commit work included."""
        env = self.env(
            context=dict(self.env.context, **server_context(workflow_capture_disable=mode == "off"))
        )
        order = self.orders[mode].with_env(env)
        self.run_deferred()
        self.env.invalidate_all()
        with freeze_time("2030-04-01 10:00:00"):
            start = self.env.cr.sql_log_count
            step(order)
            # the switch is read by the environment that recomputes: flush in the same one
            env.flush_all()
            env.cr.precommit.run()
        count = self.env.cr.sql_log_count - start
        self.env.invalidate_all()
        return count

    def confirm(self, order):
        order.action_confirm()

    def deliver_all(self, order):
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()

    def invoice(self, order):
        order._create_invoices().action_post()

    def test_one_statement_per_step(self):
        for step in (self.confirm, self.deliver_all, self.invoice):
            with self.subTest(step=step.__name__):
                self.queries("warmup", step)
                off = self.queries("off", step)
                on = self.queries("on", step)
                self.assertEqual(on - off, 1, f"{step.__name__}: {off} queries off, {on} on")
        self.assertEqual(
            self.stage_codes(self.orders["on"]),
            ["quotation", "confirmed", "allocated", "shipped", "invoiced"],
        )
        self.assertEqual(self.stage_codes(self.orders["off"]), ["quotation"])
