# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.workflow_monitor_base.models.workflow_tracked_mixin import TOUCHED_KEY

TRANSFER = "inter_warehouse_transfer"
# computed from the moves only: a client setting them would hide a late transfer
COMPUTED_ONLY = frozenset(("workflow_transfer_stage", "workflow_dest_warehouse_id"))
TRANSFER_STAGES = [
    ("requested", "Requested"),
    ("ready", "Ready"),
    ("in_transit", "In Transit"),
    ("received", "Received"),
    ("cancelled", "Cancelled"),
]


class StockPicking(models.Model):
    """The ``inter_warehouse_transfer`` flow of pickings moving stock between two
    warehouses of one company.

    The flow's document is the picking that leaves the supplying warehouse: an outgoing
    picking to a transit location of its company (Odoo's resupply routes,
    ``stock.warehouse.resupply_wh_ids``: supplying warehouse -> company transit ->
    receiving warehouse), or an internal picking whose source and destination belong to
    two different warehouses. The receipt from transit at the receiving warehouse moves
    that instance (its moves' ``move_orig_ids``, the shipment's ``move_dest_ids``):
    received = every move out of transit of the chain done. Outgoing pickings to the
    inter-company transit location stay deliveries (the other company receives them).
    Node: the supplying warehouse (``_workflow_node_ref`` of stock_picking.py); the
    receiving one is ``workflow_dest_warehouse_id``.
    """

    _inherit = "stock.picking"

    # Stored, computed from the chain Odoo builds and moves (a column of the picking row,
    # read by capture without a query): the SLA policies of a warehouse pair match on the
    # destination while capture applies stage changes, the transfer detector and the KPI
    # read both in SQL. The receipt's moves reach the shipment through the ORM's own
    # dependency (their ``move_orig_ids``), in the business flow: capture then only
    # notes the recomputed stage (see _compute_field_value).
    workflow_dest_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Destination Warehouse",
        compute="_compute_workflow_transfer",
        store=True,
        index="btree_not_null",
        help="Inter-warehouse transfers: the warehouse receiving the goods (the receipt from "
        "transit, or the destination of an internal picking between two warehouses).",
    )
    workflow_transfer_stage = fields.Selection(
        TRANSFER_STAGES,
        string="Transfer Status",
        compute="_compute_workflow_transfer",
        store=True,
        index="btree_not_null",
        help="Inter-warehouse transfers: requested, ready to ship, in transit (shipped, a "
        "receipt from transit still open), received at the destination, or cancelled.",
    )

    @api.depends(
        "state",
        "picking_type_id.code",
        "picking_type_id.warehouse_id",
        "company_id",
        "location_id.warehouse_id",
        "location_dest_id.usage",
        "location_dest_id.company_id",
        "location_dest_id.warehouse_id",
        "move_ids.move_dest_ids.state",
        "move_ids.move_dest_ids.location_id.usage",
        "move_ids.move_dest_ids.location_dest_id.warehouse_id",
    )
    def _compute_workflow_transfer(self):
        Warehouse = self.env["stock.warehouse"]
        for picking in self:
            kind = picking._workflow_transfer_kind()
            dest, stage = Warehouse, False
            if kind == "transit":
                receipts = picking._workflow_transfer_receipt_moves()
                receiving = receipts.location_dest_id.warehouse_id
                dest = receiving - picking.picking_type_id.warehouse_id
                stage = picking._workflow_transfer_stage_of(receipts)
            elif kind == "internal":
                dest = picking.location_dest_id.warehouse_id
                stage = picking._workflow_transfer_stage_of(None)
            picking.workflow_dest_warehouse_id = dest[:1]
            picking.workflow_transfer_stage = stage

    def _workflow_transfer_stage_of(self, receipt_moves):
        """The stage of a transfer; ``receipt_moves``: its moves out of transit (None for
        an internal picking, received when done)."""
        self.ensure_one()
        if self.state == "cancel":
            return "cancelled"
        if self.state == "done":
            if receipt_moves is None:
                return "received"
            live = receipt_moves.filtered(lambda m: m.state != "cancel")
            received = live and all(move.state == "done" for move in live)
            return "received" if received else "in_transit"
        return "ready" if self.state == "assigned" else "requested"

    def _workflow_transfer_receipt_moves(self):
        """The moves (any state) that take the goods of a shipment out of transit."""
        self.ensure_one()
        return self.move_ids.move_dest_ids.filtered(lambda m: m.location_id.usage == "transit")

    def _compute_field_value(self, field):
        result = super()._compute_field_value(field)
        computed = self.pool.field_computed.get(field, [field])
        if self._fields["workflow_transfer_stage"] in computed and self._workflow_capture_enabled():
            # the stage of a transfer moved (its shipment, or a receipt out of transit):
            # observed before commit; the receipts of a received one moved it
            self._workflow_mark_dirty()
            self._workflow_note_receipts()
        return result

    def _workflow_note_receipts(self):
        """Link the done receipts of the received transfers of ``self`` to their next
        stage event (``related_documents``), from the moves the compute read."""
        touched = self.env.cr.precommit.data.setdefault(TOUCHED_KEY, {})
        for picking in self.filtered(lambda p: p.workflow_transfer_stage == "received"):
            receipts = (
                picking._workflow_transfer_receipt_moves()
                .filtered(lambda m: m.state == "done")
                .picking_id
            )
            documents = touched.setdefault((picking._name, picking.id), {})
            for receipt in receipts:
                documents[(receipt._name, receipt.id)] = None

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._workflow_check_transfer_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._workflow_check_transfer_vals(vals)
        return super().write(vals)

    def _workflow_check_transfer_vals(self, vals):
        """Refuse values of the computed transfer fields (the ORM writes them through its
        recomputation, never through create/write): given by a client, they would stick
        and hide a transfer from its flow and its detector."""
        if not self.env.su and not COMPUTED_ONLY.isdisjoint(vals):
            raise UserError(
                _(
                    "Transfer Status and Destination Warehouse of a picking are computed "
                    "from its moves; they cannot be set."
                )
            )

    # ------------------------------------------------------------
    # FLOW
    # ------------------------------------------------------------

    def _workflow_definition_code(self):
        """Transfers between warehouses follow their own flow, not the delivery one."""
        codes = super()._workflow_definition_code()
        codes.update({picking: TRANSFER for picking in self if picking.workflow_transfer_stage})
        return codes

    def _workflow_transfer_kind(self):
        """``"transit"`` (shipped to the company's transit location), ``"internal"``
        (an internal picking between two warehouses) or False (not a transfer)."""
        self.ensure_one()
        code = self.picking_type_id.code
        if code == "outgoing":
            dest = self.location_dest_id
            to_transit = dest.usage == "transit" and dest.company_id == self.company_id
            return "transit" if to_transit else False
        if code == "internal":
            source = self.location_id.warehouse_id
            dest = self.location_dest_id.warehouse_id
            return "internal" if source and dest and source != dest else False
        return False

    def _workflow_stage_code_inter_warehouse_transfer(self):
        """requested (created, waiting), ready (reserved), in_transit (shipped, a receipt
        from transit still open), received, cancelled: the stored Transfer Status."""
        return {picking: picking.workflow_transfer_stage for picking in self}

    def _workflow_dest_warehouse(self):
        """{picking: receiving warehouse} (SLA policies of a warehouse pair)."""
        return {picking: picking.workflow_dest_warehouse_id for picking in self}
