# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models
from odoo.tools import SQL

from .stock_picking_return import NO_REFUND, REFUND_STATES_KEY, RefundState


class AccountMove(models.Model):
    """A customer credit note moves the ``customer_return`` flow of the returns of its
    order lines (to ``refunded``, or back to ``received`` when it is reset or
    cancelled)."""

    _inherit = "account.move"

    def _workflow_capture(self):
        super()._workflow_capture()
        refunds = self.filtered(lambda m: m.move_type == "out_refund" and m.line_ids.sale_line_ids)
        if not refunds:
            return
        if not self._workflow_flushing():
            # the returns are found before commit, every line and state final
            refunds._workflow_mark_dirty()
            return
        refunds._workflow_feed_returns()

    def _workflow_feed_returns(self):
        """Feed the received customer returns of the order lines of the credit notes
        ``self`` (a return not received yet cannot be refunded): one query finds them
        and their refund state, which their stage then reads."""
        self.env.cr.execute(
            SQL(
                """WITH links AS (
                       SELECT DISTINCT aml.move_id AS refund_id, p.id AS return_id
                         FROM account_move_line aml
                         JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
                         JOIN stock_move m ON m.sale_line_id = rel.order_line_id
                         JOIN stock_picking p ON p.id = m.picking_id
                                             AND p.state = 'done'
                                             AND p.return_id IS NOT NULL
                                             AND p.sale_id IS NOT NULL
                         JOIN stock_picking_type t ON t.id = p.picking_type_id
                                                  AND t.code = 'incoming'
                         JOIN stock_location src ON src.id = p.location_id
                                                AND src.usage = 'customer'
                        WHERE aml.move_id = ANY(%(ids)s)),
                   %(ctes)s
                   SELECT l.refund_id, l.return_id, s.due, s.refunded, s.amount
                     FROM links l
                     LEFT JOIN refund_states s ON s.return_id = l.return_id""",
                ids=self.ids,
                ctes=self.env["stock.picking"]._workflow_refund_ctes(
                    SQL("SELECT DISTINCT return_id AS id FROM links")
                ),
            )
        )
        returns_of, states = {}, {}
        for refund_id, return_id, due, refunded, amount in self.env.cr.fetchall():
            returns_of.setdefault(refund_id, []).append(return_id)
            if due is not None:
                states[return_id] = RefundState(bool(due), bool(refunded), float(amount or 0))
        Picking = self.env["stock.picking"]
        data = self.env.cr.precommit.data
        # returns of no order line (none done) have no row: nothing refunded
        data[REFUND_STATES_KEY] = {
            return_id: states.get(return_id, NO_REFUND)
            for ids in returns_of.values()
            for return_id in ids
        }
        try:
            self._workflow_feed(lambda m: Picking.browse(returns_of.get(m.id, [])))
        finally:
            data.pop(REFUND_STATES_KEY, None)
