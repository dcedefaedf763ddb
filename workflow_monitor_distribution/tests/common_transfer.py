# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields

from .common import DistributionCommon

TRANSFER = "inter_warehouse_transfer"


class TransferCommon(DistributionCommon):
    """Two warehouses resupplying each other through the company's transit location
    (Odoo's resupply routes, ``resupply_wh_ids``): warehouse B is resupplied from A
    (product ``product_ab``) and A from B (product ``product_ba``). A procurement at the
    receiving warehouse creates the two pickings of a transfer: the shipment
    (supplying stock -> transit, the flow's document) and the receipt (transit ->
    receiving stock, its ``move_orig_ids`` the shipment's moves)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.definition_transfer = cls.env.ref(
            "workflow_monitor_distribution.definition_inter_warehouse_transfer"
        )
        cls.wh_b.resupply_wh_ids = [fields.Command.set(cls.wh_a.ids)]
        cls.wh_a.resupply_wh_ids = [fields.Command.set(cls.wh_b.ids)]
        cls.route_ab = cls.wh_b.resupply_route_ids
        cls.route_ba = cls.wh_a.resupply_route_ids
        cls.product_ab = cls.make_product("WM Transfer A->B", cls.route_ab)
        cls.product_ba = cls.make_product("WM Transfer B->A", cls.route_ba)

    @classmethod
    def make_product(cls, name, routes):
        return cls.env["product.product"].create(
            {
                "name": name,
                "is_storable": True,
                "type": "consu",
                "list_price": 10.0,
                "route_ids": [fields.Command.set(routes.ids)],
            }
        )

    def request_transfer(self, product, qty, warehouse, date_planned=None, env=None):
        """Procure ``qty`` of ``product`` at ``warehouse`` (the receiving one); return the
        shipment and the receipt Odoo creates."""
        env = env or self.env
        Group = env["procurement.group"]
        group = Group.create({"name": f"WM transfer {product.name}"})
        Procurement = Group.Procurement
        Group.run(
            [
                Procurement(
                    product,
                    qty,
                    product.uom_id,
                    warehouse.lot_stock_id,
                    "WM transfer",
                    "WM transfer",
                    warehouse.company_id,
                    {
                        "warehouse_id": warehouse,
                        "group_id": group,
                        "date_planned": date_planned or fields.Datetime.now(),
                    },
                )
            ]
        )
        self.run_deferred()
        pickings = env["stock.picking"].search([("group_id", "=", group.id)])
        shipment = pickings.filtered(lambda p: p.location_dest_id.usage == "transit")
        receipt = pickings - shipment
        self.assertEqual(len(shipment), 1, "one shipment to transit")
        self.assertEqual(len(receipt), 1, "one receipt from transit")
        return shipment, receipt

    def transfer_instance(self, shipment):
        return self.instance_of(shipment, self.definition_transfer)
