# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What the carrier last said about an outgoing picking (``carrier.status`` webhooks,
applied by ``workflow_instance_carrier.py``), and the delivery stage it gives.

A picking is ``done`` when it is shipped; its carrier then moves its delivery flow to
``in_transit`` and ``delivered``. The stage fields below keep that stage when Odoo
recomputes the picking's state later (a done move edited, a return): the capture reads
them from the picking's own row, no query."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

CARRIER_STATUSES = [
    ("in_transit", "In Transit"),
    ("delivered", "Delivered"),
    ("failed", "Delivery Failed"),
]
# delivery stage of a shipped picking for each carrier status (failed: still with the
# carrier, a next attempt or the way back)
CARRIER_STAGES = {"in_transit": "in_transit", "delivered": "delivered", "failed": "in_transit"}
# written by the carrier hook only (as the superuser): what the carrier said
CARRIER_FIELDS = frozenset(
    {"workflow_carrier_status", "workflow_carrier_status_at", "workflow_delivered_at"}
)


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

    @api.model_create_multi
    def create(self, vals_list):
        self._check_carrier_fields(set().union(*vals_list) if vals_list else set())
        return super().create(vals_list)

    def write(self, vals):
        self._check_carrier_fields(vals)
        return super().write(vals)

    def _check_carrier_fields(self, fnames):
        """The carrier's status moves the delivery flow: only its webhooks set it
        (engine code, as the superuser), never a user, whatever their rights."""
        if not self.env.su and not CARRIER_FIELDS.isdisjoint(fnames):
            raise AccessError(
                _(
                    "The carrier status of a delivery comes from the carrier's tracking "
                    "webhooks only (fields: Carrier Status, Carrier Update, Delivered to "
                    "Customer)."
                )
            )

    def _workflow_stage_code_delivery(self):
        """A shipped delivery whose carrier reported on it stays in the carrier's stage
        (``in_transit`` / ``delivered``), whatever recomputes its state."""
        codes = super()._workflow_stage_code_delivery()
        for picking, code in codes.items():
            status = picking.workflow_carrier_status
            if code == "done" and status:
                codes[picking] = CARRIER_STAGES[status]
        return codes
