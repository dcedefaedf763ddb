# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

import psycopg2

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.sql_db import db_connect
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import TEST_MODEL, WorkflowMonitorCommon

FRI_10 = datetime(2025, 3, 7, 10, 0)
FRI_15 = datetime(2025, 3, 7, 15, 0)
MON_12 = datetime(2025, 3, 10, 12, 0)
MON_15 = datetime(2025, 3, 10, 15, 0)


class WorkflowSlaCommon(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls._make_calendar("WM 8-12 13-17 UTC", "UTC")
        cls.Policy = cls.env["workflow.sla.policy"]
        cls.sla_category = cls.env.ref("workflow_monitor_base.category_sla_breach")

    @classmethod
    def _make_calendar(cls, name, tz):
        attendances = []
        for day in range(5):
            attendances += [
                Command.create(
                    {
                        "name": f"{day} am",
                        "dayofweek": str(day),
                        "hour_from": 8,
                        "hour_to": 12,
                        "day_period": "morning",
                    }
                ),
                Command.create(
                    {
                        "name": f"{day} pm",
                        "dayofweek": str(day),
                        "hour_from": 13,
                        "hour_to": 17,
                        "day_period": "afternoon",
                    }
                ),
            ]
        return cls.env["resource.calendar"].create(
            {"name": name, "tz": tz, "attendance_ids": attendances}
        )

    def make_policy(self, **vals):
        values = {
            "name": "WM confirm within 8 working hours",
            "definition_id": self.definition.id,
            "stage_id": self.stage_confirmed.id,
            "target_hours": 8.0,
            "warning_hours": 6.0,
            "calendar_id": self.calendar.id,
        }
        values.update(vals)
        return self.Policy.create(values)

    def confirm_at(self, when, name="S-1", **vals):
        with freeze_time(when - timedelta(hours=1)):
            doc = self.create_doc(name, **vals)
        with freeze_time(when):
            self.write_doc(doc, {"state": "confirmed"})
        return doc

    def sweep_at(self, when):
        with freeze_time(when):
            return self.env["workflow.instance"]._cron_sla_sweep()


@tagged("post_install", "-at_install")
class TestSla(WorkflowSlaCommon):
    def test_deadline_on_working_calendar(self):
        policy = self.make_policy()
        doc = self.confirm_at(FRI_15)
        instance = self.instance_of(doc)
        self.assertEqual(instance.sla_policy_id, policy)
        # Friday 15-17 (2 h), Monday 8-12 (4 h) and 13-15 (2 h): 8 working hours
        self.assertEqual(instance.sla_deadline, MON_15)
        # Friday 15-17 (2 h), Monday 8-12 (4 h): 6 working hours
        self.assertEqual(instance.sla_warning_at, MON_12)
        self.assertEqual(instance.sla_state, "on_track")
        # the draft stage has no policy
        draft_doc = self.create_doc("S-draft")
        self.assertEqual(self.instance_of(draft_doc).sla_state, "none")
        self.assertFalse(self.instance_of(draft_doc).sla_deadline)

    def test_deadline_skips_leaves(self):
        self.make_policy()
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Closed on Monday",
                "calendar_id": self.calendar.id,
                "date_from": datetime(2025, 3, 10, 0, 0),
                "date_to": datetime(2025, 3, 10, 23, 59),
            }
        )
        instance = self.instance_of(self.confirm_at(FRI_15))
        self.assertEqual(instance.sla_deadline, datetime(2025, 3, 11, 15, 0))
        self.assertEqual(instance.sla_warning_at, datetime(2025, 3, 11, 12, 0))

    def test_deadline_in_calendar_timezone(self):
        # Tokyo is UTC+9: Friday 15:00 UTC is Saturday 00:00 there; 8 working hours are
        # Monday 08:00-17:00 Tokyo (lunch excluded) = Sunday 23:00 - Monday 08:00 UTC
        tokyo = self._make_calendar("WM Tokyo", "Asia/Tokyo")
        self.make_policy(calendar_id=tokyo.id)
        instance = self.instance_of(self.confirm_at(FRI_15))
        self.assertEqual(instance.sla_deadline, datetime(2025, 3, 10, 8, 0))
        self.assertEqual(instance.sla_warning_at, datetime(2025, 3, 10, 6, 0))

    def test_deadline_24_7(self):
        self.make_policy(calendar_id=False, target_hours=10.0, warning_hours=7.5)
        instance = self.instance_of(self.confirm_at(FRI_15))
        self.assertEqual(instance.sla_deadline, FRI_15 + timedelta(hours=10))
        self.assertEqual(instance.sla_warning_at, FRI_15 + timedelta(hours=7.5))
        self.assertEqual(instance.sla_state, "on_track")

    def test_no_warning_when_warning_hours_empty(self):
        self.make_policy(calendar_id=False, target_hours=2.0, warning_hours=0.0)
        instance = self.instance_of(self.confirm_at(FRI_15))
        self.assertFalse(instance.sla_warning_at)
        self.assertEqual(self.sweep_at(FRI_15 + timedelta(hours=1)), 0)
        self.assertEqual(instance.sla_state, "on_track")
        self.assertEqual(self.sweep_at(FRI_15 + timedelta(hours=3)), 1)
        self.assertEqual(instance.sla_state, "breached")

    def test_sweep_warning_breach_and_recovery(self):
        policy = self.make_policy()
        doc = self.confirm_at(FRI_15)
        instance = self.instance_of(doc)

        self.assertEqual(self.sweep_at(datetime(2025, 3, 7, 16, 0)), 0)
        self.assertFalse(self.events_of(doc, "sla"))

        # Monday 12:30: warning
        self.assertEqual(self.sweep_at(datetime(2025, 3, 10, 12, 30)), 1)
        self.assertEqual(instance.sla_state, "warning")
        sla_events = self.events_of(doc, "sla")
        self.assertEqual(len(sla_events), 1)
        self.assertEqual(sla_events.payload, {"sla_state": "warning", "policy_id": policy.id})
        self.assertEqual(sla_events.source, "scheduled_action")
        self.assertEqual(sla_events.instance_id, instance)
        self.assertEqual(sla_events.occurred_at, datetime(2025, 3, 10, 12, 30))
        self.assertFalse(self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id))
        self.assertEqual(self.sweep_at(datetime(2025, 3, 10, 12, 45)), 0)

        # Monday 15:30: breached, one exception routed to the category's team
        breach_at = datetime(2025, 3, 10, 15, 30)
        self.assertEqual(self.sweep_at(breach_at), 1)
        self.assertEqual(instance.sla_state, "breached")
        sla_events = self.events_of(doc, "sla")
        self.assertEqual(len(sla_events), 2)
        self.assertEqual(sla_events[-1].payload["sla_state"], "breached")
        breaches = self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id)
        self.assertEqual(len(breaches), 1)
        self.assertEqual(breaches.instance_id, instance)
        self.assertEqual(breaches.res_ref, doc)
        self.assertEqual(breaches.team_id, self.sla_category.team_id)
        self.assertTrue(breaches.team_id)
        self.assertEqual(breaches.severity, policy.breach_severity)
        self.assertEqual(breaches.first_seen, breach_at)
        self.assertEqual(
            breaches.response_deadline,
            breach_at + timedelta(hours=self.sla_category.response_hours),
        )
        self.assertEqual(breaches.dedupe_key, f"sla:{instance.id}:{self.stage_confirmed.id}")
        self.assertIn("S-1", breaches.name)

        # re-running changes nothing
        self.assertEqual(self.sweep_at(datetime(2025, 3, 10, 16, 0)), 0)
        self.assertEqual(self.sweep_at(datetime(2025, 3, 10, 16, 5)), 0)
        self.assertEqual(
            self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id), breaches
        )
        self.assertEqual(breaches.occurrence_count, 1)
        self.assertEqual(len(self.events_of(doc, "sla")), 2)

        # leaving the stage late: the stage event says the SLA was missed ...
        with freeze_time(datetime(2025, 3, 10, 16, 30)):
            self.write_doc(doc, {"state": "done"})
        leave = self.events_of(doc)[-1]
        self.assertEqual(leave.stage_to_id, self.stage_done)
        self.assertEqual(leave.payload, {"sla": "missed"})
        instance.invalidate_recordset()
        self.assertEqual(instance.sla_state, "missed")
        self.assertFalse(instance.sla_deadline)
        # ... and the next sweep resolves the breach
        self.sweep_at(datetime(2025, 3, 10, 16, 35))
        self.assertEqual(breaches.state, "resolved")
        self.assertTrue(breaches.resolution)
        self.assertEqual(breaches.resolved_at, datetime(2025, 3, 10, 16, 35))
        self.assertFalse(self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id))

    def test_sweep_in_chunks(self):
        self.make_policy(calendar_id=False, target_hours=1.0, warning_hours=0.0)
        docs = [self.confirm_at(FRI_15, name=f"S-chunk-{i}") for i in range(3)]
        with freeze_time(FRI_15 + timedelta(hours=2)):
            self.assertEqual(self.env["workflow.instance"]._cron_sla_sweep(batch_size=1), 3)
        for doc in docs:
            self.assertEqual(self.instance_of(doc).sla_state, "breached")
            self.assertEqual(
                len(self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id)), 1
            )

    def test_leaving_in_time_is_met(self):
        self.make_policy(calendar_id=False, target_hours=8.0, warning_hours=6.0)
        doc = self.confirm_at(FRI_15, line_ids=[Command.create({"delivered": False})])
        with freeze_time(FRI_15 + timedelta(hours=2)):
            doc.line_ids.delivered = True
            self.run_deferred()
        leave = self.events_of(doc)[-1]
        self.assertEqual(leave.stage_to_id, self.stage_delivered)
        self.assertEqual(leave.payload, {"sla": "met"})
        instance = self.instance_of(doc)
        self.assertEqual(instance.state, "running")
        self.assertEqual(instance.sla_state, "met")
        self.assertFalse(instance.sla_policy_id)
        self.assertFalse(instance.sla_deadline)
        # a met SLA is out of the sweep for good
        self.assertEqual(self.sweep_at(FRI_15 + timedelta(days=5)), 0)
        self.assertEqual(instance.sla_state, "met")
        self.assertFalse(self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id))

    def test_policy_matching_order_domain_and_company(self):
        catch_all = self.make_policy(
            name="WM all", sequence=20, calendar_id=False, target_hours=24.0, warning_hours=0.0
        )
        big = self.make_policy(
            name="WM big",
            sequence=10,
            calendar_id=False,
            target_hours=4.0,
            warning_hours=0.0,
            domain="[('amount', '>', 1000)]",
        )
        self.make_policy(
            name="WM huge (never matches)",
            sequence=5,
            calendar_id=False,
            target_hours=1.0,
            warning_hours=0.0,
            domain="[('amount', '>', 1e12)]",
        )
        self.make_policy(
            name="WM other company",
            sequence=1,
            calendar_id=False,
            target_hours=1.0,
            warning_hours=0.0,
            company_id=self.company_b.id,
        )
        self.make_policy(
            name="WM archived",
            sequence=0,
            calendar_id=False,
            target_hours=1.0,
            warning_hours=0.0,
            active=False,
        )
        self.make_policy(
            name="WM other stage",
            sequence=0,
            calendar_id=False,
            target_hours=1.0,
            warning_hours=0.0,
            stage_id=self.stage_draft.id,
            domain="[('amount', '<', 0)]",
        )
        big_doc = self.confirm_at(FRI_15, name="S-big", amount=5000)
        small_doc = self.confirm_at(FRI_15, name="S-small", amount=10)
        self.assertEqual(self.instance_of(big_doc).sla_policy_id, big)
        self.assertEqual(self.instance_of(big_doc).sla_deadline, FRI_15 + timedelta(hours=4))
        self.assertEqual(self.instance_of(small_doc).sla_policy_id, catch_all)
        self.assertEqual(self.instance_of(small_doc).sla_deadline, FRI_15 + timedelta(hours=24))
        # the company B policy applies to company B documents
        doc_b = self.confirm_at(FRI_15, name="S-b", amount=5000, company_id=self.company_b.id)
        self.assertEqual(self.instance_of(doc_b).sla_policy_id.name, "WM other company")
        self.assertEqual(self.instance_of(doc_b).company_id, self.company_b)

    def test_policy_validation(self):
        for vals, field in (
            ({"target_hours": -1.0, "warning_hours": 0.0}, "Target Hours"),
            ({"target_hours": 0.0, "warning_hours": 0.0}, "Target Hours"),
            ({"target_hours": 8.0, "warning_hours": -1.0}, "Warning Hours"),
            ({"target_hours": 8.0, "warning_hours": 9.0}, "Warning Hours"),
            ({"domain": "[('nope', '=', 1)]"}, "Domain"),
            ({"domain": "not a domain"}, "Domain"),
            (
                {
                    "stage_id": self.env.ref("workflow_monitor_test.stage_done").id,
                    "definition_id": self._other_definition().id,
                },
                "Stage",
            ),
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(ValidationError, f"field: {field}"),
            ):
                self.make_policy(**vals)
        policy = self.make_policy()
        with self.assertRaisesRegex(ValidationError, "field: Warning Hours"):
            policy.write({"target_hours": 5.0})
        with self.assertRaisesRegex(ValidationError, "field: Domain"):
            policy.write({"domain": "[('amount', '>')]"})
        policy.write({"domain": "[('amount', '>', 10)]", "target_hours": 12.0})
        self.assertEqual(policy._get_domain(), [("amount", ">", 10)])

    def _other_definition(self):
        return self.env["workflow.definition"].create(
            {
                "name": "WM other flow",
                "code": "wm_other_flow",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )


@tagged("post_install", "-at_install")
class TestSlaConcurrency(WorkflowSlaCommon):
    def test_second_sweep_is_a_no_op_while_one_runs(self):
        """A sweep running on another connection holds the advisory lock: a concurrent
        sweep returns 0 without touching anything; once it ends, the work is done."""
        self.make_policy(calendar_id=False, target_hours=1.0, warning_hours=0.0)
        doc = self.confirm_at(FRI_15)
        instance = self.instance_of(doc)
        other = db_connect(self.env.cr.dbname).cursor()  # a real second connection
        try:
            other.execute(
                "SELECT pg_try_advisory_xact_lock(hashtext('workflow_monitor_sla_sweep'))"
            )
            self.assertTrue(other.fetchone()[0], "the lock must be free before the test")
            self.assertEqual(self.sweep_at(FRI_15 + timedelta(hours=2)), 0)
            self.assertEqual(instance.sla_state, "on_track")
            self.assertFalse(self.events_of(doc, "sla"))
            self.assertFalse(
                self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id)
            )
        finally:
            other.rollback()  # ends the other transaction: releases the lock
            other.close()
        self.assertEqual(self.sweep_at(FRI_15 + timedelta(hours=2)), 1)
        self.assertEqual(instance.sla_state, "breached")
        self.assertEqual(len(self.events_of(doc, "sla")), 1)
        self.assertEqual(
            len(self.open_exceptions("sla_breach", res_model=TEST_MODEL, res_id=doc.id)), 1
        )

    def test_sweep_holds_the_lock_for_its_transaction(self):
        self.sweep_at(FRI_15)
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute(
                "SELECT pg_try_advisory_xact_lock(hashtext('workflow_monitor_sla_sweep'))"
            )
            self.assertFalse(other.fetchone()[0], "a second worker must not get the lock")
        finally:
            other.rollback()
            other.close()

    def test_one_open_exception_per_key(self):
        doc = self.create_doc("S-dup")
        exception = self.env["workflow.exception"].raise_exception(
            doc, "wm_test_category", "first", dedupe_key="dup-key"
        )
        self.env.flush_all()
        insert = """
            INSERT INTO workflow_exception (name, category_id, severity, severity_rank, state,
                   company_id, dedupe_key, occurrence_count, first_seen, last_seen)
            VALUES ('second', %s, 'low', 1, %s, %s, 'dup-key', 1, now(), now())
        """
        for state in ("new", "assigned", "in_progress"):
            with (
                self.subTest(state=state),
                self.assertRaises(psycopg2.IntegrityError),
                mute_logger("odoo.sql_db"),
                self.env.cr.savepoint(),
            ):
                self.env.cr.execute(insert, (self.category.id, state, self.env.company.id))
        # closed duplicates are history, not a conflict; once resolved a new one may open
        self.env.cr.execute(insert, (self.category.id, "resolved", self.env.company.id))
        exception.write({"resolution": "done"})
        exception.action_resolve()
        self.env.flush_all()
        self.env.cr.execute(insert, (self.category.id, "new", self.env.company.id))
        self.assertEqual(self.env.cr.rowcount, 1)
