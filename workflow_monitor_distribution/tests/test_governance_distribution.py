# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Governance of the distribution module (DESIGN.md section 10): warehouse thresholds
and the distribution Settings are configuration, their changes are ``config`` events;
the detectors' categories are raised by the engine only."""

from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import DistributionCommon

NOW = datetime(2025, 3, 3, 10, 0)
DETECTOR_CATEGORIES = (
    "late_delivery",
    "allocation_delay",
    "supplier_delay",
    "backorder_aging",
    "invoice_mismatch",
    "stock_shortage",
    "credit_hold",
)


@tagged("post_install", "-at_install")
class TestDistributionGovernance(DistributionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_manager = mail_new_test_user(
            cls.env,
            login="wm_dist_stock_manager",
            name="WM Stock Manager",
            groups="base.group_user,stock.group_stock_manager,"
            "workflow_monitor_base.group_workflow_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.workflow_user = mail_new_test_user(
            cls.env,
            login="wm_dist_user",
            name="WM Dist User",
            groups="base.group_user,workflow_monitor_base.group_workflow_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def config_events(self, record):
        return self.env["workflow.event"].search(
            [
                ("event_type", "=", "config"),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            order="id",
        )

    def test_warehouse_threshold_changes_are_config_events(self):
        self.wh_a.write({"workflow_late_tolerance_hours": 4.0})
        team = self.env.ref("workflow_monitor_base.team_operations")
        before = self.config_events(self.wh_a)
        with freeze_time(NOW):
            self.wh_a.with_user(self.stock_manager).write(
                {
                    "workflow_late_tolerance_hours": 8.0,
                    "workflow_target_fill_rate": 97.5,
                    "workflow_team_id": team.id,
                    "name": "WM Dist A renamed",  # not a threshold: not in the event
                }
            )
        events = self.config_events(self.wh_a) - before
        self.assertEqual(len(events), 1)
        self.assertEqual(events.user_id, self.stock_manager)
        self.assertEqual(events.occurred_at, NOW)
        self.assertEqual(events.company_id, self.wh_a.company_id)
        self.assertEqual(
            events.payload["changes"],
            {
                "workflow_late_tolerance_hours": [4.0, 8.0],
                "workflow_target_fill_rate": [0.0, 97.5],
                "workflow_team_id": [None, [team.id, team.display_name]],
            },
        )
        # workflow users read who changed the threshold
        self.assertEqual(
            events.with_user(self.workflow_user).read(["payload"])[0]["payload"]["action"],
            "write",
        )
        # an unchanged value, or a change of another field, logs nothing
        count = len(self.config_events(self.wh_a))
        self.wh_a.write({"workflow_late_tolerance_hours": 8.0, "code": "WMA2"})
        self.assertEqual(len(self.config_events(self.wh_a)), count)

    def test_client_context_cannot_silence_the_warehouse_audit(self):
        before = self.config_events(self.wh_b)
        self.wh_b.with_user(self.stock_manager).with_context(workflow_audit_disable=True).write(
            {"workflow_backorder_aging_days": 9.0}
        )
        self.assertEqual(len(self.config_events(self.wh_b) - before), 1)

    def test_distribution_settings_are_config_events(self):
        admin = self.env.ref("base.user_admin")
        Event = self.env["workflow.event"]
        before = Event.search([("event_type", "=", "config")])
        with freeze_time(NOW):
            settings = (
                self.env["res.config.settings"]
                .with_user(admin)
                .create({"workflow_late_tolerance_hours": 6.5, "workflow_rfq_answer_days": 3.0})
            )
            settings.execute()
        events = (Event.search([("event_type", "=", "config")]) - before).filtered(
            lambda e: e.res_model == "ir.config_parameter"
        )
        by_name = {e.payload["name"]: e for e in events}
        self.assertNotIn("workflow_monitor.rfq_answer_days", by_name, "unchanged: no event")
        changed = by_name["workflow_monitor.late_tolerance_hours"]
        self.assertEqual(changed.user_id, admin)
        self.assertEqual(changed.payload["changes"], {"value": ["4.0", "6.5"]})

    def test_detector_categories_are_system(self):
        Category = self.env["workflow.exception.category"]
        for code in DETECTOR_CATEGORIES:
            category = Category._get_by_code(code)
            self.assertTrue(category.is_system, code)
            with self.subTest(code=code), self.assertRaisesRegex(AccessError, "engine"):
                self.env["workflow.exception"].with_user(self.stock_manager).create(
                    {"name": "by hand", "category_id": category.id}
                )
