# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The SLA sweep writes each chunk in one statement (instances, events, and exceptions
through the one exception upsert): its exceptions must be the ones raise_exceptions
gives for the same problem, and what create() triggers must still happen."""

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import TEST_MODEL
from .test_sla import FRI_15, WorkflowSlaCommon

BREACH_AT = FRI_15 + timedelta(hours=2)
# what the sweep's exception and one raised by hand for the same problem share
COMPARED = (
    "category_id",
    "severity",
    "severity_rank",
    "state",
    "team_id",
    "user_id",
    "res_model",
    "company_id",
    "occurrence_count",
    "failure_kind",
    "escalation_level",
    "resolution",
    "resolved_at",
    "resolved_by_id",
    "create_uid",
    "write_uid",
)


@tagged("post_install", "-at_install")
class TestSlaSweepInSql(WorkflowSlaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["workflow.exception"]

    def one_hour_policy(self, **vals):
        """24/7, breached one hour after confirmation, no warning."""
        return self.make_policy(calendar_id=False, target_hours=1.0, warning_hours=0.0, **vals)

    def raise_by_hand(self, doc, severity):
        """The open exception the sweep will meet for ``doc``'s confirmed stage."""
        instance = self.instance_of(doc)
        return self.Exception.raise_exception(
            doc,
            "sla_breach",
            "raised by hand",
            severity=severity,
            dedupe_key=f"sla:{instance.id}:{self.stage_confirmed.id}",
            instance_id=instance.id,
        )

    def test_event_log_has_no_foreign_keys(self):
        self.env.cr.execute(
            """SELECT count(*) FROM pg_constraint
                WHERE conrelid = 'workflow_event'::regclass AND contype = 'f'"""
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        # deleting what an event references does not rewrite the audit trail
        doc = self.create_doc("S-audit")
        self.write_doc(doc, {"state": "confirmed"})
        instance = self.instance_of(doc)
        event = self.events_of(doc)[-1]
        instance_id = instance.id
        instance.sudo().unlink()
        self.env.flush_all()
        self.env.cr.execute("SELECT instance_id FROM workflow_event WHERE id = %s", [event.id])
        self.assertEqual(self.env.cr.fetchone()[0], instance_id)
        event.invalidate_recordset()
        # Odoo reads a many2one whose record is gone as empty, the form still opens
        self.assertEqual(event.read(["instance_id"])[0]["instance_id"], False)

    def test_same_exception_as_raise_exceptions(self):
        category = self.env["workflow.exception.category"].create(
            {
                "code": "wm_test_sla_custom",
                "name": "WM custom breach",
                "default_severity": "low",
                "team_id": self.team_other.id,
                "failure_kind": "transient",
            }
        )
        self.set_param("workflow_monitor.response_hours_medium", "7")
        policy = self.one_hour_policy(breach_category_id=category.id, breach_severity="medium")
        swept_doc = self.confirm_at(FRI_15, name="S-swept")
        self.assertEqual(self.sweep_at(BREACH_AT), 1)
        swept = self.open_exceptions(category.code, res_model=TEST_MODEL, res_id=swept_doc.id)
        # the same problem of another document, raised from values
        by_hand_doc = self.confirm_at(FRI_15, name="S-by-hand")
        instance = self.instance_of(by_hand_doc)
        with freeze_time(BREACH_AT):
            by_hand = self.Exception.sudo().raise_exceptions(
                [
                    {
                        "category_code": category.code,
                        "record": by_hand_doc,
                        "instance_id": instance.id,
                        "severity": "medium",
                        "dedupe_key": f"sla:{instance.id}:{self.stage_confirmed.id}",
                        "name": "SLA breached: S-by-hand",
                    }
                ]
            )
        self.assertEqual(len(swept), 1)
        for name in COMPARED:
            with self.subTest(field=name):
                self.assertEqual(swept[name], by_hand[name])
        for name in ("first_seen", "last_seen"):
            self.assertEqual((swept[name], by_hand[name]), (BREACH_AT, BREACH_AT))
        self.assertEqual(swept.severity, "medium")
        self.assertEqual(swept.team_id, self.team_other)
        self.assertEqual(swept.failure_kind, "transient")
        self.assertEqual(swept.response_deadline, BREACH_AT + timedelta(hours=7))
        self.assertEqual(by_hand.response_deadline, swept.response_deadline)
        self.assertEqual(swept.instance_id, self.instance_of(swept_doc))
        self.assertEqual(swept.res_id, swept_doc.id)
        self.assertEqual(swept.dedupe_key, f"sla:{swept.instance_id.id}:{self.stage_confirmed.id}")
        self.assertEqual(swept.name, by_hand.name.replace("S-by-hand", "S-swept"))
        self.assertEqual(
            swept.description,
            f"The SLA deadline {FRI_15 + timedelta(hours=1)} of policy '{policy.name}' has passed.",
        )
        # one sla event, and one "raised" event for each exception, alike
        sla_event = self.events_of(swept_doc, "sla")
        self.assertEqual(len(sla_event), 1)
        self.assertEqual(sla_event.payload, {"sla_state": "breached", "policy_id": policy.id})
        self.assertEqual(sla_event.source, "scheduled_action")
        self.assertEqual(sla_event.occurred_at, BREACH_AT)
        self.assertEqual(sla_event.instance_id, self.instance_of(swept_doc))
        for exception, doc in ((swept, swept_doc), (by_hand, by_hand_doc)):
            raised = self.events_of(doc, "exception")
            self.assertEqual(len(raised), 1)
            self.assertEqual(
                raised.payload,
                {
                    "action": "raised",
                    "exception_id": exception.id,
                    "category": category.code,
                    "severity": "medium",
                },
            )
            self.assertEqual(raised.occurred_at, BREACH_AT)
            self.assertEqual(raised.company_id, exception.company_id)
        self.assertEqual(self.events_of(swept_doc, "exception").source, "scheduled_action")

    def test_fields_a_module_adds_are_filled(self):
        """The test addon adds to exceptions a stored field with a default and a stored
        computed one: the sweep and raise_exceptions fill them as create() does."""
        self.one_hour_policy()
        docs = [self.confirm_at(FRI_15, name=f"S-extension-{i}") for i in range(3)]
        with freeze_time(BREACH_AT):
            # in chunks of 2: every chunk goes through the upsert
            self.assertEqual(self.env["workflow.instance"]._cron_sla_sweep(batch_size=2), 3)
        by_hand = self.Exception.sudo().raise_exception(docs[0], "stale_record", "by hand")
        created = self.Exception.create(
            {"name": "created", "category_id": self.category.id, "dedupe_key": "wm:create"}
        )
        for doc in docs:
            self.assertEqual(self.instance_of(doc).sla_state, "breached")
            breach = self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id)
            self.assertEqual(len(breach), 1)
            self.assertEqual(len(self.events_of(doc, "sla")), 1)
            self.assertEqual(len(self.events_of(doc, "exception")), 1 + (doc == docs[0]))
            for exception in (breach, by_hand, created):
                self.assertEqual(exception.wm_test_label, "set by default")
                self.assertEqual(exception.wm_test_name_length, len(exception.name))
            self.assertEqual(breach.wm_test_name_length, len(f"SLA breached: {doc.name}"))

    def test_create_automation_rules_run_on_raised_exceptions(self):
        rule = self.env["base.automation"].create(
            {
                "name": "WM test: mark SLA breaches of S-rule-1",
                "model_id": self.env["ir.model"]._get_id("workflow.exception"),
                "trigger": "on_create",
                "filter_domain": "[('name', 'ilike', 'S-rule-1')]",
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "WM test: escalation level 7",
                "model_id": rule.model_id.id,
                "base_automation_id": rule.id,
                "state": "code",
                "code": "records.write({'escalation_level': 7})",
            }
        )
        self.one_hour_policy()
        first = self.confirm_at(FRI_15, name="S-rule-1")
        second = self.confirm_at(FRI_15, name="S-rule-2")
        self.assertEqual(self.sweep_at(BREACH_AT), 2)
        matched = self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=first.id)
        other = self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=second.id)
        self.assertEqual(matched.escalation_level, 7)
        self.assertEqual(other.escalation_level, 0)

    def test_critical_breach_notifies_the_team_leader(self):
        self.sla_category.team_id = self.team_a
        self.one_hour_policy(breach_severity="critical")
        doc = self.confirm_at(FRI_15, name="S-critical")
        self.sweep_at(BREACH_AT)
        breach = self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id)
        self.assertEqual(breach.severity, "critical")
        # the shipped Automation Rule (on creation) asked the leader to act
        self.assertEqual(breach.activity_ids.user_id, self.team_a.leader_id)

    def test_open_exception_gets_an_occurrence_and_a_higher_severity(self):
        self.sla_category.team_id = self.team_a
        self.one_hour_policy(breach_severity="critical")
        doc = self.confirm_at(FRI_15, name="S-again")
        earlier = self.raise_by_hand(doc, "low")
        self.assertFalse(earlier.activity_ids)
        raised_events = len(self.events_of(doc, "exception"))
        self.sweep_at(BREACH_AT)
        self.assertEqual(
            self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id), earlier
        )
        earlier.invalidate_recordset()
        self.assertEqual(earlier.occurrence_count, 2)
        self.assertEqual(earlier.severity, "critical")
        self.assertEqual(earlier.severity_rank, 4)
        self.assertEqual(earlier.last_seen, BREACH_AT)
        self.assertEqual(earlier.name, "raised by hand")
        # no second "raised" event; the leader hears of it once it became critical
        self.assertEqual(len(self.events_of(doc, "exception")), raised_events)
        self.assertEqual(earlier.activity_ids.user_id, self.team_a.leader_id)

    def test_severity_never_drops_on_an_open_exception(self):
        self.one_hour_policy(breach_severity="low")
        doc = self.confirm_at(FRI_15, name="S-high")
        earlier = self.raise_by_hand(doc, "high")
        self.sweep_at(BREACH_AT)
        earlier.invalidate_recordset()
        self.assertEqual((earlier.occurrence_count, earlier.severity), (2, "high"))
        self.assertEqual(earlier.severity_rank, 3)

    def test_exceptions_keep_the_foreign_keys_that_guard_them(self):
        self.env.cr.execute(
            """SELECT a.attname FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                WHERE c.conrelid = 'workflow_exception'::regclass AND c.contype = 'f'"""
        )
        kept = {row[0] for row in self.env.cr.fetchall()}
        self.assertEqual(kept, {"user_id", "resolved_by_id"})
        # a used category is refused, as ON DELETE RESTRICT did
        category = self.env["workflow.exception.category"].create(
            {"code": "wm_test_used", "name": "WM used category"}
        )
        self.Exception.sudo().raise_exception(self.create_doc("S-cat"), category.code, "used")
        with self.assertRaises(UserError) as caught:
            category.unlink()
        self.assertIn("archive the category", str(caught.exception))
        # a deleted team's exceptions lose their team, as ON DELETE SET NULL did
        team = self.env["workflow.team"].create({"name": "WM short-lived team"})
        doc = self.create_doc("S-team")
        exception = self.Exception.sudo().raise_exception(
            doc, "stale_record", "team goes", team_id=team.id
        )
        self.assertEqual(exception.team_id, team)
        team.unlink()
        self.assertFalse(exception.team_id)
        self.env.cr.execute("SELECT team_id FROM workflow_exception WHERE id = %s", [exception.id])
        self.assertIsNone(self.env.cr.fetchone()[0])
