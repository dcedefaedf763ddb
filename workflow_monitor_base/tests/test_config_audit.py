# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime

from odoo.tests import freeze_time, tagged

from ..tools.context import server_context
from .common import WorkflowMonitorCommon

NOW = datetime(2025, 3, 3, 10, 0)


@tagged("post_install", "-at_install")
class TestConfigAudit(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.env["workflow.sla.policy"].create(
            {
                "name": "WM audited",
                "definition_id": cls.definition.id,
                "stage_id": cls.stage_confirmed.id,
                "target_hours": 8.0,
                "warning_hours": 6.0,
            }
        )
        cls.user_admin = cls.env.ref("base.user_admin")

    def config_events(self, record):
        return self.env["workflow.event"].search(
            [
                ("event_type", "=", "config"),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            order="id",
        )

    def assert_one_change(self, record, user, changes, write):
        before = self.config_events(record)
        with freeze_time(NOW):
            write()
        events = self.config_events(record) - before
        self.assertEqual(len(events), 1)
        self.assertEqual(events.user_id, user)
        self.assertEqual(events.occurred_at, NOW)
        self.assertEqual(events.payload["action"], "write")
        self.assertEqual(events.payload["changes"], changes)
        self.assertEqual(events.payload["name"], record.display_name)
        return events

    def test_sla_policy_change(self):
        self.assert_one_change(
            self.policy,
            self.workflow_manager,
            {"target_hours": [8.0, 10.0]},
            lambda: self.policy.with_user(self.workflow_manager).write(
                {"target_hours": 10.0, "warning_hours": 6.0}
            ),
        )
        # writing the same values again logs nothing
        count = len(self.config_events(self.policy))
        self.policy.write({"target_hours": 10.0, "name": "WM audited"})
        self.assertEqual(len(self.config_events(self.policy)), count)

    def test_category_team_change(self):
        self.assert_one_change(
            self.category,
            self.workflow_manager,
            {
                "team_id": [
                    [self.team_a.id, self.team_a.display_name],
                    [self.team_other.id, self.team_other.display_name],
                ]
            },
            lambda: self.category.with_user(self.workflow_manager).write(
                {"team_id": self.team_other.id}
            ),
        )

    def test_kpi_target_change(self):
        kpi = self.env.ref("workflow_monitor_base.kpi_open_exceptions")
        self.assert_one_change(
            kpi,
            self.workflow_manager,
            {"target": [kpi.target, 10.0]},
            lambda: kpi.with_user(self.workflow_manager).write({"target": 10.0}),
        )

    def test_cron_and_automation_changes(self):
        cron = self.env.ref("workflow_monitor_base.ir_cron_sla_sweep")
        self.assert_one_change(
            cron,
            self.user_admin,
            {"interval_number": [cron.interval_number, 17]},
            lambda: cron.with_user(self.user_admin).write({"interval_number": 17}),
        )
        # nextcall is runtime state, not configuration
        count = len(self.config_events(cron))
        cron.write({"nextcall": NOW})
        self.assertEqual(len(self.config_events(cron)), count)

        rule = self.env.ref("workflow_monitor_base.automation_critical_exception")
        self.assert_one_change(
            rule,
            self.user_admin,
            {"active": [True, False]},
            lambda: rule.with_user(self.user_admin).write({"active": False}),
        )

    def test_create_and_unlink_are_logged(self):
        policy = (
            self.env["workflow.sla.policy"]
            .with_user(self.workflow_manager)
            .create(
                {
                    "name": "WM new",
                    "definition_id": self.definition.id,
                    "stage_id": self.stage_draft.id,
                    "target_hours": 2.0,
                }
            )
        )
        created = self.config_events(policy)
        self.assertEqual(len(created), 1)
        self.assertEqual(created.payload["action"], "create")
        self.assertEqual(created.user_id, self.workflow_manager)
        policy_id = policy.id
        policy.with_user(self.workflow_manager).unlink()
        events = self.env["workflow.event"].search(
            [
                ("event_type", "=", "config"),
                ("res_model", "=", "workflow.sla.policy"),
                ("res_id", "=", policy_id),
            ],
            order="id",
        )
        self.assertEqual([e.payload["action"] for e in events], ["create", "unlink"])

    def test_audit_can_be_disabled(self):
        count = len(self.config_events(self.policy))
        # set by server code only: a client's context is ignored (test_governance_base)
        self.policy.with_context(**server_context(workflow_audit_disable=True)).write(
            {"target_hours": 12.0}
        )
        self.assertEqual(len(self.config_events(self.policy)), count)
