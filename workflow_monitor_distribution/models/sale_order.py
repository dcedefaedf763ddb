from odoo import models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "workflow.tracked.mixin"]
    _workflow_definition = "order_to_cash"
    _workflow_tracked_fields = ("state", "delivery_status", "invoice_status")

    def _workflow_stage_code(self):
        """quotation, confirmed, allocated (every open delivery reserved), shipped (every
        outgoing delivery done), invoiced (fully invoiced, all posted), paid, cancelled.
        Pickings and invoices are read only for confirmed orders, at the step they matter.
        """
        codes = {}
        for order in self:
            if order.state == "cancel":
                codes[order] = "cancelled"
            elif order.state in ("draft", "sent"):
                codes[order] = "quotation"
            else:
                codes[order] = order._workflow_confirmed_stage()
        return codes

    def _workflow_confirmed_stage(self):
        self.ensure_one()
        # Capture runs in the middle of Odoo's flows. A one2many loaded into the cache
        # here gets the records created later appended in creation order, where a read
        # after the flow would give the database order (_order): code relying on that
        # order (e.g. sale_stock's test_return_with_mto_and_multisteps_old_pull) would
        # see other pickings. What this method loads is dropped again (no query).
        cache = self.env.cache
        drop_pickings = not cache.contains(self, self._fields["picking_ids"])
        try:
            return self._workflow_confirmed_stage_read()
        finally:
            if drop_pickings:
                self.invalidate_recordset(["picking_ids"], flush=False)

    def _workflow_confirmed_stage_read(self):
        cache = self.env.cache
        outgoing = self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
        )
        moves_field = self.env["stock.picking"]._fields["move_ids"]
        drop_moves = outgoing.filtered(lambda p: not cache.contains(p, moves_field))
        open_moves = outgoing.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        if drop_moves:
            drop_moves.invalidate_recordset(["move_ids"], flush=False)
        if open_moves:
            # allocated: every open move of every open delivery is fully reserved
            return "allocated" if all(m.state == "assigned" for m in open_moves) else "confirmed"
        # "no" once shipping ended: a backorder cancelled or a return credited leaves
        # nothing to invoice although not every ordered unit is invoiced
        if self.invoice_status in ("invoiced", "no"):
            invoices = self.invoice_ids.filtered(
                lambda m: m.move_type == "out_invoice" and m.state != "cancel"
            )
            if invoices and all(m.state == "posted" for m in invoices):
                if all(m.payment_state in ("paid", "in_payment", "reversed") for m in invoices):
                    return "paid"
                return "invoiced"
        return "shipped" if outgoing else "confirmed"

    def _workflow_node_ref(self):
        return {
            order: f"stock.warehouse,{order.warehouse_id.id}" if order.warehouse_id else False
            for order in self
        }

    def _workflow_warehouse(self):
        return {order: order.warehouse_id for order in self}
