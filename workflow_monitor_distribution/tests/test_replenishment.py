# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import OPEN_STATES, DistributionCommon

S = datetime(2030, 5, 6, 10, 0)  # a Monday
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@tagged("post_install", "-at_install")
class TestReplenishment(DistributionCommon):
    """The replenishment detectors through the real flows (reordering rules and their
    Order button, purchases, receipts, transfers, sales): a rule that needs an order
    nobody placed raises once it is older than its warehouse's hours, two documents
    beyond the need raise once per product and warehouse; just inside the thresholds
    nothing is raised, a rerun only counts an occurrence, the fix resolves, companies
    never mix, and a run's query count does not grow with its rows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.route_buy = cls.env.ref("purchase_stock.route_warehouse0_buy")
        cls.product_buy = cls.create_products(1)
        # explicit defaults: the tests must not depend on what Settings hold
        cls.company.write(
            {
                "workflow_replenishment_aging_hours": 24.0,
                "workflow_duplicate_replenishment_tolerance": 10.0,
            }
        )
        # a rule of a person (Odoo deletes the manual rules of the superuser once ordered)
        cls.stock_manager = mail_new_test_user(
            cls.env,
            login="wm_repl_stock_manager",
            groups="base.group_user,stock.group_stock_manager,purchase.group_purchase_user",
        )

    @classmethod
    def create_products(cls, count, name="WM Repl Part"):
        """Storable products bought from the vendor (Buy route), 4.0 each."""
        products = cls.env["product.product"].create(
            [
                {
                    "name": f"{name} {i}",
                    "is_storable": True,
                    "type": "consu",
                    "purchase_method": "receive",
                    "taxes_id": [Command.clear()],
                    "supplier_taxes_id": [Command.clear()],
                    "route_ids": [Command.set([cls.route_buy.id])],
                    "seller_ids": [Command.create({"partner_id": cls.vendor.id, "price": 4.0})],
                }
                for i in range(count)
            ]
        )
        return products if count > 1 else products[0]

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def rule(self, product, warehouse=None, min_qty=5.0, max_qty=10.0, trigger="manual", at=S):
        """A reordering rule created at ``at`` (the start of a need it has at once)."""
        warehouse = warehouse or self.wh_a
        with freeze_time(at):
            return (
                self.env["stock.warehouse.orderpoint"]
                .with_user(self.stock_manager)
                .with_company(warehouse.company_id)
                .create(
                    {
                        "product_id": product.id,
                        "warehouse_id": warehouse.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "company_id": warehouse.company_id.id,
                        "product_min_qty": min_qty,
                        "product_max_qty": max_qty,
                        "trigger": trigger,
                    }
                )
                .with_env(self.env)
            )

    def order_from_rule(self, rule):
        """The Order button of the replenishment report: an RFQ through the Buy rule."""
        rule.with_user(self.stock_manager).action_replenish()
        self.run_deferred()
        line = self.env["purchase.order.line"].search([("orderpoint_id", "=", rule.id)])
        self.assertEqual(len(line), 1, "one RFQ line for the rule")
        self.assertEqual(line.order_id.state, "draft")
        return line.order_id

    def incoming_transfer(self, product, qty, warehouse=None):
        """A receipt entered by hand (no purchase), confirmed."""
        warehouse = warehouse or self.wh_a
        picking_type = warehouse.in_type_id
        with Form(self.env["stock.picking"]) as form:
            form.picking_type_id = picking_type
            form.partner_id = self.vendor
            with form.move_ids_without_package.new() as move:
                move.product_id = product
                move.product_uom_qty = qty
        picking = form.record
        picking.action_confirm()
        self.run_deferred()
        return picking

    def open_only(self, category, record):
        return self.exceptions_of(category, record, open_only=True)

    def query_count(self, detector):
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self.detect(detector)
        return self.cr.sql_log_count - before

    # ------------------------------------------------------------
    # replenishment_aging
    # ------------------------------------------------------------

    def test_aging_raise_near_threshold_rerun_resolve(self):
        self.add_stock(self.product_buy, self.wh_a, 3)
        rule = self.rule(self.product_buy)
        with freeze_time(S):
            self.detect("replenishment_aging")
            self.assertEqual(rule.workflow_need_since, S)
        # 23h59 without an order, 24 h allowed (company default): nothing yet
        with freeze_time(S + 24 * H - MINUTE):
            self.detect("replenishment_aging")
        self.assertFalse(self.exceptions_of("replenishment_aging", rule))
        self.assertEqual(rule.workflow_need_since, S, "the first time seen is kept")
        with freeze_time(S + 24 * H + MINUTE):
            self.detect("replenishment_aging")
            exception = self.assert_one_open("replenishment_aging", rule, self.wh_a)
            self.assertEqual(exception.dedupe_key, f"stock.warehouse.orderpoint,{rule.id}")
            self.assertEqual(exception.severity, "medium")
            self.assertIn(self.product_buy.display_name, exception.name)
            self.assertIn(self.wh_a.name, exception.name)
            self.assertIn("24 h", exception.name)
            # forecast 3 for a minimum of 5: 2 short, 7 up to the maximum
            self.assertIn("Forecast 3.0 below the minimum 5.0", exception.description)
            self.assertIn("2.0 short, 7.0 to order", exception.description)
            self.assert_rerun_idempotent("replenishment_aging", rule, exception)
            # the Order button: an RFQ covers the need, the exception resolves
            rfq = self.order_from_rule(rule)
            self.assertEqual(rfq.order_line.product_qty, 7.0)
            self.assert_resolved("replenishment_aging", rule, exception)
            self.assertFalse(rule.workflow_need_since)
        # confirmed and received: still covered, nothing raised
        with freeze_time(S + 30 * H):
            rfq.button_confirm()
            self.run_deferred()
            self.detect("replenishment_aging")
            self.receive(rfq)
            self.detect("replenishment_aging")
        self.assertFalse(self.open_only("replenishment_aging", rule))
        self.assertFalse(rule.workflow_need_since)
        # a sale takes the stock below the minimum again: a new need, counted from now
        with freeze_time(S + 40 * H):
            self.create_sale([(self.product_buy, 8)])
            self.detect("replenishment_aging")
        self.assertEqual(rule.workflow_need_since, S + 40 * H)
        self.assertFalse(self.open_only("replenishment_aging", rule))

    def test_aging_first_run_knows_the_age(self):
        """No earlier run needed: a need is dated from the latest change that can have
        caused it (the rule's creation, an order's demand, a raised minimum), so the
        first run after the warehouse's hours raises, and one just inside does not."""
        rule = self.rule(self.product_buy)  # created at S, nothing on hand
        with freeze_time(S + 24 * H - MINUTE):
            self.detect("replenishment_aging")
        self.assertEqual(rule.workflow_need_since, S)
        self.assertFalse(self.exceptions_of("replenishment_aging", rule))
        with freeze_time(S + 24 * H + MINUTE):
            self.detect("replenishment_aging")
            self.assert_one_open("replenishment_aging", rule, self.wh_a)
        # enough stock, then an order's demand takes it below the minimum again at S+3d
        other = self.create_products(1, name="WM Repl Demand")
        self.add_stock(other, self.wh_a, 8)
        demand_rule = self.rule(other, at=S + 24 * H)
        with freeze_time(S + 48 * H):
            self.detect("replenishment_aging")
        self.assertFalse(demand_rule.workflow_need_since, "8 on hand, minimum 5")
        with freeze_time(S + 72 * H):
            self.create_sale([(other, 6)])
        with freeze_time(S + 96 * H - MINUTE):
            self.detect("replenishment_aging")
        self.assertEqual(demand_rule.workflow_need_since, S + 72 * H)
        self.assertFalse(self.exceptions_of("replenishment_aging", demand_rule))
        # a raised minimum is a change of the rule: its need is dated from it
        third = self.create_products(1, name="WM Repl Minimum")
        self.add_stock(third, self.wh_a, 8)
        min_rule = self.rule(third, at=S)
        with freeze_time(S + 100 * H):
            min_rule.with_user(self.stock_manager).product_min_qty = 9.0
        self.assertEqual(min_rule.workflow_rule_changed_at, S + 100 * H)
        with freeze_time(S + 124 * H - MINUTE):
            self.detect("replenishment_aging")
        self.assertEqual(min_rule.workflow_need_since, S + 100 * H)
        self.assertFalse(self.exceptions_of("replenishment_aging", min_rule))
        with freeze_time(S + 124 * H + MINUTE):
            self.detect("replenishment_aging")
            self.assert_one_open("replenishment_aging", min_rule, self.wh_a)
            self.assertTrue(self.exceptions_of("replenishment_aging", demand_rule))
        with self.assertRaises(AccessError):
            min_rule.with_user(self.stock_manager).write({"workflow_rule_changed_at": S})

    def test_aging_need_gone_and_warehouse_hours(self):
        """The warehouse's hours win over the company's; a need that disappears (the
        minimum lowered) resolves; a rule whose forecast is covered by a transfer or a
        confirmed purchase of another warehouse is only covered in that warehouse."""
        self.wh_b.workflow_replenishment_aging_hours = 4.0
        rule = self.rule(self.product_buy, warehouse=self.wh_b)
        # demand without stock: the forecast is negative, the severity high
        with freeze_time(S):
            self.create_sale([(self.product_buy, 2)], warehouse=self.wh_b)
            self.create_purchase([(self.product_buy, 20, 4.0)], warehouse=self.wh_a)
            self.detect("replenishment_aging")
        with freeze_time(S + 4 * H - MINUTE):
            self.detect("replenishment_aging")
        self.assertFalse(self.exceptions_of("replenishment_aging", rule))
        with freeze_time(S + 4 * H + MINUTE):
            self.detect("replenishment_aging")
            exception = self.assert_one_open("replenishment_aging", rule, self.wh_b)
            self.assertEqual(exception.severity, "high")
            self.assertIn("Forecast -2.0", exception.description)
            self.assertIn("the warehouse allows 4.0 h", exception.description)
            # the rule's minimum lowered below the forecast: no need any more
            rule.write({"product_min_qty": -5.0, "product_max_qty": 0.0})
            self.assert_resolved("replenishment_aging", rule, exception)
            self.assertFalse(rule.workflow_need_since)

    def test_aging_partial_cover_and_transfer(self):
        """A transfer counts as an order; one that does not bring the forecast to the
        minimum leaves the need (and its age) open."""
        rule = self.rule(self.product_buy)
        with freeze_time(S):
            self.incoming_transfer(self.product_buy, 2)
            self.detect("replenishment_aging")
        self.assertEqual(rule.workflow_need_since, S)
        with freeze_time(S + 25 * H):
            self.detect("replenishment_aging")
            exception = self.assert_one_open("replenishment_aging", rule, self.wh_a)
            self.assertIn("Forecast 2.0", exception.description)
            self.incoming_transfer(self.product_buy, 3)
            self.assert_resolved("replenishment_aging", rule, exception)

    def test_aging_snoozed_rule_waits(self):
        rule = self.rule(self.product_buy)
        rule.snoozed_until = (S + 72 * H).date()
        with freeze_time(S):
            self.detect("replenishment_aging")
        self.assertFalse(rule.workflow_need_since)
        with freeze_time(S + 30 * H):
            self.detect("replenishment_aging")
        self.assertFalse(self.exceptions_of("replenishment_aging", rule))

    def test_need_since_is_the_detectors(self):
        rule = self.rule(self.product_buy)
        manager_rule = rule.with_user(self.stock_manager)
        with self.assertRaises(AccessError):
            manager_rule.write({"workflow_need_since": S})
        with self.assertRaises(AccessError):
            self.env["stock.warehouse.orderpoint"].with_user(self.stock_manager).create(
                {
                    "product_id": self.product_2.id,
                    "warehouse_id": self.wh_a.id,
                    "location_id": self.wh_a.lot_stock_id.id,
                    "workflow_need_since": S,
                }
            )
        manager_rule.product_min_qty = 6.0  # the rule itself stays editable
        self.assertFalse(rule.workflow_need_since)
        with self.assertRaises(ValidationError):
            self.wh_a.workflow_replenishment_aging_hours = -1.0
        with self.assertRaises(ValidationError):
            self.company.workflow_duplicate_replenishment_tolerance = -1.0

    # ------------------------------------------------------------
    # duplicate_replenishment
    # ------------------------------------------------------------

    def test_duplicate_raise_near_threshold_rerun_resolve(self):
        rule = self.rule(self.product_buy)  # nothing on hand: the need is the maximum, 10
        with freeze_time(S):
            rfq = self.order_from_rule(rule)
            self.assertEqual(rfq.order_line.product_qty, 10.0)
            # a buyer orders 1 more by hand: 11 for a need of 10, inside the 10 % tolerance
            extra = self.create_purchase([(self.product_buy, 1, 4.0)], confirm=False)
            self.detect("duplicate_replenishment")
            self.assertFalse(self.exceptions_of("duplicate_replenishment", self.product_buy))
            # ... then 5 more: 15 for 10, replenished twice
            extra.order_line.product_qty = 5.0
            extra.button_confirm()
            self.run_deferred()
            self.detect("duplicate_replenishment")
            exception = self.assert_one_open("duplicate_replenishment", self.product_buy, self.wh_a)
            self.assertEqual(
                exception.dedupe_key,
                f"duplicate_replenishment:{self.product_buy.id}:{self.wh_a.id}",
            )
            self.assertIn("2 open documents", exception.name)
            self.assertIn(self.wh_a.name, exception.name)
            names = ", ".join(sorted([rfq.name, extra.name]))
            self.assertIn(
                f"bring 15.0 for a need of 10.0 (tolerance 10.0%): {names}.", exception.description
            )
            self.assertIn("reordering rules' maximum 10.0", exception.description)
            self.assert_rerun_idempotent("duplicate_replenishment", self.product_buy, exception)
            # the surplus RFQ is cancelled: resolved
            rfq.button_cancel()
            self.run_deferred()
            self.assert_resolved("duplicate_replenishment", self.product_buy, exception)

    def test_duplicate_without_rule_is_against_open_demand(self):
        """No reordering rule: the need is the open demand not served by stock; a
        purchase and a hand-made receipt both bringing it are twice the need. The
        receipt done, what is left open no longer exceeds it."""
        product = self.product_2
        self.add_stock(product, self.wh_b, 1)
        with freeze_time(S):
            self.create_sale([(product, 5)], warehouse=self.wh_b)  # 4 missing
            po = self.create_purchase([(product, 4, 4.0)], warehouse=self.wh_b)
            self.detect("duplicate_replenishment")
            self.assertFalse(self.exceptions_of("duplicate_replenishment", product))
            receipt = self.incoming_transfer(product, 4, warehouse=self.wh_b)
            self.detect("duplicate_replenishment")
            exception = self.assert_one_open("duplicate_replenishment", product, self.wh_b)
            self.assertIn(
                f"bring 8.0 for a need of 4.0 (tolerance 10.0%): "
                f"{', '.join(sorted([po.name, receipt.name]))}.",
                exception.description,
            )
            self.assertIn("open demand 5.0, reordering rules' maximum none", exception.description)
            # the receipt arrives: 5 on hand, the purchase alone is left
            self.deliver(receipt)
            self.assert_resolved("duplicate_replenishment", product, exception)

    # ------------------------------------------------------------
    # companies and query counts
    # ------------------------------------------------------------

    def test_companies_never_mix(self):
        company_b = self.env["res.company"].create(
            {"name": "WM Repl B", "workflow_replenishment_aging_hours": 2.0}
        )
        self.env.user.company_ids |= company_b
        warehouse_b = self.env["stock.warehouse"].search([("company_id", "=", company_b.id)])
        self.stock_manager.company_ids |= company_b
        rule_a = self.rule(self.product_buy)
        rule_b = self.rule(self.product_buy, warehouse=warehouse_b)
        with freeze_time(S):
            # company A's RFQ covers A's rule, not B's; one document per warehouse
            self.order_from_rule(rule_a)
            self.detect("replenishment_aging")
            self.detect("duplicate_replenishment")
        # 3 h: past B's 2 h (its company default), not A's 24 h
        with freeze_time(S + 3 * H):
            self.detect("replenishment_aging")
            self.detect("duplicate_replenishment")
        self.assertFalse(self.exceptions_of("replenishment_aging", rule_a))
        exception = self.exceptions_of("replenishment_aging", rule_b)
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.company_id, company_b)
        self.assertEqual(exception.node_ref, self.node(warehouse_b))
        self.assertIn("Forecast 0.0", exception.description)
        self.assertFalse(self.exceptions_of("duplicate_replenishment", self.product_buy))
        # B's own documents never join A's: a purchase in B alone is one document
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=[company_b.id]))
        with freeze_time(S + 4 * H):
            po_b = (
                self.env["purchase.order"]
                .with_env(env_b)
                .create(
                    {
                        "partner_id": self.vendor.id,
                        "company_id": company_b.id,
                        "picking_type_id": warehouse_b.in_type_id.id,
                        "order_line": [
                            Command.create({"product_id": self.product_buy.id, "product_qty": 10})
                        ],
                    }
                )
            )
            po_b.button_confirm()
            self.run_deferred()
            self.detect("replenishment_aging")
            self.detect("duplicate_replenishment")
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(self.exceptions_of("duplicate_replenishment", self.product_buy))

    def test_query_count_flat_in_rows(self):
        """A run's queries do not grow with the rules or documents it judges: 2, then 6
        more rules that need an order and products with two RFQs beyond their need (a
        first round of 1 warms the caches of the first raise)."""
        counts = {}
        for size, start in ((1, S), (2, S + 48 * H), (6, S + 96 * H)):
            aging = self.create_products(size, name=f"WM Repl Aging {size}")
            duplicated = self.create_products(size, name=f"WM Repl Twice {size}")
            rules = self.env["stock.warehouse.orderpoint"].browse(
                [self.rule(product, at=start).id for product in aging.browse(aging.ids)]
            )
            for product in duplicated.browse(duplicated.ids):
                self.create_purchase([(product, 5, 4.0)], confirm=False)
                self.create_purchase([(product, 5, 4.0)], confirm=False)
            with freeze_time(start):
                self.detect("replenishment_aging")  # the needs start
            with freeze_time(start + 25 * H):
                counts[size] = {
                    "aging": self.query_count("replenishment_aging"),
                    "aging rerun": self.query_count("replenishment_aging"),
                    "duplicate": self.query_count("duplicate_replenishment"),
                    "duplicate rerun": self.query_count("duplicate_replenishment"),
                }
            Exception_ = self.env["workflow.exception"]
            self.assertEqual(
                Exception_.search_count(
                    [
                        ("category_id.code", "=", "replenishment_aging"),
                        ("res_model", "=", "stock.warehouse.orderpoint"),
                        ("res_id", "in", rules.ids),
                        ("state", "in", OPEN_STATES),
                    ]
                ),
                size,
            )
            self.assertEqual(
                Exception_.search_count(
                    [
                        ("category_id.code", "=", "duplicate_replenishment"),
                        ("res_model", "=", "product.product"),
                        ("res_id", "in", duplicated.ids),
                        ("state", "in", OPEN_STATES),
                    ]
                ),
                size,
            )
        self.assertEqual(counts[2], counts[6])
