# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common import DistributionCommon

# Brussels is UTC+1 in March: a 16:00 cut-off is 15:00 UTC.
MONDAY = datetime(2031, 3, 3)
FRIDAY = datetime(2031, 3, 7)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@tagged("post_install", "-at_install")
class TestDispatchCutOff(DistributionCommon):
    """The warehouse's cut-off, in its time zone, moves the dispatch due date of orders
    confirmed after it to the end of the next working day (its company's calendar): on-time
    dispatch and late delivery read it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wh_a.write(
            {
                "workflow_tz": "Europe/Brussels",
                "workflow_cutoff_time": 16.0,
                "workflow_late_tolerance_hours": 4.0,
            }
        )
        cls.wh_b.workflow_late_tolerance_hours = 4.0  # no cut-off: scheduled date only
        cls.env.company.resource_calendar_id = cls.env.ref("resource.resource_calendar_std")

    def setUp(self):
        super().setUp()
        self.add_stock(self.product_1, self.wh_a, 100)
        self.add_stock(self.product_1, self.wh_b, 100)

    def order_at(self, moment, warehouse=None):
        with freeze_time(moment):
            order = self.create_sale([(self.product_1, 1)], warehouse=warehouse or self.wh_a)
        picking = self.outgoing(order)
        picking.scheduled_date = moment
        return picking

    def ship_at(self, picking, moment):
        with freeze_time(moment):
            self.deliver(picking)
        picking.date_done = moment

    def on_time(self, day, node):
        kpi = self.env.ref("workflow_monitor_distribution.kpi_on_time_dispatch")
        rows = {
            row["node_ref"]: row
            for row in kpi._compute_values(day, day + timedelta(days=1))
            if row["company_id"] == self.company.id
        }
        row = rows[node]
        return row["numerator"], row["denominator"]

    def test_confirmed_a_minute_after_cut_off_is_on_time_the_next_working_day(self):
        after = self.order_at(MONDAY.replace(hour=15) + M)  # 16:01 in Brussels
        before = self.order_at(MONDAY.replace(hour=15) - M)  # 15:59 in Brussels
        no_cut_off = self.order_at(MONDAY.replace(hour=15) + M, self.wh_b)
        tuesday = MONDAY + timedelta(days=1, hours=14)
        for picking in (after, before, no_cut_off):
            self.ship_at(picking, tuesday)
        # after the cut-off: due by the end of Tuesday (Brussels), shipped Tuesday: on time;
        # before it, or without a cut-off: due Monday + 4 h, shipped Tuesday: late
        self.assertEqual(self.on_time(tuesday.replace(hour=0), self.node(self.wh_a)), (1, 2))
        self.assertEqual(self.on_time(tuesday.replace(hour=0), self.node(self.wh_b)), (0, 1))

    def test_friday_after_cut_off_is_due_on_monday(self):
        monday_ship = self.order_at(FRIDAY.replace(hour=15) + M)
        tuesday_ship = self.order_at(FRIDAY.replace(hour=15) + 2 * M)
        next_monday = FRIDAY + timedelta(days=3)
        self.ship_at(monday_ship, next_monday.replace(hour=20))
        # due Monday 24:00 Brussels (23:00 UTC) + 4 h tolerance: Tuesday 03:00 UTC
        self.ship_at(tuesday_ship, next_monday + timedelta(days=1, hours=3, minutes=1))
        self.assertEqual(self.on_time(next_monday, self.node(self.wh_a)), (1, 1))
        tuesday = next_monday + timedelta(days=1)
        self.assertEqual(self.on_time(tuesday, self.node(self.wh_a)), (0, 1))

    def test_late_delivery_waits_for_the_due_date(self):
        picking = self.order_at(MONDAY.replace(hour=15) + M)
        control = self.order_at(MONDAY.replace(hour=15) - M)
        with freeze_time(MONDAY + timedelta(days=1, hours=10)):
            self.detect("late_delivery")
        self.assertFalse(self.exceptions_of("late_delivery", picking))
        self.assertTrue(self.exceptions_of("late_delivery", control), "before the cut-off")
        # due Tuesday 23:00 UTC + 4 h: not late at 02:59, late at 03:01 on Wednesday
        wednesday = MONDAY + timedelta(days=2)
        with freeze_time(wednesday + 3 * H - M):
            self.detect("late_delivery")
        self.assertFalse(self.exceptions_of("late_delivery", picking))
        with freeze_time(wednesday + 3 * H + M):
            self.detect("late_delivery")
        self.assert_one_open("late_delivery", picking, self.wh_a)


@tagged("post_install", "-at_install")
class TestTargets(DistributionCommon):
    """A warehouse's own targets colour its tiles; the Settings edit the KPI's target,
    the default of every warehouse."""

    def test_settings_edit_the_kpi_target(self):
        kpi = self.env.ref("workflow_monitor_distribution.kpi_fill_rate")
        kpi.write({"target": 95.0, "warning_threshold": 90.0})
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.workflow_target_fill_rate, 95.0)
        settings.workflow_target_fill_rate = 80.0
        settings.execute()
        self.assertEqual((kpi.target, kpi.warning_threshold), (80.0, 75.0))
        self.assertEqual(self.env["res.config.settings"].create({}).workflow_target_fill_rate, 80)
        self.assertTrue(
            self.env["workflow.event"].search(
                [
                    ("event_type", "=", "config"),
                    ("res_model", "=", "workflow.kpi"),
                    ("res_id", "=", kpi.id),
                ]
            ),
            "the change is audited",
        )

    def test_node_tiles_use_the_warehouse_target(self):
        kpi = self.env.ref("workflow_monitor_distribution.kpi_on_time_dispatch")
        kpi.write({"target": 95.0, "warning_threshold": 90.0})
        self.wh_a.workflow_target_on_time = 80.0
        node_a, node_b = self.node(self.wh_a), self.node(self.wh_b)
        self.assertEqual(kpi._kpi_target(node_a), (80.0, 75.0))
        self.assertEqual(kpi._kpi_target(node_b), (95.0, 90.0), "no target: the KPI's")
        self.assertEqual(kpi._kpi_target(False), (95.0, 90.0))
        self.assertEqual(kpi._status_of(85.0, node_a), "ok")
        self.assertEqual(kpi._status_of(85.0, node_b), "critical")
        self.assertEqual(kpi._status_of(77.0, node_a), "warning")
        for node, value in ((node_a, 85.0), (node_b, 85.0)):
            self.env["workflow.kpi.value"].create(
                {
                    "kpi_id": kpi.id,
                    "date": "2031-03-03",
                    "company_id": self.company.id,
                    "node_ref": node,
                    "value": value,
                }
            )
        Dashboard = self.env["workflow.dashboard"]
        tile_a = next(
            t
            for t in Dashboard.get_dashboard_data({"node": node_a})["kpis"]
            if t["code"] == "on_time_dispatch"
        )
        tile_b = next(
            t
            for t in Dashboard.get_dashboard_data({"node": node_b})["kpis"]
            if t["code"] == "on_time_dispatch"
        )
        self.assertEqual((tile_a["target"], tile_a["status"]), (80.0, "ok"))
        self.assertEqual((tile_b["target"], tile_b["status"]), (95.0, "critical"))
