# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Approval attacks (DESIGN.md sections 5 and 10): a sales user, a buyer, a stock user and
even the approver try to get a document through without the approval it needs."""

import json

from odoo.tests import tagged

from .common import AttackCase

SILENCING_CONTEXT = {
    "workflow_capture_disable": True,
    "workflow_audit_disable": True,
    "workflow_source": "system",
}
# every context key a client could hope the gate or Odoo's inventory code listens to
INVENTORY_CONTEXTS = (
    {},
    {"inventory_mode": True},
    {"inventory_mode": True, "set_inventory_quantity_auto_apply": True},
    {"set_inventory_quantity_auto_apply": True, "inventory_report_mode": True},
    {"inventory_mode": True, "inventory_name": "Count", "active_test": False},
    {
        "inventory_mode": True,
        "workflow_approval_skip": True,
        "workflow_approval_bypass": True,
        "skip_approval": True,
        "approval_bypass": True,
        "workflow_approval_continue": True,
        "install_mode": True,
        "import_file": True,
        "tracking_disable": True,
        **SILENCING_CONTEXT,
    },
)


@tagged("post_install", "-at_install")
class TestAttackApprovals(AttackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sale_policy = cls.make_policy("sale.order", 1000.0)
        cls.purchase_policy = cls.make_policy("purchase.order", 1000.0)
        cls.bill_policy = cls.make_policy("account.move", 1000.0)
        cls.quant_policy = cls.make_policy("stock.quant", 0.0, condition="inventory_adjustment")
        cls.vendor_bank = cls.env["res.partner.bank"].create(
            {"acc_number": "BE71 0961 2345 6769", "partner_id": cls.vendor.id}
        )
        cls.other_bank = cls.env["res.partner.bank"].create(
            {"acc_number": "FR76 3000 6000 0112 3456 7890 189", "partner_id": cls.vendor.id}
        )
        cls.payment_term_30 = cls.env.ref("account.account_payment_term_30days")
        cls.payment_term_now = cls.env.ref("account.account_payment_term_immediate")

    def assertHeld(self, result, record, state=("draft", "sent")):
        """The gated action answered with the waiting-for-approval action, the document
        did not move and a pending request waits for it."""
        self.assertIsInstance(result, dict, f"not held: the action returned {result!r}")
        self.assertIn(self.reread(record).state, state)
        self.assertTrue(self.requests_of(record, "pending"), "no pending request")

    def approved_order(self):
        """An order of 2000 held, approved by the approver and confirmed by itself."""
        order = self.sale_order()
        self.approve(self.hold(order, self.sales))
        self.assertEqual(self.reread(order).state, "sale")
        return order

    # ------------------------------------------------------------
    # 1. delegations
    # ------------------------------------------------------------

    def test_attack01_delegation_hijack(self):
        """The sales user makes himself the approver's substitute and approves."""
        order = self.sale_order(user=self.sales2)
        request = self.hold(order, self.sales2)
        Delegation = self.env["workflow.approval.delegation"].sudo()
        client = self.rpc(self.sales)
        own = self.execute(
            client,
            "workflow.approval.delegation",
            "create",
            {"user_id": self.sales.id, "substitute_id": self.substitute.id},
        )
        own = Delegation.browse(own)
        self.assertEqual(own.user_id, self.sales, "everyone delegates their own approvals")
        with self.door("write user_id=approver, substitute_id=self"):
            self.assertRefused(
                self.execute,
                client,
                "workflow.approval.delegation",
                "write",
                [own.id],
                {"user_id": self.approver.id, "substitute_id": self.sales.id},
            )
        with self.door("create a delegation with user_id=approver"):
            self.assertRefused(
                self.execute,
                client,
                "workflow.approval.delegation",
                "create",
                {"user_id": self.approver.id, "substitute_id": self.sales.id},
            )
        with self.door("approve the approver's request"):
            self.assertRefused(
                self.execute, client, "workflow.approval.request", "action_approve", [request.id]
            )
        with self.door("outcome: delegations"):
            self.assertEqual(self.reread(own).user_id, self.sales, "his delegation was moved")
            self.assertFalse(
                Delegation.with_context(active_test=False).search(
                    [("user_id", "=", self.approver.id), ("substitute_id", "=", self.sales.id)]
                ),
                "a delegation of the approver to the sales user exists",
            )
        with self.door("outcome: request"):
            self.assertEqual(self.reread(request).state, "pending")
            self.assertIn(self.reread(order).state, ("draft", "sent"))
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 2. values changed after the confirmation
    # ------------------------------------------------------------

    def test_attack02_quantity_raised_after_confirmation(self):
        """An order of 100 needs no approval; x1000 on its line after confirming would."""
        order = self.sale_order(qty=1.0)
        client = self.rpc(self.sales)
        self.execute(client, "sale.order", "action_confirm", [order.id])
        order = self.reread(order)
        self.assertEqual((order.state, order.amount_total), ("sale", 100.0))
        line = order.order_line
        attempts = {
            "sale.order.write order_line (1, id, qty x1000)": (
                "sale.order",
                order.id,
                {"order_line": [(1, line.id, {"product_uom_qty": 1000.0})]},
            ),
            "sale.order.line.write qty x1000": (
                "sale.order.line",
                line.id,
                {"product_uom_qty": 1000.0},
            ),
            "sale.order.write order_line (0, 0, 999 more units)": (
                "sale.order",
                order.id,
                {
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": 999.0,
                                "price_unit": 100.0,
                                "tax_id": [(5,)],
                            },
                        )
                    ]
                },
            ),
        }
        for label, (model, record_id, vals) in attempts.items():
            with self.door(label):
                error = self.assertRefused(self.execute, client, model, "write", [record_id], vals)
                # refused with a UserError saying which approval is needed
                self.assertEqual(error.info["data"]["name"], "odoo.exceptions.UserError")
                self.assertIn(self.sale_policy.name, error.info["data"]["message"])
        with self.door("outcome"):
            order = self.reread(order)
            self.assertEqual(order.order_line.mapped("product_uom_qty"), [1.0], "lines changed")
            self.assertEqual(order.amount_total, 100.0, "amount changed")
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 3. held, cancelled, then written to the final state
    # ------------------------------------------------------------

    def test_attack03_cancelled_held_order_written_to_sale(self):
        order = self.sale_order()
        client = self.rpc(self.sales)
        self.assertHeld(self.execute(client, "sale.order", "action_confirm", [order.id]), order)
        self.execute(client, "sale.order", "action_cancel", [order.id])
        self.assertEqual(self.reread(order).state, "cancel")
        self.assertRefused(
            self.execute, client, "sale.order", "write", [order.id], {"state": "sale"}
        )
        self.assertEqual(self.reread(order).state, "cancel")

    def test_attack03_cancelled_held_purchase_written_to_purchase(self):
        order = self.purchase_order()
        client = self.rpc(self.buyer)
        self.assertHeld(
            self.execute(client, "purchase.order", "button_confirm", [order.id]),
            order,
            ("draft", "sent"),
        )
        self.execute(client, "purchase.order", "button_cancel", [order.id])
        self.assertEqual(self.reread(order).state, "cancel")
        self.assertRefused(
            self.execute, client, "purchase.order", "write", [order.id], {"state": "purchase"}
        )
        self.assertEqual(self.reread(order).state, "cancel")
        self.assertFalse(self.reread(order).picking_ids, "no receipt was created")

    def test_attack03_cancelled_held_bill_written_to_posted(self):
        bill = self.vendor_bill()
        client = self.rpc(self.buyer)
        self.assertHeld(
            self.execute(client, "account.move", "action_post", [bill.id]), bill, ("draft",)
        )
        self.execute(client, "account.move", "button_cancel", [bill.id])
        self.assertEqual(self.reread(bill).state, "cancel")
        self.assertRefused(
            self.execute, client, "account.move", "write", [bill.id], {"state": "posted"}
        )
        self.assertEqual(self.reread(bill).state, "cancel")

    # ------------------------------------------------------------
    # 4. inventory adjustment
    # ------------------------------------------------------------

    def test_attack04_inventory_applied_with_the_set_flag_cleared(self):
        """Counted 500 for 10 on hand, with ``inventory_quantity_set`` cleared in the same
        write, then applied: one fresh product per context tried."""
        Quant = self.env["stock.quant"].sudo()
        location = self.warehouse.lot_stock_id
        client = self.rpc(self.stock_user)
        quants = Quant
        for index, context in enumerate(INVENTORY_CONTEXTS):
            product = self.env["product.product"].create(
                {"name": f"WM Attack Counted {index}", "is_storable": True, "standard_price": 5.0}
            )
            Quant._update_available_quantity(product, location, 10.0)
            quant = Quant.search(
                [("product_id", "=", product.id), ("location_id", "=", location.id)]
            )
            self.assertEqual(quant.quantity, 10.0)
            quants |= quant
            label = json.dumps(context, sort_keys=True)
            with self.door(f"apply in context {label}"):
                self.call_or_none(
                    self.execute,
                    client,
                    "stock.quant",
                    "write",
                    [quant.id],
                    {"inventory_quantity": 500.0, "inventory_quantity_set": False},
                    context={"inventory_mode": True},
                )
                self.call_or_none(
                    self.execute,
                    client,
                    "stock.quant",
                    "action_apply_inventory",
                    [quant.id],
                    context=context,
                )
                self.assertEqual(self.reread(quant).quantity, 10.0, "quantity on hand changed")
        # control: the same count, flag left alone, waits for the approval
        control = self.env["product.product"].create(
            {"name": "WM Attack Counted control", "is_storable": True, "standard_price": 5.0}
        )
        Quant._update_available_quantity(control, location, 10.0)
        control = Quant.search([("product_id", "=", control.id), ("location_id", "=", location.id)])
        self.execute(
            client,
            "stock.quant",
            "write",
            [control.id],
            {"inventory_quantity": 500.0},
            context={"inventory_mode": True},
        )
        result = self.execute(client, "stock.quant", "action_apply_inventory", [control.id])
        self.assertIsInstance(result, dict, "control: a plain count is not held")
        self.assertEqual(self.reread(control).quantity, 10.0, "control: a plain count applied")
        quants |= control
        with self.door("_apply_inventory over RPC"):
            self.assertRefused(
                self.execute, client, "stock.quant", "_apply_inventory", [quants[0].id]
            )
        with self.door("outcome"):
            self.assertEqual(
                self.reread(quants).mapped("quantity"), [10.0] * len(quants), "on hand changed"
            )
            moves = (
                self.env["stock.move"]
                .sudo()
                .search(
                    [
                        ("product_id", "in", quants.product_id.ids),
                        ("is_inventory", "=", True),
                        ("state", "=", "done"),
                    ]
                )
            )
            self.assertFalse(moves, f"{len(moves)} inventory move(s) done")
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 5. an approval is single use and locked to its values
    # ------------------------------------------------------------

    def test_attack05_unit_of_measure_switched_after_cancel(self):
        """Units -> Dozens at the same price: 12 times the goods for the approved amount."""
        order = self.approved_order()
        client = self.rpc(self.sales)
        self.execute(
            client,
            "sale.order",
            "action_cancel",
            [order.id],
            context={"disable_cancel_warning": True},
        )
        self.execute(client, "sale.order", "action_draft", [order.id])
        line = self.reread(order).order_line
        self.execute(
            client,
            "sale.order.line",
            "write",
            [line.id],
            {"product_uom": self.uom_dozen.id, "price_unit": 100.0},
        )
        line = self.reread(line)
        self.assertEqual((line.product_uom, line.price_unit), (self.uom_dozen, 100.0))
        before = self.requests_of(order)
        result = self.execute(client, "sale.order", "action_confirm", [order.id])
        self.assertHeld(result, order, ("draft",))
        self.assertFalse(self.requests_of(order, "pending") & before, "a new request")

    def test_attack05_reconfirmed_after_cancel_without_change(self):
        order = self.approved_order()
        client = self.rpc(self.sales)
        self.execute(
            client,
            "sale.order",
            "action_cancel",
            [order.id],
            context={"disable_cancel_warning": True},
        )
        self.execute(client, "sale.order", "action_draft", [order.id])
        result = self.execute(client, "sale.order", "action_confirm", [order.id])
        self.assertHeld(result, order, ("draft",))

    def _approved_posted_bill(self):
        bill = self.vendor_bill(
            partner_bank_id=self.vendor_bank.id, invoice_payment_term_id=self.payment_term_now.id
        )
        self.approve(self.hold(bill, self.buyer, "action_post"))
        self.assertEqual(self.reread(bill).state, "posted")
        client = self.rpc(self.buyer)
        self.execute(client, "account.move", "button_draft", [bill.id])
        self.assertEqual(self.reread(bill).state, "draft")
        return bill, client

    def test_attack05_bill_bank_account_changed_after_reset(self):
        bill, client = self._approved_posted_bill()
        self.execute(
            client, "account.move", "write", [bill.id], {"partner_bank_id": self.other_bank.id}
        )
        self.assertEqual(self.reread(bill).partner_bank_id, self.other_bank)
        result = self.execute(client, "account.move", "action_post", [bill.id])
        self.assertHeld(result, bill, ("draft",))

    def test_attack05_bill_payment_terms_changed_after_reset(self):
        bill, client = self._approved_posted_bill()
        self.execute(
            client,
            "account.move",
            "write",
            [bill.id],
            {"invoice_payment_term_id": self.payment_term_30.id},
        )
        self.assertEqual(self.reread(bill).invoice_payment_term_id, self.payment_term_30)
        result = self.execute(client, "account.move", "action_post", [bill.id])
        self.assertHeld(result, bill, ("draft",))

    # ------------------------------------------------------------
    # 6. four eyes
    # ------------------------------------------------------------

    def test_attack06_approver_edits_then_approves(self):
        order = self.sale_order()
        self.hold(order, self.sales)
        approver = self.rpc(self.approver)
        line = self.reread(order).order_line
        edited = self.call_or_none(
            self.execute,
            approver,
            "sale.order",
            "write",
            [order.id],
            {"order_line": [(1, line.id, {"product_uom_qty": 30.0})]},
        )
        if edited is None:
            # a stricter gate: documents waiting for approval are not edited at all
            self.assertEqual(self.reread(line).product_uom_qty, 20.0)
            return
        # re-submitted by the sales user
        order.with_user(self.sales).action_confirm()
        pending = self.requests_of(order, "pending")
        self.assertEqual(len(pending), 1)
        with self.door("approve the request of the values he wrote"):
            self.assertRefused(
                self.execute, approver, "workflow.approval.request", "action_approve", pending.ids
            )
        with self.door("approve from the order"):
            self.assertRefused(
                self.execute, approver, "sale.order", "action_approval_approve", [order.id]
            )
        with self.door("outcome"):
            self.assertEqual(self.reread(pending).state, "pending")
            self.assertEqual(self.reread(order).state, "draft")
        self.assertDoorsClosed()

    def test_attack06_portal_acceptance_held_salesperson_cannot_approve(self):
        """The customer signs a quotation of 2000 on the portal: held; its salesperson is
        an approver of the tier but may not approve his own sale."""
        self.sale_policy.tier_ids.user_ids |= self.sales
        self.portal.partner_id.parent_id = False
        order = self.quotation_sent(partner=self.portal.partner_id)
        self.assertEqual(order.user_id, self.sales)
        result = self.portal_accept(order, self.portal)
        self.assertNotIn("error", result, result)
        order = self.reread(order)
        self.assertIn(order.state, ("draft", "sent"), "signing on the portal skipped approval")
        pending = self.requests_of(order, "pending")
        self.assertEqual(len(pending), 1)
        client = self.rpc(self.sales)
        with self.door("the salesperson approves"):
            self.assertRefused(
                self.execute, client, "workflow.approval.request", "action_approve", pending.ids
            )
        with self.door("the salesperson approves from the order"):
            self.assertRefused(
                self.execute, client, "sale.order", "action_approval_approve", [order.id]
            )
        with self.door("outcome"):
            self.assertEqual(self.reread(pending).state, "pending")
            self.assertIn(self.reread(order).state, ("draft", "sent"))
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 7. client context keys that silence the monitor
    # ------------------------------------------------------------

    def test_attack07_client_context_silences_capture_and_audit(self):
        order = self.sale_order(qty=1.0)
        since = self.last_event_id()
        client = self.rpc(self.sales)
        self.execute(client, "sale.order", "action_confirm", [order.id], context=SILENCING_CONTEXT)
        order = self.reread(order)
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.picking_ids, "the confirmation created the delivery")
        for record in [order, *order.picking_ids]:
            with self.door(f"stage event of {record._name} at the confirmation"):
                self.assertTrue(
                    self.events_since(
                        since,
                        [
                            ("res_model", "=", record._name),
                            ("res_id", "=", record.id),
                            ("event_type", "=", "stage"),
                        ],
                    ),
                    f"confirming wrote no stage event for {record.display_name}",
                )
        with self.door("no event of the confirmation labelled system"):
            self.assertNotIn("system", self.events_since(since).mapped("source"))

        definition = self.env["workflow.definition"].sudo().search([("code", "=", "order_to_cash")])
        sla = (
            self.env["workflow.sla.policy"]
            .sudo()
            .create(
                {
                    "name": "WM attack SLA",
                    "definition_id": definition.id,
                    "stage_id": definition.stage_ids.filtered(lambda s: s.code == "confirmed").id,
                    "target_hours": 24.0,
                }
            )
        )
        since = self.last_event_id()
        manager = self.rpc(self.wf_manager)
        self.execute(
            manager,
            "workflow.sla.policy",
            "write",
            [sla.id],
            {"target_hours": 240.0},
            context=SILENCING_CONTEXT,
        )
        self.assertEqual(self.reread(sla).target_hours, 240.0)
        with self.door("config event of the SLA change"):
            self.assertTrue(
                self.events_since(
                    since,
                    [
                        ("event_type", "=", "config"),
                        ("res_model", "=", "workflow.sla.policy"),
                        ("res_id", "=", sla.id),
                    ],
                ),
                "the SLA change wrote no config event",
            )
        with self.door("no event of the SLA change labelled system"):
            self.assertNotIn("system", self.events_since(since).mapped("source"))

        # an integration logging an event without a source, in the same context
        since = self.last_event_id()
        self.execute(
            self.rpc(self.wf_user),
            "workflow.event",
            "log_events",
            [{"event_type": "custom", "res_model": "sale.order", "res_id": order.id}],
            context=SILENCING_CONTEXT,
        )
        logged = self.events_since(
            since, [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        with self.door("log_events in the silencing context"):
            self.assertEqual(len(logged), 1)
            self.assertNotEqual(logged.source, "system", "an API event labelled system")
        self.assertDoorsClosed()
