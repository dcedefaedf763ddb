# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date, datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import DistributionCommon

D = datetime(2031, 3, 3)  # a Monday, far from demo data: the day holds only this data set
D_FROM = D
D_TO = D + timedelta(days=1)


def at(hour, minute=0):
    return D.replace(hour=hour, minute=minute)


@tagged("post_install", "-at_install")
class TestDistributionKpis(DistributionCommon):
    """KPI formulas against hand-computed values on one small day of activity.

    Warehouse A (late tolerance 4 h, on the warehouse):
      A1  10 x P1, confirmed 08:00, scheduled 09:00, shipped in full 10:00, invoiced 11:00
      A2  10 x P2 with 6 in stock, confirmed 08:00, scheduled 02:00, 6 shipped 12:00 with a
          backorder (open, created 30 h before the end of the day); invoiced 13:00, then
          credited in full
      A3   2 x P1, confirmed 08:00, scheduled 20:00, shipped in full 18:00
      PO-A 10 x P1 at 50, confirmed 07:00, received 12:00, billed at 60 (mismatch)
    Warehouse B (no tolerance of its own: 4 h from Settings):
      B1   5 x P1, confirmed 09:00, scheduled 10:00, shipped in full 13:00, invoiced 15:00
      B2   8 x P2 with 5 in stock, confirmed 09:00, scheduled 13:00, 5 shipped 16:00 with a
          backorder (open, created 10 h before the end of the day)
      PO-B  4 x P1 at 50, confirmed 08:00, received 10:00, billed at 50
    The invoice_mismatch detector runs at 18:30 (one exception, on the PO-A bill).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wh_a.workflow_late_tolerance_hours = 4.0
        cls.kpis = {kpi.code: kpi for kpi in cls.env["workflow.kpi"].search([])}

    def setUp(self):
        super().setUp()
        self.add_stock(self.product_1, self.wh_a, 100)
        self.add_stock(self.product_1, self.wh_b, 100)
        self.add_stock(self.product_2, self.wh_a, 6)
        self.add_stock(self.product_2, self.wh_b, 5)

    def build_day(self):
        # what the database already holds is seen now (not on the day): only the data
        # set's own mismatch is first seen on the day
        self.detect("invoice_mismatch")
        sales = {}
        with freeze_time(at(7)):
            po_a = self.create_purchase([(self.product_1, 10, 50.0)], date_planned=at(12))
        with freeze_time(at(8)):
            po_b = self.create_purchase(
                [(self.product_1, 4, 50.0)], warehouse=self.wh_b, date_planned=at(10)
            )
            for key, product, qty in (
                ("A1", self.product_1, 10),
                ("A2", self.product_2, 10),
                ("A3", self.product_1, 2),
            ):
                sales[key] = self.create_sale([(product, qty)], warehouse=self.wh_a)
        with freeze_time(at(9)):
            for key, product, qty in (("B1", self.product_1, 5), ("B2", self.product_2, 8)):
                sales[key] = self.create_sale([(product, qty)], warehouse=self.wh_b)
        scheduled = {"A1": at(9), "A2": at(2), "A3": at(20), "B1": at(10), "B2": at(13)}
        for key, when in scheduled.items():
            self.outgoing(sales[key]).scheduled_date = when
        pickings = {key: self.outgoing(order) for key, order in sales.items()}

        with freeze_time(at(10)):
            self.deliver(pickings["A1"])
            self.receive(po_b)
        with freeze_time(at(11)):
            self.invoice_sale(sales["A1"], invoice_date=D.date())
        with freeze_time(at(12)):
            bo_a2 = self.deliver(pickings["A2"], {self.product_2: 6})
            self.receive(po_a)
            bill_a = self.bill_purchase(po_a, invoice_date=D.date(), prices={self.product_1: 60})
            bill_b = self.bill_purchase(po_b, invoice_date=D.date())
        with freeze_time(at(13)):
            self.deliver(pickings["B1"])
            inv_a2 = self.invoice_sale(sales["A2"], invoice_date=D.date())
            self.credit_note(inv_a2)
        with freeze_time(at(15)):
            self.invoice_sale(sales["B1"], invoice_date=D.date())
        with freeze_time(at(16)):
            bo_b2 = self.deliver(pickings["B2"], {self.product_2: 5})
        with freeze_time(at(18)):
            self.deliver(pickings["A3"])
        with freeze_time(at(18, 30)):
            self.detect("invoice_mismatch")
        # backorder age counts from the backorder's creation date (``date``)
        bo_a2.date = D_TO - timedelta(hours=30)
        bo_b2.date = D_TO - timedelta(hours=10)
        return sales, pickings, (po_a, po_b, bill_a, bill_b)

    def values(self, code, date_from=D_FROM, date_to=D_TO):
        """{node_ref or 'company': row} of our company, rows summing up checked."""
        rows = [
            row
            for row in self.kpis[code]._compute_values(date_from, date_to)
            if row["company_id"] == self.company.id
        ]
        by_node = {row.get("node_ref") or "company": row for row in rows}
        self.assertEqual(len(by_node), len(rows), f"{code}: one row per node")
        return by_node

    def assert_kpi(self, code, expected, places=4):
        """``expected``: {node: (value, numerator, denominator)}; warehouse rows add up to
        the company row."""
        rows = self.values(code)
        self.assertEqual(
            set(rows), set(expected), f"{code}: rows for the company and each warehouse"
        )
        for node, (value, numerator, denominator) in expected.items():
            row = rows[node]
            self.assertAlmostEqual(row["value"], value, places=places, msg=f"{code} {node}")
            if numerator is not None:
                self.assertAlmostEqual(row["numerator"], numerator, places=places)
            if denominator is not None:
                self.assertAlmostEqual(row["denominator"], denominator, places=places)
        return rows

    def assert_sums(self, code, rows):
        warehouses = [row for node, row in rows.items() if node != "company"]
        for key in ("numerator", "denominator"):
            self.assertAlmostEqual(
                sum(row[key] for row in warehouses),
                rows["company"][key],
                places=4,
                msg=f"{code}: warehouse {key}s add up to the company's",
            )

    def test_kpis_on_one_day(self):
        sales, pickings, (po_a, _po_b, bill_a, _bill_b) = self.build_day()
        wa, wb = self.node(self.wh_a), self.node(self.wh_b)
        # the data set is what the docstring says
        self.assertEqual(pickings["A1"].date_done, at(10))
        self.assertEqual(pickings["A2"].scheduled_date, at(2))
        self.assertEqual(pickings["B2"].date_done, at(16))
        self.assertEqual(self.instance_of(sales["A1"]).stage_id.code, "invoiced")
        self.assertEqual(self.instance_of(sales["A2"]).stage_id.code, "confirmed")
        self.assertEqual(self.instance_of(sales["A3"]).stage_id.code, "shipped")
        self.assertEqual(len(self.exceptions_of("invoice_mismatch", bill_a)), 1)

        # fill rate: shipped in the first delivery / ordered
        rows = self.assert_kpi(
            "fill_rate",
            {
                wa: (100.0 * 18 / 22, 18, 22),  # A1 10/10, A2 6/10, A3 2/2
                wb: (100.0 * 10 / 13, 10, 13),  # B1 5/5, B2 5/8
                "company": (100.0 * 28 / 35, 28, 35),
            },
        )
        self.assert_sums("fill_rate", rows)

        # on-time dispatch: done by scheduled date + tolerance
        rows = self.assert_kpi(
            "on_time_dispatch",
            {
                wa: (100.0 * 2 / 3, 2, 3),  # A2 late (12:00 > 02:00 + 4 h)
                wb: (100.0, 2, 2),  # B2 16:00 <= 13:00 + 4 h
                "company": (80.0, 4, 5),
            },
        )
        self.assert_sums("on_time_dispatch", rows)

        # invoice accuracy: posted invoices and bills neither credited nor mismatched
        rows = self.assert_kpi(
            "invoice_accuracy",
            {
                wa: (100.0 / 3, 1, 3),  # A1 right, A2 credited, PO-A bill mismatched
                wb: (100.0, 2, 2),  # B1 invoice, PO-B bill
                "company": (60.0, 3, 5),
            },
        )
        self.assert_sums("invoice_accuracy", rows)

        # open backorder age at the end of the day, hours
        rows = self.values("backorder_age")
        self.assertAlmostEqual(rows[wa]["value"], 30.0, places=4)
        self.assertAlmostEqual(rows[wa]["denominator"], 1)
        self.assertAlmostEqual(rows[wb]["value"], 10.0, places=4)
        self.assertAlmostEqual(rows[wb]["numerator"], 10.0, places=4)
        self.assert_sums("backorder_age", rows)
        company = rows["company"]
        self.assertAlmostEqual(company["value"], company["numerator"] / company["denominator"])

        # throughput: orders that reached shipped on the day
        rows = self.assert_kpi(
            "throughput",
            {wa: (2, 2, None), wb: (1, 1, None), "company": (3, 3, None)},  # A1, A3 / B1
        )
        self.assert_sums("throughput", rows)

        # exception rate: distribution exceptions per 100 confirmed orders
        rows = self.assert_kpi(
            "exception_rate",
            {wa: (100.0 / 3, 1, 3), wb: (0.0, 0, 2), "company": (20.0, 1, 5)},
        )
        self.assert_sums("exception_rate", rows)

        # order cycle confirm -> shipped: A1 2 h, A3 10 h / B1 4 h
        self.assert_kpi(
            "order_cycle_ship_p50",
            {wa: (6.0, 12.0, 2), wb: (4.0, 4.0, 1), "company": (4.0, 16.0, 3)},
        )
        self.assert_kpi(
            "order_cycle_ship_p90",
            {wa: (9.2, None, 2), wb: (4.0, None, 1), "company": (8.8, None, 3)},
        )
        # order cycle confirm -> invoiced: A1 3 h / B1 6 h
        self.assert_kpi(
            "order_cycle_invoice_p50",
            {wa: (3.0, 3.0, 1), wb: (6.0, 6.0, 1), "company": (4.5, 9.0, 2)},
        )
        self.assert_kpi(
            "order_cycle_invoice_p90",
            {wa: (3.0, None, 1), wb: (6.0, None, 1), "company": (5.7, None, 2)},
        )
        # procure cycle confirm -> received: PO-A 5 h / PO-B 2 h
        self.assert_kpi(
            "procure_cycle_time",
            {wa: (5.0, 5.0, 1), wb: (2.0, 2.0, 1), "company": (3.5, 7.0, 2)},
        )
        self.assertEqual(po_a.effective_date, at(12))

        # another day: nothing shipped, nothing late
        other = self.values("fill_rate", D_TO, D_TO + timedelta(days=1))
        self.assertFalse({wa, wb} & set(other))

    def test_snapshot_stores_company_and_warehouse_rows(self):
        self.build_day()
        kpi = self.kpis["fill_rate"]
        kpi._snapshot(D.date())
        snapshots = self.env["workflow.kpi.value"].search(
            [("kpi_id", "=", kpi.id), ("date", "=", date(2031, 3, 3))]
        )
        by_node = {value.node_ref or "company": value for value in snapshots}
        self.assertAlmostEqual(by_node[self.node(self.wh_a)].value, 100.0 * 18 / 22, places=4)
        self.assertAlmostEqual(by_node["company"].numerator, 28)
        self.assertAlmostEqual(by_node["company"].denominator, 35)

    def test_cycle_time_matches_timestamps(self):
        """Explicit times for confirmation and shipment: the events carry them, the
        cycle time KPI is their difference."""
        t_quote = datetime(2031, 6, 2, 8, 0)
        t_confirm = datetime(2031, 6, 2, 9, 15)
        t_ship = datetime(2031, 6, 3, 14, 45)
        with freeze_time(t_quote):
            order = self.create_sale([(self.product_1, 3)], warehouse=self.wh_b, confirm=False)
        with freeze_time(t_confirm):
            self.confirm_sale(order)
        with freeze_time(t_ship):
            self.deliver(self.outgoing(order))
        events = self.stage_events(order)
        self.assertEqual(
            [(e.stage_to_id.code, e.occurred_at) for e in events],
            [
                ("quotation", t_quote),
                ("confirmed", t_confirm),
                ("allocated", t_confirm),
                ("shipped", t_ship),
            ],
        )
        self.assertEqual(events[1].duration_seconds, (t_confirm - t_quote).total_seconds())
        self.assertEqual(events[3].duration_seconds, (t_ship - t_confirm).total_seconds())
        hours = (t_ship - t_confirm).total_seconds() / 3600.0  # 29.5
        rows = self.values("order_cycle_ship_p50", datetime(2031, 6, 3), datetime(2031, 6, 4))
        self.assertAlmostEqual(rows[self.node(self.wh_b)]["value"], hours)
        self.assertAlmostEqual(rows["company"]["value"], hours)
        self.assertEqual(rows["company"]["denominator"], 1)
        # the shipment day only: the day of confirmation has no cycle ending
        rows = self.values("order_cycle_ship_p50", datetime(2031, 6, 2), datetime(2031, 6, 3))
        self.assertNotIn(self.node(self.wh_b), rows)

    def test_conversion_response_and_release_kpis(self):
        """Hand-computed on 2031-07-07 (a Monday; 6 of product 2 in stock in A):
          quotations created 08:00; A1, A2, A3, A5, B1 and B2 sent 08:00, A4 never sent
          Q-A1 (warehouse A) confirmed 09:00 with stock: delivery ready at once (0 h)
          Q-A2 (A) cancelled as a quotation 10:00
          Q-A3 (A) 10 x product 2 (6 in stock) confirmed 09:00: its delivery ships as
              soon as possible, so it is Ready with 6 reserved (0 h) though the order is
              not allocated
          Q-A5 (A) 4 x a product out of stock, confirmed 09:00, ready when the stock
              arrives 12:00 (3 h)
          Q-B1 (B) confirmed 11:00 (0 h); Q-B2 (B) stays a quotation
          Q-A4 (A) confirmed 09:00 (0 h), then cancelled 16:00: never sent, so counted
              in no conversion
          RFQ-1 sent 08:00, confirmed 14:00 (6 h); RFQ-2 sent 08:00, confirmed 09:00 (1 h);
          RFQ-3 confirmed without being sent (not counted)
        quote_conversion (confirmed / sent): A 3 of 4 (A1, A3, A5 of A1, A2, A3, A5),
        B 1 of 2, company 4 of 6; order_release_delay: A 0, 0, 0, 3 h, B 0 h."""
        day = datetime(2031, 7, 7)
        late_product = self.env["product.product"].create(
            {"name": "WM Dist Late Part", "is_storable": True, "list_price": 10.0}
        )

        def t(hour):
            return day.replace(hour=hour)

        with freeze_time(t(8)):
            quotes = {
                key: self.create_sale([(product, qty)], warehouse=wh, confirm=False)
                for key, product, qty, wh in (
                    ("A1", self.product_1, 2, self.wh_a),
                    ("A2", self.product_1, 2, self.wh_a),
                    ("A3", self.product_2, 10, self.wh_a),
                    ("A4", self.product_1, 2, self.wh_a),
                    ("A5", late_product, 4, self.wh_a),
                    ("B1", self.product_1, 2, self.wh_b),
                    ("B2", self.product_1, 2, self.wh_b),
                )
            }
            sent = [quotes[key] for key in ("A1", "A2", "A3", "A5", "B1", "B2")]
            self.env["sale.order"].concat(*sent).action_quotation_sent()
            rfqs = [
                self.create_purchase([(self.product_1, 1, 5.0)], confirm=False) for _i in range(3)
            ]
            self.send_rfq(rfqs[0])
            self.send_rfq(rfqs[1])
        self.assertEqual({q.workflow_sent_at for q in sent}, {t(8)})
        self.assertFalse(quotes["A4"].workflow_sent_at)
        with freeze_time(t(9)):
            for key in ("A1", "A3", "A4", "A5"):
                self.confirm_sale(quotes[key])
            rfqs[1].button_confirm()
            rfqs[2].button_confirm()
            self.run_deferred()
        self.assertEqual(self.outgoing(quotes["A3"]).state, "assigned")
        self.assertEqual(self.stage_codes(quotes["A3"])[-1], "confirmed")
        self.assertEqual(self.outgoing(quotes["A5"]).state, "confirmed")
        with freeze_time(t(10)):
            quotes["A2"]._action_cancel()
            self.run_deferred()
        with freeze_time(t(11)):
            self.confirm_sale(quotes["B1"])
        with freeze_time(t(12)):
            self.add_stock(late_product, self.wh_a, 10)
            self.outgoing(quotes["A5"]).action_assign()
            self.run_deferred()
        with freeze_time(t(14)):
            rfqs[0].button_confirm()
            self.run_deferred()
        with freeze_time(t(16)):
            quotes["A4"]._action_cancel()
            self.run_deferred()
        self.assertEqual(self.stage_codes(quotes["A5"])[-1], "allocated")
        # the confirmation keeps the moment of the send, which nobody else can write
        self.assertEqual(quotes["A1"].workflow_sent_at, t(8))
        with self.assertRaises(AccessError):
            quotes["B2"].with_user(self.env.ref("base.user_admin")).write(
                {"workflow_sent_at": t(7)}
            )

        window = (day, day + timedelta(days=1))
        a, b = self.node(self.wh_a), self.node(self.wh_b)
        rows = self.values("quote_conversion", *window)
        self.assertAlmostEqual(rows[a]["value"], 75.0)
        self.assertEqual((rows[a]["numerator"], rows[a]["denominator"]), (3, 4))
        self.assertAlmostEqual(rows[b]["value"], 50.0)
        self.assertEqual((rows[b]["numerator"], rows[b]["denominator"]), (1, 2))
        self.assertAlmostEqual(rows["company"]["value"], 100.0 * 4 / 6)
        self.assert_sums("quote_conversion", rows)
        # the tile opens the quotations sent that day
        documents = self.kpis["quote_conversion"]._kpi_documents(day.date(), self.company.ids)
        self.assertEqual(documents["model"], "sale.order")
        self.assertEqual(
            set(self.env["sale.order"].search(documents["domain"]).ids), {q.id for q in sent}
        )

        rows = self.values("vendor_response_time", *window)
        self.assertAlmostEqual(rows["company"]["value"], 3.5)  # median of 6 h and 1 h
        self.assertEqual(rows["company"]["denominator"], 2)

        rows = self.values("order_release_delay", *window)
        # A1 0 h, A3 0 h, A4 0 h, A5 3 h (warehouse A), B1 0 h
        self.assertAlmostEqual(rows[a]["value"], 0.0)
        self.assertAlmostEqual(rows[a]["numerator"], 3.0)
        self.assertEqual(rows[a]["denominator"], 4)
        self.assertEqual(rows["company"]["denominator"], 5)
        self.assertAlmostEqual(rows["company"]["numerator"], 3.0)
        rows = self.values("order_release_delay", day + timedelta(days=1), day + timedelta(days=2))
        self.assertFalse(rows, "an order counts on the day of its first release only")
        documents = self.kpis["order_release_delay"]._kpi_documents(day.date(), self.company.ids)
        released = self.env[documents["model"]].search(documents["domain"])
        self.assertEqual(
            set(released.mapped("res_id")),
            set(self.outgoing(self.env["sale.order"].concat(*quotes.values())).ids),
        )

        rows = self.values("procure_cycle_time_p90", *window)
        self.assertFalse(rows, "nothing received that day")

    def test_manual_override_share(self):
        """Stage changes by a person vs by automation, on one day."""
        day = datetime(2031, 8, 4, 10)
        with freeze_time(day):
            by_hand = self.create_sale([(self.product_1, 1)], warehouse=self.wh_a, confirm=False)
            by_job = self.create_sale([(self.product_1, 1)], warehouse=self.wh_a, confirm=False)
            # a person (not the superuser, whose changes are the system's) and a job
            by_hand.with_user(self.env.ref("base.user_admin")).action_confirm()
            by_job.with_context(workflow_source="scheduled_action").action_confirm()
            self.run_deferred()
        window = (day.replace(hour=0), day.replace(hour=0) + timedelta(days=1))
        events = self.env["workflow.event"].search(
            [
                ("event_type", "=", "stage"),
                ("occurred_at", ">=", window[0]),
                ("occurred_at", "<", window[1]),
                ("company_id", "=", self.company.id),
            ]
        )
        manual = len(events.filtered(lambda e: e.source == "user"))
        self.assertTrue(0 < manual < len(events), events.mapped("source"))
        rows = self.values("manual_override_share", *window)
        self.assertAlmostEqual(rows["company"]["value"], 100.0 * manual / len(events))
        self.assertEqual(rows["company"]["denominator"], len(events))

    def test_tiles_open_the_documents_behind_the_value(self):
        self.build_day()
        company = [self.company.id]
        for code, model, key in (
            ("on_time_dispatch", "stock.picking", "denominator"),
            ("throughput", "workflow.instance", "value"),
            ("invoice_accuracy", "account.move", "denominator"),
        ):
            rows = self.values(code)
            for node in ("company", self.node(self.wh_a), self.node(self.wh_b)):
                documents = self.kpis[code]._kpi_documents(
                    D.date(), company, False if node == "company" else node
                )
                if code == "invoice_accuracy" and node != "company":
                    self.assertFalse(documents, "no warehouse twin: the tile opens snapshots")
                    continue
                self.assertEqual(documents["model"], model)
                found = self.env[model].search_count(documents["domain"])
                self.assertEqual(found, rows[node][key], f"{code} {node}")
        # the dashboard's tile carries them for its last snapshot
        self.kpis["on_time_dispatch"]._snapshot(D.date())
        tile = next(
            t
            for t in self.env["workflow.dashboard"].get_dashboard_data({})["kpis"]
            if t["code"] == "on_time_dispatch"
        )
        self.assertEqual(tile["documents"]["model"], "stock.picking")
        self.assertEqual(
            self.env["stock.picking"].search_count(tile["documents"]["domain"]),
            self.values("on_time_dispatch")["company"]["denominator"],
        )
