# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Replenishment detectors (DESIGN section 11): a reordering rule that needs an order
nobody placed (``replenishment_aging``), and open purchases and transfers beyond the
need of a product in a warehouse (``duplicate_replenishment``).

Both read one picture of each product in each warehouse, computed in SQL from the
tables (``qty_forecast`` and ``qty_to_order`` of the orderpoint are not stored, and
Odoo computes them per rule, with a query or more each):

- **on hand**: the quants of the warehouse's internal locations;
- **demand**: the open outgoing moves (waiting to reserved) leaving them for a place
  outside the warehouse (customers, transit, another warehouse);
- **replenishment** in progress, one row per document: RFQ lines (draft, sent, to
  approve) of the warehouse (their rule's, else their operation type's), the open
  moves into the warehouse from outside it (draft included: a transfer someone
  created), named by their purchase order when they receive one, else by their
  transfer. A confirmed purchase counts through its open receipt moves: what is still
  to be received, once.

The forecast is on hand + replenishment - demand, all dated open documents included
(no lead-time horizon): a rule whose forecast is below its minimum once everything
ordered has arrived needs an order that nobody placed. Moves inside the warehouse
(input to stock, pick to pack) change nothing. Quantities are in the product's unit
(``product_qty`` of moves, ``product_uom_qty`` of purchase lines).
"""

from odoo import _, api, models
from odoo.tools import SQL

RFQ_STATES = ("draft", "sent", "to approve")
INCOMING_MOVE = ("draft", "waiting", "confirmed", "partially_available", "assigned")
DEMAND_MOVE = ("waiting", "confirmed", "partially_available", "assigned")
DOCUMENTS_NAMED = 10  # documents listed in an exception's text

# replenishment(doc_model, doc_id, doc_name, product_id, warehouse_id, qty): every open
# replenishment document line of every warehouse (bounded by the open documents).
REPLENISHMENT_SQL = """
replenishment AS MATERIALIZED (
    SELECT 'purchase.order' AS doc_model, o.id AS doc_id, o.name AS doc_name, l.product_id,
           COALESCE(op.warehouse_id, t.warehouse_id) AS warehouse_id,
           l.product_uom_qty AS qty
      FROM purchase_order_line l
      JOIN purchase_order o ON o.id = l.order_id AND o.state IN %(rfq_states)s
      LEFT JOIN stock_warehouse_orderpoint op ON op.id = l.orderpoint_id
      LEFT JOIN stock_picking_type t ON t.id = o.picking_type_id
     WHERE l.display_type IS NULL AND l.product_id IS NOT NULL
       AND COALESCE(op.warehouse_id, t.warehouse_id) IS NOT NULL
    UNION ALL
    SELECT CASE WHEN pl.id IS NOT NULL THEN 'purchase.order'
                WHEN m.picking_id IS NOT NULL THEN 'stock.picking'
                ELSE 'stock.move' END,
           COALESCE(pl.order_id, m.picking_id, m.id),
           COALESCE(po.name, p.name, m.reference, m.name),
           m.product_id, ld.warehouse_id, m.product_qty
      FROM stock_move m
      JOIN stock_location ld ON ld.id = m.location_dest_id AND ld.usage = 'internal'
                            AND ld.warehouse_id IS NOT NULL
      JOIN stock_location ls ON ls.id = m.location_id
      LEFT JOIN purchase_order_line pl ON pl.id = m.purchase_line_id
      LEFT JOIN purchase_order po ON po.id = pl.order_id
      LEFT JOIN stock_picking p ON p.id = m.picking_id
     WHERE m.state IN %(incoming_move)s
       AND NOT (ls.usage = 'internal' AND ls.warehouse_id IS NOT DISTINCT FROM ld.warehouse_id)
),
"""
# picture(product_id, warehouse_id, on_hand, demand, incoming): for each pair of
# ``scope(product_id, warehouse_id)`` (a CTE of the detector, written before), its stock,
# open demand and open replenishment (see the module's docstring).
PICTURE_SQL = """
on_hand AS (
    SELECT q.product_id, l.warehouse_id, sum(q.quantity) AS qty
      FROM stock_quant q
      JOIN stock_location l ON l.id = q.location_id AND l.usage = 'internal'
     WHERE q.product_id IN (SELECT product_id FROM scope)
     GROUP BY q.product_id, l.warehouse_id
),
demand AS (
    SELECT m.product_id, ls.warehouse_id, sum(m.product_qty) AS qty
      FROM stock_move m
      JOIN stock_location ls ON ls.id = m.location_id AND ls.usage = 'internal'
      JOIN stock_location ld ON ld.id = m.location_dest_id
     WHERE m.state IN %(demand_move)s AND m.product_id IN (SELECT product_id FROM scope)
       AND NOT (ld.usage = 'internal' AND ld.warehouse_id IS NOT DISTINCT FROM ls.warehouse_id)
     GROUP BY m.product_id, ls.warehouse_id
),
incoming AS (
    SELECT r.product_id, r.warehouse_id, sum(r.qty) AS qty
      FROM replenishment r
      JOIN scope s ON s.product_id = r.product_id AND s.warehouse_id = r.warehouse_id
     GROUP BY r.product_id, r.warehouse_id
),
picture AS (
    SELECT s.product_id, s.warehouse_id, COALESCE(h.qty, 0) AS on_hand,
           COALESCE(d.qty, 0) AS demand, COALESCE(i.qty, 0) AS incoming
      FROM scope s
      LEFT JOIN on_hand h ON h.product_id = s.product_id AND h.warehouse_id = s.warehouse_id
      LEFT JOIN demand d ON d.product_id = s.product_id AND d.warehouse_id = s.warehouse_id
      LEFT JOIN incoming i ON i.product_id = s.product_id AND i.warehouse_id = s.warehouse_id
),
"""
# The active reordering rules (not snoozed) that need an order nobody placed, with the
# hours their warehouse allows (its own, else its company's); the detector records in
# the same statement since when each one needs it (workflow_need_since: set the first
# time, cleared once the need is gone) and returns those needing it for longer. The
# main query reads the rules as they were before the statement (COALESCE: new needs).
#
# A need seen for the first time is dated from the latest change that can have caused
# it, none later than now: the rule's own change (created, quantities, snooze...), the
# end of its snooze, the newest open demand's order (its confirmation), the newest done
# move out of the warehouse (an adjustment, a scrap, a delivery), the newest purchase or
# incoming move cancelled. A lower bound of the need's age (never an alarm too early),
# and the first detector run after a need arose already knows how old it is.
AGING_SQL = """
WITH rules AS MATERIALIZED (
    SELECT op.id, op.product_id, op.warehouse_id, w.company_id, w.name AS warehouse,
           w.workflow_team_id AS team_id, op.product_min_qty, op.product_max_qty,
           COALESCE(NULLIF(w.workflow_replenishment_aging_hours, 0),
                    c.workflow_replenishment_aging_hours, 0) AS hours
      FROM stock_warehouse_orderpoint op
      JOIN stock_warehouse w ON w.id = op.warehouse_id
      JOIN res_company c ON c.id = w.company_id
     WHERE op.active AND (op.snoozed_until IS NULL OR op.snoozed_until <= %(today)s)
),
scope AS (SELECT DISTINCT product_id, warehouse_id FROM rules),
%(replenishment)s
%(picture)s
need AS MATERIALIZED (
    SELECT r.*, p.on_hand + p.incoming - p.demand AS forecast
      FROM rules r
      JOIN picture p ON p.product_id = r.product_id AND p.warehouse_id = r.warehouse_id
     WHERE p.on_hand + p.incoming - p.demand < r.product_min_qty
),
changes AS MATERIALIZED (
    -- one row per need seen for the first time: index lookups per rule, bounded by them
    SELECT n.id, op.workflow_rule_changed_at AS rule_at,
           op.snoozed_until::timestamp AS snooze_at,
           (SELECT max(COALESCE(o.date_order, p.date, m.create_date))
              FROM stock_move m
              JOIN stock_location ls ON ls.id = m.location_id AND ls.usage = 'internal'
                                    AND ls.warehouse_id = n.warehouse_id
              JOIN stock_location ld ON ld.id = m.location_dest_id
              LEFT JOIN stock_picking p ON p.id = m.picking_id
              LEFT JOIN sale_order_line l ON l.id = m.sale_line_id
              LEFT JOIN sale_order o ON o.id = l.order_id
             WHERE m.product_id = n.product_id AND m.state IN %(demand_move)s
               AND NOT (ld.usage = 'internal'
                        AND ld.warehouse_id IS NOT DISTINCT FROM ls.warehouse_id))
               AS demand_at,
           (SELECT max(m.date)
              FROM stock_move m
              JOIN stock_location ls ON ls.id = m.location_id AND ls.usage = 'internal'
                                    AND ls.warehouse_id = n.warehouse_id
              JOIN stock_location ld ON ld.id = m.location_dest_id
             WHERE m.product_id = n.product_id AND m.state = 'done'
               AND NOT (ld.usage = 'internal'
                        AND ld.warehouse_id IS NOT DISTINCT FROM ls.warehouse_id)) AS out_at,
           (SELECT max(m.write_date)
              FROM stock_move m
              JOIN stock_location ld ON ld.id = m.location_dest_id AND ld.usage = 'internal'
                                    AND ld.warehouse_id = n.warehouse_id
             WHERE m.product_id = n.product_id AND m.state = 'cancel') AS cancel_at,
           (SELECT max(po.write_date)
              FROM purchase_order_line pl
              JOIN purchase_order po ON po.id = pl.order_id AND po.state = 'cancel'
              JOIN stock_picking_type t ON t.id = po.picking_type_id
                                       AND t.warehouse_id = n.warehouse_id
             WHERE pl.product_id = n.product_id) AS po_cancel_at
      FROM need n
      JOIN stock_warehouse_orderpoint op ON op.id = n.id
     WHERE op.workflow_need_since IS NULL
),
arisen AS (
    -- a change dated after now is of another clock (a simulation, a frozen test):
    -- nothing is known of the need's age, it starts now
    SELECT id,
           CASE WHEN GREATEST(rule_at, snooze_at, demand_at, out_at, cancel_at,
                              po_cancel_at) > %(now)s THEN %(now)s
                ELSE COALESCE(GREATEST(rule_at, snooze_at, demand_at, out_at, cancel_at,
                                       po_cancel_at), %(now)s) END AS since
      FROM changes
),
cleared AS (
    UPDATE stock_warehouse_orderpoint op SET workflow_need_since = NULL
     WHERE op.workflow_need_since IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM need n WHERE n.id = op.id)
),
started AS (
    UPDATE stock_warehouse_orderpoint op SET workflow_need_since = a.since
      FROM arisen a
     WHERE a.id = op.id
)
SELECT n.id AS res_id, n.product_id, n.warehouse_id, n.company_id, n.team_id, n.warehouse,
       n.product_min_qty, n.product_max_qty, n.forecast, n.hours,
       COALESCE(op.workflow_need_since, a.since) AS since,
       EXTRACT(EPOCH FROM %(now)s - COALESCE(op.workflow_need_since, a.since)) / 3600.0
           AS age_hours
  FROM need n
  JOIN stock_warehouse_orderpoint op ON op.id = n.id
  LEFT JOIN arisen a ON a.id = n.id
 WHERE COALESCE(op.workflow_need_since, a.since) + make_interval(secs => 3600 * n.hours)
       < %(now)s
"""
# Product and warehouse pairs with open replenishment from two documents or more whose
# total exceeds the need, beyond the company's tolerance (a share of the need). The need
# is what brings the stock without that replenishment (on hand - demand) up to the
# rules' maximum (their minimum if higher), or, without a rule, to the open demand.
DUPLICATE_SQL = """
WITH %(replenishment)s
scope AS (
    SELECT product_id, warehouse_id FROM replenishment
     GROUP BY product_id, warehouse_id
    HAVING count(DISTINCT (doc_model, doc_id)) > 1
),
%(picture)s
targets AS (
    SELECT op.product_id, op.warehouse_id,
           sum(GREATEST(op.product_min_qty, op.product_max_qty)) AS target
      FROM stock_warehouse_orderpoint op
      JOIN scope s ON s.product_id = op.product_id AND s.warehouse_id = op.warehouse_id
     WHERE op.active
     GROUP BY op.product_id, op.warehouse_id
),
documents AS (
    SELECT r.product_id, r.warehouse_id, array_agg(DISTINCT r.doc_name) AS names
      FROM replenishment r
      JOIN scope s ON s.product_id = r.product_id AND s.warehouse_id = r.warehouse_id
     GROUP BY r.product_id, r.warehouse_id
),
judged AS (
    SELECT p.*, w.company_id, w.name AS warehouse, w.workflow_team_id AS team_id,
           t.target, c.workflow_duplicate_replenishment_tolerance AS tolerance,
           GREATEST(COALESCE(t.target, 0) - (p.on_hand - p.demand), 0) AS need
      FROM picture p
      JOIN stock_warehouse w ON w.id = p.warehouse_id
      JOIN res_company c ON c.id = w.company_id
      LEFT JOIN targets t ON t.product_id = p.product_id AND t.warehouse_id = p.warehouse_id
)
SELECT j.product_id AS res_id, j.warehouse_id, j.company_id, j.team_id, j.warehouse,
       j.on_hand, j.demand, j.incoming, j.target, j.need, j.tolerance, d.names AS documents
  FROM judged j
  JOIN documents d ON d.product_id = j.product_id AND d.warehouse_id = j.warehouse_id
 WHERE j.incoming > j.need * (1 + j.tolerance / 100.0)
"""


class WorkflowDistributionDetectorReplenishment(models.AbstractModel):
    _inherit = "workflow.distribution.detector"

    @api.model
    def _detectors(self):
        return (*super()._detectors(), "replenishment_aging", "duplicate_replenishment")

    # ------------------------------------------------------------
    # DETECTORS
    # ------------------------------------------------------------

    def _detect_replenishment_aging(self, now):
        rows = self._rows(
            SQL(
                AGING_SQL,
                replenishment=self._replenishment_sql(),
                picture=SQL(PICTURE_SQL, demand_move=DEMAND_MOVE),
                demand_move=DEMAND_MOVE,
                today=now.date(),
                now=now,
            )
        )
        # the detector wrote the column in SQL
        self.env["stock.warehouse.orderpoint"].invalidate_model(["workflow_need_since"])
        products = self._product_names(rows)
        return [self._aging_vals(row, products[row["product_id"]]) for row in rows]

    def _aging_vals(self, row, product):
        short = row["product_min_qty"] - row["forecast"]
        to_order = max(row["product_min_qty"], row["product_max_qty"]) - row["forecast"]
        return self._vals(
            "replenishment_aging",
            row,
            _(
                "%(product)s in %(warehouse)s needs an order for %(hours).0f h: none placed",
                product=product,
                warehouse=row["warehouse"],
                hours=row["age_hours"],
            ),
            _(
                "Forecast %(forecast)s below the minimum %(min)s of the reordering rule: "
                "%(short)s short, %(to_order)s to order up to the maximum. No RFQ, receipt "
                "or transfer covers it since %(since)s (UTC); the warehouse allows "
                "%(allowed)s h.",
                forecast=round(row["forecast"], 2),
                min=round(row["product_min_qty"], 2),
                short=round(short, 2),
                to_order=round(to_order, 2),
                since=row["since"],
                allowed=round(row["hours"], 2),
            ),
            f"stock.warehouse.orderpoint,{row['res_id']}",
            # below zero, confirmed demand waits for stock that nobody ordered
            severity="high" if row["forecast"] < 0 else None,
            res_model="stock.warehouse.orderpoint",
        )

    def _detect_duplicate_replenishment(self, now):
        rows = self._rows(
            SQL(
                DUPLICATE_SQL,
                replenishment=self._replenishment_sql(),
                picture=SQL(PICTURE_SQL, demand_move=DEMAND_MOVE),
            )
        )
        products = self._product_names(rows, key="res_id")
        return [self._duplicate_vals(row, products[row["res_id"]]) for row in rows]

    def _duplicate_vals(self, row, product):
        documents = row["documents"]
        named = ", ".join(documents[:DOCUMENTS_NAMED])
        if len(documents) > DOCUMENTS_NAMED:
            named = _(
                "%(named)s and %(count)s more", named=named, count=len(documents) - DOCUMENTS_NAMED
            )
        return self._vals(
            "duplicate_replenishment",
            row,
            _(
                "%(product)s in %(warehouse)s replenished twice: %(count)s open documents",
                product=product,
                warehouse=row["warehouse"],
                count=len(documents),
            ),
            _(
                "Open purchases and transfers bring %(incoming)s for a need of %(need)s "
                "(tolerance %(tolerance)s%%): %(documents)s. On hand %(on_hand)s, open "
                "demand %(demand)s, reordering rules' maximum %(target)s.",
                incoming=round(row["incoming"], 2),
                need=round(row["need"], 2),
                tolerance=round(row["tolerance"], 2),
                documents=named,
                on_hand=round(row["on_hand"], 2),
                demand=round(row["demand"], 2),
                target=round(row["target"], 2) if row["target"] is not None else _("none"),
            ),
            f"duplicate_replenishment:{row['res_id']}:{row['warehouse_id']}",
            res_model="product.product",
        )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _replenishment_sql(self):
        return SQL(REPLENISHMENT_SQL, rfq_states=RFQ_STATES, incoming_move=INCOMING_MOVE)

    def _product_names(self, rows, key="product_id"):
        """{product id: display name}, read in one batch."""
        # sudo: the detector runs for every company; names go into the exceptions' text
        products = self.env["product.product"].sudo().with_context(active_test=False)
        return {p.id: p.display_name for p in products.browse({row[key] for row in rows})}
