# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import WorkflowMonitorCommon, apply_deferred

NOW = datetime(2025, 3, 3, 10, 0)


@tagged("post_install", "-at_install")
class TestAccess(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Exception = cls.env["workflow.exception"]
        cls.doc = cls.env["workflow.test.document"].create({"name": "ACL-1"})
        apply_deferred(cls.env)
        cls.exc_team_a = Exception.raise_exception(cls.doc, "wm_test_category", "Team A problem")
        cls.exc_other_team = Exception.raise_exception(
            cls.doc,
            "wm_test_category",
            "Other team problem",
            dedupe_key="other",
            team_id=cls.team_other.id,
        )
        cls.exc_company_b = Exception.raise_exception(
            cls.doc,
            "wm_test_category",
            "Company B problem",
            dedupe_key="b",
            company_id=cls.company_b.id,
        )
        cls.policy_vals = {
            "name": "WM ACL policy",
            "definition_id": cls.definition.id,
            "stage_id": cls.stage_confirmed.id,
            "target_hours": 4.0,
        }

    def test_sla_policy_configuration_is_for_managers(self):
        Policy = self.env["workflow.sla.policy"]
        with self.assertRaises(AccessError):
            Policy.with_user(self.workflow_user).create(self.policy_vals)
        policy = Policy.with_user(self.workflow_manager).create(self.policy_vals)
        self.assertEqual(policy.target_hours, 4.0)
        with self.assertRaises(AccessError):
            policy.with_user(self.workflow_user).write({"target_hours": 100.0})
        policy.with_user(self.workflow_manager).write({"target_hours": 5.0})
        self.assertEqual(
            policy.with_user(self.workflow_user).read(["target_hours"])[0]["target_hours"], 5.0
        )
        with self.assertRaises(AccessError):
            policy.with_user(self.workflow_user).unlink()
        with self.assertRaises(AccessError):
            self.category.with_user(self.workflow_user).write({"response_hours": 1.0})
        self.category.with_user(self.workflow_manager).write({"response_hours": 1.0})
        with self.assertRaises(AccessError):
            Policy.with_user(self.plain_user).search([])

    def test_multi_company_isolation(self):
        Exception = self.env["workflow.exception"]
        as_user = Exception.with_user(self.workflow_user)
        self.assertFalse(as_user.search([("id", "=", self.exc_company_b.id)]))
        self.assertEqual(
            as_user.search([("id", "in", (self.exc_team_a | self.exc_company_b).ids)]),
            self.exc_team_a,
        )
        with self.assertRaises(AccessError):
            self.exc_company_b.with_user(self.workflow_user).read(["name"])
        # the user of company B sees it, and not the ones of company A
        as_user_b = Exception.with_user(self.workflow_user_b)
        self.assertEqual(
            as_user_b.search([("category_id", "=", self.category.id)]), self.exc_company_b
        )
        # a manager allowed in both companies sees both
        as_manager = Exception.with_user(self.workflow_manager).with_context(
            allowed_company_ids=[self.company_a.id, self.company_b.id]
        )
        self.assertEqual(
            as_manager.search([("category_id", "=", self.category.id)]),
            self.exc_team_a | self.exc_other_team | self.exc_company_b,
        )
        self.assertEqual(
            self.exc_company_b.with_user(self.workflow_manager)
            .with_context(allowed_company_ids=[self.company_a.id, self.company_b.id])
            .read(["name"])[0]["name"],
            "Company B problem",
        )
        # with only company A active, the manager does not see company B either
        self.assertFalse(
            Exception.with_user(self.workflow_manager)
            .with_context(allowed_company_ids=[self.company_a.id])
            .search([("id", "=", self.exc_company_b.id)])
        )

    def test_users_work_the_exceptions_of_their_teams(self):
        mine = self.exc_team_a.with_user(self.workflow_user)
        mine.write({"description": "looking into it"})
        mine.action_assign_to_me()
        self.assertEqual(self.exc_team_a.user_id, self.workflow_user)
        self.assertEqual(self.exc_team_a.state, "assigned")
        theirs = self.exc_other_team.with_user(self.workflow_user)
        self.assertEqual(theirs.read(["name"])[0]["name"], "Other team problem", "reading is open")
        with self.assertRaises(AccessError):
            theirs.write({"description": "not mine"})
        with self.assertRaises(AccessError):
            theirs.action_assign_to_me()
        # users may not delete exceptions; managers work all of them
        with self.assertRaises(AccessError):
            mine.unlink()
        self.exc_other_team.with_user(self.workflow_manager).write({"description": "manager"})
        self.assertEqual(self.exc_other_team.description, "manager")

    def test_plain_employee_has_no_access(self):
        with self.assertRaises(AccessError):
            self.env["workflow.exception"].with_user(self.plain_user).search([])
        with self.assertRaises(AccessError):
            self.exc_team_a.with_user(self.plain_user).read(["name"])
        with self.assertRaises(AccessError):
            self.env["workflow.instance"].with_user(self.plain_user).search([])
        with self.assertRaises(AccessError):
            self.env["workflow.exception"].with_user(self.plain_user).raise_exception(
                self.doc, "wm_test_category", "nope", dedupe_key="plain"
            )
        # moving a document still logs its event (engine writes on behalf of the user)
        self.write_doc(self.doc.with_user(self.plain_user), {"state": "confirmed"})
        self.assertEqual(self.events_of(self.doc)[-1].user_id, self.plain_user)

    def test_security_signal_burst(self):
        self.set_param("workflow_monitor.security_signal_threshold", 3)
        Event = self.env["workflow.event"].with_user(self.workflow_user)

        def signals():
            return self.open_exceptions("security_signal", dedupe_key="signal:bad_signature")

        with freeze_time(NOW - timedelta(hours=2)):
            Event._log_security_signal("bad_signature", "old one")  # out of the 1 h window
        with freeze_time(NOW):
            self.assertEqual(Event._log_security_signal("bad_signature", "sig 1"), 1)
            self.assertEqual(Event._log_security_signal("bad_signature", "sig 2"), 2)
            self.assertFalse(signals())
            self.assertEqual(Event._log_security_signal("bad_signature", "sig 3"), 3)
        exc = signals()
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.severity, "critical")
        self.assertEqual(exc.company_id, self.company_a)
        self.assertEqual(exc.team_id, self.env.ref("workflow_monitor_base.team_technical"))
        self.assertEqual(exc.occurrence_count, 1)
        with freeze_time(NOW + timedelta(minutes=1)):
            Event._log_security_signal("bad_signature", "sig 4")
            Event._log_security_signal("other_signal", "one other")
        self.assertEqual(signals(), exc)
        self.assertEqual(exc.occurrence_count, 2)
        self.assertFalse(self.open_exceptions("security_signal", dedupe_key="signal:other_signal"))
        # security signals never resolve by themselves
        self.env["workflow.exception"].resolve_cleared("security_signal", [])
        self.assertEqual(exc.state, "new")
