# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""End-to-end: Odoo <-> a real n8n on loopback, with the example workflows of
examples/n8n/ imported and activated by scripts/n8n_e2e.sh (run `make test-n8n`).

Environment (set by the script): WM_N8N_URL, WM_N8N_SIGNING_SECRET, WM_N8N_INBOUND_UUID
(the same values n8n got), WM_ODOO_RELAY_PORT (n8n calls Odoo through a relay this test
opens there, since pytest-odoo serves Odoo on a random port) and WM_CHAT_PORT (the chat
channel of the critical-exception workflow, a receiver of this test).
"""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from odoo.tests import HttpCase, tagged

from odoo.addons.workflow_monitor_integrations.tests.common import Receiver

N8N_URL = os.environ.get("WM_N8N_URL", "http://127.0.0.1:5678")
SECRET = os.environ.get("WM_N8N_SIGNING_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
INBOUND_UUID = os.environ.get("WM_N8N_INBOUND_UUID", "6f1c1d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f")
RELAY_PORT = int(os.environ.get("WM_ODOO_RELAY_PORT", "8298"))
CHAT_PORT = int(os.environ.get("WM_CHAT_PORT", "8299"))
FORWARDED = ("content-type", "webhook-id", "webhook-timestamp", "webhook-signature")


class Relay:
    """Forwards n8n's POSTs from a fixed port to the Odoo test server."""

    def __init__(self, port, target):
        relay = self
        self.target = target
        self.calls = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED}
                # the Odoo test server is on loopback
                response = requests.post(
                    relay.target + self.path, data=body, headers=headers, timeout=30
                )
                relay.calls.append((self.path, response.status_code, response.text))
                self.send_response(response.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install", "wm_n8n")
class TestN8nEndToEnd(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        requests.get(N8N_URL + "/healthz", timeout=10).raise_for_status()
        cls.relay = Relay(RELAY_PORT, cls.base_url())
        cls.addClassCleanup(cls.relay.stop)
        cls.chat = Receiver(default=200, port=CHAT_PORT)
        cls.addClassCleanup(cls.chat.stop)
        cls.env["workflow.integration.route"].search([]).write({"active": False})
        cls.n8n = cls.env["workflow.integration"].create(
            {
                "name": "n8n e2e",
                "kind": "n8n",
                "url": N8N_URL + "/webhook/odoo-workflow-monitor",
                "signing_secret": SECRET,
            }
        )
        # the inbound key n8n was started with
        cls.n8n.inbound_uuid = INBOUND_UUID
        cls.Message = cls.env["workflow.integration.message"]

    def wait_for(self, domain, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.env.invalidate_all()
            found = self.Message.search(domain)
            if found:
                return found
            time.sleep(0.5)
        self.fail(f"nothing matched {domain} within {timeout} s; relay saw {self.relay.calls}")

    def test_outbound_webhooks_verified_by_n8n(self):
        messages = self.Message._queue_outbound(
            [
                {
                    "integration_id": self.n8n.id,
                    "event_type": "custom",
                    "payload": {"type": "test", "data": {"n": n, "amount": 500.0, "text": "é✓"}},
                }
                for n in range(3)
            ]
        )
        self.Message._cron_deliver()
        self.assertEqual(
            set(messages.mapped("state")), {"delivered"}, messages.mapped("last_error")
        )
        self.assertEqual(set(messages.mapped("last_http_status")), {200})
        # the same endpoint with another secret: n8n's Code node refuses it
        forged = self.env["workflow.integration"].create(
            {"name": "n8n wrong secret", "url": self.n8n.url}
        )
        message = self.Message._queue_outbound(
            [{"integration_id": forged.id, "payload": {"type": "test", "data": {}}}]
        )
        self.Message._cron_deliver()
        self.assertEqual((message.state, message.last_http_status), ("failed", 401))
        self.assertIn("signature mismatch", message.last_error)

    def test_failed_execution_reported_to_odoo(self):
        response = requests.post(
            N8N_URL + "/webhook/wm-demo-fail", json={"order": "S00042"}, timeout=30
        )
        self.assertEqual(response.status_code, 200, response.text)
        message = self.wait_for(
            [
                ("integration_id", "=", self.n8n.id),
                ("direction", "=", "in"),
                ("event_type", "=", "n8n.execution"),
            ]
        )
        self.assertEqual(message.state, "processed", message.last_error)
        self.assertTrue(message.external_execution_id)
        exception = self.env["workflow.exception"].browse(message.res_id)
        self.assertEqual(exception.category_id.code, "integration_failure")
        self.assertIn("Carrier API answered 503", exception.description)
        self.assertIn("Fail on purpose", exception.description)

    def test_critical_exception_forwarded_to_chat_and_reported_back(self):
        forwarder = self.env["workflow.integration"].create(
            {
                "name": "n8n critical forwarder",
                "url": N8N_URL + "/webhook/odoo-critical-exceptions",
                "signing_secret": SECRET,
            }
        )
        self.env["workflow.integration.route"].create(
            {
                "name": "critical exceptions",
                "integration_id": forwarder.id,
                "event_type": "exception",
                "min_severity": "critical",
            }
        )
        exception = self.env["workflow.exception"].raise_exception(
            forwarder,
            "integration_failure",
            "E2E critical problem",
            severity="critical",
            dedupe_key="e2e-critical",
        )
        outbound = self.Message.search([("integration_id", "=", forwarder.id)])
        self.assertEqual(len(outbound), 1)
        self.Message._cron_deliver()
        self.assertEqual(outbound.state, "delivered", outbound.last_error)
        report = self.wait_for(
            [
                ("integration_id", "=", self.n8n.id),
                ("direction", "=", "in"),
                ("event_type", "=", "workflow.event"),
            ]
        )
        self.assertEqual(report.state, "processed", report.last_error)
        self.assertEqual(len(self.chat.requests), 1)
        text = json.loads(self.chat.requests[0]["body"])["text"]
        self.assertIn(f"#{exception.id}", text)
        event = self.env["workflow.event"].search(
            [
                ("res_model", "=", "workflow.exception"),
                ("res_id", "=", exception.id),
                ("event_type", "=", "integration"),
            ]
        )
        self.assertEqual(event.payload["notified"], "chat")
        self.assertEqual(event.source, "webhook")

    def test_carrier_tracking_forwarded_to_odoo(self):
        # a carrier's tracking webhook (EasyPost-like) posted to the n8n example
        response = requests.post(
            N8N_URL + "/webhook/carrier-tracking",
            json={"result": {"tracking_code": "E2E-TRK-1", "status": "in_transit"}},
            timeout=30,
        )
        # Odoo stored it (processed, or kept as an unknown reference): the carrier gets 200
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn(response.json()["odoo_status"], (200, 422), response.text)
        message = self.wait_for(
            [
                ("integration_id", "=", self.n8n.id),
                ("direction", "=", "in"),
                ("event_type", "=", "carrier.status"),
            ]
        )
        self.assertIn(message.state, ("processed", "failed"), message.last_error)
        self.assertEqual(message.payload["data"]["tracking_ref"], "E2E-TRK-1")
        self.assertEqual(message.payload["data"]["status"], "in_transit")
