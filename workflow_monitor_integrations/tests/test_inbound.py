# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import time

from odoo.tests import HttpCase, TransactionCase, tagged

from ..tools import signature
from .common import SECRET


@tagged("post_install", "-at_install")
class TestInbound(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integration = cls.env["workflow.integration"].create(
            {
                "name": "WM inbound",
                "kind": "carrier",
                "signing_secret": SECRET,
                "inbound_max_kb": 4,
            }
        )
        cls.path = f"/workflow_monitor/hook/{cls.integration.inbound_uuid}"
        cls.Message = cls.env["workflow.integration.message"]
        cls.doc = cls.env["workflow.test.document"].create({"name": "Inbound doc"})

    _counter = 0

    def post(
        self,
        body,
        webhook_id=None,
        timestamp=None,
        secret=SECRET,
        content_type=None,
        path=None,
        headers=None,
    ):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        if webhook_id is None:
            TestInbound._counter += 1
            webhook_id = f"msg_in_{TestInbound._counter}_{time.time_ns()}"
        all_headers = signature.sign_headers(secret, webhook_id, body, timestamp=timestamp)
        all_headers["Content-Type"] = content_type or "application/json"
        all_headers.update(headers or {})
        return self.url_open(path or self.path, data=body, headers=all_headers)

    def stored(self, webhook_id):
        return self.Message.search(
            [("integration_id", "=", self.integration.id), ("webhook_id", "=", webhook_id)],
            order="id",
        )

    def carrier(self, status, occurred_at, ref="TRK-1"):
        return {
            "type": "carrier.status",
            "occurred_at": occurred_at,
            "data": {
                "tracking_ref": ref,
                "status": status,
                "res_model": "workflow.test.document",
                "res_id": self.doc.id,
            },
        }

    def test_valid_request_is_processed(self):
        response = self.post(
            self.carrier("in_transit", "2026-01-01T10:00:00Z"), webhook_id="msg_ok"
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["status"], "processed")
        message = self.stored("msg_ok")
        self.assertEqual((message.direction, message.state), ("in", "processed"))
        self.assertEqual(message.event_type, "carrier.status")
        self.assertEqual((message.res_model, message.res_id), (self.doc._name, self.doc.id))
        event = self.env["workflow.event"].search(
            [
                ("res_model", "=", self.doc._name),
                ("res_id", "=", self.doc.id),
                ("event_type", "=", "integration"),
            ]
        )
        self.assertEqual(event.payload["carrier_status"], "in_transit")
        self.assertEqual(event.source, "webhook")

    def test_replayed_id_is_a_duplicate(self):
        body = self.carrier("delivered", "2026-01-01T11:00:00Z", ref="TRK-dup")
        first = self.post(body, webhook_id="msg_dup")
        again = self.post(body, webhook_id="msg_dup")
        self.assertEqual(first.status_code, 200)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["status"], "duplicate")
        self.assertEqual(self.stored("msg_dup").mapped("state"), ["processed", "duplicate"])
        events = self.env["workflow.event"].search_count(
            [
                ("event_type", "=", "integration"),
                ("payload", "!=", False),
                ("res_id", "=", self.doc.id),
            ]
        )
        self.assertEqual(events, 1, "not processed twice")

    def test_out_of_order_update_is_stale(self):
        newer = self.post(self.carrier("delivered", "2026-01-02T12:00:00Z", ref="TRK-o"))
        older = self.post(self.carrier("in_transit", "2026-01-02T09:00:00Z", ref="TRK-o"))
        self.assertEqual(newer.json()["status"], "processed")
        self.assertEqual(older.status_code, 200)
        self.assertEqual(older.json()["status"], "stale")
        other_ref = self.post(self.carrier("in_transit", "2026-01-02T09:00:00Z", ref="TRK-x"))
        self.assertEqual(other_ref.json()["status"], "processed")

    def test_bad_signature_is_rejected_and_counted(self):
        signals_before = self.env["workflow.event"].search_count(
            [
                ("payload", "!=", False),
                ("event_type", "=", "custom"),
                ("res_model", "=", "workflow.integration"),
                ("res_id", "=", self.integration.id),
            ]
        )
        response = self.post(
            self.carrier("x", "2026-01-01T00:00:00Z"),
            webhook_id="msg_forged",
            secret=signature.generate_secret(),
        )
        self.assertEqual(response.status_code, 401)
        self.assertIn("signature", response.json()["error"])
        # an unauthenticated request is counted, not stored (a flood must not grow the
        # message table, see test_governance_integrations)
        self.assertFalse(self.stored("msg_forged"))
        refusals = self.env["workflow.integration.refusal"].search(
            [("integration_id", "=", self.integration.id), ("reason", "=", "bad_signature")]
        )
        self.assertEqual(sum(refusals.mapped("count")), 1)
        self.assertEqual(refusals.last_reference, response.json()["reference"])
        signals = self.env["workflow.event"].search(
            [
                ("event_type", "=", "custom"),
                ("res_model", "=", "workflow.integration"),
                ("res_id", "=", self.integration.id),
            ]
        )
        self.assertEqual(len(signals), signals_before + 1)
        self.assertEqual(signals[0].payload["security_signal"], "webhook_signature")

    def test_missing_headers(self):
        response = self.url_open(
            self.path,
            data=b'{"type": "carrier.status"}',
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 401)

    def test_old_timestamp(self):
        response = self.post(
            self.carrier("x", "2026-01-01T00:00:00Z"), timestamp=int(time.time()) - 301
        )
        self.assertEqual(response.status_code, 401)
        self.assertIn("tolerance", response.json()["error"])
        response = self.post(
            self.carrier("x", "2026-01-01T00:00:00Z"), timestamp=int(time.time()) + 400
        )
        self.assertEqual(response.status_code, 401)

    def test_signature_checked_before_parsing(self):
        """Garbage with a bad signature is a 401, not a 400: nothing is parsed first."""
        response = self.post(b"{not json", secret=signature.generate_secret())
        self.assertEqual(response.status_code, 401)

    def test_malformed_json(self):
        response = self.post(b'{"type": "carrier.status", ', webhook_id="msg_malformed")
        self.assertEqual(response.status_code, 400)
        self.assertIn("malformed JSON", response.json()["error"])
        message = self.stored("msg_malformed")
        self.assertEqual(message.state, "rejected")
        self.assertEqual(message.raw_body, '{"type": "carrier.status", ')

    def test_wrong_content_type(self):
        response = self.post(self.carrier("x", "2026-01-01T00:00:00Z"), content_type="text/plain")
        self.assertEqual(response.status_code, 415)

    def test_schema_errors_422(self):
        cases = (
            ([1, 2], "JSON object"),
            ({"type": "unknown.kind", "data": {}}, "Unknown message type"),
            ({"type": "carrier.status", "data": {"status": "x"}}, "tracking_ref"),
            ({"type": "carrier.status", "data": "x"}, "'data' must be"),
            (
                {"type": "workflow.exception", "data": {"category": "nope", "message": "m"}},
                "Unknown exception category",
            ),
            (
                {
                    "type": "carrier.status",
                    "occurred_at": "yesterday",
                    "data": {"tracking_ref": "a", "status": "b"},
                },
                "ISO 8601",
            ),
        )
        for body, error in cases:
            response = self.post(body)
            self.assertEqual(response.status_code, 422, body)
            self.assertIn(error, response.json()["error"])

    def test_oversize_body(self):
        body = json.dumps(self.carrier("x" * 5000, "2026-01-01T00:00:00Z")).encode()
        response = self.post(body, webhook_id="msg_big")
        self.assertEqual(response.status_code, 413)
        # too large to be verified: counted, not stored
        self.assertFalse(self.stored("msg_big"))
        self.assertEqual(self.integration.inbound_refused_count, 1)

    def test_unknown_integration(self):
        response = self.post(
            self.carrier("x", "2026-01-01T00:00:00Z"),
            path="/workflow_monitor/hook/00000000-0000-0000-0000-000000000000",
        )
        self.assertEqual(response.status_code, 404)
        self.integration.inbound_enabled = False
        response = self.post(self.carrier("x", "2026-01-01T00:00:00Z"))
        self.assertEqual(response.status_code, 404)

    def test_other_methods_405(self):
        for method in ("GET", "PUT", "DELETE"):
            response = self.opener.request(method, self.base_url() + self.path, timeout=10)
            self.assertEqual(response.status_code, 405, method)
            self.assertEqual(response.headers["Allow"], "POST")
            self.assertIn("method not allowed", response.json()["error"])

    def test_workflow_exception_and_event_handlers(self):
        response = self.post(
            {
                "type": "workflow.exception",
                "data": {
                    "category": "integration_failure",
                    "message": "Marketplace rejected the stock feed",
                    "severity": "critical",
                    "res_model": "workflow.test.document",
                    "res_id": self.doc.id,
                },
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        exception = self.env["workflow.exception"].search(
            [("name", "=", "Marketplace rejected the stock feed")]
        )
        self.assertEqual((exception.severity, exception.res_id), ("critical", self.doc.id))
        response = self.post(
            {
                "type": "workflow.event",
                "data": {
                    "definition": "test_flow",
                    "stage_to": "confirmed",
                    "res_model": "workflow.test.document",
                    "res_id": self.doc.id,
                },
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        instance = self.env["workflow.instance"].search(
            [("res_model", "=", self.doc._name), ("res_id", "=", self.doc.id)]
        )
        self.assertEqual(instance.stage_id.code, "confirmed")
        self.assertEqual(instance.stage_id.definition_id.code, "test_flow")

    def test_failed_n8n_execution_becomes_exception(self):
        response = self.post(
            {
                "type": "n8n.execution",
                "data": {
                    "execution_id": "4711",
                    "workflow_id": "wf1",
                    "workflow_name": "Sync orders",
                    "status": "error",
                    "node": "HTTP Request",
                    "error": "ECONNREFUSED",
                },
            },
            webhook_id="msg_n8n",
        )
        self.assertEqual(response.status_code, 200, response.text)
        message = self.stored("msg_n8n")
        self.assertEqual(message.external_execution_id, "4711")
        exception = self.env["workflow.exception"].browse(message.res_id)
        self.assertEqual(message.res_model, "workflow.exception")
        self.assertEqual(exception.category_id.code, "integration_failure")
        self.assertIn("4711", exception.name)
        self.assertIn("ECONNREFUSED", exception.description)

    def test_handler_failure_keeps_message_for_retry(self):
        """A handler error leaves the message 'failed' (202), the retry job processes it."""
        body = {
            "type": "workflow.event",
            "data": {"definition": "no_such_flow", "event_type": "custom"},
        }
        response = self.post(body, webhook_id="msg_fail")
        self.assertEqual(response.status_code, 202, response.text)
        self.assertTrue(response.json()["retry"])
        message = self.stored("msg_fail")
        self.assertEqual((message.state, message.attempts), ("failed", 1))
        self.assertTrue(message.last_error)
        # fixed on our side (here: the payload is corrected), the retry job processes it
        message.payload = dict(body, data={"event_type": "custom"})
        message.last_attempt_at = "2000-01-01 00:00:00"
        self.Message._cron_retry_inbound()
        self.assertEqual(message.state, "processed")
        # a message that keeps failing becomes a dead letter after max_attempts
        response = self.post(body, webhook_id="msg_fail_forever")
        message = self.stored("msg_fail_forever")
        for _attempt in range(self.integration.max_attempts):
            message.last_attempt_at = "2000-01-01 00:00:00"
            self.Message._cron_retry_inbound()
        self.assertEqual(message.state, "dead")


@tagged("post_install", "-at_install")
class TestInboundTypes(TransactionCase):
    def test_every_row_names_existing_methods(self):
        """Each row of the inbound type table names methods of the message model."""
        Message = self.env["workflow.integration.message"]
        types = Message._inbound_types()
        self.assertEqual(
            set(types), {"workflow.event", "workflow.exception", "n8n.execution", "carrier.status"}
        )
        for kind, spec in types.items():
            for method in filter(None, (spec.handler, spec.validate, spec.scope)):
                self.assertTrue(callable(getattr(Message, method, None)), f"{kind}: {method}")
            self.assertTrue(all(isinstance(key, str) for key in spec.required), kind)

    def test_ordering_keys_come_from_the_table(self):
        Message = self.env["workflow.integration.message"]
        for envelope, key in (
            ({"type": "carrier.status", "data": {"tracking_ref": "T1"}}, "carrier:T1"),
            ({"type": "n8n.execution", "data": {"execution_id": 7}}, "n8n:7"),
            (
                {"type": "workflow.event", "data": {"res_model": "x.y", "res_id": 3}},
                "x.y,3:",
            ),
            ({"type": "workflow.event", "data": {}}, None),
            ({"type": "carrier.status", "key": "mine", "data": {"tracking_ref": "T1"}}, "mine"),
        ):
            self.assertEqual(Message._inbound_ordering(envelope)[0], key, envelope)
