# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The ``customer_return`` flow: an incoming return picking of a delivered sale order.

A picking is a customer return when it is incoming, is the return of another picking
(``return_id``, as Odoo's return wizard sets it), comes from a customer location and
belongs to a sale order (``sale_id``): the return of a delivery. A vendor return of a
receipt leaves stock for the vendor (outgoing, or an incoming type from an internal
location): it follows no return flow.

Stages: ``requested`` (created, not done), ``received`` (done), ``refunded`` (done and
credited, see :data:`RETURN_REFUND_CTES`), ``cancelled``.
"""

from typing import NamedTuple

from odoo import api, models
from odoo.tools import SQL

# The refund state of done customer returns: common table expressions ending in
# ``refund_states(return_id, due, refunded, amount, date_done)``, one row per return with
# order lines, to follow a ``WITH``. ``%(candidates)s`` is a query returning the ids of the
# returns to look at (column ``id``); every value is a parameter. Constant.
#
# Per order line L of a return R, in the line's unit of measure:
#   kept(R, L)  = L.qty_delivered (Odoo's figure: deliveries minus the returns that update
#                 the order, ``to_refund``) + what later customer returns of L took back
#                 (done after R), i.e. what the customer kept once R was back;
#   net(L)      = quantity on posted customer invoices minus posted credit notes of L;
#   due(R, L)   = net(L) > kept(R, L): the customer still pays for goods R brought back.
# R is refunded when no line is due and each line has a posted credit note; R is due
# (waiting for a credit note) when some line is. Later returns make an earlier one
# neither due nor unrefunded again. ``amount``: the returned quantity of R at the
# line's unit price, taxes included (what a credit note would give back).
RETURN_REFUND_CTES = """
candidates AS (%(candidates)s),
return_lines AS (
    SELECT m.picking_id AS return_id, m.sale_line_id, p.date_done,
           sum(m.quantity / mu.factor * lu.factor) AS qty
      FROM stock_move m
      JOIN candidates c ON c.id = m.picking_id
      JOIN stock_picking p ON p.id = m.picking_id
      JOIN sale_order_line l ON l.id = m.sale_line_id
      JOIN uom_uom mu ON mu.id = m.product_uom
      JOIN uom_uom lu ON lu.id = l.product_uom
     WHERE m.state = 'done'
     GROUP BY m.picking_id, m.sale_line_id, p.date_done),
per_line AS (
    -- per line, two index lookups (its moves, its invoice lines): linear in the lines
    SELECT rl.return_id, rl.date_done,
           COALESCE(b.net, 0) > l.qty_delivered + COALESCE(la.qty, 0) + lu.rounding / 2
               AS due,
           COALESCE(b.credited, false) AS credited,
           rl.qty * l.price_total / NULLIF(l.product_uom_qty, 0) AS amount
      FROM return_lines rl
      JOIN sale_order_line l ON l.id = rl.sale_line_id
      JOIN uom_uom lu ON lu.id = l.product_uom
      LEFT JOIN LATERAL (
          -- what the later customer returns of the line took back from the order
          SELECT sum(m.quantity / mu.factor * lu.factor) AS qty
            FROM stock_move m
            JOIN stock_picking p ON p.id = m.picking_id AND p.return_id IS NOT NULL
            JOIN stock_location src ON src.id = m.location_id AND src.usage = 'customer'
            JOIN uom_uom mu ON mu.id = m.product_uom
           WHERE m.sale_line_id = rl.sale_line_id AND m.state = 'done' AND m.to_refund
             AND (p.date_done, p.id) > (rl.date_done, rl.return_id)) la ON TRUE
      LEFT JOIN LATERAL (
          SELECT sum(CASE WHEN am.move_type = 'out_refund' THEN -1 ELSE 1 END
                     * aml.quantity / COALESCE(au.factor, lu.factor) * lu.factor) AS net,
                 bool_or(am.move_type = 'out_refund') AS credited
            FROM sale_order_line_invoice_rel rel
            JOIN account_move_line aml ON aml.id = rel.invoice_line_id
            JOIN account_move am ON am.id = aml.move_id
            LEFT JOIN uom_uom au ON au.id = aml.product_uom_id
           WHERE rel.order_line_id = rl.sale_line_id AND am.state = 'posted'
             AND am.move_type IN ('out_invoice', 'out_refund')) b ON TRUE),
refund_states AS (
    SELECT return_id, bool_or(due) AS due, bool_and(credited AND NOT due) AS refunded,
           COALESCE(sum(amount), 0) AS amount, max(date_done) AS date_done
      FROM per_line
     GROUP BY return_id)"""


class RefundState(NamedTuple):
    """Where the credit note of one received return stands."""

    due: bool  # the order still invoices goods the return brought back
    refunded: bool  # credited: nothing due, and a posted credit note on every line
    amount: float  # the returned goods at the order's prices, taxes included


NO_REFUND = RefundState(False, False, 0.0)
# {return id: RefundState} a credit note's flush already read for the returns it feeds
# (account_move_return.py); present only while it feeds them
REFUND_STATES_KEY = "workflow_monitor.return_refund_states"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _workflow_definition_code(self):
        """Customer returns follow ``customer_return``; every other picking keeps the
        flow the other files give it."""
        codes = super()._workflow_definition_code()
        for picking in self:
            if not codes.get(picking) and picking._workflow_is_customer_return():
                codes[picking] = "customer_return"
        return codes

    def _workflow_is_customer_return(self):
        """The return of a delivery of a sale order (fields of the picking, its type
        and source location only: no query on the hot path)."""
        self.ensure_one()
        return bool(
            self.return_id
            and self.sale_id
            and self.picking_type_code == "incoming"
            and self.location_id.usage == "customer"
        )

    def _workflow_stage_code_customer_return(self):
        """requested / received / refunded / cancelled. Whether a received return is
        refunded is read in SQL (credit notes of its order lines), once per batch before
        commit: in the middle of Odoo's flow a done return is only marked, and observed
        when every field is final (like the deferred order flow)."""
        codes, received = {}, []
        for picking in self:
            if picking.state == "cancel":
                codes[picking] = "cancelled"
            elif picking.state != "done":
                codes[picking] = "requested"
            else:
                received.append(picking.id)
        if not received:
            return codes
        received = self.browse(received)
        if not self._workflow_flushing():
            received._workflow_mark_dirty()
            codes.update(dict.fromkeys(received))  # nothing noted until then
            return codes
        states = received._workflow_refund_states()
        for picking in received:
            refunded = states.get(picking.id, NO_REFUND).refunded
            codes[picking] = "refunded" if refunded else "received"
        return codes

    def _workflow_refund_states(self):
        """{return id: RefundState} of the done customer returns of ``self`` (one
        query; returns without order lines are left out)."""
        if not self:
            return {}
        known = self.env.cr.precommit.data.get(REFUND_STATES_KEY) or {}
        if all(picking_id in known for picking_id in self.ids):
            return known
        self.env.flush_all()  # the query reads moves, order lines and invoices
        ctes = self._workflow_refund_ctes(SQL("SELECT unnest(%s::int[]) AS id", self.ids))
        self.env.cr.execute(
            SQL("WITH %s SELECT return_id, due, refunded, amount FROM refund_states", ctes)
        )
        return {
            return_id: RefundState(bool(due), bool(refunded), float(amount or 0.0))
            for return_id, due, refunded, amount in self.env.cr.fetchall()
        }

    @api.model
    def _workflow_refund_ctes(self, candidates):
        """RETURN_REFUND_CTES for the returns ``candidates`` (an SQL query of ids)
        selects: set-based, for the flow and the return_aging detector alike."""
        return SQL(RETURN_REFUND_CTES, candidates=candidates)
