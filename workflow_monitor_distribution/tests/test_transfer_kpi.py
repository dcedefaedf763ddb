# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common_transfer import TransferCommon

D = datetime(2031, 3, 10)  # a Monday, far from other data sets: the day holds only this one
H = timedelta(hours=1)


def at(hour, day=0):
    return D + timedelta(days=day, hours=hour)


@tagged("post_install", "-at_install")
class TestTransferCycleTime(TransferCommon):
    """transfer_cycle_time on one day, by hand (hours requested -> received):

      T1  A -> B  requested 08:00 (stock), shipped 09:00, received 18:00          10 h
      T2  A -> B  requested 06:00 (no stock), ready 10:00, shipped 11:00,
                  received 20:00                                                  14 h
      T3  A -> B  requested the day before 22:00, received 10:00                  12 h
      T4  B -> A  requested 09:00, received 14:00                                  5 h
      T5  A -> B  requested 08:00, shipped 09:00, received the next day: not counted
    Node A: median(10, 14, 12) = 12 over 3; node B: 5 over 1; company: median(10, 14,
    12, 5) = 11 over 4 (numerator: the sum of the hours, 41)."""

    def ship_and_receive(self, transfer, shipped_at, received_at):
        shipment, receipt = transfer
        with freeze_time(shipped_at):
            self.deliver(shipment)
        with freeze_time(received_at):
            self.deliver(receipt)

    def test_median_per_node(self):
        self.add_stock(self.product_ab, self.wh_a, 100)
        self.add_stock(self.product_ba, self.wh_b, 100)
        with freeze_time(at(22, day=-1)):
            t3 = self.request_transfer(self.product_ab, 1, self.wh_b)
        self.ship_and_receive(t3, at(8), at(10))
        product_late = self.make_product("WM Transfer late stock", self.route_ab)
        with freeze_time(at(6)):
            t2 = self.request_transfer(product_late, 2, self.wh_b)
        with freeze_time(at(8)):
            t1 = self.request_transfer(self.product_ab, 1, self.wh_b)
            t5 = self.request_transfer(self.product_ab, 3, self.wh_b)
        with freeze_time(at(9)):
            t4 = self.request_transfer(self.product_ba, 1, self.wh_a)
        self.ship_and_receive(t1, at(9), at(18))
        self.ship_and_receive(t4, at(10), at(14))
        with freeze_time(at(10)):
            self.add_stock(product_late, self.wh_a, 2)
            t2[0].action_assign()
            self.run_deferred()
        self.ship_and_receive(t2, at(11), at(20))
        self.ship_and_receive(t5, at(9), at(1, day=1))
        self.assertEqual(self.stage_codes(t2[0]), ["requested", "ready", "in_transit", "received"])

        kpi = self.env.ref("workflow_monitor_distribution.kpi_transfer_cycle_time")
        rows = {
            row["node_ref"] or "company": row
            for row in kpi._compute_values(D, D + timedelta(days=1))
            if row["company_id"] == self.company.id
        }
        wa, wb = self.node(self.wh_a), self.node(self.wh_b)
        self.assertEqual(set(rows), {"company", wa, wb})
        for node, (value, numerator, denominator) in {
            wa: (12.0, 36.0, 3),
            wb: (5.0, 5.0, 1),
            "company": (11.0, 41.0, 4),
        }.items():
            self.assertAlmostEqual(rows[node]["value"], value, places=4, msg=node)
            self.assertAlmostEqual(rows[node]["numerator"], numerator, places=4, msg=node)
            self.assertEqual(rows[node]["denominator"], denominator, node)

        # shipments to transit are not deliveries: no dispatch figure on that day
        on_time = self.env.ref("workflow_monitor_distribution.kpi_on_time_dispatch")
        self.assertFalse(
            [
                row
                for row in on_time._compute_values(D, D + timedelta(days=1))
                if row["company_id"] == self.company.id
            ]
        )
        # the documents behind each figure: the flows received that day
        for node, expected in {
            "company": (t1, t2, t3, t4),
            wa: (t1, t2, t3),
            wb: (t4,),
        }.items():
            documents = kpi._kpi_documents(
                D.date(), self.company.ids, False if node == "company" else node
            )
            self.assertEqual(documents["model"], "workflow.instance")
            found = self.env["workflow.instance"].search(documents["domain"])
            self.assertEqual(
                set(found.mapped("res_id")), {t[0].id for t in expected}, f"documents {node}"
            )
        # its tile on the dashboard (Operations layer), opening those documents
        kpi._snapshot(D.date())
        tile = next(
            t
            for t in self.env["workflow.dashboard"].get_dashboard_data({})["kpis"]
            if t["code"] == "transfer_cycle_time"
        )
        self.assertEqual((tile["unit"], tile["layer"]), ("hours", "operations"))
        self.assertAlmostEqual(tile["value"], 11.0, places=4)
        self.assertEqual(self.env["workflow.instance"].search_count(tile["documents"]["domain"]), 4)
