# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo.tests import tagged

from .test_carrier_flow import CarrierCommon, at

DAY_FROM = at(0)
DAY_TO = DAY_FROM + timedelta(days=1)


@tagged("post_install", "-at_install")
class TestOnTimeDeliveryCustomer(CarrierCommon):
    """``on_time_delivery_customer`` against hand-computed values, day D (UTC).

    Warehouse A, time zone Europe/Paris (UTC+2 on D):
      A1  committed D 08:00, delivered D 15:00                      on time
      A2  no commitment, deadline D-1 12:00, delivered D 09:00      late (a day after)
      A3  committed D 10:00, delivered D 23:30 UTC = D+1 01:30 Paris late (in its zone)
      A4  committed D-1, delivered D-1 18:00 (and again on D)       not counted: D-1
    Warehouse B (no zone of its own):
      B1  no commitment, deadline D 04:00 (ordered then, no lead time), delivered D 11:00
                                                                    on time
      B2  committed D, delivered D+1 09:00                          not counted: D+1
    A: 1 / 3 = 33.33 %, B: 1 / 1 = 100 %, company: 2 / 4 = 50 %.
    """

    def test_on_time_delivery_customer(self):
        self.wh_a.workflow_tz = "Europe/Paris"
        ship = at(5)
        a1 = self.shipped("WM-KPI-A1", when=ship, commitment=at(8))
        a2 = self.shipped("WM-KPI-A2", when=ship, date_deadline=at(12, day=-1))
        a3 = self.shipped("WM-KPI-A3", when=ship, commitment=at(10))
        a4 = self.shipped("WM-KPI-A4", when=at(5, day=-1), commitment=at(12, day=-1))
        b1 = self.shipped("WM-KPI-B1", warehouse=self.wh_b, when=ship)
        b2 = self.shipped("WM-KPI-B2", warehouse=self.wh_b, when=ship, commitment=at(18))
        self.assertFalse(a2.sale_id.commitment_date)
        self.assertEqual(a2.date_deadline, at(12, day=-1))
        self.assertEqual(b1.date_deadline, at(4), "the order's date plus its lead time")

        self.update("WM-KPI-A4", "delivered", at(18, day=-1), now=at(19, day=-1))
        late_now = at(12, day=1)
        for ref, when in (
            ("WM-KPI-A1", at(15)),
            ("WM-KPI-A2", at(9)),
            ("WM-KPI-A3", at(23, 30)),
            ("WM-KPI-A4", at(10)),  # again: the first delivery counts
            ("WM-KPI-B1", at(11)),
            ("WM-KPI-B2", at(9, day=1)),
        ):
            self.update(ref, "delivered", when, now=late_now)

        kpi = self.env.ref("workflow_monitor_distribution.kpi_on_time_delivery_customer")
        values = {v["node_ref"]: v for v in kpi._compute_values(DAY_FROM, DAY_TO)}
        mine = {key: values[key] for key in ("", self.node(self.wh_a), self.node(self.wh_b))}
        company = mine[""]
        # the company row holds every warehouse's deliveries of the day: the demo's too
        # are far from D, so only this data set counts
        self.assertEqual((company["numerator"], company["denominator"]), (2, 4))
        self.assertAlmostEqual(company["value"], 50.0)
        row_a = mine[self.node(self.wh_a)]
        self.assertEqual((row_a["numerator"], row_a["denominator"]), (1, 3))
        self.assertAlmostEqual(row_a["value"], 100.0 / 3, places=4)
        row_b = mine[self.node(self.wh_b)]
        self.assertEqual((row_b["numerator"], row_b["denominator"]), (1, 1))
        self.assertAlmostEqual(row_b["value"], 100.0)

        # the tile opens the deliveries behind the value
        documents = kpi._kpi_documents(DAY_FROM.date(), self.company.ids)
        self.assertEqual(
            self.env[documents["model"]].search(documents["domain"]), a1 | a2 | a3 | b1
        )
        documents = kpi._kpi_documents(DAY_FROM.date(), self.company.ids, self.node(self.wh_a))
        self.assertEqual(self.env[documents["model"]].search(documents["domain"]), a1 | a2 | a3)
        self.assertNotIn(a4, self.env["stock.picking"].search(documents["domain"]))
        self.assertNotIn(b2, self.env["stock.picking"].search(documents["domain"]))
