# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

TRANSFER = "inter_warehouse_transfer"
TRANSFER_PROVIDERS = [("transfer_cycle_time", "Transfer cycle requested→received (p50)")]


class WorkflowKpi(models.Model):
    """``transfer_cycle_time``: median hours from the first stage of an inter-warehouse
    transfer (requested, or ready / in transit when created so) to ``received``, over the
    transfers received in the period (counted on the day of their first receipt), per
    supplying warehouse (the flow's node) and company."""

    _inherit = "workflow.kpi"

    provider = fields.Selection(
        selection_add=TRANSFER_PROVIDERS,
        ondelete={code: "cascade" for code, _label in TRANSFER_PROVIDERS},
    )

    def _kpi_compute_transfer_cycle_time(self, date_from, date_to):
        return self._cycle_time(
            TRANSFER,
            ("requested", "ready", "in_transit", "received"),
            ("received",),
            0.5,
            date_from,
            date_to,
        )

    def _kpi_documents_transfer_cycle_time(self, date_from, date_to, company_ids, node):
        return self._kpi_flows_entering(
            TRANSFER, ("received",), date_from, date_to, company_ids, node
        )
