# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, models
from odoo.tools import SQL

# A customer return (stock_picking_return.py), in SQL: ``p`` the picking, ``t`` its type,
# ``src`` its source location. Constant.
CUSTOMER_RETURN_SQL = """p.return_id IS NOT NULL AND p.sale_id IS NOT NULL
    AND t.code = 'incoming' AND src.usage = 'customer'"""


class WorkflowDistributionDetectorReturn(models.AbstractModel):
    """``return_aging``: a customer return requested and not received for longer than
    the warehouse's Return Receipt days, or received and still not credited (its order
    invoices the returned goods, see stock_picking_return.py) for longer than its Return
    Refund days. Raised on the return picking, one exception per phase."""

    _inherit = "workflow.distribution.detector"

    @api.model
    def _detectors(self):
        return (*super()._detectors(), "return_aging")

    def _detect_return_aging(self, now):
        receipt_days = self._param("return_receipt_days", 7.0)
        refund_days = self._param("return_refund_days", 3.0)
        # Joins of the CTEs go through indexes (per row lookups, linear): their row
        # estimates are guesses, and a nested loop over two CTE scans would be quadratic.
        rows = self._rows(
            SQL(
                """WITH customer_returns AS (
                   SELECT p.id, p.state, p.date_done, p.create_date, i.started_at,
                          s.code AS stage,
                          COALESCE(NULLIF(w.workflow_return_receipt_days, 0), %(receipt)s)
                              AS receipt_days,
                          COALESCE(NULLIF(w.workflow_return_refund_days, 0), %(refund)s)
                              AS refund_days
                     FROM stock_picking p
                     JOIN stock_picking_type t ON t.id = p.picking_type_id
                     JOIN stock_location src ON src.id = p.location_id
                     LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                     LEFT JOIN workflow_instance i
                            ON i.res_model = 'stock.picking' AND i.res_id = p.id
                           AND i.definition_id = (SELECT id FROM workflow_definition
                                                   WHERE code = 'customer_return')
                     LEFT JOIN workflow_stage s ON s.id = i.stage_id
                    WHERE %(customer_return)s AND p.state != 'cancel'),
               %(refund_ctes)s,
               problems AS (
                   SELECT r.id, 'receipt' AS phase, COALESCE(r.started_at, r.create_date)
                              AS since, a.amount
                     FROM customer_returns r
                     LEFT JOIN LATERAL (
                         SELECT sum(m.product_uom_qty / mu.factor * lu.factor * l.price_total
                                    / NULLIF(l.product_uom_qty, 0)) AS amount
                           FROM stock_move m
                           JOIN sale_order_line l ON l.id = m.sale_line_id
                           JOIN uom_uom mu ON mu.id = m.product_uom
                           JOIN uom_uom lu ON lu.id = l.product_uom
                          WHERE m.picking_id = r.id AND m.state != 'cancel') a ON TRUE
                    WHERE r.state != 'done'
                      AND COALESCE(r.started_at, r.create_date)
                          + make_interval(secs => 86400 * r.receipt_days) < %(now)s
                   UNION ALL
                   SELECT return_id, 'refund', date_done, amount
                     FROM refund_states
                    WHERE due)
               SELECT p.id AS res_id, p.name, p.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, x.phase, x.amount,
                      o.name AS order_name, rp.name AS partner,
                      EXTRACT(EPOCH FROM %(now)s - x.since) / 86400.0 AS days
                 FROM problems x
                 JOIN stock_picking p ON p.id = x.id
                 JOIN stock_picking_type t ON t.id = p.picking_type_id
                 LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                 JOIN sale_order o ON o.id = p.sale_id
                 JOIN res_partner rp ON rp.id = o.partner_id
                ORDER BY p.id, x.phase""",
                customer_return=SQL(CUSTOMER_RETURN_SQL),
                receipt=receipt_days,
                refund=refund_days,
                now=now,
                # received returns past their refund days whose flow is not refunded
                refund_ctes=self.env["stock.picking"]._workflow_refund_ctes(
                    SQL(
                        """SELECT id FROM customer_returns
                           WHERE state = 'done' AND stage IS DISTINCT FROM 'refunded'
                             AND date_done + make_interval(secs => 86400 * refund_days)
                                 < %s""",
                        now,
                    )
                ),
            )
        )
        return [self._return_aging_vals(row) for row in rows]

    def _return_aging_vals(self, row):
        if row["phase"] == "receipt":
            name = _(
                "Return %(name)s of %(order)s (%(partner)s): requested %(days).1f days ago, "
                "not received",
                name=row["name"],
                order=row["order_name"],
                partner=row["partner"],
                days=row["days"],
            )
        else:
            name = _(
                "Return %(name)s of %(order)s (%(partner)s): received %(days).1f days ago, "
                "not credited",
                name=row["name"],
                order=row["order_name"],
                partner=row["partner"],
                days=row["days"],
            )
        return self._vals(
            "return_aging",
            row,
            name,
            _(
                "Customer %(partner)s, order %(order)s: returned goods worth %(amount)s "
                "(order prices, taxes included).",
                partner=row["partner"],
                order=row["order_name"],
                amount=round(row["amount"] or 0.0, 2),
            ),
            f"return_{row['phase']}:{row['res_id']}",
            res_model="stock.picking",
        )
