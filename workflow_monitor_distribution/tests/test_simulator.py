# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The simulator: reproducible, dated at the simulated days without freezing the clock,
and showing the shares it promises."""

import pathlib
from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.workflow_monitor_distribution.simulator.summary import table

END = date(2025, 3, 10)
DAYS = 4
FIRST = END - timedelta(days=DAYS)
# from the opening stock (the day before the first day) to the end of the last day
WINDOW = (datetime.combine(FIRST - timedelta(days=1), datetime.min.time()), END)
SMALL = {"warehouses": 2, "products": 6, "customers": 6, "vendors": 2}


@tagged("post_install", "-at_install")
class TestSimulator(TransactionCase):
    maxDiff = None

    def simulate(self, **options):
        options = {
            "days": DAYS,
            "orders_per_day": 6,
            "seed": 7,
            "end_date": END,
            **SMALL,
            **options,
        }
        return self.env["workflow.simulator"].run(**options)

    def sim_records(self, model, partner_field="partner_id"):
        return self.env[model].search([(f"{partner_field}.name", "=like", "SIM %")], order="id")

    def assert_within(self, values, label, days_after=0):
        """Every value between the opening stock and the end of the last simulated day
        (plus ``days_after`` days, for what is planned ahead)."""
        values = [fields.Datetime.to_datetime(v) for v in values if v]
        self.assertTrue(values, label)
        low, high = WINDOW
        high = datetime.combine(high + timedelta(days=days_after), datetime.min.time())
        outside = [v for v in values if not low <= v < high]
        self.assertFalse(outside, f"{label} outside the simulated days")

    def signature(self, summary):
        """What a run produced, without ids and names (sequences are not rolled back)."""
        counts = {k: v for k, v in summary.items() if "second" not in k}
        orders = [
            (o.partner_id.name, o.date_order, o.state, o.amount_total)
            for o in self.sim_records("sale.order")
        ]
        pickings = [
            (p.picking_type_code, p.scheduled_date, p.date_done, p.state)
            for p in self.sim_records("stock.picking")
        ]
        moves = [
            (m.move_type, m.invoice_date, m.amount_total, m.payment_state)
            for m in self.sim_records("account.move")
        ]
        requests = [
            (r.res_model, r.state, r.escalated, r.requested_at, r.decided_at, r.decided_by_id.login)
            for r in self.env["workflow.approval.request"].search(
                [("policy_id.name", "=like", "SIM %")], order="id"
            )
        ]
        return counts, orders, pickings, moves, requests

    def simulate_undone(self, **options):
        """The signature of a run on the database as it is, then undone."""
        with self.env.cr.savepoint() as savepoint:
            result = self.signature(self.simulate(**options))
            savepoint.rollback()
        self.env.invalidate_all()
        self.env.registry.clear_all_caches()
        self.assertFalse(self.sim_records("sale.order"))
        return result

    def test_same_seed_same_run(self):
        first = self.simulate_undone()
        self.assertGreater(first[0]["orders"], 10)
        self.assertTrue(first[4], "approval requests")
        self.assertEqual(self.simulate_undone(), first)
        self.assertNotEqual(self.simulate_undone(seed=8)[1], first[1])

    def test_documents_and_facts_carry_the_simulated_dates(self):
        started = fields.Datetime.now().replace(microsecond=0)
        summary = self.simulate()
        self.assertTrue(
            all(summary[key] for key in ("deliveries", "invoices", "bills", "payments"))
        )
        orders = self.sim_records("sale.order")
        self.assert_within(orders.mapped("date_order"), "order dates")
        purchases = self.sim_records("purchase.order")
        self.assert_within(purchases.mapped("date_approve"), "approval dates")
        self.assert_within(purchases.order_line.mapped("date_planned"), "planned", days_after=7)
        pickings = self.sim_records("stock.picking")
        self.assert_within(pickings.mapped("date_done"), "done dates")
        self.assert_within(pickings.mapped("date"), "picking creation dates")
        done_moves = pickings.move_ids.filtered(lambda m: m.state == "done")
        self.assert_within(done_moves.mapped("date"), "move dates")
        self.assert_within(done_moves.move_line_ids.mapped("date"), "move line dates")
        moves = self.sim_records("account.move")
        self.assert_within(moves.mapped("invoice_date"), "invoice dates")
        self.assert_within(moves.mapped("date"), "accounting dates")
        payments = self.sim_records("account.payment")
        self.assert_within(payments.mapped("date"), "payment dates")
        # the engine's facts follow the simulated days (stage events: every one)
        documents = [("sale.order", orders), ("purchase.order", purchases)]
        documents.append(("stock.picking", pickings))
        for model, records in documents:
            events = self.env["workflow.event"].search(
                [
                    ("res_model", "=", model),
                    ("res_id", "in", records.ids),
                    ("event_type", "=", "stage"),
                ]
            )
            self.assert_within(events.mapped("occurred_at"), f"{model} events")
            instances = self.env["workflow.instance"].search(
                [("res_model", "=", model), ("res_id", "in", records.ids)]
            )
            self.assert_within(instances.mapped("started_at"), f"{model} instances")
        detected = self.env["workflow.exception"].search(
            [("category_id.code", "in", ("late_delivery", "credit_hold", "stock_shortage"))]
        )
        seen_during_stream = detected.filtered(lambda e: e.first_seen < started)
        self.assert_within(seen_during_stream.mapped("first_seen"), "exceptions first seen")
        self.assertEqual(
            {d for d in self.env["workflow.kpi.value"].search([]).mapped("date") if d >= FIRST},
            {FIRST + timedelta(days=n) for n in range(DAYS + 1)},
        )
        # creation dates stay the server's (no SQL rewriting)
        self.assertGreaterEqual(min(orders.mapped("create_date")), started)

    def test_shares_show(self):
        summary = self.simulate(
            mismatch_share=1.0,
            invoice_mismatch_share=1.0,
            late_delivery_share=1.0,
            over_credit_share=0.5,
            quotation_share=0.0,
        )
        self.assertTrue(summary["bills"])
        self.assertEqual(summary["mismatched"], summary["bills"])
        self.assertEqual(summary["invoice_mismatched"], summary["invoices"])
        self.assertGreater(summary["over_credit"], 0)
        self.assertEqual(summary["quotations"], 0)
        for code in ("invoice_mismatch", "late_delivery", "credit_hold"):
            self.assertGreater(summary["exceptions"].get(code, 0), 0, code)
        self.assertGreater(summary["late"], 0)
        # the readable table make demo prints
        text = table(summary)
        self.assertRegex(text, rf"Sale orders +{summary['orders']:,}\n")
        self.assertRegex(text, rf"  invoice_mismatch +{summary['exceptions']['invoice_mismatch']}")
        self.assertEqual(len({len(line) for line in text.splitlines()}), 1, "aligned columns")

    def test_options_are_validated(self):
        for options, name in (
            ({"late_delivery_share": 1.5}, "late_delivery_share"),
            ({"days": 0}, "days"),
            ({"orders_per_day": -1}, "orders_per_day"),
            ({"end_date": "someday"}, "end_date"),
            ({"speed": 2}, "speed"),
            ({"discount_share": -0.1}, "discount_share"),
            (
                {"approval_reject_share": 0.6, "approval_escalate_share": 0.5},
                "approval_reject_share",
            ),
        ):
            with self.assertRaisesRegex(UserError, name):
                self.env["workflow.simulator"].run(**options)
        self.assertFalse(self.sim_records("sale.order"))

    def test_no_freezegun_in_the_module(self):
        module = pathlib.Path(__file__).parents[1]
        for path in [*module.glob("simulator/*.py"), *module.glob("models/*.py")]:
            self.assertNotIn("freezegun", path.read_text(), path.name)
