# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Causal chains: the customer orders a late receipt or missing stock will make late.

After ``supplier_delay`` and ``stock_shortage`` have raised their exceptions (the causes),
one set-based query (the impact pass) finds the confirmed sale lines whose delivery
depends on an open cause, and their orders get an impact exception linked to the cause
(``cause_exception_id``) with the lines' untaxed amount as revenue at risk
(``impact_amount``, company currency). The pass then resolves the impacts it no longer
sees (``resolve_cleared``): they clear with their cause, or when the order is served.

An order depends on a late purchase line in two ways:

- make to order: the line's open receipt moves lead, through ``move_dest_ids``, to the
  order's open delivery move (``supplier_delay_impact``);
- from stock: per product and warehouse, the unreserved moves that take the orders' goods
  from stock (the delivery, or the pick of a multi-step delivery; make to stock) are
  served in date order by the free stock and the open receipts due by their date (not
  late, not tied to a make-to-order chain). What a delivery still misses then is
  served, in the same order, by the late receipts (``supplier_delay_impact`` of their
  purchase order) and, beyond them, by nothing (``shortage_impact`` of the product's
  open ``stock_shortage`` in that warehouse). An order served from free stock, by a
  reservation or by a receipt due in time has no impact.

Unmet demand is the running maximum of (demand so far - supply so far), floored at 0:
supply that arrives after a delivery's date does not serve it in time.
"""

from datetime import timedelta

from odoo import _, api, models
from odoo.tools import SQL

IMPACT_CATEGORIES = {
    "supplier_delay": "supplier_delay_impact",
    "stock_shortage": "shortage_impact",
}
OPEN_MOVE = ("waiting", "confirmed", "partially_available", "assigned")
UNSERVED_MOVE = ("waiting", "confirmed", "partially_available")

# Purchase lines past their planned date and not fully received (the late lines of
# supplier_delay), flagged when a make-to-order chain created them, with the open
# supplier_delay exception of their order (the cause), if any.
LATE_LINES_SQL = """
late_lines AS MATERIALIZED (
    SELECT l.id, l.order_id, o.company_id, l.date_planned, e.id AS cause_id,
           EXISTS (SELECT 1 FROM stock_move_created_purchase_line_rel r
                    WHERE r.created_purchase_line_id = l.id) AS mto
      FROM purchase_order_line l
      JOIN purchase_order o ON o.id = l.order_id
      LEFT JOIN workflow_exception e
             ON e.category_id = %(supplier_category)s AND e.company_id = o.company_id
            AND e.dedupe_key = ('po:' || o.id)::varchar
            AND e.state IN ('new', 'assigned', 'in_progress')
     WHERE o.state = 'purchase' AND l.display_type IS NULL
       AND l.qty_received < l.product_qty AND l.date_planned < %(late_limit)s
),
"""
# Per product and warehouse, one window pass over a timeline of the open receipts (not
# tied to a make-to-order chain) and the unreserved customer demand from stock, with the
# free stock: the unmet part [unmet_from, unmet_to) of each delivery in date order; late
# receipts serve nothing in time and only count, in late_total. Then the late receipts'
# range [late_from, late_to) in the order they were planned. Every CTE reads tables, not
# a narrower CTE, so that PostgreSQL estimates its size and hashes the joins.
STOCK_TIMELINE_SQL = """
receipts AS MATERIALIZED (
    SELECT m.id, m.product_id, t.warehouse_id, m.date, m.product_qty AS qty,
           ll.id IS NOT NULL AS late, ll.order_id AS late_order_id,
           ll.company_id AS late_company_id, ll.date_planned, ll.cause_id
      FROM stock_move m
      JOIN stock_picking_type t ON t.id = m.picking_type_id AND t.code = 'incoming'
      LEFT JOIN late_lines ll ON ll.id = m.purchase_line_id
     WHERE m.state IN %(open_move)s AND t.warehouse_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM stock_move_created_purchase_line_rel r
                        WHERE r.created_purchase_line_id = m.purchase_line_id)
),
demand AS (
    -- the move that takes the order's goods from stock: the delivery in one step, the
    -- pick of a two- or three-step delivery (internal, make to stock, its sale line
    -- propagated by the rule; the ship and pack moves after it wait for it, make to order)
    SELECT m.id, m.product_id, t.warehouse_id, m.company_id, m.date, m.sale_line_id,
           m.product_qty - m.quantity AS qty
      FROM stock_move m
      JOIN stock_picking_type t ON t.id = m.picking_type_id
                               AND t.code IN ('outgoing', 'internal')
     WHERE m.state IN %(unserved_move)s AND m.procure_method = 'make_to_stock'
       AND m.sale_line_id IS NOT NULL AND m.product_qty > m.quantity
       AND t.warehouse_id IS NOT NULL
),
free AS (
    SELECT q.product_id, l.warehouse_id, GREATEST(sum(q.quantity - q.reserved_quantity), 0) AS qty
      FROM stock_quant q
      JOIN stock_location l ON l.id = q.location_id AND l.usage = 'internal'
     WHERE l.warehouse_id IS NOT NULL
       AND q.product_id IN (SELECT m.product_id FROM stock_move m
                             WHERE m.state IN %(unserved_move)s AND m.sale_line_id IS NOT NULL)
     GROUP BY q.product_id, l.warehouse_id
),
timeline AS (
    SELECT product_id, warehouse_id, date, 0 AS kind, id, qty AS supply, 0 AS need,
           0 AS late_qty, NULL::int AS sale_line_id, NULL::int AS company_id
      FROM receipts WHERE NOT late
    UNION ALL
    SELECT product_id, warehouse_id, date, 1, id, 0, qty, 0, sale_line_id, company_id
      FROM demand
    UNION ALL
    SELECT product_id, warehouse_id, date, 2, id, 0, 0, qty, NULL, NULL
      FROM receipts WHERE late
),
running AS (
    SELECT t.*, sum(t.need) OVER w - COALESCE(f.qty, 0) - sum(t.supply) OVER w AS gap,
           sum(t.late_qty) OVER (PARTITION BY t.product_id, t.warehouse_id) AS late_total
      FROM timeline t
      LEFT JOIN free f ON f.product_id = t.product_id AND f.warehouse_id = t.warehouse_id
    WINDOW w AS (PARTITION BY t.product_id, t.warehouse_id ORDER BY t.date, t.kind, t.id)
),
unmet AS (
    SELECT r.*, GREATEST(max(r.gap) OVER w, 0) AS unmet_to
      FROM running r
    WINDOW w AS (PARTITION BY r.product_id, r.warehouse_id ORDER BY r.date, r.kind, r.id)
),
uncovered AS MATERIALIZED (
    SELECT * FROM (
        SELECT u.kind, u.sale_line_id, u.company_id, u.product_id, u.warehouse_id,
               u.unmet_to, u.late_total, lag(u.unmet_to, 1, 0) OVER w AS unmet_from
          FROM unmet u
        WINDOW w AS (PARTITION BY u.product_id, u.warehouse_id ORDER BY u.date, u.kind, u.id)
    ) x
     WHERE x.kind = 1 AND x.unmet_to > x.unmet_from
),
late_ranges AS MATERIALIZED (
    SELECT r.product_id, r.warehouse_id, r.late_order_id, r.late_company_id, r.cause_id,
           sum(r.qty) OVER w - r.qty AS late_from, sum(r.qty) OVER w AS late_to
      FROM receipts r
     WHERE r.late
    WINDOW w AS (PARTITION BY r.product_id, r.warehouse_id
                 ORDER BY r.date_planned, r.late_order_id, r.id)
),
"""
# Supplier delay: (cause, sale line) through the make-to-order chain and from stock.
SUPPLIER_IMPACTED_SQL = """
chain AS (
    SELECT m.id AS move_id, ll.cause_id, ll.company_id, 1 AS depth
      FROM stock_move m
      JOIN late_lines ll ON ll.id = m.purchase_line_id AND ll.cause_id IS NOT NULL
     WHERE m.state IN %(open_move)s
    UNION ALL
    SELECT d.id, c.cause_id, c.company_id, c.depth + 1
      FROM chain c
      JOIN stock_move_move_rel rel ON rel.move_orig_id = c.move_id
      JOIN stock_move d ON d.id = rel.move_dest_id AND d.state IN %(unserved_move)s
     WHERE c.depth < %(max_depth)s
),
impacted_lines AS (
    SELECT c.cause_id, m.sale_line_id
      FROM chain c
      JOIN stock_move m ON m.id = c.move_id AND m.sale_line_id IS NOT NULL
                       AND m.company_id = c.company_id
     WHERE c.depth > 1
    UNION
    SELECT lr.cause_id, u.sale_line_id
      FROM uncovered u
      JOIN late_ranges lr ON lr.product_id = u.product_id AND lr.warehouse_id = u.warehouse_id
                         AND lr.late_company_id = u.company_id AND lr.cause_id IS NOT NULL
                         AND u.unmet_from < lr.late_to AND u.unmet_to > lr.late_from
),
impacted AS (
    SELECT i.cause_id, e.dedupe_key AS cause_key, e.name AS cause_name, i.sale_line_id
      FROM impacted_lines i
      JOIN workflow_exception e ON e.id = i.cause_id
)
"""
# Stock shortage: (cause, sale line) for the demand beyond every open receipt.
SHORTAGE_IMPACTED_SQL = """
impacted AS (
    SELECT DISTINCT e.id AS cause_id, e.dedupe_key AS cause_key, e.name AS cause_name,
           u.sale_line_id
      FROM uncovered u
      JOIN workflow_exception e
        ON e.category_id = %(cause_category)s AND e.company_id = u.company_id
       AND e.dedupe_key = ('shortage:' || u.product_id || ':' || u.warehouse_id)::varchar
       AND e.state IN ('new', 'assigned', 'in_progress')
     WHERE u.unmet_to > u.late_total
)
"""
# One row per (cause, impacted order): the affected lines' untaxed amount in the
# company's currency (as sale.report converts it).
IMPACT_ROWS_SQL = """
SELECT i.cause_id, i.cause_key, i.cause_name, o.id AS res_id, o.name, o.company_id,
       w.id AS warehouse_id, w.workflow_team_id AS team_id, count(*) AS lines,
       sum(l.price_subtotal / CASE COALESCE(o.currency_rate, 0) WHEN 0 THEN 1.0
                                   ELSE o.currency_rate END) AS amount
  FROM impacted i
  JOIN sale_order_line l ON l.id = i.sale_line_id
  JOIN sale_order o ON o.id = l.order_id AND o.state = 'sale' AND o.company_id = l.company_id
  LEFT JOIN stock_warehouse w ON w.id = o.warehouse_id
 GROUP BY i.cause_id, i.cause_key, i.cause_name, o.id, w.id
 ORDER BY i.cause_id, o.id
"""
MAX_CHAIN_DEPTH = 6  # receipt -> (input -> stock -> pick -> pack) -> delivery


class WorkflowCausalChain(models.AbstractModel):
    _inherit = "workflow.distribution.detector"

    def _after_detect(self, detector, now):
        super()._after_detect(detector, now)
        if detector in IMPACT_CATEGORIES:
            self._raise_impacts(detector, now)

    @api.model
    def _raise_impacts(self, detector, now):
        """The impact pass of ``detector``: one query, one upsert, one resolve_cleared.
        Returns the number of impacts seen."""
        category = IMPACT_CATEGORIES[detector]
        self.env["workflow.exception"].flush_model()
        if detector == "supplier_delay":
            rows = self._supplier_delay_impact_rows(now)
        else:
            rows = self._shortage_impact_rows(now)
        texts = self._impact_texts(category)
        vals_list = [self._impact_vals(category, row, texts) for row in rows]
        # sudo: detectors run as a scheduled action on every company's documents
        exceptions = self.env["workflow.exception"].sudo()
        exceptions.raise_exceptions(vals_list)
        exceptions.resolve_cleared(category, [vals["dedupe_key"] for vals in vals_list])
        return len(vals_list)

    def _supplier_delay_impact_rows(self, now):
        """(cause, order) rows of the orders that wait for a late receipt."""
        cause = self.env["workflow.exception.category"]._get_by_code("supplier_delay").id
        return self._rows(
            SQL(
                "WITH RECURSIVE %s %s %s %s",
                SQL(LATE_LINES_SQL, late_limit=self._late_limit(now), supplier_category=cause),
                SQL(STOCK_TIMELINE_SQL, open_move=OPEN_MOVE, unserved_move=UNSERVED_MOVE),
                SQL(
                    SUPPLIER_IMPACTED_SQL,
                    open_move=OPEN_MOVE,
                    unserved_move=UNSERVED_MOVE,
                    max_depth=MAX_CHAIN_DEPTH,
                ),
                SQL(IMPACT_ROWS_SQL),
            )
        )

    def _shortage_impact_rows(self, now):
        """(cause, order) rows of the orders that no stock nor receipt serves in time."""
        Category = self.env["workflow.exception.category"]
        cause = Category._get_by_code("stock_shortage").id
        supplier = Category._get_by_code("supplier_delay").id
        return self._rows(
            SQL(
                "WITH %s %s %s %s",
                SQL(LATE_LINES_SQL, late_limit=self._late_limit(now), supplier_category=supplier),
                SQL(STOCK_TIMELINE_SQL, open_move=OPEN_MOVE, unserved_move=UNSERVED_MOVE),
                SQL(SHORTAGE_IMPACTED_SQL, cause_category=cause),
                SQL(IMPACT_ROWS_SQL),
            )
        )

    def _late_limit(self, now):
        """Planned before this is late (as _detect_supplier_delay)."""
        return now - timedelta(days=self._param("supplier_delay_days", 1.0))

    def _impact_texts(self, category):
        """The translated name and description templates of a pass (translated once:
        a pass raises thousands of impacts)."""
        if category == "supplier_delay_impact":
            name = _("%(order)s waits for the late %(cause)s")
        else:
            name = _("%(order)s is short: %(cause)s")
        description = _(
            "%(count)s line(s) of this order depend on the cause; revenue at risk: "
            "%(amount)s (untaxed, company currency)."
        )
        return name, description

    def _impact_vals(self, category, row, texts):
        name, description = texts
        amount = row["amount"] or 0.0
        vals = self._vals(
            category,
            row,
            name % {"order": row["name"], "cause": row["cause_name"]},
            description % {"count": row["lines"], "amount": round(amount, 2)},
            f"impact:{row['cause_key']}:sale.order,{row['res_id']}",
            res_model="sale.order",
        )
        vals["cause_exception_id"] = row["cause_id"]
        vals["impact_amount"] = amount
        return vals
