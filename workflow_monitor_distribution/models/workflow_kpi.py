# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.tools import SQL

from .stock_warehouse import DISPATCH_DUE_SQL

PROVIDERS = [
    ("fill_rate", "Fill rate"),
    ("on_time_dispatch", "On-time dispatch"),
    ("invoice_accuracy", "Invoice accuracy"),
    ("backorder_age", "Backorder age"),
    ("order_cycle_ship_p50", "Order cycle confirm→shipped (p50)"),
    ("order_cycle_ship_p90", "Order cycle confirm→shipped (p90)"),
    ("order_cycle_invoice_p50", "Order cycle confirm→invoiced (p50)"),
    ("order_cycle_invoice_p90", "Order cycle confirm→invoiced (p90)"),
    ("procure_cycle_time", "Procure cycle confirm→received (p50)"),
    ("procure_cycle_time_p90", "Procure cycle confirm→received (p90)"),
    ("vendor_response_time", "Vendor response RFQ sent→confirmed (p50)"),
    ("order_release_delay", "Order release confirm→first delivery ready (p50)"),
    ("quote_conversion", "Quotation conversion (confirmed / sent)"),
    ("throughput", "Orders shipped per day"),
    ("exception_rate", "Exceptions per 100 orders"),
    ("on_time_delivery_customer", "On-time delivery to the customer"),
]
# the detectors' categories exception_rate counts (not the impacts: they restate their
# cause on each order it makes late)
EXCEPTION_RATE_CATEGORIES = (
    "late_delivery",
    "allocation_delay",
    "supplier_delay",
    "backorder_aging",
    "invoice_mismatch",
    "stock_shortage",
    "credit_hold",
    "transfer_delay",
    "replenishment_aging",
    "duplicate_replenishment",
    "return_aging",
    "delivery_failed",
)
# providers whose target a warehouse sets for its own tiles
NODE_TARGET_FIELDS = {
    "fill_rate": "workflow_target_fill_rate",
    "on_time_dispatch": "workflow_target_on_time",
}


class WorkflowKpi(models.Model):
    """Distribution KPIs, per company and per warehouse in one grouped query each
    (GROUPING SETS): the warehouse rows carry numerator and denominator, and the company
    row is computed from the same rows, so warehouses always add up to the company.
    The formulas are written in the module README (readme/USAGE.md)."""

    _inherit = "workflow.kpi"

    provider = fields.Selection(
        selection_add=PROVIDERS, ondelete={p[0]: "cascade" for p in PROVIDERS}
    )

    def _kpi_target(self, node=False):
        """A warehouse's own target (Workflow Monitor page of the warehouse) colours its
        tiles; without one, the KPI's target, which the Settings edit."""
        target, warning = super()._kpi_target(node)
        fname = NODE_TARGET_FIELDS.get(self.provider)
        warehouse_id = self._kpi_warehouse_id(node)
        if not (fname and warehouse_id):
            return target, warning
        # sudo: a figure of the warehouse's configuration, read to colour a tile
        own = self.env["stock.warehouse"].sudo().browse(warehouse_id)[fname]
        if not own:
            return target, warning
        return own, (warning + own - target) if warning else warning

    def _kpi_grouped(self, query, ratio=None):
        """Run a query returning (company_id, warehouse_id, is_company, value, num, den)
        grouped by GROUPING SETS ((company, warehouse), (company))."""
        self.env.flush_all()
        self.env.cr.execute(query)
        values = []
        for company_id, warehouse_id, is_company, value, num, den in self.env.cr.fetchall():
            if not is_company and not warehouse_id:
                continue  # documents without warehouse count for the company only
            if ratio is not None:
                value = ratio * num / den if den else 0.0
            values.append(
                {
                    "company_id": company_id,
                    "node_ref": "" if is_company else f"stock.warehouse,{warehouse_id}",
                    "value": float(value or 0.0),
                    "numerator": float(num or 0.0),
                    "denominator": float(den or 0.0),
                }
            )
        return values

    # ------------------------------------------------------------
    # PROVIDERS
    # ------------------------------------------------------------

    def _kpi_compute_fill_rate(self, date_from, date_to):
        return self._kpi_grouped(
            SQL(
                """SELECT p.company_id, t.warehouse_id, GROUPING(t.warehouse_id),
                      NULL, sum(LEAST(m.quantity, l.product_uom_qty)), sum(l.product_uom_qty)
                 FROM stock_move m
                 JOIN stock_picking p ON p.id = m.picking_id AND p.backorder_id IS NULL
                 JOIN stock_picking_type t ON t.id = p.picking_type_id AND t.code = 'outgoing'
                 JOIN sale_order_line l ON l.id = m.sale_line_id
                WHERE p.state = 'done' AND m.state = 'done' AND p.workflow_transfer_stage IS NULL
                  AND p.date_done >= %s AND p.date_done < %s
                GROUP BY GROUPING SETS ((p.company_id, t.warehouse_id), (p.company_id))""",
                date_from,
                date_to,
            ),
            ratio=100.0,
        )

    def _kpi_compute_on_time_dispatch(self, date_from, date_to):
        tolerance = float(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("workflow_monitor.late_tolerance_hours")
            or 4.0
        )
        # due: the scheduled date, or after the warehouse's cut-off the next working day
        return self._kpi_grouped(
            SQL(
                """WITH %(rules)s
               SELECT p.company_id, t.warehouse_id, GROUPING(t.warehouse_id), NULL,
                      count(*) FILTER (WHERE p.date_done <= %(due)s + make_interval(
                          secs => 3600 * COALESCE(NULLIF(w.workflow_late_tolerance_hours, 0),
                                                  %(tolerance)s))),
                      count(*)
                 FROM stock_picking p
                 JOIN stock_picking_type t ON t.id = p.picking_type_id AND t.code = 'outgoing'
                 LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                 LEFT JOIN dispatch_rules r ON r.warehouse_id = t.warehouse_id
                 LEFT JOIN sale_order so ON so.id = p.sale_id
                WHERE p.state = 'done' AND p.date_done >= %(start)s AND p.date_done < %(stop)s
                  AND p.workflow_transfer_stage IS NULL
                GROUP BY GROUPING SETS ((p.company_id, t.warehouse_id), (p.company_id))""",
                rules=self.env["stock.warehouse"]._workflow_dispatch_rules_sql(),
                due=SQL(DISPATCH_DUE_SQL),
                tolerance=tolerance,
                start=date_from,
                stop=date_to,
            ),
            ratio=100.0,
        )

    def _kpi_compute_invoice_accuracy(self, date_from, date_to):
        return self._kpi_grouped(
            SQL(
                """WITH docs AS (
                   SELECT m.id, m.company_id,
                          COALESCE(
                              (SELECT min(o.warehouse_id) FROM account_move_line aml
                                 JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = aml.id
                                 JOIN sale_order_line sl ON sl.id = r.order_line_id
                                 JOIN sale_order o ON o.id = sl.order_id
                                WHERE aml.move_id = m.id),
                              (SELECT min(t.warehouse_id) FROM account_move_line aml
                                 JOIN purchase_order_line pl ON pl.id = aml.purchase_line_id
                                 JOIN purchase_order po ON po.id = pl.order_id
                                 JOIN stock_picking_type t ON t.id = po.picking_type_id
                                WHERE aml.move_id = m.id)) AS warehouse_id,
                          (EXISTS (SELECT 1 FROM account_move r
                                    WHERE r.reversed_entry_id = m.id AND r.state = 'posted')
                           OR EXISTS (SELECT 1 FROM workflow_exception e
                                       JOIN workflow_exception_category c ON c.id = e.category_id
                                      WHERE c.code = 'invoice_mismatch'
                                        AND e.res_model = 'account.move' AND e.res_id = m.id)
                          ) AS wrong
                     FROM account_move m
                    WHERE m.move_type IN ('out_invoice', 'in_invoice') AND m.state = 'posted'
                      AND m.invoice_date >= %s AND m.invoice_date < %s)
               SELECT company_id, warehouse_id, GROUPING(warehouse_id), NULL,
                      count(*) FILTER (WHERE NOT wrong), count(*)
                 FROM docs
                GROUP BY GROUPING SETS ((company_id, warehouse_id), (company_id))""",
                date_from.date(),
                date_to.date(),
            ),
            ratio=100.0,
        )

    def _kpi_compute_backorder_age(self, date_from, date_to):
        return self._kpi_grouped(
            SQL(
                """SELECT p.company_id, t.warehouse_id, GROUPING(t.warehouse_id), NULL,
                      sum(EXTRACT(EPOCH FROM %s - p.date) / 3600.0), count(*)
                 FROM stock_picking p
                 JOIN stock_picking_type t ON t.id = p.picking_type_id
                WHERE p.backorder_id IS NOT NULL AND p.state NOT IN ('done', 'cancel')
                  AND p.date < %s
                GROUP BY GROUPING SETS ((p.company_id, t.warehouse_id), (p.company_id))""",
                date_to,
                date_to,
            ),
            ratio=1.0,
        )

    def _cycle_time(self, definition, start_codes, end_codes, quantile, date_from, date_to):
        """Hours from the first entry in one of ``start_codes`` to the first entry in one
        of ``end_codes`` (on the day), percentile per warehouse and company. Several end
        codes: an invoice posted and paid in one transaction goes straight to "paid"."""
        return self._kpi_grouped(
            SQL(
                """WITH ends AS (
                   SELECT e.instance_id, min(e.occurred_at) AS end_at
                     FROM workflow_event e
                     JOIN workflow_stage s ON s.id = e.stage_to_id AND s.code = ANY(%(ends)s)
                     JOIN workflow_definition d ON d.id = s.definition_id AND d.code = %(def)s
                    WHERE e.event_type = 'stage' AND e.occurred_at < %(stop)s
                      AND e.instance_id IN (
                          -- instances with an end entry on the day; counted on the day
                          -- of their first one only (HAVING)
                          SELECT e2.instance_id
                            FROM workflow_event e2
                            JOIN workflow_stage s2 ON s2.id = e2.stage_to_id
                                                  AND s2.code = ANY(%(ends)s)
                           WHERE e2.event_type = 'stage' AND e2.occurred_at >= %(start)s
                             AND e2.occurred_at < %(stop)s)
                    GROUP BY e.instance_id
                   HAVING min(e.occurred_at) >= %(start)s),
               cycles AS (
                   SELECT i.company_id,
                          CASE WHEN i.node_ref LIKE %(node_like)s
                               THEN split_part(i.node_ref, ',', 2)::int END AS warehouse_id,
                          EXTRACT(EPOCH FROM ends.end_at - min(e.occurred_at)) / 3600.0 AS hours
                     FROM ends
                     JOIN workflow_instance i ON i.id = ends.instance_id
                     JOIN workflow_event e ON e.instance_id = i.id AND e.event_type = 'stage'
                     JOIN workflow_stage s ON s.id = e.stage_to_id AND s.code = ANY(%(starts)s)
                    GROUP BY i.id, ends.end_at)
               SELECT company_id, warehouse_id, GROUPING(warehouse_id),
                      percentile_cont(%(q)s) WITHIN GROUP (ORDER BY hours), sum(hours), count(*)
                 FROM cycles
                GROUP BY GROUPING SETS ((company_id, warehouse_id), (company_id))""",
                ends=list(end_codes),
                starts=list(start_codes),
                q=quantile,
                start=date_from,
                stop=date_to,
                node_like="stock.warehouse,%",
                **{"def": definition},
            )
        )

    def _kpi_compute_order_cycle_ship_p50(self, date_from, date_to):
        return self._cycle_time(
            "order_to_cash",
            ("confirmed", "allocated", "shipped"),
            ("shipped",),
            0.5,
            date_from,
            date_to,
        )

    def _kpi_compute_order_cycle_ship_p90(self, date_from, date_to):
        return self._cycle_time(
            "order_to_cash",
            ("confirmed", "allocated", "shipped"),
            ("shipped",),
            0.9,
            date_from,
            date_to,
        )

    def _kpi_compute_order_cycle_invoice_p50(self, date_from, date_to):
        return self._cycle_time(
            "order_to_cash",
            ("confirmed", "allocated", "shipped", "invoiced"),
            ("invoiced", "paid"),
            0.5,
            date_from,
            date_to,
        )

    def _kpi_compute_order_cycle_invoice_p90(self, date_from, date_to):
        return self._cycle_time(
            "order_to_cash",
            ("confirmed", "allocated", "shipped", "invoiced"),
            ("invoiced", "paid"),
            0.9,
            date_from,
            date_to,
        )

    def _kpi_compute_procure_cycle_time(self, date_from, date_to):
        return self._cycle_time(
            "procure_to_pay", ("confirmed", "received"), ("received",), 0.5, date_from, date_to
        )

    def _kpi_compute_procure_cycle_time_p90(self, date_from, date_to):
        return self._cycle_time(
            "procure_to_pay", ("confirmed", "received"), ("received",), 0.9, date_from, date_to
        )

    def _kpi_compute_vendor_response_time(self, date_from, date_to):
        # RFQs confirmed without being sent first have no answer time to measure
        return self._cycle_time(
            "procure_to_pay", ("sent",), ("confirmed",), 0.5, date_from, date_to
        )

    def _kpi_compute_order_release_delay(self, date_from, date_to):
        """Hours from an order's confirmation (its flow's first entry in a confirmed
        stage) to its first delivery ready (the first ``ready`` or ``done`` entry of the
        delivery flow of any of its outgoing pickings: Odoo's Ready, partly reserved
        included when the picking ships as soon as possible), median per warehouse and
        company, on the day of that first release."""
        return self._kpi_grouped(
            SQL(
                """WITH released AS (
                   SELECT p.sale_id, min(e.occurred_at) AS at
                     FROM workflow_event e
                     JOIN workflow_stage s ON s.id = e.stage_to_id
                                          AND s.code IN ('ready', 'done')
                     JOIN workflow_definition d ON d.id = s.definition_id
                                               AND d.code = 'delivery'
                     JOIN workflow_instance di ON di.id = e.instance_id
                                              AND di.res_model = 'stock.picking'
                     JOIN stock_picking p ON p.id = di.res_id
                    WHERE e.event_type = 'stage' AND e.occurred_at < %(stop)s
                      AND p.sale_id IN (
                          -- orders with a delivery ready on the day; counted on the day
                          -- of their first one only (HAVING)
                          SELECT p2.sale_id
                            FROM workflow_event e2
                            JOIN workflow_stage s2 ON s2.id = e2.stage_to_id
                                                  AND s2.code IN ('ready', 'done')
                            JOIN workflow_definition d2 ON d2.id = s2.definition_id
                                                       AND d2.code = 'delivery'
                            JOIN workflow_instance i2 ON i2.id = e2.instance_id
                                                     AND i2.res_model = 'stock.picking'
                            JOIN stock_picking p2 ON p2.id = i2.res_id
                           WHERE e2.event_type = 'stage' AND e2.occurred_at >= %(start)s
                             AND e2.occurred_at < %(stop)s AND p2.sale_id IS NOT NULL)
                    GROUP BY p.sale_id
                   HAVING min(e.occurred_at) >= %(start)s),
               delays AS (
                   SELECT i.company_id,
                          CASE WHEN i.node_ref LIKE %(node_like)s
                               THEN split_part(i.node_ref, ',', 2)::int END AS warehouse_id,
                          GREATEST(EXTRACT(EPOCH FROM r.at - min(e.occurred_at)), 0) / 3600.0
                              AS hours
                     FROM released r
                     JOIN workflow_instance i ON i.res_model = 'sale.order'
                                             AND i.res_id = r.sale_id
                     JOIN workflow_definition d ON d.id = i.definition_id
                                               AND d.code = 'order_to_cash'
                     JOIN workflow_event e ON e.instance_id = i.id AND e.event_type = 'stage'
                     JOIN workflow_stage s ON s.id = e.stage_to_id
                                          AND s.code IN ('confirmed', 'allocated', 'shipped')
                    GROUP BY i.id, r.at)
               SELECT company_id, warehouse_id, GROUPING(warehouse_id),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY hours), sum(hours), count(*)
                 FROM delays
                GROUP BY GROUPING SETS ((company_id, warehouse_id), (company_id))""",
                start=date_from,
                stop=date_to,
                node_like="stock.warehouse,%",
            )
        )

    def _kpi_compute_quote_conversion(self, date_from, date_to):
        """Quotations confirmed / sent (DESIGN section 4): of the quotations sent in the
        window (``sale.order.workflow_sent_at``), how many were confirmed, counted as
        the sent quotations confirmed in the window (their flow leaves ``quotation`` for
        a confirmed stage) per quotation sent in it. A quotation confirmed without being
        sent counts on neither side; one confirmed again after a cancellation once."""
        return self._kpi_grouped(
            SQL(
                """WITH quotes AS (
                   SELECT o.company_id, o.warehouse_id, 0 AS won, 1 AS sent
                     FROM sale_order o
                    WHERE o.workflow_sent_at >= %(start)s AND o.workflow_sent_at < %(stop)s
                   UNION ALL
                   SELECT o.company_id, o.warehouse_id, 1, 0
                     FROM sale_order o
                    WHERE o.workflow_sent_at < %(stop)s
                      AND EXISTS (
                          SELECT 1
                            FROM workflow_instance i
                            JOIN workflow_definition d ON d.id = i.definition_id
                                                      AND d.code = 'order_to_cash'
                            JOIN workflow_event e ON e.instance_id = i.id
                                                 AND e.event_type = 'stage'
                            JOIN workflow_stage s ON s.id = e.stage_to_id
                                                 AND s.code IN ('confirmed', 'allocated',
                                                                'shipped')
                            LEFT JOIN workflow_stage f ON f.id = e.stage_from_id
                           WHERE i.res_model = 'sale.order' AND i.res_id = o.id
                             AND e.occurred_at >= %(start)s AND e.occurred_at < %(stop)s
                             AND e.occurred_at >= o.workflow_sent_at
                             AND (f.id IS NULL OR f.code = 'quotation')))
               SELECT company_id, warehouse_id, GROUPING(warehouse_id), NULL,
                      sum(won), sum(sent)
                 FROM quotes
                GROUP BY GROUPING SETS ((company_id, warehouse_id), (company_id))""",
                start=date_from,
                stop=date_to,
            ),
            ratio=100.0,
        )

    def _kpi_compute_throughput(self, date_from, date_to):
        return self._kpi_grouped(
            SQL(
                """WITH shipped AS (
                   SELECT DISTINCT i.id, i.company_id,
                          CASE WHEN i.node_ref LIKE %s
                               THEN split_part(i.node_ref, ',', 2)::int END AS warehouse_id
                     FROM workflow_event e
                     JOIN workflow_instance i ON i.id = e.instance_id
                     JOIN workflow_stage s ON s.id = e.stage_to_id AND s.code = 'shipped'
                     JOIN workflow_definition d ON d.id = s.definition_id
                                               AND d.code = 'order_to_cash'
                    WHERE e.event_type = 'stage' AND e.occurred_at >= %s AND e.occurred_at < %s)
               SELECT company_id, warehouse_id, GROUPING(warehouse_id), count(*), count(*), NULL
                 FROM shipped
                GROUP BY GROUPING SETS ((company_id, warehouse_id), (company_id))""",
                "stock.warehouse,%",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_on_time_delivery_customer(self, date_from, date_to):
        """Of the deliveries the carrier delivered in the window (first ``delivered``
        stage event of their delivery flow), the share delivered by the promised day:
        the order's commitment date, else the picking's deadline, else its scheduled
        date, compared as days in the warehouse's time zone (else the company's, else
        UTC)."""
        return self._kpi_grouped(
            SQL(
                """WITH delivered AS (
                   SELECT e.instance_id, min(e.occurred_at) AS at
                     FROM workflow_event e
                     JOIN workflow_stage s ON s.id = e.stage_to_id AND s.code = 'delivered'
                     JOIN workflow_definition d ON d.id = s.definition_id
                                               AND d.code = 'delivery'
                    WHERE e.event_type = 'stage' AND e.occurred_at >= %(start)s
                      AND e.occurred_at < %(stop)s
                      AND NOT EXISTS (
                          SELECT 1 FROM workflow_event b
                           WHERE b.instance_id = e.instance_id AND b.event_type = 'stage'
                             AND b.stage_to_id = e.stage_to_id AND b.occurred_at < %(start)s)
                    GROUP BY e.instance_id)
               SELECT p.company_id, t.warehouse_id, GROUPING(t.warehouse_id), NULL,
                      count(*) FILTER (WHERE (dl.at AT TIME ZONE 'UTC' AT TIME ZONE z.tz)::date
                          <= (COALESCE(so.commitment_date, p.date_deadline, p.scheduled_date)
                              AT TIME ZONE 'UTC' AT TIME ZONE z.tz)::date),
                      count(*)
                 FROM delivered dl
                 JOIN workflow_instance i ON i.id = dl.instance_id
                                         AND i.res_model = 'stock.picking'
                 JOIN stock_picking p ON p.id = i.res_id
                 JOIN stock_picking_type t ON t.id = p.picking_type_id
                 JOIN res_company c ON c.id = p.company_id
                 JOIN res_partner cp ON cp.id = c.partner_id
                 LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                 LEFT JOIN sale_order so ON so.id = p.sale_id
                CROSS JOIN LATERAL (
                      SELECT COALESCE(NULLIF(w.workflow_tz, ''), NULLIF(cp.tz, ''), 'UTC') AS tz
                 ) z
                GROUP BY GROUPING SETS ((p.company_id, t.warehouse_id), (p.company_id))""",
                start=date_from,
                stop=date_to,
            ),
            ratio=100.0,
        )

    def _kpi_compute_exception_rate(self, date_from, date_to):
        return self._kpi_grouped(
            SQL(
                """WITH exc AS (
                   SELECT e.company_id,
                          CASE WHEN e.node_ref LIKE %(node_like)s
                               THEN split_part(e.node_ref, ',', 2)::int END AS warehouse_id,
                          1 AS n_exc, 0 AS n_orders
                     FROM workflow_exception e
                     JOIN workflow_exception_category c ON c.id = e.category_id
                    WHERE c.code = ANY(%(categories)s)
                      AND e.first_seen >= %(start)s AND e.first_seen < %(stop)s
                   UNION ALL
                   SELECT o.company_id, o.warehouse_id, 0, 1
                     FROM sale_order o
                    WHERE o.state = 'sale' AND o.date_order >= %(start)s
                      AND o.date_order < %(stop)s)
               SELECT company_id, warehouse_id, GROUPING(warehouse_id), NULL,
                      sum(n_exc), sum(n_orders)
                 FROM exc
                GROUP BY GROUPING SETS ((company_id, warehouse_id), (company_id))""",
                categories=list(EXCEPTION_RATE_CATEGORIES),
                start=date_from,
                stop=date_to,
                node_like="stock.warehouse,%",
            ),
            ratio=100.0,
        )

    # ------------------------------------------------------------
    # DOCUMENTS BEHIND A VALUE (what a tile opens; domains only)
    # ------------------------------------------------------------

    @staticmethod
    def _kpi_warehouse_id(node):
        model, _sep, res_id = (node or "").partition(",")
        return int(res_id) if model == "stock.warehouse" and res_id.isdigit() else False

    def _kpi_outgoing_done(self, date_from, date_to, company_ids, node):
        domain = [
            ("picking_type_code", "=", "outgoing"),
            ("state", "=", "done"),
            ("workflow_transfer_stage", "=", False),  # shipments to transit: transfers
            ("company_id", "in", company_ids),
        ] + self._kpi_window("date_done", date_from, date_to)
        if node:
            domain.append(("picking_type_id.warehouse_id", "=", self._kpi_warehouse_id(node)))
        return {"model": "stock.picking", "domain": domain}

    def _kpi_documents_on_time_dispatch(self, date_from, date_to, company_ids, node):
        return self._kpi_outgoing_done(date_from, date_to, company_ids, node)

    def _kpi_documents_fill_rate(self, date_from, date_to, company_ids, node):
        documents = self._kpi_outgoing_done(date_from, date_to, company_ids, node)
        documents["domain"].append(("backorder_id", "=", False))
        return documents

    def _kpi_documents_on_time_delivery_customer(self, date_from, date_to, company_ids, node):
        domain = [
            ("picking_type_code", "=", "outgoing"),
            ("company_id", "in", company_ids),
        ] + self._kpi_window("workflow_delivered_at", date_from, date_to)
        if node:
            domain.append(("picking_type_id.warehouse_id", "=", self._kpi_warehouse_id(node)))
        return {"model": "stock.picking", "domain": domain}

    def _kpi_documents_backorder_age(self, date_from, date_to, company_ids, node):
        domain = [
            ("backorder_id", "!=", False),
            ("state", "not in", ("done", "cancel")),
            ("company_id", "in", company_ids),
            ("date", "<", fields.Datetime.to_string(date_to)),
        ]
        if node:
            domain.append(("picking_type_id.warehouse_id", "=", self._kpi_warehouse_id(node)))
        return {"model": "stock.picking", "domain": domain}

    def _kpi_documents_invoice_accuracy(self, date_from, date_to, company_ids, node):
        if node:
            return False  # an invoice's warehouse is found through its order lines
        return {
            "model": "account.move",
            "domain": [
                ("move_type", "in", ("out_invoice", "in_invoice")),
                ("state", "=", "posted"),
                ("company_id", "in", company_ids),
                ("invoice_date", ">=", fields.Date.to_string(date_from.date())),
                ("invoice_date", "<", fields.Date.to_string(date_to.date())),
            ],
        }

    def _kpi_flows_entering(self, definition, codes, date_from, date_to, company_ids, node):
        """The flows of ``definition`` that entered one of ``codes`` in the window."""
        return {
            "model": "workflow.instance",
            "domain": [
                ("definition_id.code", "=", definition),
                ("company_id", "in", company_ids),
                (
                    "event_ids",
                    "any",
                    [
                        ("event_type", "=", "stage"),
                        ("stage_to_id.code", "in", list(codes)),
                        *self._kpi_window("occurred_at", date_from, date_to),
                    ],
                ),
            ]
            + ([("node_ref", "=", node)] if node else []),
        }

    def _kpi_documents_throughput(self, date_from, date_to, company_ids, node):
        return self._kpi_flows_entering(
            "order_to_cash", ("shipped",), date_from, date_to, company_ids, node
        )

    def _kpi_documents_order_cycle_ship_p50(self, date_from, date_to, company_ids, node):
        return self._kpi_documents_throughput(date_from, date_to, company_ids, node)

    def _kpi_documents_order_cycle_ship_p90(self, date_from, date_to, company_ids, node):
        return self._kpi_documents_throughput(date_from, date_to, company_ids, node)

    def _kpi_documents_order_cycle_invoice_p50(self, date_from, date_to, company_ids, node):
        return self._kpi_flows_entering(
            "order_to_cash", ("invoiced", "paid"), date_from, date_to, company_ids, node
        )

    def _kpi_documents_order_cycle_invoice_p90(self, date_from, date_to, company_ids, node):
        return self._kpi_documents_order_cycle_invoice_p50(date_from, date_to, company_ids, node)

    def _kpi_documents_procure_cycle_time(self, date_from, date_to, company_ids, node):
        return self._kpi_flows_entering(
            "procure_to_pay", ("received",), date_from, date_to, company_ids, node
        )

    def _kpi_documents_procure_cycle_time_p90(self, date_from, date_to, company_ids, node):
        return self._kpi_documents_procure_cycle_time(date_from, date_to, company_ids, node)

    def _kpi_documents_vendor_response_time(self, date_from, date_to, company_ids, node):
        return self._kpi_flows_entering(
            "procure_to_pay", ("confirmed",), date_from, date_to, company_ids, node
        )

    def _kpi_documents_order_release_delay(self, date_from, date_to, company_ids, node):
        # the deliveries that became ready on the day (a domain, no query: the first
        # release of each order is the value's, a later backorder's the list's too)
        return self._kpi_flows_entering(
            "delivery", ("ready", "done"), date_from, date_to, company_ids, node
        )

    def _kpi_documents_exception_rate(self, date_from, date_to, company_ids, node):
        # the exceptions first seen on the day (the numerator)
        domain = [
            ("category_id.code", "in", list(EXCEPTION_RATE_CATEGORIES)),
            ("company_id", "in", company_ids),
        ] + self._kpi_window("first_seen", date_from, date_to)
        if node:
            domain.append(("node_ref", "=", node))
        return {"model": "workflow.exception", "domain": domain}

    def _kpi_documents_quote_conversion(self, date_from, date_to, company_ids, node):
        # the quotations sent on the day (the denominator)
        domain = [("company_id", "in", company_ids)] + self._kpi_window(
            "workflow_sent_at", date_from, date_to
        )
        if node:
            domain.append(("warehouse_id", "=", self._kpi_warehouse_id(node)))
        return {"model": "sale.order", "domain": domain}
