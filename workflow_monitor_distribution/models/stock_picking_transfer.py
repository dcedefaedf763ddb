# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

TRANSFER = "inter_warehouse_transfer"


class StockPicking(models.Model):
    """The ``inter_warehouse_transfer`` flow of pickings moving stock between two
    warehouses of one company.

    The flow's document is the picking that leaves the supplying warehouse: an outgoing
    picking to a transit location of its company (Odoo's resupply routes,
    ``stock.warehouse.resupply_wh_ids``: supplying warehouse -> company transit ->
    receiving warehouse), or an internal picking whose source and destination belong to
    two different warehouses. The receipt from transit at the receiving warehouse feeds
    that instance (its moves' ``move_orig_ids``): received = every receipt of the chain
    done. Outgoing pickings to the inter-company transit location stay deliveries (the
    other company receives them). Node: the supplying warehouse (``_workflow_node_ref``
    of stock_picking.py); the receiving one is ``workflow_dest_warehouse_id``.
    """

    _inherit = "stock.picking"

    # Stored: the SLA policies of a warehouse pair match on it while capture applies
    # stage changes (a column of the picking row, no query), and the transfer detector
    # and KPI group by it in SQL. Computed from the chain Odoo builds when it creates
    # the pickings, so it costs the business flow a compute, not the capture.
    workflow_dest_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Destination Warehouse",
        compute="_compute_workflow_dest_warehouse_id",
        store=True,
        index="btree_not_null",
        help="Inter-warehouse transfers: the warehouse receiving the goods (the receipt from "
        "transit, or the destination of an internal picking between two warehouses).",
    )

    @api.depends(
        "picking_type_id.code",
        "picking_type_id.warehouse_id",
        "company_id",
        "location_id.warehouse_id",
        "location_dest_id.usage",
        "location_dest_id.company_id",
        "location_dest_id.warehouse_id",
        "move_ids.move_dest_ids.location_dest_id.warehouse_id",
    )
    def _compute_workflow_dest_warehouse_id(self):
        for picking in self:
            kind = picking._workflow_transfer_kind()
            if kind == "transit":
                receiving = picking.move_ids.move_dest_ids.location_dest_id.warehouse_id
                dest = receiving - picking.picking_type_id.warehouse_id
            elif kind == "internal":
                dest = picking.location_dest_id.warehouse_id
            else:
                dest = self.env["stock.warehouse"]
            picking.workflow_dest_warehouse_id = dest[:1]

    # ------------------------------------------------------------
    # FLOW
    # ------------------------------------------------------------

    def _workflow_definition_code(self):
        """Transfers between warehouses follow their own flow, not the delivery one."""
        codes = super()._workflow_definition_code()
        codes.update({picking: TRANSFER for picking in self if picking._workflow_transfer_kind()})
        return codes

    def _workflow_transfer_kind(self):
        """``"transit"`` (shipped to the company's transit location), ``"internal"``
        (an internal picking between two warehouses) or False (not a transfer)."""
        self.ensure_one()
        code = self.picking_type_id.code
        if code == "outgoing":
            dest = self.location_dest_id
            return (
                "transit" if dest.usage == "transit" and dest.company_id == self.company_id else False
            )
        if code == "internal":
            source = self.location_id.warehouse_id
            dest = self.location_dest_id.warehouse_id
            return "internal" if source and dest and source != dest else False
        return False

    def _workflow_stage_code_inter_warehouse_transfer(self):
        """requested (created, waiting), ready (reserved), in_transit (shipped, a receipt
        still open), received, cancelled."""
        codes = {}
        for picking in self:
            if picking.state == "cancel":
                codes[picking] = "cancelled"
            elif picking.state == "done":
                receipts = picking._workflow_transfer_receipts()
                received = picking._workflow_transfer_kind() == "internal" or (
                    receipts and all(receipt.state == "done" for receipt in receipts)
                )
                codes[picking] = "received" if received else "in_transit"
            elif picking.state == "assigned":
                codes[picking] = "ready"
            else:
                codes[picking] = "requested"
        return codes

    def _workflow_transfer_receipts(self):
        """The receipts (not cancelled) that take the goods of a shipment out of transit."""
        self.ensure_one()
        return self.move_ids.move_dest_ids.picking_id.filtered(
            lambda p: p.state != "cancel" and p.location_id.usage == "transit"
        )

    def _workflow_capture(self):
        """A receipt from its company's transit location moves the transfer flow of the
        shipments it receives (an inter-company receipt reads nothing of the other
        company)."""
        super()._workflow_capture()
        receipts = self.filtered(
            lambda p: p.picking_type_id.code == "incoming"
            and p.location_id.usage == "transit"
            and p.location_id.company_id == p.company_id
        )
        receipts._workflow_feed(lambda receipt: receipt._workflow_transfer_shipments())

    def _workflow_transfer_shipments(self):
        """The transfers of the receipt's company whose goods the receipt receives."""
        self.ensure_one()
        shipments = self.move_ids.move_orig_ids.picking_id
        return shipments.filtered(
            lambda p: p.company_id == self.company_id and p._workflow_transfer_kind()
        )

    def _workflow_dest_warehouse(self):
        """{picking: receiving warehouse} (SLA policies of a warehouse pair)."""
        return {picking: picking.workflow_dest_warehouse_id for picking in self}
