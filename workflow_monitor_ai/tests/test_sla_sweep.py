# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from odoo.addons.workflow_monitor_base.tests.common import WorkflowMonitorCommon


@tagged("post_install", "-at_install")
class TestAiWakesOnSweepBreaches(WorkflowMonitorCommon):
    def test_sla_sweep_breaches_wake_the_suggestion_job(self):
        """The SLA sweep inserts its exceptions in one statement, not through create():
        the suggestion job must still be woken, once per transaction."""
        self.env["workflow.sla.policy"].create(
            {
                "name": "WM AI 1 h",
                "definition_id": self.definition.id,
                "stage_id": self.stage_confirmed.id,
                "target_hours": 1.0,
                "warning_hours": 0.0,
            }
        )
        start = datetime(2025, 3, 7, 15, 0)
        with freeze_time(start):
            docs = [self.create_doc(f"S-ai-{i}") for i in range(2)]
            for doc in docs:
                self.write_doc(doc, {"state": "confirmed"})
        cron = self.env.ref("workflow_monitor_ai.ir_cron_ai_suggest")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        self.env.cr.precommit.clear()
        with freeze_time(start + timedelta(hours=2)):
            self.assertEqual(self.env["workflow.instance"]._cron_sla_sweep(), 2)
            self.assertTrue(self.env.cr.precommit.data.get("workflow_monitor_ai.triggered"))
            self.env.cr.precommit.run()
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)
        exceptions = self.env["workflow.exception"].search(
            [("res_id", "in", [doc.id for doc in docs]), ("category_id.code", "=", "sla_breach")]
        )
        self.assertEqual(len(exceptions), 2)
        # the job's queue: open exceptions the AI has not seen yet
        self.assertFalse(any(exceptions.mapped("ai_processed")))
