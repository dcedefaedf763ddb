# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import TEST_MODEL, WorkflowMonitorCommon

NOW = datetime(2025, 3, 3, 12, 0)


@tagged("post_install", "-at_install")
class TestCronHealth(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a healthy baseline: every job due in the future, none failing
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE ir_cron SET nextcall = %s, failure_count = 0, first_failure_date = NULL",
            [NOW + timedelta(hours=1)],
        )
        cls.env["ir.cron"].invalidate_model()
        cls.cron = cls.env.ref("workflow_monitor_base.ir_cron_kpi_snapshot")
        cls.other_cron = cls.env.ref("workflow_monitor_base.ir_cron_retention")

    def watch(self, when=NOW):
        with freeze_time(when):
            return self.env["ir.cron"]._workflow_health_watch()

    def cron_exceptions(self, cron, open_only=True):
        domain = [
            ("category_id.code", "=", "cron_failure"),
            ("res_model", "=", "ir.cron"),
            ("res_id", "=", cron.id),
        ]
        if open_only:
            domain.append(("state", "in", ("new", "assigned", "in_progress")))
        return self.env["workflow.exception"].search(domain)

    def test_healthy_crons_raise_nothing(self):
        self.assertEqual(self.watch(), 0)
        self.assertFalse(
            self.env["workflow.exception"].search([("category_id.code", "=", "cron_failure")])
        )

    def test_failing_cron_raises_then_resolves(self):
        self.cron.write({"failure_count": 3, "first_failure_date": NOW - timedelta(days=1)})
        self.assertEqual(self.watch(), 1)
        exc = self.cron_exceptions(self.cron)
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.severity, "high")
        self.assertEqual(exc.res_ref, self.cron)
        self.assertEqual(exc.dedupe_key, f"ir.cron,{self.cron.id}")
        self.assertIn("3 time(s)", exc.name)
        self.assertEqual(exc.team_id, self.env.ref("workflow_monitor_base.team_technical"))
        self.assertFalse(self.cron_exceptions(self.other_cron))

        # one more failure: same exception, counted, severity rises to critical at 4
        self.cron.write({"failure_count": 4})
        self.watch(NOW + timedelta(minutes=15))
        self.assertEqual(self.cron_exceptions(self.cron), exc)
        self.assertEqual(exc.occurrence_count, 2)
        self.assertEqual(exc.severity, "critical")

        # the job runs cleanly again: the next watch resolves the exception
        self.cron.write(
            {"failure_count": 0, "first_failure_date": False, "nextcall": NOW + timedelta(hours=2)}
        )
        self.assertEqual(self.watch(NOW + timedelta(minutes=30)), 0)
        self.assertEqual(exc.state, "resolved")
        self.assertFalse(self.cron_exceptions(self.cron))

    def test_lagging_cron(self):
        self.other_cron.write({"nextcall": NOW - timedelta(hours=3)})
        self.assertEqual(self.watch(), 1)
        exc = self.cron_exceptions(self.other_cron)
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.severity, "medium")
        self.assertIn("180 minutes late", exc.name)
        # 30 minutes late is within the tolerated lag (60 minutes by default)
        self.cron.write({"nextcall": NOW - timedelta(minutes=30)})
        self.watch()
        self.assertFalse(self.cron_exceptions(self.cron))
        # an inactive job is not watched
        inactive = self.env.ref("workflow_monitor_base.ir_cron_stale_sweep")
        inactive.write({"active": False, "failure_count": 2, "nextcall": NOW - timedelta(days=1)})
        self.watch()
        self.assertFalse(self.cron_exceptions(inactive))


@tagged("post_install", "-at_install")
class TestStaleAndRetention(WorkflowMonitorCommon):
    def stale_exceptions(self, doc, open_only=True):
        domain = [
            ("category_id.code", "=", "stale_record"),
            ("res_model", "=", TEST_MODEL),
            ("res_id", "=", doc.id),
        ]
        if open_only:
            domain.append(("state", "in", ("new", "assigned", "in_progress")))
        return self.env["workflow.exception"].search(domain)

    def stale_sweep(self, when):
        with freeze_time(when):
            return self.env["workflow.instance"]._cron_stale_sweep()

    def test_stale_sweep(self):
        self.set_param("workflow_monitor.stale_days", 3)
        with freeze_time(NOW):
            idle = self.create_doc("Idle")
            moving = self.create_doc("Moving")
            finished = self.create_doc("Finished")
            self.write_doc(finished, {"state": "done"})
        self.stale_sweep(NOW + timedelta(days=2))
        self.assertFalse(self.stale_exceptions(idle))

        self.stale_sweep(NOW + timedelta(days=4))
        exc = self.stale_exceptions(idle)
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.instance_id, self.instance_of(idle))
        self.assertEqual(
            exc.team_id, self.env.ref("workflow_monitor_base.category_stale_record").team_id
        )
        self.assertIn("4.0 days", exc.description)
        self.assertIn("Draft", exc.description)
        self.assertEqual(len(self.stale_exceptions(moving)), 1)
        self.assertFalse(self.stale_exceptions(finished), "a finished flow is never stale")

        # again the next hour: no duplicate
        self.stale_sweep(NOW + timedelta(days=4, hours=1))
        self.assertEqual(self.stale_exceptions(idle), exc)
        self.assertEqual(exc.occurrence_count, 2)

        with freeze_time(NOW + timedelta(days=4, hours=2)):
            self.write_doc(moving, {"state": "confirmed"})
        self.stale_sweep(NOW + timedelta(days=4, hours=3))
        self.assertFalse(self.stale_exceptions(moving))
        self.assertEqual(self.stale_exceptions(moving, open_only=False).state, "resolved")
        self.assertEqual(self.stale_exceptions(idle), exc, "the idle one stays open")

    def test_stale_sweep_disabled(self):
        self.set_param("workflow_monitor.stale_days", 0)
        with freeze_time(NOW):
            doc = self.create_doc("Idle")
        self.assertEqual(self.stale_sweep(NOW + timedelta(days=30)), 0)
        self.assertFalse(self.stale_exceptions(doc))

    def test_retention(self):
        self.set_param("workflow_monitor.event_retention_days", 365)
        Event = self.env["workflow.event"]
        with freeze_time(NOW):
            old = Event.log_events(
                [
                    {"event_type": "custom", "occurred_at": NOW - timedelta(days=days)}
                    for days in (400, 366)
                ]
            )
            kept = Event.log_events(
                [
                    {"event_type": "custom", "occurred_at": NOW - timedelta(days=days)}
                    for days in (364, 0)
                ]
            )
            deleted = Event._cron_retention()
        self.assertEqual(deleted, 2)
        self.assertFalse(old.exists())
        self.assertEqual(kept.exists(), kept)
        with self.assertRaises(UserError):
            kept.unlink()
        with self.assertRaises(UserError):
            kept.sudo().unlink()
        self.assertEqual(kept.exists(), kept)

    def test_retention_in_chunks_and_disabled(self):
        Event = self.env["workflow.event"]
        with freeze_time(NOW):
            old = Event.log_events(
                [
                    {"event_type": "custom", "occurred_at": NOW - timedelta(days=400 + i)}
                    for i in range(5)
                ]
            )
            self.set_param("workflow_monitor.event_retention_days", 0)
            self.assertEqual(Event._cron_retention(), 0)
            self.assertEqual(old.exists(), old)
            self.set_param("workflow_monitor.event_retention_days", 30)
            self.assertEqual(Event._cron_retention(batch_size=2), 5)
        self.assertFalse(old.exists())
