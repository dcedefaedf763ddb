# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date, datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common import OPEN_STATES, TEST_MODEL, WorkflowMonitorCommon

DAY = date(2025, 3, 3)
MORNING = datetime(2025, 3, 3, 9, 0)
EVENING = datetime(2025, 3, 3, 20, 0)
NEXT_DAY = datetime(2025, 3, 4, 0, 0)


@tagged("post_install", "-at_install")
class TestKpiSnapshot(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Kpi = cls.env["workflow.kpi"]
        cls.Value = cls.env["workflow.kpi.value"]
        cls.kpi_open = cls.env.ref("workflow_monitor_base.kpi_open_exceptions")
        cls.kpi_throughput = cls.env.ref("workflow_monitor_base.kpi_event_throughput")
        cls.kpi_sla = cls.env.ref("workflow_monitor_base.kpi_sla_compliance")
        cls.kpi_resolution = cls.env.ref("workflow_monitor_base.kpi_exception_resolution_time")
        cls.kpi_crons = cls.env.ref("workflow_monitor_base.kpi_failing_crons")

    def _activity(self):
        Exception = self.env["workflow.exception"]
        with freeze_time(MORNING):
            docs_a = self.env[TEST_MODEL].create([{"name": f"K-A{i}"} for i in range(3)])
            self.run_deferred()
            doc_b = self.create_doc("K-B", company_id=self.company_b.id)
            # yesterday's and tomorrow's events must not count
            self.env["workflow.event"].log_events(
                [
                    {"event_type": "stage", "occurred_at": MORNING - timedelta(days=1)},
                    {"event_type": "stage", "occurred_at": NEXT_DAY},
                ]
            )
            Exception.raise_exception(docs_a[0], "wm_test_category", "A1")
            Exception.raise_exception(docs_a[1], "wm_test_category", "A2")
            Exception.raise_exception(doc_b, "wm_test_category", "B1")
            resolved = Exception.raise_exception(docs_a[2], "wm_test_category", "A3")
            # SLA outcomes of stage events that day: one met, one missed
            self.env["workflow.event"].log_events(
                [
                    {
                        "event_type": "stage",
                        "payload": {"sla": "met"},
                        "company_id": self.company_a.id,
                    },
                    {
                        "event_type": "stage",
                        "payload": {"sla": "missed"},
                        "company_id": self.company_a.id,
                    },
                ]
            )
        with freeze_time(MORNING + timedelta(hours=2)):
            self.write_doc(docs_a, {"state": "confirmed"})
            resolved.write({"resolution": "fixed"})
            resolved.action_resolve()
        return docs_a, doc_b

    def values(self, kpi, company=None):
        domain = [("kpi_id", "=", kpi.id), ("date", "=", DAY), ("node_ref", "=", False)]
        if company:
            domain.append(("company_id", "=", company.id))
        return self.Value.search(domain)

    def brute_open(self, company):
        return self.env["workflow.exception"].search_count(
            [
                ("state", "in", OPEN_STATES),
                ("company_id", "=", company.id),
                ("first_seen", "<", NEXT_DAY),
            ]
        )

    def brute_throughput(self, company):
        return self.env["workflow.event"].search_count(
            [
                ("event_type", "=", "stage"),
                ("company_id", "=", company.id),
                ("occurred_at", ">=", datetime(2025, 3, 3)),
                ("occurred_at", "<", NEXT_DAY),
            ]
        )

    def test_snapshot_values_match_brute_force(self):
        self._activity()
        with freeze_time(EVENING):
            self.Kpi._cron_kpi_snapshot()
        for company in (self.company_a, self.company_b):
            with self.subTest(company=company.name):
                open_value = self.values(self.kpi_open, company)
                self.assertEqual(len(open_value), 1)
                self.assertEqual(open_value.value, self.brute_open(company))
                throughput = self.values(self.kpi_throughput, company)
                self.assertEqual(len(throughput), 1)
                self.assertEqual(throughput.value, self.brute_throughput(company))
                crons = self.values(self.kpi_crons, company)
                self.assertEqual(len(crons), 1)
                self.assertEqual(
                    crons.value, self.env["ir.cron"].search_count([("failure_count", ">", 0)])
                )
        self.assertEqual(self.values(self.kpi_open, self.company_a).value, 2)
        self.assertEqual(self.values(self.kpi_open, self.company_b).value, 1)
        # company A: 3 creations + 3 confirmations + 2 SLA outcomes; B: 1 creation
        self.assertEqual(self.values(self.kpi_throughput, self.company_a).value, 8)
        self.assertEqual(self.values(self.kpi_throughput, self.company_b).value, 1)
        sla = self.values(self.kpi_sla, self.company_a)
        self.assertEqual((sla.value, sla.numerator, sla.denominator), (50.0, 1.0, 2.0))
        self.assertFalse(self.values(self.kpi_sla, self.company_b), "no SLA outcome in B")
        resolution = self.values(self.kpi_resolution, self.company_a)
        self.assertAlmostEqual(resolution.value, 2.0)
        self.assertEqual(resolution.denominator, 1.0)
        # one value per KPI, day and company, nothing else
        self.assertEqual(len(self.values(self.kpi_open)), 2)
        self.assertEqual(self.kpi_open.with_company(self.company_a).last_value, 2)
        self.assertEqual(self.kpi_open.with_company(self.company_a).status, "ok")

    def test_rerun_same_day_updates(self):
        docs_a, _doc_b = self._activity()
        with freeze_time(EVENING):
            self.Kpi._cron_kpi_snapshot()
        first = self.values(self.kpi_open, self.company_a)
        self.assertEqual(first.value, 2)
        with freeze_time(EVENING + timedelta(hours=1)):
            self.env["workflow.exception"].raise_exception(
                docs_a[2], "wm_test_category", "A4", dedupe_key="again"
            )
            self.write_doc(docs_a, {"state": "done"})
            self.Kpi._cron_kpi_snapshot()
        self.assertEqual(self.values(self.kpi_open, self.company_a), first, "updated in place")
        self.assertEqual(first.value, 3)
        self.assertEqual(first.value, self.brute_open(self.company_a))
        self.assertEqual(self.values(self.kpi_throughput, self.company_a).value, 11)
        self.assertEqual(
            self.values(self.kpi_throughput, self.company_a).value,
            self.brute_throughput(self.company_a),
        )
        total = self.Value.search_count([("date", "=", DAY)])
        with freeze_time(EVENING + timedelta(hours=2)):
            self.Kpi._cron_kpi_snapshot()
        self.assertEqual(self.Value.search_count([("date", "=", DAY)]), total)

    def test_archived_kpi_is_not_snapshotted(self):
        self._activity()
        self.kpi_open.active = False
        with freeze_time(EVENING):
            self.Kpi._cron_kpi_snapshot()
        self.assertFalse(self.values(self.kpi_open))
        self.assertTrue(self.values(self.kpi_throughput))
