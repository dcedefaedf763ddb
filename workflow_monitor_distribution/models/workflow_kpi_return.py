# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.tools import SQL

from .workflow_detector_return import CUSTOMER_RETURN_SQL

PROVIDERS = [("return_rate", "Return rate (returned / delivered quantity)")]


class WorkflowKpi(models.Model):
    """``return_rate``: of the quantity delivered to customers in the window, the share
    that came back, by quantity (not by order): units of the customer returns received
    in the window (done, see stock_picking_return.py) divided by the units of the
    customer deliveries done in the window, both in the products' units of measure and
    on order lines only, in %. Counted by quantity so that a day adds up (a return
    comes days after its delivery; a share of orders "that got a return" would change
    after the day) and a return of one unit of a hundred weighs as little as it does.
    Per warehouse of the picking type and per company."""

    _inherit = "workflow.kpi"

    provider = fields.Selection(
        selection_add=PROVIDERS, ondelete={p[0]: "cascade" for p in PROVIDERS}
    )

    def _kpi_compute_return_rate(self, date_from, date_to):
        return self._kpi_grouped(
            SQL(
                """WITH moved AS (
                   SELECT p.company_id, t.warehouse_id,
                          CASE WHEN t.code = 'incoming' THEN m.product_qty ELSE 0 END
                              AS returned,
                          CASE WHEN t.code = 'outgoing' THEN m.product_qty ELSE 0 END
                              AS delivered
                     FROM stock_picking p
                     JOIN stock_picking_type t ON t.id = p.picking_type_id
                     JOIN stock_location src ON src.id = p.location_id
                     JOIN stock_location dst ON dst.id = p.location_dest_id
                     JOIN stock_move m ON m.picking_id = p.id AND m.state = 'done'
                                      AND m.sale_line_id IS NOT NULL
                    WHERE p.state = 'done' AND p.date_done >= %(start)s
                      AND p.date_done < %(stop)s
                      AND ((t.code = 'outgoing' AND dst.usage = 'customer')
                           OR (%(customer_return)s)))
               SELECT company_id, warehouse_id, GROUPING(warehouse_id), NULL,
                      sum(returned), sum(delivered)
                 FROM moved
                GROUP BY GROUPING SETS ((company_id, warehouse_id), (company_id))""",
                start=date_from,
                stop=date_to,
                customer_return=SQL(CUSTOMER_RETURN_SQL),
            ),
            ratio=100.0,
        )

    def _kpi_documents_return_rate(self, date_from, date_to, company_ids, node):
        """The customer returns received in the window (the numerator's documents)."""
        domain = [
            ("return_id", "!=", False),
            ("sale_id", "!=", False),
            ("picking_type_code", "=", "incoming"),
            ("location_id.usage", "=", "customer"),
            ("state", "=", "done"),
            ("company_id", "in", company_ids),
        ] + self._kpi_window("date_done", date_from, date_to)
        if node:
            domain.append(("picking_type_id.warehouse_id", "=", self._kpi_warehouse_id(node)))
        return {"model": "stock.picking", "domain": domain}
