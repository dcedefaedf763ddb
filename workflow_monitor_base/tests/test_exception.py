# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import WorkflowMonitorCommon, apply_deferred

T0 = datetime(2025, 3, 3, 9, 0)


@tagged("post_install", "-at_install")
class TestWorkflowException(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["workflow.exception"]
        cls.doc = cls.env["workflow.test.document"].create({"name": "X-1"})
        apply_deferred(cls.env)

    def activities_of(self, exception, user=None):
        domain = [("res_model", "=", "workflow.exception"), ("res_id", "=", exception.id)]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["mail.activity"].search(domain)

    def test_upsert_counts_occurrences(self):
        with freeze_time(T0):
            first = self.Exception.raise_exception(self.doc, "wm_test_category", "Late order")
        self.assertEqual(len(first), 1)
        self.assertEqual(first.res_ref, self.doc)
        self.assertEqual(first.dedupe_key, f"workflow.test.document,{self.doc.id}")
        self.assertEqual(first.occurrence_count, 1)
        self.assertEqual(first.state, "new")
        self.assertEqual(first.severity, "medium")  # the category default
        self.assertEqual(first.company_id, self.doc.company_id)
        raised = self.events_of(self.doc, "exception")
        self.assertEqual(len(raised), 1)
        self.assertEqual(raised.payload["action"], "raised")
        self.assertEqual(raised.payload["exception_id"], first.id)

        later = T0 + timedelta(hours=3)
        with freeze_time(later):
            second = self.Exception.raise_exception(
                self.doc, "wm_test_category", "Late order again"
            )
        self.assertEqual(second, first)
        self.assertEqual(first.occurrence_count, 2)
        self.assertEqual(first.first_seen, T0)
        self.assertEqual(first.last_seen, later)
        self.assertEqual(first.name, "Late order", "the title of the open exception is kept")
        self.assertEqual(self.Exception.search_count([("category_id", "=", self.category.id)]), 1)
        # another key, another exception
        other = self.Exception.raise_exception(
            self.doc, "wm_test_category", "Other problem", dedupe_key="other"
        )
        self.assertNotEqual(other, first)

    def test_severity_only_rises(self):
        exc = self.Exception.raise_exception(self.doc, "wm_test_category", "S", severity="medium")
        self.Exception.raise_exception(self.doc, "wm_test_category", "S", severity="low")
        self.assertEqual(exc.severity, "medium")
        self.assertEqual(exc.severity_rank, 2)
        self.Exception.raise_exception(self.doc, "wm_test_category", "S", severity="critical")
        self.assertEqual(exc.severity, "critical")
        self.assertEqual(exc.severity_rank, 4)
        self.Exception.raise_exception(self.doc, "wm_test_category", "S", severity="high")
        self.assertEqual(exc.severity, "critical")
        self.assertEqual(exc.occurrence_count, 4)
        # the stored rank follows in the database too (the list is ordered on it)
        self.env.cr.execute(
            "SELECT severity, severity_rank FROM workflow_exception WHERE id = %s", [exc.id]
        )
        self.assertEqual(self.env.cr.fetchone(), ("critical", 4))

    def test_batch_with_duplicates(self):
        doc2 = self.create_doc("X-2")
        result = self.Exception.raise_exceptions(
            [
                {
                    "record": self.doc,
                    "category_code": "wm_test_category",
                    "name": "A",
                    "severity": "low",
                },
                {"record": doc2, "category_code": "wm_test_category", "name": "B"},
                {
                    "record": self.doc,
                    "category_code": "wm_test_category",
                    "name": "A",
                    "severity": "high",
                },
            ]
        )
        self.assertEqual(len(result), 2)
        on_doc = result.filtered(lambda e: e.res_id == self.doc.id)
        self.assertEqual(on_doc.occurrence_count, 2)
        self.assertEqual(on_doc.severity, "high")
        self.assertEqual(result.filtered(lambda e: e.res_id == doc2.id).occurrence_count, 1)
        self.assertEqual(self.Exception.search_count([("category_id", "=", self.category.id)]), 2)
        # the same batch again only counts
        self.Exception.raise_exceptions(
            [
                {"record": self.doc, "category_code": "wm_test_category", "name": "A"},
                {"record": self.doc, "category_code": "wm_test_category", "name": "A"},
            ]
        )
        self.assertEqual(on_doc.occurrence_count, 4)
        self.assertEqual(self.Exception.search_count([("category_id", "=", self.category.id)]), 2)

    def test_routing_and_response_deadline(self):
        with freeze_time(T0):
            exc = self.Exception.raise_exception(self.doc, "wm_test_category", "Routed")
        self.assertEqual(exc.team_id, self.team_a)
        self.assertEqual(exc.response_deadline, T0 + timedelta(hours=5))
        self.assertEqual(exc.failure_kind, self.category.failure_kind)

        # no response hours on the category: the severity default from the settings
        self.set_param("workflow_monitor.response_hours_low", 10)
        self.set_param("workflow_monitor.response_hours_critical", 1.5)
        with freeze_time(T0):
            low = self.Exception.raise_exception(self.doc, "wm_test_no_hours", "Low one")
            critical = self.Exception.raise_exception(
                self.doc, "wm_test_no_hours", "Critical one", severity="critical", dedupe_key="c"
            )
        self.assertEqual(low.team_id, self.team_other)
        self.assertEqual(low.severity, "low")
        self.assertEqual(low.response_deadline, T0 + timedelta(hours=10))
        self.assertEqual(critical.response_deadline, T0 + timedelta(hours=1.5))

        # explicit owner and team win over the category routing
        owned = self.Exception.raise_exception(
            self.doc,
            "wm_test_category",
            "Owned",
            dedupe_key="owned",
            user_id=self.workflow_user.id,
            team_id=self.team_other.id,
        )
        self.assertEqual(owned.team_id, self.team_other)
        self.assertEqual(owned.user_id, self.workflow_user)
        self.assertEqual(owned.state, "assigned")

    def test_raise_validation(self):
        with self.assertRaisesRegex(ValidationError, "field: category_code"):
            self.Exception.raise_exception(self.doc, "no_such_category", "X")
        with self.assertRaisesRegex(ValidationError, "field: severity"):
            self.Exception.raise_exception(self.doc, "wm_test_category", "X", severity="urgent")
        with self.assertRaisesRegex(ValidationError, "field: message"):
            self.Exception.raise_exception(self.doc, "wm_test_category", "")
        with self.assertRaisesRegex(ValidationError, "field: res_model"):
            self.Exception.raise_exceptions(
                [
                    {
                        "category_code": "wm_test_category",
                        "name": "X",
                        "res_model": "no.model",
                        "res_id": 1,
                    }
                ]
            )
        with self.assertRaisesRegex(ValidationError, "bogus"):
            self.Exception.raise_exception(self.doc, "wm_test_category", "X", bogus=1)
        self.assertFalse(self.Exception.search([("category_id", "=", self.category.id)]))

    def test_resolve_cleared(self):
        excs = self.Exception.raise_exceptions(
            [
                {
                    "record": self.doc,
                    "category_code": "wm_test_category",
                    "name": key,
                    "dedupe_key": key,
                }
                for key in ("k1", "k2", "k3")
            ]
        )
        with freeze_time(T0):
            resolved = self.Exception.resolve_cleared("wm_test_category", ["k2", "unknown"])
        self.assertEqual(sorted(resolved.mapped("dedupe_key")), ["k1", "k3"])
        by_key = {e.dedupe_key: e for e in excs}
        self.assertEqual(by_key["k2"].state, "new")
        for key in ("k1", "k3"):
            self.assertEqual(by_key[key].state, "resolved")
            self.assertEqual(by_key[key].resolved_at, T0)
            self.assertTrue(by_key[key].resolution)
        self.assertEqual(
            len(
                self.events_of(self.doc, "exception").filtered(
                    lambda e: e.payload["action"] == "auto_resolved"
                )
            ),
            2,
        )
        # a resolved key that shows up again opens a new exception
        again = self.Exception.raise_exception(self.doc, "wm_test_category", "k1", dedupe_key="k1")
        self.assertNotEqual(again, by_key["k1"])
        self.assertEqual(again.occurrence_count, 1)

    def test_no_auto_resolve_for_automation_failure(self):
        category = self.env.ref("workflow_monitor_base.category_automation_failure")
        self.assertFalse(category.auto_resolve)
        exc = self.Exception.raise_exception(self.doc, "automation_failure", "Rule broke")
        self.assertFalse(self.Exception.resolve_cleared("automation_failure", []))
        self.assertEqual(exc.state, "new")
        # auto_resolve switched off on our category: nothing is resolved either
        self.category.auto_resolve = False
        mine = self.Exception.raise_exception(self.doc, "wm_test_category", "Mine")
        self.assertFalse(self.Exception.resolve_cleared("wm_test_category", []))
        self.assertEqual(mine.state, "new")

    def test_manual_resolution_flow(self):
        exc = self.Exception.raise_exception(self.doc, "wm_test_category", "Manual")
        with self.assertRaisesRegex(UserError, "Resolution"):
            exc.action_resolve()
        with self.assertRaisesRegex(UserError, "Resolution"):
            exc.action_dismiss()
        self.assertEqual(exc.state, "new")
        exc_user = exc.with_user(self.workflow_user)
        exc_user.action_start()
        self.assertEqual(exc.state, "in_progress")
        self.assertEqual(exc.user_id, self.workflow_user)
        with freeze_time(T0):
            exc_user.write({"resolution": "Called the customer"})
            exc_user.action_resolve()
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(exc.resolved_by_id, self.workflow_user)
        self.assertEqual(exc.resolved_at, T0)
        with self.assertRaisesRegex(UserError, "reopen"):
            exc.action_start()
        # reopening is refused while another open exception tracks the same problem
        newer = self.Exception.raise_exception(self.doc, "wm_test_category", "Manual")
        self.assertNotEqual(newer, exc)
        with self.assertRaises(UserError):
            exc.action_reopen()
        newer.write({"resolution": "dup"})
        newer.action_dismiss()
        self.assertEqual(newer.state, "dismissed")
        exc.action_reopen()
        self.assertEqual(exc.state, "assigned")
        self.assertFalse(exc.resolved_at)

    def test_escalation_by_the_shipped_automation_rule(self):
        with freeze_time(T0):
            late = self.Exception.raise_exception(self.doc, "wm_test_category", "Late")
            fresh = self.Exception.raise_exception(
                self.doc, "wm_test_category", "Fresh", dedupe_key="fresh"
            )
        fresh.response_deadline = T0 + timedelta(hours=48)
        self.assertEqual(late.response_deadline, T0 + timedelta(hours=5))
        self.assertEqual(late.team_id, self.team_a)
        automation = self.env.ref("workflow_monitor_base.automation_exception_escalation")
        self.assertTrue(automation.active)
        automation.last_run = T0 - timedelta(hours=1)

        now = T0 + timedelta(hours=6)
        with freeze_time(now):
            self.assertTrue(late.is_overdue)
            self.env["base.automation"]._check()
        self.assertEqual(late.escalation_level, 1)
        self.assertEqual(late.team_id, self.team_escalation)
        self.assertEqual(late.response_deadline, now + timedelta(hours=5))
        activity = self.activities_of(late, self.team_escalation.leader_id)
        self.assertEqual(len(activity), 1)
        self.assertIn("Escalated", activity.summary)
        self.assertEqual(fresh.escalation_level, 0)
        self.assertEqual(fresh.team_id, self.team_a)
        self.assertFalse(self.activities_of(fresh))
        escalated = self.events_of(self.doc, "exception").filtered(
            lambda e: e.payload["action"] == "escalated"
        )
        self.assertEqual([e.payload["exception_id"] for e in escalated], [late.id])

        # the next run does not escalate again before the new deadline
        with freeze_time(now + timedelta(hours=1)):
            self.env["base.automation"]._check()
        self.assertEqual(late.escalation_level, 1)
        self.assertEqual(len(self.activities_of(late)), 1)

    def test_escalation_skips_closed_exceptions(self):
        with freeze_time(T0):
            done = self.Exception.raise_exception(self.doc, "wm_test_category", "Done")
            done.write({"resolution": "fixed"})
            done.action_resolve()
        self.env.ref("workflow_monitor_base.automation_exception_escalation").last_run = T0
        with freeze_time(T0 + timedelta(hours=6)):
            self.env["base.automation"]._check()
        self.assertEqual(done.escalation_level, 0)
        self.assertEqual(done.team_id, self.team_a)

    def test_critical_exception_notifies_the_leader(self):
        critical = self.Exception.raise_exception(
            self.doc, "wm_test_category", "On fire", severity="critical"
        )
        activity = self.activities_of(critical, self.team_a.leader_id)
        self.assertEqual(len(activity), 1)
        self.assertIn("Critical", activity.summary)
        medium = self.Exception.raise_exception(
            self.doc, "wm_test_category", "Smoke", severity="medium", dedupe_key="smoke"
        )
        self.assertFalse(self.activities_of(medium))
        # a person raising the severity to critical triggers the rule too
        medium.with_user(self.workflow_manager).write({"severity": "critical"})
        self.assertEqual(len(self.activities_of(medium, self.team_a.leader_id)), 1)
        # ... once
        medium.write({"description": "still burning"})
        self.assertEqual(len(self.activities_of(medium)), 1)
