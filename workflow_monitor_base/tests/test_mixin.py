# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime
from unittest.mock import patch

from odoo import Command
from odoo.sql_db import Cursor
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from ..tools.context import server_context
from .common import TEST_MODEL, WorkflowMonitorCommon

T0 = datetime(2025, 3, 3, 9, 0, 0)  # a Monday
T2H = datetime(2025, 3, 3, 11, 0, 0)


@tagged("post_install", "-at_install")
class TestTrackedMixin(WorkflowMonitorCommon):
    def test_create_logs_instance_and_first_event(self):
        with freeze_time(T0):
            doc = self.create_doc("M-1")
        instance = self.instance_of(doc)
        self.assertEqual(len(instance), 1)
        self.assertEqual(instance.stage_id, self.stage_draft)
        self.assertEqual(instance.state, "running")
        self.assertEqual(instance.started_at, T0)
        self.assertEqual(instance.stage_entered_at, T0)
        self.assertEqual(instance.name, "M-1")
        self.assertEqual(instance.company_id, self.env.company)
        self.assertEqual(doc.workflow_instance_id, instance)
        events = self.events_of(doc)
        self.assertEqual(len(events), 1)
        self.assertFalse(events.stage_from_id)
        self.assertEqual(events.stage_to_id, self.stage_draft)
        self.assertEqual(events.instance_id, instance)
        self.assertEqual(events.definition_id, self.definition)
        self.assertEqual(events.occurred_at, T0)
        self.assertFalse(events.duration_seconds)

    def test_write_logs_one_event_with_duration(self):
        with freeze_time(T0):
            doc = self.create_doc("M-2")
        with freeze_time(T2H):
            self.write_doc(doc, {"state": "confirmed"})
        events = self.events_of(doc)
        self.assertEqual(len(events), 2)
        move = events[-1]
        self.assertEqual(move.stage_from_id, self.stage_draft)
        self.assertEqual(move.stage_to_id, self.stage_confirmed)
        self.assertEqual(move.duration_seconds, 7200.0)
        self.assertEqual(move.occurred_at, T2H)
        self.assertEqual(move.user_id, self.env.user)
        instance = self.instance_of(doc)
        self.assertEqual(instance.stage_id, self.stage_confirmed)
        self.assertEqual(instance.stage_entered_at, T2H)
        self.assertEqual(instance.started_at, T0)

        # same stage again, and a write of an untracked field: nothing new
        with freeze_time(datetime(2025, 3, 3, 12, 0)):
            doc.write({"state": "confirmed"})
            doc.write({"amount": 42.0})
            self.run_deferred()
        self.assertEqual(len(self.events_of(doc)), 2)
        self.assertEqual(self.instance_of(doc).stage_entered_at, T2H)

    def test_stages_of_one_transaction_are_applied_at_precommit_in_order(self):
        T1H = datetime(2025, 3, 3, 10, 0)
        with freeze_time(T0):
            doc = self.create_doc("M-chain")
        with freeze_time(T1H):
            doc.write({"state": "confirmed"})
        with freeze_time(T2H):
            doc.write({"state": "done"})
            self.env.flush_all()
            # noted only: nothing is written before pre-commit
            self.assertEqual(len(self.events_of(doc)), 1)
            self.assertEqual(self.instance_of(doc).stage_id, self.stage_draft)
            self.env.cr.precommit.run()
        events = self.events_of(doc)
        self.assertEqual(
            [(e.stage_from_id, e.stage_to_id) for e in events[1:]],
            [(self.stage_draft, self.stage_confirmed), (self.stage_confirmed, self.stage_done)],
        )
        self.assertEqual(events[1:].mapped("occurred_at"), [T1H, T2H])
        self.assertEqual(events[1:].mapped("duration_seconds"), [3600.0, 3600.0])
        instance = self.instance_of(doc)
        self.assertEqual((instance.stage_id, instance.state), (self.stage_done, "done"))
        self.assertEqual((instance.stage_entered_at, instance.ended_at), (T2H, T2H))

    def test_write_by_user_records_user(self):
        doc = self.create_doc("M-user")
        self.write_doc(doc.with_user(self.plain_user), {"state": "confirmed"})
        event = self.events_of(doc)[-1]
        self.assertEqual(event.stage_to_id, self.stage_confirmed)
        self.assertEqual(event.user_id, self.plain_user)
        self.assertEqual(event.source, "user")

    def test_computed_stored_stage_field_is_captured_at_precommit(self):
        with freeze_time(T0):
            doc = self.create_doc(
                "M-3",
                line_ids=[
                    Command.create({"delivered": False}),
                    Command.create({"delivered": False}),
                ],
            )
            doc.write({"state": "confirmed"})
            self.run_deferred()
        self.assertEqual(len(self.events_of(doc)), 2)
        with freeze_time(T2H):
            doc.line_ids[0].delivered = True
            self.run_deferred()
            self.assertEqual(doc.delivery_state, "partial")
            self.assertEqual(len(self.events_of(doc)), 2, "partial delivery is no stage change")
            doc.line_ids.write({"delivered": True})
            self.env.flush_all()
            self.assertEqual(doc.delivery_state, "full")
            # the recomputation happened at flush: the event waits for pre-commit
            self.assertEqual(len(self.events_of(doc)), 2)
            self.env.cr.precommit.run()
        events = self.events_of(doc)
        self.assertEqual(len(events), 3)
        self.assertEqual(events[-1].stage_from_id, self.stage_confirmed)
        self.assertEqual(events[-1].stage_to_id, self.stage_delivered)
        self.assertEqual(events[-1].duration_seconds, 7200.0)
        self.assertEqual(self.instance_of(doc).stage_id, self.stage_delivered)
        # nothing left pending: another pre-commit run adds nothing
        self.run_deferred()
        self.assertEqual(len(self.events_of(doc)), 3)

    def test_final_cancel_and_reopen(self):
        with freeze_time(T0):
            done_doc = self.create_doc("M-done")
            cancel_doc = self.create_doc("M-cancel")
        with freeze_time(T2H):
            done_doc.write({"state": "done"})
            cancel_doc.write({"state": "cancel"})
            self.run_deferred()
        done_instance = self.instance_of(done_doc)
        self.assertEqual(done_instance.state, "done")
        self.assertEqual(done_instance.ended_at, T2H)
        self.assertEqual(done_instance.stage_id, self.stage_done)
        cancel_instance = self.instance_of(cancel_doc)
        self.assertEqual(cancel_instance.state, "cancelled")
        self.assertEqual(cancel_instance.ended_at, T2H)

        with freeze_time(datetime(2025, 3, 4, 9, 0)):
            self.write_doc(cancel_doc, {"state": "draft"})
        cancel_instance.invalidate_recordset()
        self.assertEqual(cancel_instance.state, "running")
        self.assertFalse(cancel_instance.ended_at)
        self.assertEqual(cancel_instance.stage_id, self.stage_draft)
        reopen = self.events_of(cancel_doc)[-1]
        self.assertEqual(reopen.stage_from_id, self.stage_cancel)
        self.assertEqual(reopen.stage_to_id, self.stage_draft)
        self.assertEqual(reopen.duration_seconds, 22 * 3600.0)
        self.assertEqual(len(self.events_of(cancel_doc)), 3)

    def test_capture_disabled_by_context(self):
        # set by server code (a client's context cannot switch capture off)
        Doc = self.env[TEST_MODEL].with_context(**server_context(workflow_capture_disable=True))
        doc = Doc.create({"name": "M-off", "line_ids": [Command.create({"delivered": True})]})
        doc.write({"state": "confirmed"})
        # the stored compute (delivery_state) runs at flush: flush inside the context, as
        # a job running under it does (a flush in another env would capture it)
        Doc.env.flush_all()
        self.env.cr.precommit.run()
        self.assertEqual(doc.delivery_state, "full")
        self.assertFalse(self.instance_of(doc))
        self.assertFalse(self.events_of(doc, event_type=None))

    def _statements(self, func):
        """Run ``func`` and return the SQL statements it executed, normalized."""
        statements = []
        execute = Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            code = query.code if isinstance(query, SQL) else query
            statements.append(" ".join(code.replace('"', "").lower().split()))
            return execute(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", spy):
            func()
        return statements

    def test_batch_write_constant_queries(self):
        """Capture costs the same few queries for 50 or 500 records.

        The write only notes the new stages (read from the cache): it costs what the
        same write costs with capture disabled, plus at most the read of the other
        stage field. The pre-commit applies everything noted in one statement that
        reads the instances, upserts them and inserts the events."""
        docs = self.env[TEST_MODEL].create([{"name": f"B-{i}"} for i in range(1110)])
        self.run_deferred()
        warmup, small, small_off = docs[:10], docs[10:60], docs[60:110]
        large, large_off = docs[110:610], docs[610:]
        self.assertEqual((len(large), len(large_off)), (500, 500))

        def write(records, **ctx):
            """Queries of the write (flushed) and of the pre-commit that follows."""
            self.env.invalidate_all()
            on_write = self._statements(
                lambda: (
                    records.with_context(**ctx).write({"state": "confirmed"}),
                    self.env.flush_all(),
                )
            )
            at_precommit = self._statements(self.env.cr.precommit.run)
            return on_write, at_precommit

        write(warmup)
        small_write, small_apply = write(small)
        off = server_context(workflow_capture_disable=True)
        small_off_write, small_off_apply = write(small_off, **off)
        large_write, large_apply = write(large)
        large_off_write, large_off_apply = write(large_off, **off)

        # on the write: a constant overhead, whatever the number of records
        small_overhead = len(small_write) - len(small_off_write)
        large_overhead = len(large_write) - len(large_off_write)
        self.assertLessEqual(small_overhead, 1, "the write only notes the stages")
        self.assertEqual(large_overhead, small_overhead)
        # at pre-commit: the same queries for 50 or 500 records ...
        self.assertFalse(small_off_apply + large_off_apply, "capture disabled: nothing noted")
        self.assertTrue(large_apply)
        self.assertEqual(
            len(large_apply),
            len(small_apply),
            f"capture must be set-based: {len(small_apply)} queries at pre-commit for 50 "
            f"records, {len(large_apply)} for 500",
        )

        # ... exactly one statement: it reads the instances, upserts them and inserts
        # the events (CAPTURE_SQL)
        self.assertEqual(len(large_apply), 1, large_apply)
        statement = large_apply[0]
        self.assertTrue(statement.startswith("with k as ("), statement[:80])
        self.assertIn("join workflow_instance i", statement)
        self.assertIn("insert into workflow_instance (", statement)
        self.assertIn("insert into workflow_event (", statement)

        self.assertFalse(self.events_of(large_off[0])[1:], "capture disabled: no new event")
        events = self.env["workflow.event"].search(
            [
                ("res_model", "=", TEST_MODEL),
                ("res_id", "in", large.ids),
                ("event_type", "=", "stage"),
                ("stage_to_id", "=", self.stage_confirmed.id),
            ]
        )
        self.assertEqual(len(events), 500)
        self.assertEqual(set(events.mapped("res_id")), set(large.ids))
        self.assertEqual(events.stage_from_id, self.stage_draft)
        instances = self.env["workflow.instance"].search(
            [("res_model", "=", TEST_MODEL), ("res_id", "in", large.ids)]
        )
        self.assertEqual(len(instances), 500)
        self.assertEqual(instances.stage_id, self.stage_confirmed)
