# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import Form

from .common import DistributionCommon


class ReturnCommon(DistributionCommon):
    """Helpers of the customer return tests: a delivered and invoiced order, returns
    through Odoo's return wizard and credit notes through the reversal wizard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.definition_return = cls.env.ref(
            "workflow_monitor_distribution.definition_customer_return"
        )
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("workflow_monitor.return_receipt_days", "7.0")
        params.set_param("workflow_monitor.return_refund_days", "3.0")

    def delivered_order(self, qty=10, invoice=True, product=None, warehouse=None, partner=None):
        product = product or self.product_1
        warehouse = warehouse or self.wh_a
        self.add_stock(product, warehouse, qty)
        order = self.create_sale([(product, qty)], warehouse=warehouse, partner=partner)
        delivery = self.outgoing(order)
        self.deliver(delivery)
        invoice_move = self.invoice_sale(order) if invoice else None
        return order, delivery, invoice_move

    def request_return(self, picking, quantities=None, all_of_it=False):
        """The return picking the wizard creates (not received); ``quantities``:
        {product: qty}, or ``all_of_it`` (the wizard's Return All)."""
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_ids=picking.ids, active_model="stock.picking"
            )
        ).save()
        if all_of_it:
            action = wizard.action_create_returns_all()
        else:
            for line in wizard.product_return_moves:
                line.quantity = quantities.get(line.product_id, 0.0)
            action = wizard.action_create_returns()
        self.run_deferred()
        return self.env["stock.picking"].browse(action["res_id"])

    def refund(self, invoice, quantities=None, post=True):
        """A credit note of ``invoice`` through the reversal wizard, for
        ``quantities`` ({product: qty}, default: the whole invoice)."""
        refund = self.credit_note(invoice, post=False)
        for line in refund.invoice_line_ids:
            if quantities is not None:
                line.quantity = quantities.get(line.product_id, 0.0)
        if post:
            refund.action_post()
        self.run_deferred()
        return refund

    def return_instance(self, picking):
        return self.instance_of(picking, self.definition_return)

    def return_stages(self, picking):
        events = self.stage_events(picking).filtered(
            lambda e: e.definition_id == self.definition_return
        )
        return [event.stage_to_id.code for event in events]
