# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date, datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common import WorkflowMonitorCommon

CODE = "wm_stage_times"
T0 = datetime(2026, 1, 5, 8, 0)
# stage code and hours after T0 of each move, per document
TRACES_A = (
    (("a", 0), ("b", 1), ("c", 3)),  # a 1 h, b 2 h
    (("a", 0), ("b", 2), ("c", 3)),  # a 2 h, b 1 h
    (("a", 0), ("b", 4)),  # a 4 h
    (("a", 0), ("b", 1), ("c", 9)),  # a 1 h, b 8 h
)
TRACES_B = ((("a", 0), ("b", 5)),)  # company B: a 5 h
# percentile_cont by hand: a [1, 1, 2, 4] p50 1.5, p90 2 + 0.7 * 2 = 3.4;
# b [1, 2, 8] p50 2, p90 2 + 0.8 * 6 = 6.8
EXPECTED_A = {"a": (4, 1.5, 3.4), "b": (3, 2.0, 6.8)}


@tagged("post_install", "-at_install")
class TestStageDuration(WorkflowMonitorCommon):
    """Time in stage p50 / p90 per stage: the report and the dashboard, exact on a
    hand-made event set, company rules applied, every count opening its events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow = cls.env["workflow.definition"].create(
            {
                "name": "WM Stage Times",
                "code": CODE,
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "stage_ids": [
                    (0, 0, {"name": "Stage A", "code": "a", "sequence": 10}),
                    (0, 0, {"name": "Stage B", "code": "b", "sequence": 20}),
                    (0, 0, {"name": "Stage C", "code": "c", "sequence": 30, "is_final": True}),
                ],
            }
        )
        cls.stages = {stage.code: stage for stage in cls.flow.stage_ids}
        for company, traces in ((cls.company_a, TRACES_A), (cls.company_b, TRACES_B)):
            partners = cls.env["res.partner"].create(
                [
                    {"name": f"WM Times {company.id}/{index}", "company_id": company.id}
                    for index in range(len(traces))
                ]
            )
            cls.env["workflow.instance"]._apply_chains(
                {
                    (CODE, "res.partner", partner.id): [
                        (code, T0 + timedelta(hours=hours)) for code, hours in trace
                    ]
                    for partner, trace in zip(partners, traces, strict=True)
                }
            )
        cls.env.flush_all()

    def test_report_gives_exact_percentiles_per_company(self):
        Report = self.env["workflow.stage.duration"].with_user(self.workflow_user)
        rows = Report.search([("definition_id", "=", self.flow.id)])
        self.assertEqual(
            {row.stage_id.code: (row.event_count, row.p50_hours, row.p90_hours) for row in rows},
            EXPECTED_A,
            "company B's exits are not the user's",
        )
        self.assertEqual(set(rows.mapped("month")), {date(2026, 1, 1)})
        self.assertEqual(rows.company_id, self.company_a)
        both = self.env["workflow.stage.duration"].search(
            [("definition_id", "=", self.flow.id), ("stage_id.code", "=", "a")]
        )
        self.assertEqual(sorted(both.mapped("event_count")), [1, 4])
        # grouped rows add the counts and show no made-up percentile
        groups = Report.read_group(
            [("definition_id", "=", self.flow.id)], ["event_count:sum"], ["definition_id"]
        )
        self.assertEqual(groups[0]["event_count"], 7)
        self.assertNotIn("p50_hours", groups[0])

    def test_dashboard_stage_times_match_and_open_their_events(self):
        with freeze_time(T0 + timedelta(days=1)):
            data = (
                self.env["workflow.dashboard"]
                .with_user(self.workflow_user)
                .get_dashboard_data({"period_days": 7})
            )
        rows = [r for r in data["stage_times"]["rows"] if r["definition_id"] == self.flow.id]
        self.assertEqual(
            {r["stage_id"]: (r["count"], r["p50_hours"], r["p90_hours"]) for r in rows},
            {self.stages[code].id: figures for code, figures in EXPECTED_A.items()},
        )
        self.assertEqual([r["stage"] for r in rows], ["Stage A", "Stage B"], "in sequence")
        Event = self.env["workflow.event"].with_user(self.workflow_user)
        for row in rows:
            self.assertEqual(Event.search_count(row["domain"]), row["count"], row["stage"])
