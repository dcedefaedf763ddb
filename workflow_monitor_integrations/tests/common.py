# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect

from odoo.addons.workflow_monitor_base.tests.common import WorkflowMonitorCommon

SECRET = "whsec_" + base64.b64encode(b"integration-tests-secret-32-bytes").decode()


def independent_signature(secret, msg_id, timestamp, body):
    """HMAC-SHA256 written out from RFC 2104 with hashlib only (no ``hmac`` module and
    no code of the module under test), base64-encoded the Standard Webhooks way."""
    key = base64.b64decode(secret.split("_", 1)[1])
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + f"{msg_id}.{timestamp}.".encode() + body)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner.digest())
    return "v1," + base64.b64encode(outer.digest()).decode()


class Receiver:
    """A real HTTP server on 127.0.0.1 (ThreadingHTTPServer in a thread) recording every
    request; ``responses`` is a list of status codes served in order (then ``default``),
    ``failing`` maps webhook-ids to the status they always get, ``delay`` seconds are
    slept before answering. ``peak`` is the most requests it was answering at once;
    each request records when it came (``time``) and when its answer left (``end``)."""

    def __init__(self, default=204, delay=0.0, port=0):
        self.requests = []
        self.responses = []
        self.failing = {}
        self.default = default
        self.delay = delay
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "time": time.time(),
                }
                with receiver.lock:
                    receiver.requests.append(record)
                    receiver.active += 1
                    receiver.peak = max(receiver.peak, receiver.active)
                    status = receiver.responses.pop(0) if receiver.responses else receiver.default
                    status = receiver.failing.get(record["headers"].get("webhook-id"), status)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.active -= 1
                    record["end"] = time.time()
                payload = b'{"ok": true}' if status < 300 else b'{"error": "test"}'
                try:
                    self.send_response(status)
                    if status == 204:  # no body allowed
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                # pylint: disable-next=except-pass
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.port = self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def webhook_ids(self):
        return [r["headers"].get("webhook-id") for r in self.requests]

    def json_bodies(self):
        return [json.loads(r["body"]) for r in self.requests]


class IntegrationCommon(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.stop)
        cls.integration = cls.env["workflow.integration"].create(
            {
                "name": "WM Test Receiver",
                "kind": "n8n",
                "url": cls.receiver.url,
                "signing_secret": SECRET,
                "timeout_seconds": 2,
                "max_attempts": 3,
            }
        )
        cls.Message = cls.env["workflow.integration.message"]

    def setUp(self):
        super().setUp()
        self.receiver.requests.clear()
        self.receiver.responses.clear()
        self.receiver.failing.clear()
        self.receiver.default = 204
        self.receiver.delay = 0.0
        self.receiver.peak = 0

    def make_route(self, **vals):
        return self.env["workflow.integration.route"].create(
            dict({"name": "WM test route", "integration_id": self.integration.id}, **vals)
        )

    def queue(self, count=1, integration=None, **vals):
        integration = integration or self.integration
        return self.Message._queue_outbound(
            [
                dict(
                    {
                        "integration_id": integration.id,
                        "event_type": "custom",
                        "payload": {"type": "test", "data": {"n": index, "text": "é✓"}},
                    },
                    **vals,
                )
                for index in range(count)
            ]
        )

    def deliver(self, batch_size=200):
        self.Message.flush_model()
        return self.Message._cron_deliver(batch_size=batch_size, time_budget=30)

    def make_due(self, messages):
        """Bring the next attempt of failed messages to now (instead of waiting)."""
        messages.write({"next_attempt_at": "2000-01-01 00:00:00"})

    def real_env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def purge_committed(self, integration_ids):
        """Delete, through another connection, what a test committed for these
        integrations (messages, routes, exceptions about them, cron triggers)."""

        def purge():
            with db_connect(self.env.cr.dbname).cursor() as cr:
                cr.execute(
                    "SELECT id FROM workflow_exception WHERE res_model = 'workflow.integration' "
                    "AND res_id = ANY(%s)",
                    [integration_ids],
                )
                exception_ids = [row[0] for row in cr.fetchall()]
                if exception_ids:
                    cr.execute(
                        "DELETE FROM workflow_event WHERE event_type = 'exception' "
                        "AND (payload->>'exception_id')::int = ANY(%s)",
                        [exception_ids],
                    )
                    for table, column in (
                        ("mail_message", "model"),
                        ("mail_followers", "res_model"),
                        ("mail_activity", "res_model"),
                    ):
                        cr.execute(
                            f"DELETE FROM {table} WHERE {column} = 'workflow.exception' "
                            "AND res_id = ANY(%s)",
                            [exception_ids],
                        )
                    cr.execute("DELETE FROM workflow_exception WHERE id = ANY(%s)", [exception_ids])
                cr.execute(
                    "DELETE FROM workflow_event WHERE res_model = 'workflow.integration.route' "
                    "AND res_id IN (SELECT id FROM workflow_integration_route "
                    "WHERE integration_id = ANY(%s))",
                    [integration_ids],
                )
                cr.execute(
                    "DELETE FROM workflow_event WHERE res_model = 'workflow.integration' "
                    "AND res_id = ANY(%s)",
                    [integration_ids],
                )
                cr.execute(
                    "DELETE FROM mail_message WHERE model = 'workflow.integration' "
                    "AND res_id = ANY(%s)",
                    [integration_ids],
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = 'workflow.integration' "
                    "AND res_id = ANY(%s)",
                    [integration_ids],
                )
                cr.execute("DELETE FROM workflow_integration WHERE id = ANY(%s)", [integration_ids])
                cr.execute(
                    """DELETE FROM ir_cron_trigger WHERE cron_id IN (
                           SELECT res_id FROM ir_model_data
                            WHERE module = 'workflow_monitor_integrations'
                              AND name = 'ir_cron_webhook_delivery')"""
                )
            self.registry.clear_cache()

        self.addCleanup(purge)
