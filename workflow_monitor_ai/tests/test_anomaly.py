# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date, datetime, timedelta

from odoo.tests import tagged

from odoo.addons.workflow_monitor_ai.tools.robust import robust_z

from .common import AiCommon

WEDNESDAY = date(2025, 3, 5)
SUNDAY = date(2025, 3, 9)


def seasonal(day, index):
    """Weekdays about 100, weekends about 10, with a little deterministic noise."""
    if day.weekday() >= 5:
        return 10.0 + index % 3
    return 100.0 + (index * 7) % 11 - 5


@tagged("post_install", "-at_install")
class TestAnomaly(AiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kpi = cls.env["workflow.kpi"].create(
            {
                "code": "wm_ai_test_orders",
                "name": "WM AI Orders per Day",
                "provider": "open_exceptions",
                "unit": "count",
                "direction": "higher_better",
                "target": 50,
            }
        )
        cls.Anomaly = cls.env["workflow.ai.anomaly"]

    def fill(self, last_day, weeks=8, overrides=None):
        overrides = overrides or {}
        values = []
        first = last_day - timedelta(days=7 * weeks)
        for index in range((last_day - first).days + 1):
            day = first + timedelta(days=index)
            values.append(
                {
                    "kpi_id": self.kpi.id,
                    "date": day,
                    "company_id": self.company_a.id,
                    "value": overrides.get(day, seasonal(day, index)),
                }
            )
        return self.env["workflow.kpi.value"].create(values)

    def ours(self, found):
        return [a for a in found if a["res_model"] == "workflow.kpi" and a["res_id"] == self.kpi.id]

    def open_anomalies(self):
        return self.open_exceptions("anomaly", res_model="workflow.kpi", res_id=self.kpi.id)

    def test_flags_injected_spike_with_evidence(self):
        self.fill(WEDNESDAY, overrides={WEDNESDAY: 300.0})
        found = self.ours(self.Anomaly._detect(WEDNESDAY))
        self.assertEqual(len(found), 1)
        self.assertGreater(found[0]["z"], 3.5)
        exception = self.open_anomalies()
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.company_id, self.company_a)
        self.assertIn("was 300 on Wed 2025-03-05", exception.description)
        self.assertIn("median", exception.description)
        self.assertIn("Robust z-score", exception.description)
        self.assertIn("Wed 2025-02-26", exception.description, "history of the same weekday")
        suggestion = exception.ai_suggestion_ids.filtered(lambda s: s.kind == "anomaly")
        self.assertEqual(len(suggestion), 1)
        self.assertGreater(suggestion.confidence, 0.99)
        # the next run sees a normal value: the exception resolves by itself
        self.env["workflow.kpi.value"].search(
            [("kpi_id", "=", self.kpi.id), ("date", "=", WEDNESDAY)]
        ).value = 101.0
        self.assertFalse(self.ours(self.Anomaly._detect(WEDNESDAY)))
        self.assertEqual(exception.state, "resolved")

    def test_ignores_weekday_seasonality(self):
        values = self.fill(SUNDAY)
        self.assertFalse(self.ours(self.Anomaly._detect(SUNDAY)))
        self.assertFalse(self.open_anomalies())
        # a detector blind to weekdays would have flagged this ordinary Sunday
        last_28 = [v.value for v in values if SUNDAY - timedelta(days=28) <= v.date < SUNDAY]
        z, _median, _mad = robust_z(11.0, last_28)
        self.assertLess(z, -3.5)
        # ... and an ordinary Wednesday is not flagged either
        self.assertFalse(self.ours(self.Anomaly._detect(WEDNESDAY)))

    def test_needs_minimum_history(self):
        self.fill(WEDNESDAY, weeks=2, overrides={WEDNESDAY: 300.0})
        self.assertFalse(self.ours(self.Anomaly._detect(WEDNESDAY)))
        self.set_ai(anomaly_min_history=2)
        self.assertEqual(len(self.ours(self.Anomaly._detect(WEDNESDAY))), 1)

    def test_other_anomalies_are_left_alone(self):
        other = self.env["workflow.exception"].raise_exception(
            None, "anomaly", "Raised by another module", dedupe_key="other:1"
        )
        self.fill(WEDNESDAY)
        self.Anomaly._cron_detect_anomalies(day=WEDNESDAY)
        self.assertEqual(other.state, "new")

    def test_event_rate_drop_per_flow(self):
        """Stage events per day: weekday seasonality is normal, a flow that stops is not."""
        definition = self.definition
        rows = []
        first = WEDNESDAY - timedelta(days=56)
        for index in range(57):
            day = first + timedelta(days=index)
            count = 0 if day == WEDNESDAY else (2 if day.weekday() >= 5 else 20 + index % 3)
            rows += [
                {
                    "definition_id": definition.id,
                    "event_type": "stage",
                    "occurred_at": datetime.combine(day, datetime.min.time())
                    + timedelta(minutes=10 * n),
                    "company_id": self.company_a.id,
                }
                for n in range(count)
            ]
        self.env["workflow.event"]._log_events(rows)
        found = [
            a
            for a in self.Anomaly._detect(WEDNESDAY)
            if a["res_model"] == "workflow.definition" and a["res_id"] == definition.id
        ]
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["value"], 0)
        self.assertLess(found[0]["z"], -3.5)
        exception = self.open_exceptions(
            "anomaly", res_model="workflow.definition", res_id=definition.id
        )
        self.assertEqual(exception.severity, "high", "a drop of a higher-is-better rate")
        # the Sunday before is an ordinary low day
        self.assertFalse(
            [
                a
                for a in self.Anomaly._detect(WEDNESDAY - timedelta(days=3))
                if a["res_model"] == "workflow.definition" and a["res_id"] == definition.id
            ]
        )
