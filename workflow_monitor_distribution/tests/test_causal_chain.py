# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import OPEN_STATES, DistributionCommon

S = datetime(2030, 5, 6, 10, 0)  # a Monday
H = timedelta(hours=1)
DAY = timedelta(days=1)
LATE = S + DAY + timedelta(minutes=1)  # a line planned at S is late (1-day allowance)


@tagged("post_install", "-at_install")
class TestCausalChain(DistributionCommon):
    """Causal chains through the real flows: the customer orders that wait for a late
    receipt (made to order, or from stock) or for missing stock get exactly one impact
    each, linked to the cause, with the revenue at risk; none for orders served from
    free stock or by a receipt due in time; a rerun counts occurrences; they clear with
    the cause."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.route_mto = cls.env.ref("stock.route_warehouse0_mto")
        cls.route_mto.active = True
        cls.route_buy = cls.env.ref("purchase_stock.route_warehouse0_buy")
        cls.product_mto = cls.env["product.product"].create(
            {
                "name": "WM Dist Made To Order",
                "is_storable": True,
                "type": "consu",
                "list_price": 30.0,
                "taxes_id": [Command.clear()],
                "supplier_taxes_id": [Command.clear()],
                "route_ids": [Command.set([cls.route_mto.id, cls.route_buy.id])],
                "seller_ids": [Command.create({"partner_id": cls.vendor.id, "price": 12.0})],
            }
        )

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def sale_on(self, product, qty, price, date, warehouse=None):
        """A confirmed order whose delivery is due at ``date``."""
        order = self.create_sale([(product, qty, price)], warehouse=warehouse)
        self.outgoing(order).scheduled_date = date
        self.run_deferred()
        return order

    def impacts(self, category, open_only=True):
        """The impacts of ``category`` on this test's orders (the demo data has others)."""
        orders = self.env["sale.order"].search(
            [("partner_id", "in", (self.customer | self.customer_2).ids)]
        )
        domain = [
            ("category_id.code", "=", category),
            ("res_model", "=", "sale.order"),
            ("res_id", "in", orders.ids),
        ]
        if open_only:
            domain.append(("state", "in", OPEN_STATES))
        return self.env["workflow.exception"].search(domain)

    def impact_map(self, category):
        """{(order, cause): amount} of the open impacts of ``category``."""
        return {
            (self.env[e.res_model].browse(e.res_id), e.cause_exception_id): e.impact_amount
            for e in self.impacts(category)
        }

    def cause(self, category, record):
        return self.exceptions_of(category, record, open_only=True)

    def mto_order(self, qty=2):
        """A confirmed order of the made-to-order product, its purchase order confirmed
        and planned at S."""
        order = self.create_sale([(self.product_mto, qty, 30.0)])
        po = order._get_purchase_orders()
        self.assertEqual(len(po), 1)
        po.button_confirm()
        po.order_line.date_planned = S
        self.run_deferred()
        out_move = self.outgoing(order).move_ids
        self.assertEqual(po.order_line.move_ids.move_dest_ids, out_move)
        return order, po

    def stock_scenario(self):
        """product_1 in warehouse A: 3 free, a purchase of 5 planned at S (late at LATE),
        another of 4 planned at S+2h (due), and four orders:

        - served: 3 units, reserved from the free stock;
        - waiting: 5 units due at S, only the late receipt covers it;
        - covered: 4 units due at S+3d, the due receipt covers it;
        - short: 2 units due at S+4d, nothing covers it."""
        self.add_stock(self.product_1, self.wh_a, 3)
        with freeze_time(S - DAY):
            late_po = self.create_purchase([(self.product_1, 5, 4.0)], date_planned=S)
            due_po = self.create_purchase([(self.product_1, 4, 4.0)], date_planned=S + 2 * H)
            served = self.sale_on(self.product_1, 3, 10.0, S)
            waiting = self.sale_on(self.product_1, 5, 10.0, S)
            covered = self.sale_on(self.product_1, 4, 10.0, S + 3 * DAY)
            short = self.sale_on(self.product_1, 2, 10.0, S + 4 * DAY)
        self.assertEqual(self.outgoing(served).move_ids.state, "assigned")
        self.assertEqual(self.outgoing(waiting).move_ids.state, "confirmed")
        return late_po, due_po, served, waiting, covered, short

    # ------------------------------------------------------------
    # supplier delay
    # ------------------------------------------------------------

    def test_late_receipt_impacts_dependent_orders(self):
        late_po, due_po, served, waiting, covered, short = self.stock_scenario()
        with freeze_time(S - DAY):
            mto_order, mto_po = self.mto_order()
        # planned at S, within the 1-day allowance: nothing is late, no impact
        with freeze_time(S + DAY - timedelta(minutes=1)):
            self.detect("supplier_delay")
        self.assertFalse(self.impacts("supplier_delay_impact", open_only=False))
        with freeze_time(LATE):
            self.detect("supplier_delay")
            cause_stock = self.cause("supplier_delay", late_po)
            cause_mto = self.cause("supplier_delay", mto_po)
            self.assertTrue(cause_stock and cause_mto)
            self.assertFalse(self.cause("supplier_delay", due_po))
            # exactly the orders that depend on the late receipts, with their amounts
            self.assertEqual(
                self.impact_map("supplier_delay_impact"),
                {(waiting, cause_stock): 50.0, (mto_order, cause_mto): 60.0},
            )
            impacts = self.impacts("supplier_delay_impact")
            for impact in impacts:
                self.assertEqual(impact.company_id, self.company)
                self.assertEqual(impact.node_ref, self.node(self.wh_a))
                self.assertEqual(impact.impact_currency_id, self.company.currency_id)
            self.assertEqual(
                cause_stock.impact_exception_ids,
                impacts.filtered("id")
                - (impacts.filtered(lambda e: e.cause_exception_id == cause_mto)),
            )
            self.assertEqual(cause_stock.impact_count, 1)
            self.assertEqual(
                impacts.filtered(lambda e: e.res_id == waiting.id).dedupe_key,
                f"impact:po:{late_po.id}:sale.order,{waiting.id}",
            )
            # rerun: the same exceptions, one more occurrence, no duplicate
            self.detect("supplier_delay")
            again = self.impacts("supplier_delay_impact", open_only=False)
            self.assertEqual(again, impacts)
            self.assertEqual(set(again.mapped("occurrence_count")), {2})
            self.assertEqual(set(again.mapped("state")) - set(OPEN_STATES), set())
            # the receipts arrive: the causes and their impacts are resolved
            self.receive(late_po)
            self.receive(mto_po)
            self.detect("supplier_delay")
            self.assertEqual(set(impacts.mapped("state")), {"resolved"})
            self.assertEqual(cause_stock.state, "resolved")
            self.assertFalse(self.impacts("supplier_delay_impact"))

    def test_impacts_close_with_a_cause_closed_by_hand(self):
        """A person resolves one cause and dismisses the other: their open impacts are
        auto-resolved at once, saying why (not at the detector's next run)."""
        late_po, _due, _served, waiting, _covered, _short = self.stock_scenario()
        with freeze_time(S - DAY):
            mto_order, mto_po = self.mto_order()
        with freeze_time(LATE):
            self.detect("supplier_delay")
            cause_stock = self.cause("supplier_delay", late_po)
            cause_mto = self.cause("supplier_delay", mto_po)
            impacts = self.impacts("supplier_delay_impact")
            self.assertEqual(len(impacts), 2)
            manager = self.env.ref("base.user_admin")
            cause_stock.with_user(manager).write({"resolution": "Vendor ships tomorrow"})
            cause_stock.with_user(manager).action_resolve()
            of_stock = impacts.filtered(lambda e: e.cause_exception_id == cause_stock)
            self.assertEqual(of_stock.res_id, waiting.id)
            self.assertEqual(of_stock.state, "resolved")
            self.assertEqual(of_stock.resolution, "Resolved with its cause.")
            events = self.env["workflow.event"].search(
                [
                    ("event_type", "=", "exception"),
                    ("res_model", "=", "sale.order"),
                    ("res_id", "=", waiting.id),
                ]
            )
            actions = [
                e.payload["action"] for e in events if e.payload["exception_id"] == of_stock.id
            ]
            self.assertIn("auto_resolved", actions)
            of_mto = impacts - of_stock
            self.assertIn(of_mto.state, OPEN_STATES, "the other cause is still open")
            cause_mto.with_user(manager).write({"resolution": "Wrong planned date"})
            cause_mto.with_user(manager).action_dismiss()
            self.assertEqual(cause_mto.state, "dismissed")
            self.assertEqual(of_mto.res_id, mto_order.id)
            self.assertEqual(of_mto.state, "resolved")
            self.assertFalse(self.impacts("supplier_delay_impact"))

    def test_pick_ship_warehouse_orders_are_impacted(self):
        """In a two-step warehouse (pick, then ship) the pick takes the goods from
        stock: an order waiting for a late receipt is impacted there too, and the pick
        of an order served from free stock is not."""
        self.wh_b.delivery_steps = "pick_ship"
        self.add_stock(self.product_2, self.wh_b, 2)
        with freeze_time(S - DAY):
            late_po = self.create_purchase(
                [(self.product_2, 5, 4.0)], warehouse=self.wh_b, date_planned=S
            )
            served = self.sale_on(self.product_2, 2, 10.0, S, warehouse=self.wh_b)
            waiting = self.sale_on(self.product_2, 5, 10.0, S, warehouse=self.wh_b)
        pick = waiting.picking_ids.filtered(lambda p: p.picking_type_id == self.wh_b.pick_type_id)
        self.assertEqual(pick.move_ids.procure_method, "make_to_stock")
        self.assertEqual(pick.move_ids.sale_line_id, waiting.order_line)
        with freeze_time(LATE):
            self.detect("supplier_delay")
            cause = self.cause("supplier_delay", late_po)
            self.assertTrue(cause)
            self.assertEqual(self.impact_map("supplier_delay_impact"), {(waiting, cause): 50.0})
            self.assertNotIn(served.id, self.impacts("supplier_delay_impact").mapped("res_id"))

    def test_partial_receipt_keeps_impact_and_amount_follows_order(self):
        """A partly received late line is still late: its impact stays open, counted."""
        late_po, _due, _served, waiting, _covered, _short = self.stock_scenario()
        with freeze_time(LATE):
            self.detect("supplier_delay")
            impact = self.impacts("supplier_delay_impact")
            self.assertEqual(len(impact), 1)
            self.receive(late_po, {self.product_1: 2})
            self.detect("supplier_delay")
            self.assertEqual(self.impacts("supplier_delay_impact"), impact)
            self.assertEqual(impact.occurrence_count, 2)

    def test_no_impact_for_orders_served_from_free_stock(self):
        self.add_stock(self.product_1, self.wh_a, 10)
        with freeze_time(S - DAY):
            late_po = self.create_purchase([(self.product_1, 5, 4.0)], date_planned=S)
            # reserved on confirmation, and one left unreserved but covered by free stock
            self.sale_on(self.product_1, 6, 10.0, S)
            order = self.sale_on(self.product_1, 3, 10.0, S)
            self.outgoing(order).do_unreserve()
        self.assertEqual(self.outgoing(order).move_ids.state, "confirmed")
        with freeze_time(LATE):
            self.detect("supplier_delay")
            self.assertTrue(self.cause("supplier_delay", late_po))
            self.assertFalse(self.impacts("supplier_delay_impact", open_only=False))

    # ------------------------------------------------------------
    # stock shortage
    # ------------------------------------------------------------

    def test_shortage_impacts_beyond_every_receipt(self):
        late_po, _due, _served, waiting, covered, short = self.stock_scenario()
        with freeze_time(LATE):
            self.detect("stock_shortage")
            cause = self.cause("stock_shortage", self.product_1)
            self.assertTrue(cause)
            # only the order that no receipt covers: the late one covers "waiting"
            self.assertEqual(self.impact_map("shortage_impact"), {(short, cause): 20.0})
            impact = self.impacts("shortage_impact")
            self.assertEqual(impact.dedupe_key, f"impact:{cause.dedupe_key}:sale.order,{short.id}")
            self.detect("stock_shortage")
            self.assertEqual(self.impacts("shortage_impact", open_only=False), impact)
            self.assertEqual(impact.occurrence_count, 2)

    def test_shortage_impact_resolved_when_stock_arrives(self):
        self.add_stock(self.product_2, self.wh_b, 2)
        with freeze_time(S - DAY):
            served = self.sale_on(self.product_2, 2, 10.0, S, warehouse=self.wh_b)
            waiting = self.sale_on(self.product_2, 3, 10.0, S, warehouse=self.wh_b)
        self.assertEqual(self.outgoing(served).move_ids.state, "assigned")
        with freeze_time(S):
            self.detect("stock_shortage")
            cause = self.cause("stock_shortage", self.product_2)
            self.assertEqual(self.impact_map("shortage_impact"), {(waiting, cause): 30.0})
            impact = self.impacts("shortage_impact")
            self.assertEqual(impact.node_ref, self.node(self.wh_b))
            # 2 of the 3 missing: still short, same impact
            self.add_stock(self.product_2, self.wh_b, 2)
            self.detect("stock_shortage")
            self.assertEqual(self.impacts("shortage_impact"), impact)
            # the 3 missing are free now: shortage and impact resolved
            self.add_stock(self.product_2, self.wh_b, 1)
            self.detect("stock_shortage")
            self.assertEqual(cause.state, "resolved")
            self.assertEqual(impact.state, "resolved")

    def test_shortage_near_threshold_no_impact(self):
        """A receipt due before the delivery covers it: no impact, even with a shortage
        open (demand above free stock)."""
        with freeze_time(S - DAY):
            self.create_purchase([(self.product_2, 3, 4.0)], date_planned=S + H)
            self.sale_on(self.product_2, 3, 10.0, S + 2 * H)
        with freeze_time(S):
            self.detect("stock_shortage")
            self.assertTrue(self.cause("stock_shortage", self.product_2))
            self.assertFalse(self.impacts("shortage_impact", open_only=False))

    # ------------------------------------------------------------
    # multi-company and the engine's guard
    # ------------------------------------------------------------

    def test_multi_company_causes_link_their_company_only(self):
        company_b = self.env["res.company"].create({"name": "WM Causal B"})
        self.env.user.company_ids |= company_b
        warehouse_b = self.env["stock.warehouse"].search([("company_id", "=", company_b.id)])
        late_po, _due, _served, waiting, _covered, _short = self.stock_scenario()
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=[company_b.id]))
        with freeze_time(S - DAY):
            po_b = (
                self.env["purchase.order"]
                .with_env(env_b)
                .create(
                    {
                        "partner_id": self.vendor.id,
                        "company_id": company_b.id,
                        "picking_type_id": warehouse_b.in_type_id.id,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": self.product_1.id,
                                    "product_qty": 5,
                                    "price_unit": 4.0,
                                    "date_planned": S,
                                }
                            )
                        ],
                    }
                )
            )
            po_b.button_confirm()
            order_b = (
                self.env["sale.order"]
                .with_env(env_b)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "company_id": company_b.id,
                        "warehouse_id": warehouse_b.id,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": self.product_1.id,
                                    "product_uom_qty": 4,
                                    "price_unit": 10.0,
                                    "tax_id": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
            )
            order_b.action_confirm()
            self.outgoing(order_b).scheduled_date = S
            self.run_deferred()
        with freeze_time(LATE):
            self.detect("supplier_delay")
            cause_a = self.cause("supplier_delay", late_po)
            cause_b = self.cause("supplier_delay", po_b)
            self.assertEqual(cause_b.company_id, company_b)
            self.assertEqual(
                self.impact_map("supplier_delay_impact"),
                {(waiting, cause_a): 50.0, (order_b, cause_b): 40.0},
            )
            for impact in self.impacts("supplier_delay_impact"):
                self.assertEqual(impact.company_id, impact.cause_exception_id.company_id)
            # the engine refuses a cause of another company, through the upsert ...
            Exception_ = self.env["workflow.exception"].sudo()
            with self.assertRaises(ValidationError):
                Exception_.raise_exceptions(
                    [
                        {
                            "category_code": "supplier_delay_impact",
                            "record": order_b,
                            "name": "cross-company",
                            "company_id": company_b.id,
                            "cause_exception_id": cause_a.id,
                        }
                    ]
                )
            # ... and through the ORM
            impact_b = self.impacts("supplier_delay_impact").filtered(
                lambda e: e.company_id == company_b
            )
            with self.assertRaises(ValidationError):
                impact_b.sudo().cause_exception_id = cause_a

    # ------------------------------------------------------------
    # dashboard and drill-down
    # ------------------------------------------------------------

    def test_dashboard_causes_match_drill_down(self):
        late_po, _due, _served, waiting, _covered, short = self.stock_scenario()
        with freeze_time(S - DAY):
            mto_order, mto_po = self.mto_order(qty=3)
        with freeze_time(LATE):
            self.detect("supplier_delay")
            self.detect("stock_shortage")
            data = self.env["workflow.dashboard"].get_dashboard_data({})
        rows = data["causes"]["rows"]
        self.assertEqual(data["causes"]["cause_count"], len(rows))
        Exception_ = self.env["workflow.exception"]
        for row in rows:
            cause = Exception_.search(row["cause_domain"])
            self.assertEqual(cause.id, row["cause_id"])
            impacts = Exception_.search(row["impact_domain"])
            self.assertEqual(len(impacts), row["impacts"])
            self.assertEqual(impacts.cause_exception_id, cause)
            self.assertAlmostEqual(sum(impacts.mapped("impact_amount")), row["amount"])
            self.assertEqual(
                Exception_.search_count(cause.action_view_impacts()["domain"]), row["impacts"]
            )
            action = cause.action_view_impacted_documents()
            self.assertEqual(action["res_model"], "sale.order")
            orders = self.env["sale.order"].search(action["domain"])
            self.assertEqual(len(orders), row["documents"])
        # one order each, ranked by revenue at risk (the demo data has causes too)
        mine = (
            self.cause("supplier_delay", mto_po)
            | self.cause("supplier_delay", late_po)
            | self.cause("stock_shortage", self.product_1)
        )
        self.assertEqual(
            [
                (row["cause_id"], row["documents"], row["amount"])
                for row in rows
                if row["cause_id"] in mine.ids
            ],
            [
                (self.cause("supplier_delay", mto_po).id, 1, 90.0),
                (self.cause("supplier_delay", late_po).id, 1, 50.0),
                (self.cause("stock_shortage", self.product_1).id, 1, 20.0),
            ],
        )
        self.assertEqual(
            self.env["sale.order"].search(
                self.cause("supplier_delay", late_po).action_view_impacted_documents()["domain"]
            ),
            waiting,
        )
        self.assertTrue(short)
