# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from .return_common import ReturnCommon

D = datetime(2031, 3, 3)  # a Monday, far from demo data: the day holds only this data set


def at(hour, day=0):
    return D + timedelta(days=day, hours=hour)


@tagged("post_install", "-at_install")
class TestReturnRate(ReturnCommon):
    """return_rate against hand-computed values on one day:

    Warehouse A: A1 10 units delivered 10:00, A2 5 units delivered 11:00; a return of 2 of
      A1 received 15:00; a return of 1 of A2 requested 17:00, received the next day;
      a vendor return of 2 units of a receipt done 14:00 (no customer return).
    Warehouse B: B1 4 units delivered 12:00, returned in full, received 16:00.
    Day D: A 2 / 15 = 13.33 %, B 4 / 4 = 100 %, company 6 / 19 = 31.58 %.
    """

    def build_day(self):
        for warehouse in (self.wh_a, self.wh_b):
            self.add_stock(self.product_1, warehouse, 100)
        with freeze_time(at(8)):
            a1 = self.create_sale([(self.product_1, 10)])
            a2 = self.create_sale([(self.product_1, 5)])
            b1 = self.create_sale([(self.product_1, 4)], warehouse=self.wh_b)
            purchase = self.create_purchase([(self.product_2, 6, 5.0)])
        with freeze_time(at(9)):
            receipt = self.receive(purchase)
        with freeze_time(at(10)):
            self.deliver(self.outgoing(a1))
        with freeze_time(at(11)):
            self.deliver(self.outgoing(a2))
        with freeze_time(at(12)):
            self.deliver(self.outgoing(b1))
        with freeze_time(at(13)):
            return_a1 = self.request_return(self.outgoing(a1), {self.product_1: 2})
            return_b1 = self.request_return(self.outgoing(b1), all_of_it=True)
            vendor_return = self.request_return(receipt, {self.product_2: 2})
        with freeze_time(at(14)):
            self.deliver(vendor_return)
        with freeze_time(at(15)):
            self.deliver(return_a1)
        with freeze_time(at(16)):
            self.deliver(return_b1)
        with freeze_time(at(17)):
            return_a2 = self.request_return(self.outgoing(a2), {self.product_1: 1})
        with freeze_time(at(9, day=1)):
            self.deliver(return_a2)
        return return_a1, return_b1, return_a2

    def test_return_rate_on_one_day(self):
        return_a1, return_b1, return_a2 = self.build_day()
        kpi = self.env.ref("workflow_monitor_distribution.kpi_return_rate")
        rows = {
            row["node_ref"] or "company": row
            for row in kpi._compute_values(D, D + timedelta(days=1))
            if row["company_id"] == self.company.id
        }
        expected = {
            "company": (600 / 19, 6, 19),
            self.node(self.wh_a): (200 / 15, 2, 15),
            self.node(self.wh_b): (100.0, 4, 4),
        }
        self.assertEqual(set(rows), set(expected))
        for node, (value, numerator, denominator) in expected.items():
            self.assertAlmostEqual(rows[node]["value"], value, places=4, msg=node)
            self.assertAlmostEqual(rows[node]["numerator"], numerator, msg=node)
            self.assertAlmostEqual(rows[node]["denominator"], denominator, msg=node)
        # the next day: the late return, and no delivery
        next_day = {
            row["node_ref"] or "company": row
            for row in kpi._compute_values(D + timedelta(days=1), D + timedelta(days=2))
            if row["company_id"] == self.company.id
        }
        self.assertEqual(next_day["company"]["numerator"], 1)
        self.assertEqual(next_day["company"]["denominator"], 0)

        # the tile opens the returns behind the numerator
        company = self.company.ids
        for node, returns in (
            (False, return_a1 | return_b1),
            (self.node(self.wh_a), return_a1),
            (self.node(self.wh_b), return_b1),
        ):
            documents = kpi._kpi_documents(D.date(), company, node)
            self.assertEqual(documents["model"], "stock.picking")
            self.assertEqual(self.env["stock.picking"].search(documents["domain"]), returns)
        self.assertNotIn(return_a2, self.env["stock.picking"].search(documents["domain"]))

        # and the dashboard shows the tile with its last snapshot
        kpi._snapshot(D.date())
        tile = next(
            t
            for t in self.env["workflow.dashboard"].get_dashboard_data({})["kpis"]
            if t["code"] == "return_rate"
        )
        self.assertEqual(tile["documents"]["model"], "stock.picking")
        self.assertAlmostEqual(tile["value"], 600 / 19, places=2)
