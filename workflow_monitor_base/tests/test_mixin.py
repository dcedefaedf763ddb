from datetime import datetime

from odoo import Command
from odoo.tests import freeze_time, tagged

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
            doc.write({"state": "confirmed"})
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

    def test_write_by_user_records_user(self):
        doc = self.create_doc("M-user")
        doc.with_user(self.plain_user).write({"state": "confirmed"})
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
        done_instance = self.instance_of(done_doc)
        self.assertEqual(done_instance.state, "done")
        self.assertEqual(done_instance.ended_at, T2H)
        self.assertEqual(done_instance.stage_id, self.stage_done)
        cancel_instance = self.instance_of(cancel_doc)
        self.assertEqual(cancel_instance.state, "cancelled")
        self.assertEqual(cancel_instance.ended_at, T2H)

        with freeze_time(datetime(2025, 3, 4, 9, 0)):
            cancel_doc.write({"state": "draft"})
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
        Doc = self.env[TEST_MODEL].with_context(workflow_capture_disable=True)
        doc = Doc.create({"name": "M-off", "line_ids": [Command.create({"delivered": True})]})
        doc.write({"state": "confirmed"})
        # the stored compute (delivery_state) runs at flush: flush inside the context, as
        # a job running under it does (a flush in another env would capture it)
        Doc.env.flush_all()
        self.env.cr.precommit.run()
        self.assertEqual(doc.delivery_state, "full")
        self.assertFalse(self.instance_of(doc))
        self.assertFalse(self.events_of(doc, event_type=None))

    def _count_queries(self, func):
        before = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_batch_write_constant_queries(self):
        """Capture costs the same few queries for 50 or 500 records.

        Odoo itself flushes the UPDATE of the documents in chunks of 100 rows, so the
        capture overhead is measured against the same write with capture disabled."""
        docs = self.env[TEST_MODEL].create([{"name": f"B-{i}"} for i in range(1110)])
        self.run_deferred()
        warmup, small, small_off = docs[:10], docs[10:60], docs[60:110]
        large, large_off = docs[110:610], docs[610:]
        self.assertEqual((len(large), len(large_off)), (500, 500))

        def write(records, **ctx):
            self.env.invalidate_all()
            return self._count_queries(
                lambda: records.with_context(**ctx).write({"state": "confirmed"})
            )

        write(warmup)
        small_overhead = write(small) - write(small_off, workflow_capture_disable=True)
        large_overhead = write(large) - write(large_off, workflow_capture_disable=True)
        self.assertGreater(small_overhead, 0)
        self.assertLessEqual(
            large_overhead,
            small_overhead + 2,
            f"capture must be set-based: {small_overhead} extra queries for 50 records, "
            f"{large_overhead} for 500",
        )
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
