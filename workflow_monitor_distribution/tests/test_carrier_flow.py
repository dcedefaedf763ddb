# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from odoo.addons.workflow_monitor_base.tools.errors import UnknownReferenceError

from .common import OPEN_STATES, DistributionCommon

D = datetime(2031, 4, 2)  # a Wednesday, far from demo data
SHIPPED = D.replace(hour=8)
NOW = D.replace(hour=20)


def at(hour, minute=0, day=0):
    return (D + timedelta(days=day)).replace(hour=hour, minute=minute)


class CarrierCommon(DistributionCommon):
    """Shipped deliveries with a tracking reference, and the carrier hook called as the
    integrations module calls it (superuser, the integration's company)."""

    def setUp(self):
        super().setUp()
        self.add_stock(self.product_1, self.wh_a, 100)
        self.add_stock(self.product_1, self.wh_b, 100)

    def shipped(self, ref, warehouse=None, when=SHIPPED, commitment=None, **picking_vals):
        """A sale of one P1 whose delivery is done at ``when`` with ``ref`` (and
        ``picking_vals`` written on the picking before)."""
        with freeze_time(when - timedelta(hours=1)):
            order = self.create_sale([(self.product_1, 1)], warehouse=warehouse)
            if commitment:
                order.commitment_date = commitment
        picking = self.outgoing(order)
        picking.write(dict(picking_vals, carrier_tracking_ref=ref))
        with freeze_time(when):
            self.deliver(picking)
        return picking

    def update(self, ref, status, when, company=None, now=NOW, **data):
        with freeze_time(now):
            record = (
                self.env["workflow.instance"]
                .sudo()
                ._workflow_carrier_update(company or self.company, ref, status, when, data)
            )
            self.run_deferred()
        return record

    def failed_exceptions(self, picking):
        return self.exceptions_of("delivery_failed", picking)


@tagged("post_install", "-at_install")
class TestCarrierFlow(CarrierCommon):
    def test_without_carrier_done_stays_final(self):
        picking = self.shipped("WM-FLOW-0")
        instance = self.instance_of(picking)
        self.assertEqual(instance.stage_id.code, "done")
        self.assertEqual(instance.state, "done")
        self.assertEqual(instance.ended_at, SHIPPED)
        self.assertFalse(picking.workflow_carrier_status)

    def test_in_transit_reopens_then_delivered_ends(self):
        picking = self.shipped("WM-FLOW-1")
        self.assertEqual(self.update("WM-FLOW-1", "in_transit", at(10)), picking)
        instance = self.instance_of(picking)
        self.assertEqual((instance.stage_id.code, instance.state), ("in_transit", "running"))
        self.assertFalse(instance.ended_at, "running again until delivered")
        self.assertEqual(instance.stage_entered_at, at(10))
        # out for delivery is in transit still: an integration event, no stage event
        self.update("WM-FLOW-1", "out_for_delivery", at(12), location="Lyon")
        self.assertEqual(self.stage_codes(picking)[-2:], ["done", "in_transit"])
        self.update("WM-FLOW-1", "delivered", at(15), description="Signed by J. Doe")
        instance.invalidate_recordset()
        self.assertEqual((instance.stage_id.code, instance.state), ("delivered", "done"))
        self.assertEqual(instance.ended_at, at(15))
        self.assertEqual(self.stage_codes(picking)[-3:], ["done", "in_transit", "delivered"])
        events = self.stage_events(picking)
        self.assertEqual(events[-1].source, "webhook")
        self.assertEqual(events[-1].payload["carrier_status"], "delivered")
        self.assertEqual(events[-1].duration_seconds, 5 * 3600)  # in transit 10:00 -> 15:00
        integration = self.env["workflow.event"].search(
            [
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
                ("event_type", "=", "integration"),
            ]
        )
        self.assertEqual(integration.payload["carrier_status"], "out_for_delivery")
        self.assertEqual(integration.payload["location"], "Lyon")
        self.assertEqual(integration.instance_id, instance)
        self.assertEqual(picking.workflow_carrier_status, "delivered")
        self.assertEqual(picking.workflow_delivered_at, at(15))
        # the sale order's flow keeps its meaning: shipped at validation
        self.assertIn("shipped", self.stage_codes(picking.sale_id))

    def test_same_status_twice_changes_nothing(self):
        picking = self.shipped("WM-FLOW-2")
        self.update("WM-FLOW-2", "delivered", at(11))
        self.update("WM-FLOW-2", "delivered", at(13))
        self.assertEqual(self.stage_codes(picking)[-3:], ["ready", "done", "delivered"])
        self.assertEqual(picking.workflow_delivered_at, at(11), "the first delivery counts")

    def test_recomputed_state_keeps_the_carrier_stage(self):
        picking = self.shipped("WM-FLOW-3")
        self.update("WM-FLOW-3", "in_transit", at(10))
        # Odoo recomputes the state of a done picking (e.g. a done move edited): the
        # capture observes it again and must not bring the flow back to done
        picking._workflow_mark_dirty()
        self.run_deferred()
        self.assertEqual(self.instance_of(picking).stage_id.code, "in_transit")

    def test_carrier_time_is_clamped(self):
        picking = self.shipped("WM-FLOW-4")
        # before the shipment (carrier clock behind ours): at the shipment
        self.update("WM-FLOW-4", "in_transit", SHIPPED - timedelta(hours=3))
        self.assertEqual(self.instance_of(picking).stage_entered_at, SHIPPED)
        # in the future: now
        self.update("WM-FLOW-4", "delivered", NOW + timedelta(days=2))
        self.assertEqual(picking.workflow_delivered_at, NOW)

    def test_failed_delivery_raises_and_delivered_resolves(self):
        picking = self.shipped("WM-FLOW-5")
        self.update(
            "WM-FLOW-5",
            "failed_delivery",
            at(11),
            reason="Nobody home",
            location="Lyon depot",
            description="Second attempt tomorrow",
        )
        failed = self.failed_exceptions(picking)
        self.assertEqual(len(failed), 1)
        self.assertIn(failed.state, OPEN_STATES)
        self.assertIn("Nobody home", failed.name)
        self.assertIn("Lyon depot", failed.description)
        self.assertEqual(failed.node_ref, self.node(self.wh_a))
        self.assertEqual(failed.company_id, self.company)
        self.assertEqual(self.instance_of(picking).stage_id.code, "in_transit")
        self.assertEqual(picking.workflow_carrier_status, "failed")
        # a second failure counts on the same exception
        self.update("WM-FLOW-5", "exception", at(12), reason="Address unknown")
        self.assertEqual(self.failed_exceptions(picking), failed)
        self.assertEqual(failed.occurrence_count, 2)
        self.update("WM-FLOW-5", "delivered", at(16))
        self.assertEqual(failed.state, "resolved")
        self.assertEqual(self.instance_of(picking).stage_id.code, "delivered")

    def test_dashboard_shows_carrier_stages_and_failures(self):
        picking = self.shipped("WM-FLOW-11")
        self.update("WM-FLOW-11", "failed_delivery", at(11), reason="Refused")
        data = self.env["workflow.dashboard"].get_dashboard_data({"company_ids": self.company.ids})
        in_transit = self.env.ref("workflow_monitor_distribution.stage_delivery_in_transit")
        (row,) = [r for r in data["aging"]["rows"] if r["stage_id"] == in_transit.id]
        instance = self.instance_of(picking)
        self.assertIn(instance, self.env["workflow.instance"].search(row["domain"]))
        category = self.env.ref("workflow_monitor_distribution.category_delivery_failed")
        (row,) = [r for r in data["exceptions"]["rows"] if r["category_id"] == category.id]
        self.assertIn(
            self.failed_exceptions(picking), self.env["workflow.exception"].search(row["domain"])
        )
        self.assertIn("on_time_delivery_customer", [kpi["code"] for kpi in data["kpis"]])

    def test_other_statuses_are_logged_only(self):
        picking = self.shipped("WM-FLOW-6")
        self.update("WM-FLOW-6", "label_created", at(9))
        self.assertEqual(self.instance_of(picking).stage_id.code, "done")
        self.assertFalse(picking.workflow_carrier_status)
        events = self.env["workflow.event"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertIn(
            "label_created", events.mapped(lambda e: (e.payload or {}).get("carrier_status"))
        )

    def test_open_picking_is_not_moved(self):
        with freeze_time(SHIPPED):
            order = self.create_sale([(self.product_1, 1)])
        picking = self.outgoing(order)
        picking.carrier_tracking_ref = "WM-FLOW-7"
        self.assertEqual(self.update("WM-FLOW-7", "in_transit", at(10)), picking)
        self.assertEqual(self.instance_of(picking).stage_id.code, "ready")
        self.assertFalse(picking.workflow_carrier_status)
        # validated later: done, then the carrier moves it
        with freeze_time(at(11)):
            self.deliver(picking)
        self.assertEqual(self.instance_of(picking).stage_id.code, "done")

    def test_users_cannot_forge_the_carrier_status(self):
        picking = self.shipped("WM-FLOW-10")
        user = self.env["res.users"].create(
            {
                "name": "WM carrier stock user",
                "login": "wm_carrier_stock_user",
                "groups_id": [(6, 0, [self.env.ref("stock.group_stock_manager").id])],
            }
        )
        for vals in (
            {"workflow_carrier_status": "delivered"},
            {"workflow_delivered_at": at(10)},
        ):
            with self.assertRaises(AccessError):
                picking.with_user(user).write(vals)
        with self.assertRaises(AccessError):
            self.env["stock.picking"].with_user(user).create(
                {
                    "picking_type_id": self.wh_a.out_type_id.id,
                    "workflow_carrier_status": "delivered",
                }
            )
        picking.with_user(user).write({"carrier_tracking_ref": "WM-FLOW-10b"})  # allowed
        self.assertFalse(picking.workflow_carrier_status)

    def test_unknown_reference_raises_a_clear_error(self):
        with self.assertRaises(UnknownReferenceError) as caught:
            self.update("WM-NOPE", "in_transit", at(10))
        self.assertIn("WM-NOPE", str(caught.exception))
        self.assertIn("data.tracking_ref", str(caught.exception))
        self.assertEqual(caught.exception.field, "data.tracking_ref")

    def test_several_pickings_with_one_reference_take_the_latest(self):
        first = self.shipped("WM-FLOW-8", when=at(8))
        second = self.shipped("WM-FLOW-8", when=at(9))
        self.assertEqual(self.update("WM-FLOW-8", "in_transit", at(10)), second)
        self.assertEqual(self.instance_of(first).stage_id.code, "done")

    def test_other_company_is_never_matched(self):
        company_b = self.env["res.company"].create({"name": "WM Carrier B"})
        self.env.user.company_ids |= company_b
        warehouse_b = self.env["stock.warehouse"].search([("company_id", "=", company_b.id)])
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=[company_b.id]))
        self.env["stock.quant"].with_env(env_b)._update_available_quantity(
            self.product_1, warehouse_b.lot_stock_id, 5
        )
        with freeze_time(SHIPPED):
            picking_b = (
                self.env["stock.picking"]
                .with_env(env_b)
                .create(
                    {
                        "picking_type_id": warehouse_b.out_type_id.id,
                        "partner_id": self.customer.id,
                        "company_id": company_b.id,
                        "carrier_tracking_ref": "WM-FLOW-9",
                        "move_ids": [
                            (
                                0,
                                0,
                                {
                                    "name": "WM carrier B",
                                    "product_id": self.product_1.id,
                                    "product_uom_qty": 1,
                                    "product_uom": self.product_1.uom_id.id,
                                    "location_id": warehouse_b.lot_stock_id.id,
                                    "location_dest_id": self.env.ref(
                                        "stock.stock_location_customers"
                                    ).id,
                                    "company_id": company_b.id,
                                },
                            )
                        ],
                    }
                )
            )
            picking_b.action_confirm()
            picking_b.action_assign()
            self.deliver(picking_b)
        # only company B has the reference: company A's integration finds nothing
        with self.assertRaises(UnknownReferenceError):
            self.update("WM-FLOW-9", "delivered", at(10))
        self.assertEqual(self.instance_of(picking_b).stage_id.code, "done")
        # both have it: each company's update moves its own picking only
        picking_a = self.shipped("WM-FLOW-9")
        self.assertEqual(self.update("WM-FLOW-9", "delivered", at(10)), picking_a)
        self.assertEqual(self.instance_of(picking_b).stage_id.code, "done")
        self.assertFalse(picking_b.workflow_carrier_status)
        self.assertEqual(
            self.update("WM-FLOW-9", "in_transit", at(11), company=company_b), picking_b
        )
        self.assertEqual(self.instance_of(picking_a).stage_id.code, "delivered")
        self.assertEqual(self.instance_of(picking_b).stage_id.code, "in_transit")
