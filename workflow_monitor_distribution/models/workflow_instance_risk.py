# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import math

from odoo import api, models
from odoo.tools import SQL

# Promised dates missed: a sale order delivered (or still not delivered) after its
# commitment date, a delivery or receipt done (or not done) after its deadline, a
# purchase order received after its planned date.
MISSED_SQL = """
SELECT i.id, so.commitment_date
  FROM workflow_instance i JOIN sale_order so ON so.id = i.res_id
 WHERE i.res_model = 'sale.order' AND i.id IN (%(ids)s)
   AND so.commitment_date < COALESCE(so.effective_date, 'infinity')
UNION ALL
SELECT i.id, sp.date_deadline
  FROM workflow_instance i JOIN stock_picking sp ON sp.id = i.res_id
 WHERE i.res_model = 'stock.picking' AND i.id IN (%(ids)s) AND sp.state != 'cancel'
   AND sp.date_deadline < COALESCE(sp.date_done, 'infinity')
UNION ALL
SELECT i.id, po.date_planned
  FROM workflow_instance i JOIN purchase_order po ON po.id = i.res_id
 WHERE i.res_model = 'purchase.order' AND i.id IN (%(ids)s) AND po.state != 'cancel'
   AND po.date_planned < COALESCE(po.effective_date, 'infinity')
"""
# The business document behind instances (``%(instances)s``: their ids): partner,
# amount and products.
DOCUMENTS_SQL = """
SELECT i.id AS instance_id, i.definition_id, i.node_ref, i.ended_at,
       COALESCE(so.partner_id, sp.partner_id, po.partner_id) AS partner_id,
       COALESCE(so.amount_total, po.amount_total) AS amount,
       ARRAY(SELECT l.product_id FROM sale_order_line l
              WHERE i.res_model = 'sale.order' AND l.order_id = i.res_id
                AND l.product_id IS NOT NULL
             UNION
             SELECT m.product_id FROM stock_move m
              WHERE i.res_model = 'stock.picking' AND m.picking_id = i.res_id
             UNION
             SELECT l.product_id FROM purchase_order_line l
              WHERE i.res_model = 'purchase.order' AND l.order_id = i.res_id
                AND l.product_id IS NOT NULL) AS product_ids
  FROM workflow_instance i
  LEFT JOIN sale_order so ON i.res_model = 'sale.order' AND so.id = i.res_id
  LEFT JOIN stock_picking sp ON i.res_model = 'stock.picking' AND sp.id = i.res_id
  LEFT JOIN purchase_order po ON i.res_model = 'purchase.order' AND po.id = i.res_id
 WHERE i.id IN (%(instances)s)
"""
# Per snapshot (instance, moment): the late history of its partner and products among
# the finished instances of the same flow that ended before the moment (within
# HISTORY_DAYS before the earliest moment of the batch), the shortages
# of its products and the supplier delays of its warehouse open at the moment.
FEATURES_SQL = """
WITH snap AS (
    SELECT s.n, s.instance_id, s.at
      FROM unnest(%(ids)s::int4[], %(ats)s::timestamp[]) WITH ORDINALITY AS s(instance_id, at, n)
), doc AS MATERIALIZED (%(documents)s),
past_ids AS MATERIALIZED (
    SELECT h.id FROM workflow_instance h
     WHERE h.state = 'done' AND h.definition_id IN (SELECT definition_id FROM doc)
       AND h.ended_at < (SELECT max(at) FROM snap)
       AND h.ended_at >= (SELECT min(at) FROM snap) - %(history)s * interval '1 day'
), past_missed AS (
    SELECT m.instance_id, min(m.missed_at) AS missed_at FROM (%(missed)s) m GROUP BY 1
), past AS MATERIALIZED (
    SELECT d.*, COALESCE(pm.missed_at < d.ended_at, FALSE) AS late
      FROM (%(past_documents)s) d LEFT JOIN past_missed pm ON pm.instance_id = d.instance_id
), past_product AS MATERIALIZED (
    SELECT p.definition_id, p.ended_at, p.late, unnest(p.product_ids) AS product_id FROM past p
), shortage AS MATERIALIZED (
    SELECT e.res_id AS product_id, e.node_ref, e.first_seen, e.resolved_at
      FROM workflow_exception e JOIN workflow_exception_category c ON c.id = e.category_id
     WHERE c.code = 'stock_shortage' AND e.res_model = 'product.product'
), delay AS MATERIALIZED (
    SELECT e.node_ref, e.first_seen, e.resolved_at
      FROM workflow_exception e JOIN workflow_exception_category c ON c.id = e.category_id
     WHERE c.code = 'supplier_delay'
), partner_history AS (
    SELECT s.n, count(*) FILTER (WHERE p.late) AS late, count(*) AS total
      FROM snap s
      JOIN doc d ON d.instance_id = s.instance_id
      JOIN past p ON p.definition_id = d.definition_id AND p.partner_id = d.partner_id
                 AND p.ended_at < s.at
     GROUP BY s.n
), snap_product AS (
    SELECT s.n, s.at, d.definition_id, d.node_ref, unnest(d.product_ids) AS product_id
      FROM snap s JOIN doc d ON d.instance_id = s.instance_id
), product_history AS (
    SELECT sp.n, count(*) FILTER (WHERE pp.late) AS late, count(*) AS total
      FROM snap_product sp
      JOIN past_product pp ON pp.definition_id = sp.definition_id
                          AND pp.product_id = sp.product_id AND pp.ended_at < sp.at
     GROUP BY sp.n
), shortages AS (
    SELECT sp.n, count(*) AS total
      FROM snap_product sp
      JOIN shortage sh ON sh.product_id = sp.product_id AND sh.node_ref = sp.node_ref
                      AND sh.first_seen <= sp.at
                      AND (sh.resolved_at IS NULL OR sh.resolved_at > sp.at)
     GROUP BY sp.n
), delays AS (
    SELECT s.n, count(*) AS total
      FROM snap s
      JOIN doc d ON d.instance_id = s.instance_id
      JOIN delay dl ON dl.node_ref = d.node_ref AND dl.first_seen <= s.at
                   AND (dl.resolved_at IS NULL OR dl.resolved_at > s.at)
     GROUP BY s.n
)
SELECT s.n, d.partner_id, d.amount,
       COALESCE(ph.late, 0), COALESCE(ph.total, 0),
       COALESCE(prh.late, 0), COALESCE(prh.total, 0),
       COALESCE(sh.total, 0), COALESCE(dl.total, 0)
  FROM snap s JOIN doc d ON d.instance_id = s.instance_id
  LEFT JOIN partner_history ph ON ph.n = s.n
  LEFT JOIN product_history prh ON prh.n = s.n
  LEFT JOIN shortages sh ON sh.n = s.n
  LEFT JOIN delays dl ON dl.n = s.n
 ORDER BY s.n
"""
HISTORY_DAYS = 180
CATEGORICAL = ()  # the partner itself overfits: its late history says it better
NUMERIC = (
    "partner_late_rate",
    "log_partner_history",
    "product_late_rate",
    "open_shortages",
    "supplier_delays",
    "log_amount",
)


class WorkflowInstance(models.Model):
    """The distribution side of the breach-risk hooks: promised dates of the documents,
    and features of the partner, the products and the warehouse, for a whole batch of
    snapshots in one statement."""

    _inherit = "workflow.instance"

    @api.model
    def _risk_missed_sql(self, instance_ids):
        for model in ("sale.order", "stock.picking", "purchase.order"):
            self.env[model].flush_model()
        return SQL(
            "%s UNION ALL %s",
            super()._risk_missed_sql(instance_ids),
            SQL(MISSED_SQL, ids=instance_ids),
        )

    @api.model
    def _risk_feature_names(self):
        categorical, numeric = super()._risk_feature_names()
        return list(categorical) + list(CATEGORICAL), list(numeric) + list(NUMERIC)

    @api.model
    def _risk_features(self, snapshots):
        result = super()._risk_features(snapshots)
        if not snapshots:
            return result
        for model in (
            "sale.order.line",
            "stock.move",
            "purchase.order.line",
            "workflow.exception",
            "workflow.instance",
        ):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                FEATURES_SQL,
                ids=[snapshot[0] for snapshot in snapshots],
                ats=[snapshot[1] for snapshot in snapshots],
                history=HISTORY_DAYS,
                documents=SQL(DOCUMENTS_SQL, instances=SQL("SELECT instance_id FROM snap")),
                past_documents=SQL(DOCUMENTS_SQL, instances=SQL("SELECT id FROM past_ids")),
                missed=self._risk_missed_sql(SQL("SELECT id FROM past_ids")),
            )
        )
        for row in self.env.cr.fetchall():
            result[row[0] - 1].update(_features_of_row(row))
        return result


def _features_of_row(row):
    """Feature dict of one FEATURES_SQL row; rates are smoothed towards one half so a
    partner or product without history is neither good nor bad."""
    _n, _partner_id, amount, partner_late, partner_count, product_late, product_count = row[:7]
    shortages, delays = row[7:9]
    return {
        "partner_late_rate": (partner_late + 0.5) / (partner_count + 1.0),
        "log_partner_history": math.log1p(partner_count),
        "product_late_rate": (product_late + 0.5) / (product_count + 1.0),
        "open_shortages": float(shortages),
        "supplier_delays": float(delays),
        "log_amount": math.log1p(amount) if amount else None,
    }
