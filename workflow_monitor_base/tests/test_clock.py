# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The engine's clock (tools/clock.py): server code may run a step at another moment,
a client never moves it."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from ..tools import clock
from .common import TEST_MODEL, WorkflowMonitorCommon

PAST = datetime(2024, 5, 6, 9, 30)
FORGED = "2020-01-01 00:00:00"


def _recent(test, moment, before):
    """``moment`` is the server's time of the call, not a forged one."""
    test.assertGreaterEqual(moment, before.replace(microsecond=0))
    test.assertLessEqual(moment, fields.Datetime.now() + timedelta(seconds=1))


@tagged("post_install", "-at_install")
class TestClock(WorkflowMonitorCommon):
    def test_server_code_moves_the_clock(self):
        self.assertEqual(clock.now(self.env(context=clock.at(PAST))), PAST)
        doc = self.create_doc("Clock-1")
        self.write_doc(doc.with_context(**clock.at(PAST)), {"state": "confirmed"})
        event = self.events_of(doc)[-1]
        self.assertEqual(event.stage_to_id, self.stage_confirmed)
        self.assertEqual(event.occurred_at, PAST)
        self.assertEqual(self.instance_of(doc).stage_entered_at, PAST)

    def test_plain_context_value_is_ignored(self):
        before = fields.Datetime.now()
        _recent(self, clock.now(self.env(context={"workflow_now": FORGED})), before)
        doc = self.create_doc("Clock-2")
        self.write_doc(
            doc.with_user(self.workflow_user).with_context(workflow_now=FORGED),
            {"state": "confirmed"},
        )
        _recent(self, self.events_of(doc)[-1].occurred_at, before)


@tagged("post_install", "-at_install")
class TestClockOverRpc(HttpCase):
    """A ``workflow_now`` sent over JSON-RPC is a plain string: ignored."""

    def call_kw(self, model, method, args, context):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": {"context": context}},
        )

    def test_client_cannot_move_the_clock(self):
        self.authenticate("admin", "admin")
        doc = self.env[TEST_MODEL].create({"name": "Clock-RPC"})
        self.env.flush_all()
        self.env.cr.precommit.run()
        before = fields.Datetime.now()
        self.call_kw(
            TEST_MODEL, "write", [doc.ids, {"state": "confirmed"}], {"workflow_now": FORGED}
        )
        self.call_kw(
            "workflow.event",
            "log_events",
            [[{"event_type": "custom", "res_model": TEST_MODEL, "res_id": doc.id}]],
            {"workflow_now": FORGED},
        )
        events = self.env["workflow.event"].search(
            [("res_model", "=", TEST_MODEL), ("res_id", "=", doc.id)], order="id"
        )
        self.assertEqual(events.mapped("event_type")[-2:], ["stage", "custom"])
        for event in events[-2:]:
            _recent(self, event.occurred_at, before)
