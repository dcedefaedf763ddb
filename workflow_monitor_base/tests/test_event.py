# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import TEST_MODEL, WorkflowMonitorCommon, apply_deferred


@tagged("post_install", "-at_install")
class TestWorkflowEvent(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.doc = cls.env[TEST_MODEL].create({"name": "E-1"})
        apply_deferred(cls.env)
        cls.event = cls.env["workflow.event"].search(
            [("res_model", "=", TEST_MODEL), ("res_id", "=", cls.doc.id)]
        )

    def test_events_are_immutable(self):
        self.assertEqual(len(self.event), 1)
        for event in (
            self.event.with_user(self.workflow_admin),
            self.event.with_user(self.workflow_manager),
            self.event.with_user(self.workflow_user),
            self.event.sudo(),
        ):
            with self.subTest(user=event.env.user.login, su=event.env.su):
                with self.assertRaises(UserError):
                    event.write({"payload": {"tampered": True}})
                with self.assertRaises(UserError):
                    event.unlink()
        self.event.invalidate_recordset()
        self.assertTrue(self.event.exists())
        self.assertEqual(self.event.stage_to_id, self.stage_draft)
        self.assertFalse(self.event.payload)

    def test_log_events_validates_codes(self):
        Event = self.env["workflow.event"]
        with self.assertRaisesRegex(ValidationError, "field: definition"):
            Event.log_events([{"definition": "no_such_flow", "event_type": "custom"}])
        with self.assertRaisesRegex(ValidationError, r"'nope'.*field: stage_to"):
            Event.log_events(
                [{"definition": "test_flow", "stage_to": "nope", "event_type": "stage"}]
            )
        with self.assertRaisesRegex(ValidationError, r"field: stage_from"):
            Event.log_events(
                [{"definition": "test_flow", "stage_from": "nope", "stage_to": "done"}]
            )
        with self.assertRaisesRegex(ValidationError, "field: event_type"):
            Event.log_events([{"event_type": "bogus"}])
        with self.assertRaisesRegex(ValidationError, "field: payload"):
            Event.log_events([{"event_type": "custom", "payload": "not a dict"}])
        with self.assertRaisesRegex(ValidationError, "field: payload"):
            Event.log_events([{"event_type": "custom", "payload": {"when": datetime(2025, 1, 1)}}])
        with self.assertRaisesRegex(ValidationError, "field: source"):
            Event.log_events([{"event_type": "custom", "source": "telepathy"}])
        with self.assertRaisesRegex(ValidationError, "no_column"):
            Event.log_events([{"event_type": "custom", "no_column": 1}])
        # a failed batch inserts nothing, not even its valid rows
        count = Event.search_count([])
        with self.assertRaises(ValidationError):
            Event.log_events([{"event_type": "custom"}, {"event_type": "bogus"}])
        self.assertEqual(Event.search_count([]), count)

    def test_log_events_resolves_codes(self):
        when = datetime(2025, 2, 1, 8, 30)
        events = self.env["workflow.event"].log_events(
            [
                {
                    "definition": "test_flow",
                    "stage_from": "draft",
                    "stage_to": "confirmed",
                    "event_type": "stage",
                    "res_model": TEST_MODEL,
                    "res_id": self.doc.id,
                    "occurred_at": when,
                    "source": "api",
                    "correlation_id": "corr-1",
                    "payload": {"note": "from the API"},
                },
                {"event_type": "custom", "payload": ["a", 1]},
            ]
        )
        self.assertEqual(len(events), 2)
        first, second = events
        self.assertEqual(first.definition_id, self.definition)
        self.assertEqual(first.stage_from_id, self.stage_draft)
        self.assertEqual(first.stage_to_id, self.stage_confirmed)
        self.assertEqual(first.occurred_at, when)
        self.assertEqual(first.source, "api")
        self.assertEqual(first.correlation_id, "corr-1")
        self.assertEqual(first.payload, {"note": "from the API"})
        self.assertEqual(first.res_ref, self.doc)
        self.assertEqual(first.user_id, self.env.user)
        self.assertEqual(first.company_id, self.env.company)
        self.assertEqual(second.payload, ["a", 1])
        self.assertEqual(second.event_type, "custom")

    def test_log_events_access(self):
        with self.assertRaises(AccessError):
            self.env["workflow.event"].with_user(self.plain_user).log_events(
                [{"event_type": "custom", "payload": {"x": 1}}]
            )
        events = (
            self.env["workflow.event"]
            .with_user(self.workflow_user)
            .log_events([{"event_type": "custom", "payload": {"x": 1}, "source": "api"}])
        )
        self.assertEqual(len(events), 1)
        self.assertEqual(events.sudo().user_id, self.workflow_user)
        self.assertEqual(events.sudo().company_id, self.company_a)
        # the workflow user reads it back; the plain employee cannot read events at all
        self.assertEqual(events.read(["payload"])[0]["payload"], {"x": 1})
        with self.assertRaises(AccessError):
            self.env["workflow.event"].with_user(self.plain_user).search([("id", "=", events.id)])

    def test_create_goes_through_log_events(self):
        event = self.env["workflow.event"].create(
            {"definition": "test_flow", "stage_to": "done", "event_type": "stage"}
        )
        self.assertEqual(event.stage_to_id, self.stage_done)
        with self.assertRaisesRegex(ValidationError, "field: event_type"):
            self.env["workflow.event"].create({"event_type": "bogus"})


class TestEventInstanceLink(WorkflowMonitorCommon):
    """An event logged on a document without an instance gets the document's flow."""

    def test_event_on_a_document_gets_its_flow(self):
        doc = self.env[TEST_MODEL].create({"name": "WM linked"})
        other = self.env[TEST_MODEL].create({"name": "WM no flow yet"})
        self.run_deferred()
        instance = self.env["workflow.instance"].search(
            [("res_model", "=", TEST_MODEL), ("res_id", "=", doc.id)]
        )
        self.assertTrue(instance)
        # a document with no flow keeps none
        self.env["workflow.instance"].search(
            [("res_model", "=", TEST_MODEL), ("res_id", "=", other.id)]
        ).unlink()
        Event = self.env["workflow.event"]
        events = Event.log_events(
            [
                {"res_model": TEST_MODEL, "res_id": doc.id, "event_type": "custom"},
                {"res_model": TEST_MODEL, "res_id": other.id, "event_type": "custom"},
                {"event_type": "custom"},
            ]
        )
        self.assertEqual(events[0].instance_id, instance)
        self.assertEqual(events[0].definition_id, instance.definition_id)
        self.assertFalse(events[1].instance_id)
        self.assertFalse(events[2].instance_id)
        self.assertIn(events[0], instance.event_ids)
