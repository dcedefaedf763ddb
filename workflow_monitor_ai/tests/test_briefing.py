# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AiCommon


@tagged("post_install", "-at_install")
class TestBriefing(AiCommon):
    def test_daily_briefing_posted_and_mailed(self):
        Exception_ = self.env["workflow.exception"]
        for i, severity in enumerate(("critical", "high", "high", "low")):
            Exception_.raise_exception(
                None,
                "sla_breach" if i < 2 else self.categories["stock_shortage"].code,
                f"Briefing test {i}",
                severity=severity,
                dedupe_key=f"briefing:{i}",
            )
        kpi = self.env["workflow.kpi"].create(
            {
                "code": "wm_ai_briefing_fill_rate",
                "name": "WM Fill Rate",
                "provider": "open_exceptions",
                "unit": "percent",
                "direction": "higher_better",
                "target": 95,
                "warning_threshold": 85,
            }
        )
        self.env["workflow.kpi.value"].create(
            {
                "kpi_id": kpi.id,
                "date": fields.Date.today() - timedelta(days=1),
                "company_id": self.company_a.id,
                "value": 71.5,
            }
        )
        self.set_param(
            "workflow_monitor_ai.briefing_group_id",
            self.env.ref("workflow_monitor_base.group_workflow_manager").id,
        )
        channel = self.env.ref("workflow_monitor_ai.channel_workflow_briefing")
        before = channel.message_ids
        mails_before = self.env["mail.mail"].search([])
        posted = self.env["workflow.ai.briefing"]._cron_daily_briefing()
        self.assertGreaterEqual(posted, 1)
        message = (channel.message_ids - before).filtered(
            lambda m: self.company_a.name in (m.subject or "")
        )
        self.assertEqual(len(message), 1)
        body = message.body
        data = self.env["workflow.ai.briefing"]._briefing_data(self.company_a)
        self.assertIn(f"{data['open_total']}</strong> open exceptions", body)
        self.assertIn("SLA Breach", body)
        self.assertIn("WM Fill Rate: 71.5", body)
        self.assertIn("critical", body)
        self.assertNotIn("AI summary", body, "the provider is off by default")
        self.assertGreaterEqual(dict(data["by_severity"])["high"], 2)
        mail = self.env["mail.mail"].search([]) - mails_before
        mail = mail.filtered(lambda m: self.company_a.name in m.subject)
        self.assertEqual(len(mail), 1)
        self.assertIn(self.workflow_manager.email, mail.email_to)
        log = self.env["workflow.ai.log"].search([("kind", "=", "briefing")], limit=1)
        self.assertIn("open exceptions", log.response)
        # a second run the same day posts nothing new
        messages = channel.message_ids
        self.env["workflow.ai.briefing"]._cron_daily_briefing()
        self.assertEqual(channel.message_ids, messages)

    def test_channel_is_for_managers(self):
        channel = self.env.ref("workflow_monitor_ai.channel_workflow_briefing")
        self.assertEqual(
            channel.group_public_id, self.env.ref("workflow_monitor_base.group_workflow_manager")
        )
