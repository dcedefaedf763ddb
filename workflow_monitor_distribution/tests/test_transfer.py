# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common_transfer import TRANSFER, TransferCommon

S = datetime(2030, 6, 3, 9, 0)  # a Monday
H = timedelta(hours=1)


@tagged("post_install", "-at_install")
class TestTransferFlow(TransferCommon):
    """The inter_warehouse_transfer flow through Odoo's resupply routes: stages and
    events in order, fed by the receipt; the cancel path; internal pickings between
    two warehouses; SLA policies per warehouse pair; one company's transfers never
    mixed with another's."""

    def test_resupply_flow_stages_and_events(self):
        self.add_stock(self.product_ab, self.wh_a, 10)
        with freeze_time(S):
            shipment, receipt = self.request_transfer(self.product_ab, 4, self.wh_b)
        # the chain Odoo built: A/Stock -> transit (A's delivery type) -> B/Stock
        self.assertEqual(shipment.picking_type_id, self.wh_a.out_type_id)
        self.assertEqual(shipment.location_dest_id, self.company.internal_transit_location_id)
        self.assertEqual(receipt.picking_type_id, self.wh_b.in_type_id)
        self.assertEqual(receipt.move_ids.move_orig_ids, shipment.move_ids)
        self.assertEqual(shipment.workflow_dest_warehouse_id, self.wh_b)
        self.assertFalse(receipt.workflow_dest_warehouse_id)
        instance = self.transfer_instance(shipment)
        self.assertEqual(instance.stage_id.code, "ready")  # reserved at confirmation
        self.assertEqual(instance.node_ref, self.node(self.wh_a))
        self.assertEqual(instance.company_id, self.company)
        # a transfer is not a delivery; the receipt has no flow of its own
        self.assertFalse(self.instance_of(shipment, self.definition_delivery))
        self.assertFalse(
            self.env["workflow.instance"].search(
                [("res_model", "=", "stock.picking"), ("res_id", "=", receipt.id)]
            )
        )
        self.assertEqual(
            shipment._workflow_definition_code(), {shipment: TRANSFER}, "shipment's flow"
        )

        with freeze_time(S + 2 * H):
            self.deliver(shipment)
        self.assertEqual(receipt.state, "assigned")
        self.assertEqual(instance.stage_id.code, "in_transit")
        self.assertEqual(instance.state, "running")
        with freeze_time(S + 30 * H):
            self.deliver(receipt)
        self.assertEqual(instance.stage_id.code, "received")
        self.assertEqual(instance.state, "done")
        self.assertEqual(instance.ended_at, S + 30 * H)
        events = self.stage_events(shipment)
        self.assertEqual(
            [(e.stage_to_id.code, e.occurred_at) for e in events],
            [
                ("requested", S),
                ("ready", S),
                ("in_transit", S + 2 * H),
                ("received", S + 30 * H),
            ],
        )
        self.assertEqual(events.definition_id, self.definition_transfer)
        self.assertEqual(events[-1].duration_seconds, 28 * 3600)
        # the receipt moved the flow: it is linked to the event it caused
        self.assertIn(
            {"model": "stock.picking", "id": receipt.id}, events[-1].related_documents or []
        )

    def test_waiting_for_stock_then_partial_receipt(self):
        with freeze_time(S):
            shipment, receipt = self.request_transfer(self.product_ab, 5, self.wh_b)
        instance = self.transfer_instance(shipment)
        self.assertEqual(instance.stage_id.code, "requested")
        self.add_stock(self.product_ab, self.wh_a, 5)
        with freeze_time(S + H):
            shipment.action_assign()
            self.run_deferred()
        self.assertEqual(instance.stage_id.code, "ready")
        with freeze_time(S + 2 * H):
            self.deliver(shipment)
        # 3 of 5 received: the backorder receipt keeps the transfer in transit
        with freeze_time(S + 3 * H):
            backorder = self.deliver(receipt, {self.product_ab: 3})
        self.assertTrue(backorder)
        self.assertEqual(backorder.move_ids.move_orig_ids, shipment.move_ids)
        self.assertEqual(instance.stage_id.code, "in_transit")
        with freeze_time(S + 4 * H):
            self.deliver(backorder)
        self.assertEqual(instance.stage_id.code, "received")
        self.assertEqual(
            self.stage_codes(shipment), ["requested", "ready", "in_transit", "received"]
        )

    def test_sale_at_receiving_warehouse(self):
        """A made-to-order sale at B: delivery from B, waiting for the transfer from A
        (shipment, receipt); each document follows its own flow."""
        mto = self.env.ref("stock.route_warehouse0_mto")
        mto.active = True
        product = self.make_product("WM Transfer MTO", self.route_ab | mto)
        product.invoice_policy = "delivery"
        self.add_stock(product, self.wh_a, 10)
        with freeze_time(S):
            order = self.create_sale([(product, 2)], warehouse=self.wh_b)
        delivery = self.outgoing(order).filtered(lambda p: p.location_id == self.wh_b.lot_stock_id)
        shipment = self.outgoing(order) - delivery
        receipt = order.picking_ids - delivery - shipment
        self.assertEqual(shipment.location_dest_id.usage, "transit")
        self.assertEqual(receipt.picking_type_id, self.wh_b.in_type_id)
        self.assertEqual(shipment.workflow_dest_warehouse_id, self.wh_b)
        self.assertEqual(self.transfer_instance(shipment).stage_id.code, "ready")
        self.assertEqual(self.instance_of(delivery).stage_id.code, "waiting")
        with freeze_time(S + H):
            self.deliver(shipment)
        with freeze_time(S + 5 * H):
            self.deliver(receipt)
        self.assertEqual(delivery.state, "assigned")
        with freeze_time(S + 6 * H):
            self.deliver(delivery)
        self.assertEqual(
            self.stage_codes(shipment), ["requested", "ready", "in_transit", "received"]
        )
        self.assertEqual(self.stage_codes(delivery), ["waiting", "ready", "done"])
        self.assertEqual(self.instance_of(order).stage_id.code, "shipped")
        # the line is delivered once: by the customer delivery, not by the shipment
        fill_rate = self.env.ref("workflow_monitor_distribution.kpi_fill_rate")
        day = S.replace(hour=0)
        rows = {
            row["node_ref"]: row
            for row in fill_rate._compute_values(day, day + timedelta(days=1))
            if row["company_id"] == self.company.id
        }
        self.assertEqual(set(rows), {"", self.node(self.wh_b)})
        self.assertEqual((rows[""]["numerator"], rows[""]["denominator"]), (2, 2))

    def test_cancel(self):
        self.add_stock(self.product_ab, self.wh_a, 10)
        with freeze_time(S):
            shipment, _receipt = self.request_transfer(self.product_ab, 4, self.wh_b)
        with freeze_time(S + H):
            shipment.action_cancel()
            self.run_deferred()
        instance = self.transfer_instance(shipment)
        self.assertEqual((instance.stage_id.code, instance.state), ("cancelled", "cancelled"))
        self.assertEqual(self.stage_codes(shipment), ["requested", "ready", "cancelled"])

    def test_internal_picking_between_warehouses(self):
        self.add_stock(self.product_1, self.wh_a, 10)
        Picking = self.env["stock.picking"]

        def internal(dest):
            picking = Picking.create(
                {
                    "picking_type_id": self.wh_a.int_type_id.id,
                    "location_id": self.wh_a.lot_stock_id.id,
                    "location_dest_id": dest.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": "WM internal",
                                "product_id": self.product_1.id,
                                "product_uom_qty": 2,
                                "location_id": self.wh_a.lot_stock_id.id,
                                "location_dest_id": dest.id,
                            }
                        )
                    ],
                }
            )
            picking.action_confirm()
            self.run_deferred()
            return picking

        with freeze_time(S):
            between = internal(self.wh_b.lot_stock_id)
            within = internal(self.wh_a.wh_input_stock_loc_id)
        self.assertEqual(between.workflow_dest_warehouse_id, self.wh_b)
        self.assertFalse(within.workflow_dest_warehouse_id)
        self.assertFalse(self.stage_events(within), "a move inside a warehouse is no transfer")
        with freeze_time(S + 3 * H):
            self.deliver(between)
        self.assertEqual(self.stage_codes(between), ["requested", "ready", "received"])
        self.assertEqual(self.transfer_instance(between).state, "done")

    def test_transfer_status_cannot_be_set(self):
        """A stock user cannot hide a transfer by writing its computed status, on an
        existing picking or at creation."""
        with freeze_time(S):
            shipment, _receipt = self.request_transfer(self.product_ab, 1, self.wh_b)
        user = self.env["res.users"].create(
            {
                "name": "WM Stock User",
                "login": "wm_transfer_stock_user",
                "groups_id": [Command.set(self.env.ref("stock.group_stock_user").ids)],
            }
        )
        for vals in (
            {"workflow_transfer_stage": "received"},
            {"workflow_dest_warehouse_id": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                shipment.with_user(user).write(vals)
        with self.assertRaises(UserError):
            self.env["stock.picking"].with_user(user).create(
                {
                    "picking_type_id": self.wh_a.out_type_id.id,
                    "location_id": self.wh_a.lot_stock_id.id,
                    "location_dest_id": self.company.internal_transit_location_id.id,
                    "workflow_transfer_stage": "received",
                }
            )
        self.assertEqual(shipment.workflow_transfer_stage, "requested")
        with freeze_time(S + 10 * H):
            self.detect("transfer_delay")
        self.assertTrue(self.exceptions_of("transfer_delay", shipment), "still seen")

    def test_process_map(self):
        self.add_stock(self.product_ab, self.wh_a, 10)
        with freeze_time(S):
            shipment, receipt = self.request_transfer(self.product_ab, 1, self.wh_b)
        with freeze_time(S + H):
            self.deliver(shipment)
        with freeze_time(S + 3 * H):
            self.deliver(receipt)
        process = self.env["workflow.definition"].get_process_map(
            TRANSFER,
            {"company_ids": self.company.ids, "date_from": S.date(), "date_to": S.date()},
        )
        edges = {(edge["from"], edge["to"]): edge for edge in process["edges"]}
        self.assertEqual(edges[("in_transit", "received")]["median_seconds"], 2 * 3600)
        self.assertTrue(
            {"requested", "ready", "in_transit", "received"}.issubset(
                {node["stage"] for node in process["nodes"]}
            )
        )


@tagged("post_install", "-at_install")
class TestTransferSla(TransferCommon):
    """SLA policies per warehouse pair: at the same sequence the pair beats the
    supplying warehouse alone, which beats the policy of every warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wh_c = cls.env["stock.warehouse"].create(
            {"name": "WM Dist C", "code": "WMC", "company_id": cls.company.id}
        )
        cls.wh_c.resupply_wh_ids = [Command.set(cls.wh_a.ids)]
        cls.product_ac = cls.make_product("WM Transfer A->C", cls.wh_c.resupply_route_ids)
        stage = cls.env.ref("workflow_monitor_distribution.stage_transfer_in_transit")
        Policy = cls.env["workflow.sla.policy"]
        common = {"definition_id": cls.definition_transfer.id, "stage_id": stage.id}
        cls.any_lane = Policy.create(dict(common, name="Any lane", target_hours=30, sequence=5))
        cls.from_a = Policy.create(
            dict(common, name="From A", warehouse_id=cls.wh_a.id, target_hours=20, sequence=5)
        )
        cls.a_to_b = Policy.create(
            dict(
                common,
                name="A to B",
                warehouse_id=cls.wh_a.id,
                dest_warehouse_id=cls.wh_b.id,
                target_hours=10,
                sequence=5,
            )
        )

    def shipped(self, product, warehouse, supplier):
        self.add_stock(product, supplier, 5)
        with freeze_time(S):
            shipment, _receipt = self.request_transfer(product, 1, warehouse)
            self.deliver(shipment)
        return self.transfer_instance(shipment)

    def test_pair_beats_source_beats_default(self):
        cases = (
            (self.product_ab, self.wh_b, self.wh_a, self.a_to_b, 10),  # lane A -> B
            (self.product_ac, self.wh_c, self.wh_a, self.from_a, 20),  # from A, no lane
            (self.product_ba, self.wh_a, self.wh_b, self.any_lane, 30),  # from B
        )
        for product, warehouse, supplier, policy, hours in cases:
            with self.subTest(policy=policy.name):
                instance = self.shipped(product, warehouse, supplier)
                self.assertEqual(instance.stage_id.code, "in_transit")
                self.assertEqual(instance.sla_policy_id, policy)
                self.assertEqual(instance.sla_deadline, S + hours * H)

    def test_lower_sequence_still_wins(self):
        """Specificity only breaks ties: a policy of every lane with a lower sequence
        comes first."""
        self.any_lane.sequence = 1
        instance = self.shipped(self.product_ab, self.wh_b, self.wh_a)
        self.assertEqual(instance.sla_policy_id, self.any_lane)

    def test_shipped_default_without_own_policies(self):
        (self.any_lane | self.from_a | self.a_to_b).active = False
        instance = self.shipped(self.product_ab, self.wh_b, self.wh_a)
        self.assertEqual(
            instance.sla_policy_id,
            self.env.ref("workflow_monitor_distribution.sla_transfer_in_transit_default"),
        )
        self.assertEqual(instance.sla_deadline, S + 48 * H)

    def test_destination_constraints(self):
        with self.assertRaises(ValidationError):
            self.a_to_b.dest_warehouse_id = self.wh_a  # same warehouse at both ends
        with self.assertRaises(ValidationError):
            self.env["workflow.sla.policy"].create(
                {
                    "name": "Lane on orders",
                    "definition_id": self.definition_o2c.id,
                    "stage_id": self.env.ref(
                        "workflow_monitor_distribution.stage_o2c_confirmed"
                    ).id,
                    "dest_warehouse_id": self.wh_b.id,
                }
            )


@tagged("post_install", "-at_install")
class TestTransferMultiCompany(TransferCommon):
    def test_companies_never_mixed(self):
        company_2 = self.env["res.company"].create({"name": "WM Transfer Co 2"})
        self.env.user.company_ids |= company_2
        env_2 = self.env(context=dict(self.env.context, allowed_company_ids=[company_2.id]))
        Warehouse = self.env["stock.warehouse"].with_env(env_2)
        supplier = Warehouse.search([("company_id", "=", company_2.id)], limit=1)
        receiver = Warehouse.create(
            {
                "name": "WM Co2 Receiver",
                "code": "WM2R",
                "company_id": company_2.id,
                "resupply_wh_ids": [Command.set(supplier.ids)],
            }
        )
        product = self.make_product("WM Transfer Co2", receiver.resupply_route_ids)
        self.env["stock.quant"].with_env(env_2)._update_available_quantity(
            product, supplier.lot_stock_id, 5
        )
        self.add_stock(self.product_ab, self.wh_a, 5)
        with freeze_time(S):
            ours, our_receipt = self.request_transfer(self.product_ab, 1, self.wh_b)
            theirs, their_receipt = self.request_transfer(product, 1, receiver, env=env_2)
        self.assertEqual(theirs.company_id, company_2)
        self.assertEqual(theirs.location_dest_id, company_2.internal_transit_location_id)
        self.assertEqual(self.transfer_instance(theirs).company_id, company_2)
        self.assertEqual(self.transfer_instance(theirs).node_ref, self.node(supplier))
        with freeze_time(S + 10 * H):
            self.detect("transfer_delay")
        mine = self.exceptions_of("transfer_delay", ours)
        other = self.exceptions_of("transfer_delay", theirs)
        self.assertEqual((mine.company_id, other.company_id), (self.company, company_2))
        # a workflow user of the first company sees its exception only
        user = self.env["res.users"].create(
            {
                "name": "WM Transfer User",
                "login": "wm_transfer_user",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref("workflow_monitor_base.group_workflow_user").id,
                        ]
                    )
                ],
            }
        )
        visible = (
            self.env["workflow.exception"]
            .with_user(user)
            .search([("category_id.code", "=", "transfer_delay")])
        )
        self.assertIn(mine.id, visible.ids)
        self.assertNotIn(other.id, visible.ids)
        # the KPI of each company counts its own transfers
        with freeze_time(S + 11 * H):
            self.deliver(ours)
            self.deliver(theirs.with_env(env_2))
        with freeze_time(S + 12 * H):
            self.deliver(our_receipt)
        with freeze_time(S + 13 * H):
            self.deliver(their_receipt.with_env(env_2))
        kpi = self.env.ref("workflow_monitor_distribution.kpi_transfer_cycle_time")
        day = S.replace(hour=0)
        rows = kpi._compute_values(day, day + timedelta(days=1))
        self.assertEqual(
            {(row["company_id"], row["node_ref"], row["value"]) for row in rows},
            {
                (self.company.id, "", 12.0),
                (self.company.id, self.node(self.wh_a), 12.0),
                (company_2.id, "", 13.0),
                (company_2.id, self.node(supplier), 13.0),
            },
        )
