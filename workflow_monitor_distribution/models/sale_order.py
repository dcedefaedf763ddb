# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models

from odoo.addons.workflow_monitor_base.tools.process_relations import RelatedDocuments

LOADED_PICKINGS_KEY = "workflow_monitor.loaded_picking_ids"


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "workflow.tracked.mixin"]
    _workflow_definition = "order_to_cash"
    _workflow_tracked_fields = ("state", "delivery_status", "invoice_status")
    _workflow_defer_stage = True
    _workflow_confirm_state = "sale"
    _workflow_object_qualifier = "order"

    # Stages: quotation, confirmed, allocated (every open delivery reserved), shipped (every
    # outgoing delivery done), invoiced (fully invoiced, all posted), paid, cancelled.

    def _workflow_open_stage(self):
        """The stage of a quotation or cancelled order (None for a confirmed one)."""
        if self.state == "cancel":
            return "cancelled"
        if self.state in ("draft", "sent"):
            return "quotation"
        return None

    def _workflow_confirmed_stage(self):
        """The stage of a confirmed order, all fields final. Pickings and invoices are
        read only at the step they matter."""
        self.ensure_one()
        if self.delivery_status == "full":
            # every picking is done or cancelled: no delivery to read (invoice, payment)
            shipped = True
        else:
            if not self.env.cache.contains(self, self._fields["picking_ids"]):
                self._workflow_loaded_pickings().add(self.id)
            outgoing = self.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
            )
            open_moves = outgoing.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
            if open_moves:
                # allocated: every open move of every open delivery is fully reserved
                return (
                    "allocated" if all(m.state == "assigned" for m in open_moves) else "confirmed"
                )
            shipped = bool(outgoing)
            if not shipped and any(line.product_id.type == "consu" for line in self.order_line):
                # goods not delivered yet (pickings still to come): no invoice stage, and
                # no early read of invoice_status in the middle of the confirmation
                return "confirmed"
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
        return "shipped" if shipped else "confirmed"

    @api.model
    def _workflow_related_documents(self):
        """The documents of an order the exports link: its pickings (deliveries,
        returns) and its invoices and credit notes."""
        return (
            RelatedDocuments("picking", "stock.picking", "sale_id"),
            RelatedDocuments(
                "invoice",
                "account.move",
                "line_ids.sale_line_ids.order_id",
                (("move_type", "in", ("out_invoice", "out_refund")),),
            ),
        )

    def _workflow_node_ref(self):
        return {
            order: f"stock.warehouse,{order.warehouse_id.id}" if order.warehouse_id else False
            for order in self
        }

    def _workflow_warehouse(self):
        return {order: order.warehouse_id for order in self}

    # Capture runs in the middle of Odoo's flows. When it loads ``picking_ids`` of an
    # order into the cache, the pickings created later in the transaction are appended
    # to that cache in creation order, where Odoo alone would read them later in the
    # database order (``_order``): code relying on that order (e.g. sale_stock's
    # test_return_with_mto_and_multisteps_old_pull) would get other pickings. What
    # capture loaded is dropped (no query) when pickings are created and at pre-commit.

    def _workflow_loaded_pickings(self):
        """The ids of the orders whose ``picking_ids`` capture loaded (transaction)."""
        data = self.env.cr.precommit.data
        if LOADED_PICKINGS_KEY not in data:
            data[LOADED_PICKINGS_KEY] = set()
            env = self.env
            self.env.cr.precommit.add(lambda: env["sale.order"]._workflow_drop_loaded_pickings())
        return data[LOADED_PICKINGS_KEY]

    @api.model
    def _workflow_drop_loaded_pickings(self):
        order_ids = self.env.cr.precommit.data.get(LOADED_PICKINGS_KEY)
        if order_ids:
            self.browse(order_ids).invalidate_recordset(["picking_ids"], flush=False)
            order_ids.clear()
