"""The SLA sweep writes each chunk in one statement (instances, events, exceptions):
what it writes must be what the ORM path (raise_exceptions, create, _log_events) writes,
and what create() triggers must still happen."""

from datetime import timedelta
from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from ..models.workflow_exception import SQL_INSERT_COLUMNS
from .common import TEST_MODEL
from .test_sla import FRI_15, WorkflowSlaCommon

BREACH_AT = FRI_15 + timedelta(hours=2)
# every column the set-based INSERT writes must hold what the ORM path gives, except the
# ones naming the document, its instance or its text
COMPARED = sorted(
    SQL_INSERT_COLUMNS - {"name", "description", "res_id", "instance_id", "dedupe_key"}
) + ["create_uid", "write_uid"]


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

    def sql_path_off(self):
        return patch.object(type(self.Exception), "_inserted_in_sql_ok", return_value=False)

    def test_suite_keeps_the_set_based_path(self):
        # every module of the suite installed here: none adds a field the INSERT misses
        self.assertTrue(self.Exception._inserted_in_sql_ok())

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

    def test_same_exception_and_events_as_the_orm_path(self):
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
        policy = self.one_hour_policy(
            breach_category_id=category.id,
            breach_severity="medium",
        )
        sql_doc = self.confirm_at(FRI_15, name="S-sql")
        self.assertEqual(self.sweep_at(BREACH_AT), 1)
        orm_doc = self.confirm_at(FRI_15 + timedelta(days=7), name="S-orm")
        with self.sql_path_off():
            self.assertEqual(self.sweep_at(BREACH_AT + timedelta(days=7)), 1)

        by_sql = self.open_exceptions(category.code, res_model=TEST_MODEL, res_id=sql_doc.id)
        by_orm = self.open_exceptions(category.code, res_model=TEST_MODEL, res_id=orm_doc.id)
        self.assertEqual((len(by_sql), len(by_orm)), (1, 1))
        week = timedelta(days=7)
        for name in COMPARED:
            with self.subTest(field=name):
                value = by_orm[name]
                if name in ("first_seen", "last_seen", "response_deadline"):
                    value -= week
                self.assertEqual(by_sql[name], value)
        self.assertEqual(by_sql.severity, "medium")
        self.assertEqual(by_sql.team_id, self.team_other)
        self.assertEqual(by_sql.failure_kind, "transient")
        self.assertEqual(by_sql.response_deadline, BREACH_AT + timedelta(hours=7))
        for exception, doc in ((by_sql, sql_doc), (by_orm, orm_doc)):
            instance = self.instance_of(doc)
            self.assertEqual(exception.instance_id, instance)
            self.assertEqual(exception.res_id, doc.id)
            self.assertEqual(exception.dedupe_key, f"sla:{instance.id}:{self.stage_confirmed.id}")
        self.assertEqual(by_sql.name, by_orm.name.replace("S-orm", "S-sql"))
        self.assertEqual(
            by_sql.description,
            f"The SLA deadline {FRI_15 + timedelta(hours=1)} of policy '{policy.name}' has passed.",
        )
        self.assertEqual(
            by_orm.description,
            by_sql.description.replace(
                str(FRI_15 + timedelta(hours=1)), str(FRI_15 + week + timedelta(hours=1))
            ),
        )
        # one sla event each, and one "raised" event each, alike
        for event_type in ("sla", "exception"):
            sql_events = self.events_of(sql_doc, event_type)
            orm_events = self.events_of(orm_doc, event_type)
            self.assertEqual((len(sql_events), len(orm_events)), (1, 1))
            for name in ("event_type", "source", "user_id", "company_id", "definition_id"):
                self.assertEqual(sql_events[name], orm_events[name], name)
            self.assertEqual(sql_events.occurred_at, orm_events.occurred_at - week)
            self.assertEqual(sql_events.instance_id, self.instance_of(sql_doc))
        self.assertEqual(
            self.events_of(sql_doc, "exception").payload,
            {
                "action": "raised",
                "exception_id": by_sql.id,
                "category": category.code,
                "severity": "medium",
            },
        )
        self.assertEqual(
            self.events_of(sql_doc, "sla").payload,
            {"sla_state": "breached", "policy_id": policy.id},
        )

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

    def test_orm_path_when_a_module_adds_a_field(self):
        """A module adding a stored field with a default to exceptions: the sweep then
        raises through create(), with the same outcome."""
        self.one_hour_policy()
        docs = [self.confirm_at(FRI_15, name=f"S-fallback-{i}") for i in range(3)]
        with self.sql_path_off(), freeze_time(BREACH_AT):
            # in chunks of 2: the ORM path chunks alike
            self.assertEqual(self.env["workflow.instance"]._cron_sla_sweep(batch_size=2), 3)
        for doc in docs:
            self.assertEqual(self.instance_of(doc).sla_state, "breached")
            self.assertEqual(
                len(self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id)), 1
            )
            self.assertEqual(len(self.events_of(doc, "sla")), 1)
            self.assertEqual(len(self.events_of(doc, "exception")), 1)
