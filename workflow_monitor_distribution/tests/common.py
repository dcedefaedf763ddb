# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command, fields
from odoo.tests import Form, TransactionCase

OPEN_STATES = ("new", "assigned", "in_progress")


class DistributionCommon(TransactionCase):
    """Shared fixtures of the distribution tests: two fresh warehouses of the main
    company (so that nothing of the demo data runs through them), storable products
    invoiced on delivered quantities, customers, a vendor, and helpers that drive the
    real sale, stock, purchase and accounting flows.

    The workflow capture is deferred to pre-commit: helpers call :meth:`run_deferred`
    after each business step (inside the caller's ``freeze_time`` block, so events
    keep the frozen time)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        Warehouse = cls.env["stock.warehouse"]
        cls.wh_a = Warehouse.create(
            {"name": "WM Dist A", "code": "WMA", "company_id": cls.company.id}
        )
        cls.wh_b = Warehouse.create(
            {"name": "WM Dist B", "code": "WMB", "company_id": cls.company.id}
        )
        Product = cls.env["product.product"]
        product_vals = {
            "is_storable": True,
            "type": "consu",
            "invoice_policy": "delivery",
            "purchase_method": "receive",
            "list_price": 10.0,
            "standard_price": 5.0,
            "taxes_id": [Command.clear()],
            "supplier_taxes_id": [Command.clear()],
        }
        cls.product_1 = Product.create(dict(product_vals, name="WM Dist Widget"))
        cls.product_2 = Product.create(dict(product_vals, name="WM Dist Gadget"))
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "WM Dist Customer"})
        cls.customer_2 = Partner.create({"name": "WM Dist Customer 2"})
        cls.vendor = Partner.create({"name": "WM Dist Vendor"})

        cls.definition_o2c = cls.env.ref("workflow_monitor_distribution.definition_order_to_cash")
        cls.definition_p2p = cls.env.ref("workflow_monitor_distribution.definition_procure_to_pay")
        cls.definition_delivery = cls.env.ref("workflow_monitor_distribution.definition_delivery")
        # explicit defaults: the tests must not depend on what Settings hold
        params = cls.env["ir.config_parameter"].sudo()
        for key, value in (
            ("late_tolerance_hours", 4.0),
            ("backorder_aging_days", 5.0),
            ("allocation_delay_hours", 24.0),
            ("supplier_delay_days", 1.0),
            ("rfq_answer_days", 3.0),
            ("invoice_price_tolerance", 2.0),
            ("invoice_qty_tolerance", 0.0),
        ):
            params.set_param(f"workflow_monitor.{key}", str(value))

    # ------------------------------------------------------------
    # capture
    # ------------------------------------------------------------

    def run_deferred(self):
        """Apply the pending capture, as the commit would."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def instance_of(self, record, definition=None):
        if definition is None:
            definition = {
                "sale.order": self.definition_o2c,
                "purchase.order": self.definition_p2p,
                "stock.picking": self.definition_delivery,
            }[record._name]
        return self.env["workflow.instance"].search(
            [
                ("definition_id", "=", definition.id),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ]
        )

    def stage_events(self, record):
        return self.env["workflow.event"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("event_type", "=", "stage"),
            ],
            order="id",
        )

    def stage_codes(self, record):
        return [event.stage_to_id.code for event in self.stage_events(record)]

    def node(self, warehouse):
        return f"stock.warehouse,{warehouse.id}"

    # ------------------------------------------------------------
    # stock
    # ------------------------------------------------------------

    def add_stock(self, product, warehouse, quantity):
        self.env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, quantity
        )

    def deliver(self, picking, quantities=None, backorder=True):
        """Validate ``picking`` with ``quantities`` ({product: qty}, default: all);
        a partial validation creates a backorder (or cancels the rest)."""
        quantities = quantities or {}
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id, move.product_uom_qty)
            move.picked = True
        result = picking.button_validate()
        if isinstance(result, dict):
            wizard = Form.from_action(self.env, result).save()
            if backorder:
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        self.run_deferred()
        return picking.backorder_ids

    def return_picking(self, picking, quantities):
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_ids=picking.ids, active_model="stock.picking"
            )
        ).save()
        for line in wizard.product_return_moves:
            line.quantity = quantities.get(line.product_id, 0.0)
        action = wizard.action_create_returns()
        returned = self.env["stock.picking"].browse(action["res_id"])
        self.deliver(returned)
        return returned

    # ------------------------------------------------------------
    # sale
    # ------------------------------------------------------------

    def create_sale(self, lines, warehouse=None, partner=None, confirm=True):
        """``lines``: [(product, qty)] or [(product, qty, price)]."""
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "warehouse_id": (warehouse or self.wh_a).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": line[0].id,
                            "product_uom_qty": line[1],
                            "price_unit": line[2] if len(line) > 2 else 10.0,
                        }
                    )
                    for line in lines
                ],
            }
        )
        self.run_deferred()
        if confirm:
            self.confirm_sale(order)
        return order

    def confirm_sale(self, order):
        order.action_confirm()
        self.run_deferred()
        return order

    def outgoing(self, order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")

    def invoice_sale(self, order, post=True, invoice_date=None):
        invoice = order._create_invoices()
        if invoice_date:
            invoice.invoice_date = invoice_date
        if post:
            invoice.action_post()
        self.run_deferred()
        return invoice

    def credit_note(self, invoice, post=True):
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "WM test"})
        )
        action = wizard.refund_moves()
        refund = self.env["account.move"].browse(action["res_id"])
        if post:
            refund.action_post()
        self.run_deferred()
        return refund

    def pay(self, moves):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create({})._create_payments()
        self.run_deferred()

    # ------------------------------------------------------------
    # purchase
    # ------------------------------------------------------------

    def create_purchase(self, lines, warehouse=None, confirm=True, date_planned=None):
        """``lines``: [(product, qty, price)]."""
        order = self.env["purchase.order"].create(
            {
                "partner_id": self.vendor.id,
                "picking_type_id": (warehouse or self.wh_a).in_type_id.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_qty": qty,
                            "price_unit": price,
                            "date_planned": date_planned or fields.Datetime.now(),
                        }
                    )
                    for product, qty, price in lines
                ],
            }
        )
        self.run_deferred()
        if confirm:
            order.button_confirm()
            self.run_deferred()
        return order

    def send_rfq(self, order):
        order.with_context(mark_rfq_as_sent=True).message_post(body="RFQ sent")
        self.run_deferred()

    def receive(self, order, quantities=None, backorder=True):
        receipt = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.deliver(receipt, quantities, backorder=backorder)
        return receipt

    def bill_purchase(self, order, post=True, invoice_date=None, prices=None, quantities=None):
        order.action_create_invoice()
        bill = order.invoice_ids.filtered(lambda m: m.state == "draft")
        bill.invoice_date = invoice_date or fields.Date.today()
        for line in bill.invoice_line_ids:
            vals = {}
            if prices and line.product_id in prices:
                vals["price_unit"] = prices[line.product_id]
            if quantities and line.product_id in quantities:
                vals["quantity"] = quantities[line.product_id]
            if vals:
                line.write(vals)
        if post:
            bill.action_post()
        self.run_deferred()
        return bill

    # ------------------------------------------------------------
    # detectors and exceptions
    # ------------------------------------------------------------

    def detect(self, name):
        return self.env["workflow.distribution.detector"]._cron_detect(name)

    def exceptions_of(self, category, record, open_only=False):
        domain = [
            ("category_id.code", "=", category),
            ("res_model", "=", record._name),
            ("res_id", "=", record.id),
        ]
        if open_only:
            domain.append(("state", "in", OPEN_STATES))
        return self.env["workflow.exception"].search(domain)

    def assert_one_open(self, category, record, warehouse, occurrences=1):
        """Exactly one exception for ``record``, open, linked to it and its warehouse."""
        exceptions = self.exceptions_of(category, record)
        self.assertEqual(len(exceptions), 1, f"{category}: one exception for {record}")
        self.assertIn(exceptions.state, OPEN_STATES)
        self.assertEqual(exceptions.res_model, record._name)
        self.assertEqual(exceptions.res_id, record.id)
        self.assertEqual(exceptions.node_ref, self.node(warehouse))
        self.assertEqual(exceptions.company_id, self.company)
        self.assertEqual(exceptions.occurrence_count, occurrences)
        return exceptions

    def assert_rerun_idempotent(self, category, record, exception):
        """A second run counts an occurrence on the same open exception, nothing else."""
        self.detect(category)
        again = self.exceptions_of(category, record)
        self.assertEqual(again, exception)
        self.assertIn(again.state, OPEN_STATES)
        self.assertEqual(again.occurrence_count, 2)

    def assert_resolved(self, category, record, exception):
        self.detect(category)
        self.assertEqual(self.exceptions_of(category, record), exception)
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(self.exceptions_of(category, record, open_only=True))
