# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import Form, freeze_time, tagged

from odoo.addons.workflow_monitor_base.tools.context import server_context

from .return_common import ReturnCommon

# Statements capture adds to each step over the same step with capture off (measured):
# - request: the engine's one, and the order-to-cash flow's read of the order's moves and
#   invoices (its delivery status changes; the same without this flow): 3;
# - receive: the engine's one and the refund-state query of the returns received: 2;
# - credit: the engine's one and the order-to-cash flow's read of the invoice lines'
#   orders (3 without this flow), plus this flow's query finding the received returns
#   of the credited order lines with their refund state, and the read of those returns
#   and their types (not in the transaction's cache; the engine reads them anyway): 6.
# Each the same for one return or three.
EXTRA = {"request": 3, "receive": 2, "credit": 6}


@tagged("post_install", "-at_install")
class TestCaptureCostReturn(ReturnCommon):
    """Capture cost of the customer_return flow, as test_capture_cost measures the order
    flows: the same returns requested, received and credited on identical orders, capture
    off then on, for one order and for three at once (the same statements whatever their
    number). The order-to-cash flow's own cost of these steps (its instance moves too)
    is the same with and without this flow: see EXTRA."""

    def setUp(self):
        super().setUp()
        self.cases = {}
        for mode in ("warmup", "off", "on", "off3", "on3"):
            cases = []
            for i in range(3 if mode.endswith("3") else 1):
                product = self.env["product.product"].create(
                    {
                        "name": f"WM Return Cost {mode} {i}",
                        "is_storable": True,
                        "type": "consu",
                        "invoice_policy": "delivery",
                        "list_price": 10.0,
                    }
                )
                order, delivery, invoice = self.delivered_order(6, product=product)
                cases.append({"order": order, "delivery": delivery, "invoice": invoice})
            self.cases[mode] = cases

    def queries(self, mode, step):
        env = self.env(
            context=dict(
                self.env.context,
                **server_context(workflow_capture_disable=mode.startswith("off")),
            )
        )
        self.run_deferred()
        self.env.invalidate_all()
        with freeze_time("2030-04-01 10:00:00"):
            start = self.env.cr.sql_log_count
            step(self.cases[mode], env)
            env.flush_all()
            env.cr.precommit.run()
        count = self.env.cr.sql_log_count - start
        self.env.invalidate_all()
        return count

    def request(self, cases, env):
        for case in cases:
            delivery = case["delivery"].with_env(env)
            wizard = Form(
                env["stock.return.picking"].with_context(
                    active_id=delivery.id, active_ids=delivery.ids, active_model="stock.picking"
                )
            ).save()
            wizard.product_return_moves.quantity = 2
            action = wizard.action_create_returns()
            case["return"] = env["stock.picking"].browse(action["res_id"])

    def receive(self, cases, env):
        returns = env["stock.picking"].browse([case["return"].id for case in cases])
        returns.move_ids.quantity = 2
        returns.move_ids.picked = True
        returns.button_validate()

    def credit(self, cases, env):
        invoices = env["account.move"].browse([case["invoice"].id for case in cases])
        wizard = (
            env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"journal_id": invoices[0].journal_id.id, "reason": "WM cost"})
        )
        wizard.refund_moves()
        refunds = env["account.move"].search(
            [("reversed_entry_id", "in", invoices.ids), ("state", "=", "draft")]
        )
        refunds.invoice_line_ids.quantity = 2
        refunds.action_post()

    def test_statements_per_step(self):
        for step in (self.request, self.receive, self.credit):
            name = step.__name__
            with self.subTest(step=name):
                self.queries("warmup", step)
                one = self.queries("on", step) - self.queries("off", step)
                three = self.queries("on3", step) - self.queries("off3", step)
                self.assertLessEqual(one, EXTRA[name], f"{name}: {one} more statements")
                if name != "request":  # one wizard per delivery: no batch to request
                    self.assertEqual(three, one, f"{name}: three returns cost what one costs")
        for mode in ("on", "on3"):
            for case in self.cases[mode]:
                self.assertEqual(
                    self.return_stages(case["return"]), ["requested", "received", "refunded"]
                )
        self.assertFalse(self.return_instance(self.cases["off"][0]["return"]))
