# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields
from odoo.tests import freeze_time, tagged

from odoo.addons.workflow_monitor_base.tools.context import server_context

from .common_transfer import TransferCommon


@tagged("post_install", "-at_install")
class TestTransferCaptureCost(TransferCommon):
    """Capture of the transfer flow costs the engine's one statement per transaction,
    like the order flows (test_capture_cost.py): the same request (procurement creating
    shipment and receipt), shipment and receipt of identical transfers, capture off then
    on. The receipt moves the shipment's flow (fed through ``move_orig_ids``)."""

    def setUp(self):
        super().setUp()
        self.products = {}
        for mode in ("warmup", "off", "on"):
            product = self.make_product(f"WM Transfer cost {mode}", self.route_ab)
            self.add_stock(product, self.wh_a, 100)
            self.products[mode] = product
        self.pickings = {}

    def env_of(self, mode):
        return self.env(
            context=dict(self.env.context, **server_context(workflow_capture_disable=mode == "off"))
        )

    def queries(self, mode, step):
        """SQL statements of ``step`` for the transfer of ``mode``, commit work included."""
        env = self.env_of(mode)
        self.run_deferred()
        self.env.invalidate_all()
        with freeze_time("2030-04-01 10:00:00"):
            start = self.env.cr.sql_log_count
            step(env, mode)
            # the switch is read by the environment that recomputes: flush in the same one
            env.flush_all()
            env.cr.precommit.run()
        count = self.env.cr.sql_log_count - start
        self.env.invalidate_all()
        return count

    def request(self, env, mode):
        Group = env["procurement.group"]
        group = Group.create({"name": f"WM transfer cost {mode}"})
        product = self.products[mode].with_env(env)
        Group.run(
            [
                Group.Procurement(
                    product,
                    3,
                    product.uom_id,
                    self.wh_b.lot_stock_id.with_env(env),
                    "WM cost",
                    "WM cost",
                    self.company.with_env(env),
                    {
                        "warehouse_id": self.wh_b.with_env(env),
                        "group_id": group,
                        "date_planned": fields.Datetime.now(),
                    },
                )
            ]
        )
        self.pickings[mode] = group

    def validate(self, env, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()

    def pickings_of(self, env, mode):
        pickings = env["stock.picking"].search([("group_id", "=", self.pickings[mode].id)])
        shipment = pickings.filtered(lambda p: p.location_dest_id.usage == "transit")
        return shipment, pickings - shipment

    def ship(self, env, mode):
        self.validate(env, self.pickings_of(env, mode)[0])

    def receive(self, env, mode):
        self.validate(env, self.pickings_of(env, mode)[1])

    def test_one_statement_per_step(self):
        for step in (self.request, self.ship, self.receive):
            with self.subTest(step=step.__name__):
                self.queries("warmup", step)
                off = self.queries("off", step)
                on = self.queries("on", step)
                self.assertEqual(on - off, 1, f"{step.__name__}: {off} queries off, {on} on")
        shipment_on = self.pickings_of(self.env, "on")[0]
        shipment_off = self.pickings_of(self.env, "off")[0]
        self.assertEqual(
            self.stage_codes(shipment_on), ["requested", "ready", "in_transit", "received"]
        )
        self.assertEqual(self.stage_codes(shipment_off), [])
