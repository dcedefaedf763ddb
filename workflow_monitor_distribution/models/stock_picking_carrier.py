# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What the carrier last said about an outgoing picking (``carrier.status`` webhooks,
applied by ``workflow_instance_carrier.py``), and the delivery stage it gives.

A picking is ``done`` when it is shipped; its carrier then moves its delivery flow to
``in_transit`` and ``delivered``. The stage fields below keep that stage when Odoo
recomputes the picking's state later (a done move edited, a return): the capture reads
them from the picking's own row, no query."""

from odoo import fields, models

CARRIER_STATUSES = [
    ("in_transit", "In Transit"),
    ("delivered", "Delivered"),
    ("failed", "Delivery Failed"),
]
# delivery stage of a shipped picking for each carrier status (failed: still with the
# carrier, a next attempt or the way back)
CARRIER_STAGES = {"in_transit": "in_transit", "delivered": "delivered", "failed": "in_transit"}


class StockPickingCarrier(models.Model):
    _inherit = "stock.picking"

    # matched by the carrier webhooks of the picking's company
    carrier_tracking_ref = fields.Char(index="btree_not_null")
    workflow_carrier_status = fields.Selection(
        CARRIER_STATUSES,
        string="Carrier Status",
        readonly=True,
        copy=False,
        help="What the carrier's tracking webhooks last said about this delivery.",
    )
    workflow_carrier_status_at = fields.Datetime(string="Carrier Update", readonly=True, copy=False)
    workflow_delivered_at = fields.Datetime(
        string="Delivered to Customer",
        readonly=True,
        copy=False,
        help="When the carrier delivered the parcel, as the carrier reports it.",
    )

    def _workflow_stage_code(self, *args, **kwargs):
        """A shipped picking whose carrier reported on it stays in the carrier's stage
        (``in_transit`` / ``delivered``), whatever recomputes its state."""
        codes = super()._workflow_stage_code(*args, **kwargs)
        for picking, code in codes.items():
            status = picking.workflow_carrier_status
            if code == "done" and status and picking.picking_type_code == "outgoing":
                codes[picking] = CARRIER_STAGES[status]
        return codes
