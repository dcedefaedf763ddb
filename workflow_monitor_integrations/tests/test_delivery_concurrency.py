# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Concurrent delivery (``max_in_flight``) against a real threaded receiver on 127.0.0.1:
how many requests are in flight at once, the order per document, and how the window
shrinks for a service that never answered or is failing."""

import collections

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import IntegrationCommon


@tagged("post_install", "-at_install")
class TestDeliveryConcurrency(IntegrationCommon):
    def setUp(self):
        super().setUp()
        # a service that answered well last time: the full window from the first request
        self.integration.write({"max_in_flight": 4, "circuit_threshold": 5, "max_attempts": 8})
        self.env.cr.execute(
            "UPDATE workflow_integration SET last_success_at = now() WHERE id = %s",
            [self.integration.id],
        )
        self.integration.invalidate_recordset(["last_success_at"])

    def queue_documents(self, plan):
        """Queue one message per item of ``plan`` (a document id, or None for a message
        of no document), in that order; returns the messages in id order."""
        return self.Message._queue_outbound(
            [
                {
                    "integration_id": self.integration.id,
                    "event_type": "custom",
                    "payload": {"type": "test", "data": {"n": n, "doc": doc}},
                    "res_model": "res.partner" if doc else False,
                    "res_id": doc or False,
                }
                for n, doc in enumerate(plan)
            ]
        ).sorted("id")

    def requests_by_id(self):
        return {request["headers"]["webhook-id"]: request for request in self.receiver.requests}

    def test_max_in_flight_requests_at_once(self):
        self.receiver.delay = 0.3
        messages = self.queue_documents([None] * 12)
        self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"delivered"})
        self.assertEqual(len(self.receiver.requests), 12)
        self.assertEqual(self.receiver.peak, 4, "max_in_flight requests at once, no more")

    def test_default_and_limits_of_max_in_flight(self):
        integration = self.env["workflow.integration"].create({"name": "WM defaults"})
        self.assertEqual(integration.max_in_flight, 8)
        for bad in (0, 65):
            with self.assertRaises(ValidationError):
                integration.max_in_flight = bad
        integration.max_in_flight = 64
        with Form(integration.with_user(self.workflow_admin)) as form:
            form.max_in_flight = 16
        self.assertEqual(integration.max_in_flight, 16)

    def test_order_per_document(self):
        """Documents 1-3 get 4 messages each, interleaved, plus 4 of no document: each
        document's messages arrive in id order, never two of them in flight at once,
        while different documents are sent side by side."""
        self.receiver.delay = 0.05
        plan = [1, 2, 3, None] * 4
        messages = self.queue_documents(plan)
        self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"delivered"})
        by_id = self.requests_by_id()
        self.assertEqual(len(self.receiver.requests), len(plan), "each message sent once")
        for doc in (1, 2, 3):
            sent = [by_id[m.webhook_id] for m in messages if m.res_id == doc]
            self.assertEqual(sent, sorted(sent, key=lambda r: r["time"]), f"document {doc}")
            for before, after in zip(sent, sent[1:]):
                self.assertGreaterEqual(after["time"], before["end"], "one at a time")
        self.assertGreater(self.receiver.peak, 1, "documents are sent side by side")

    def test_failing_message_holds_its_document_back(self):
        first, second, other = self.queue_documents([7, 7, 8])
        self.receiver.failing[first.webhook_id] = 500
        self.deliver()
        self.assertEqual(
            (first.state, second.state, other.state), ("failed", "pending", "delivered")
        )
        self.assertNotIn(second.webhook_id, self.requests_by_id(), "not sent before the first")
        self.assertEqual(self.Message._schedule_next_run(), 0, "a message held back is not due")
        # the first one goes through on its retry, then the second one follows
        self.receiver.failing.clear()
        self.make_due(first)
        self.deliver()
        self.assertEqual((first.state, second.state), ("delivered", "delivered"))
        self.assertEqual(self.receiver.webhook_ids()[-2:], [first.webhook_id, second.webhook_id])

    def test_dead_letter_releases_its_document(self):
        self.integration.max_attempts = 1
        first, second = self.queue_documents([9, 9])
        self.receiver.failing[first.webhook_id] = 500
        self.deliver()
        self.assertEqual((first.state, second.state), ("dead", "delivered"))

    def test_message_sent_by_another_worker_holds_its_document(self):
        """An earlier message of the document being sent (another worker's claim) keeps
        the later ones waiting, and so does one waiting for its retry."""
        first, second = self.queue_documents([11, 11])
        first.write({"state": "sending", "lease_until": "2999-01-01 00:00:00"})
        self.deliver()
        self.assertEqual(second.state, "pending")
        first.write({"state": "failed", "lease_until": False, "attempts": 1})
        first.next_attempt_at = fields.Datetime.add(fields.Datetime.now(), hours=1)
        self.deliver()
        self.assertEqual(second.state, "pending")
        self.assertFalse(self.receiver.requests)

    def test_failing_service_gets_no_more_than_the_threshold(self):
        """A service that fails: never more requests than the breaker's threshold, even
        with requests in flight when the failures come back."""
        self.receiver.default = 500
        self.receiver.delay = 0.05
        messages = self.queue_documents([None] * 20)
        self.deliver()
        self.assertEqual(len(self.receiver.requests), 5, "the threshold, not the queue")
        self.assertEqual(self.integration.consecutive_failures, 5)
        self.assertTrue(self.integration.circuit_open_until)
        counts = collections.Counter(messages.mapped("state"))
        self.assertEqual(counts, {"failed": 5, "pending": 15})

    def test_new_service_starts_with_one_request(self):
        """A service that never answered successfully gets one request first, then one
        more at once after each success (slow start)."""
        self.integration.last_success_at = False
        self.receiver.delay = 0.1
        self.queue_documents([None] * 3)
        self.deliver()
        first, *others = sorted(self.receiver.requests, key=lambda r: r["time"])
        self.assertTrue(all(r["time"] >= first["end"] for r in others), "the first one alone")
        self.assertEqual(self.receiver.peak, 2)
