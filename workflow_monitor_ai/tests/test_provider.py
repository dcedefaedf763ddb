# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.workflow_monitor_ai.tools.masking import mask_text

from .common import AiCommon

ANSWER = "Late pickup by the carrier; [PARTNER_1] waits. Check the carrier booking first."


class ChatHandler(BaseHTTPRequestHandler):
    """Mimics POST /v1/chat/completions of an OpenAI-compatible API."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        server = self.server
        server.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        if server.delay:
            time.sleep(server.delay)
        if self.path != "/v1/chat/completions":
            self.send_response(404)
            self.end_headers()
            return
        payload = json.dumps(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": json.loads(body)["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": ANSWER},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        try:
            self.send_response(server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        # pylint: disable-next=except-pass
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestProvider(AiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), ChatHandler)
        cls.server.daemon_threads = True
        cls.server.requests, cls.server.delay, cls.server.status = [], 0, 200
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}/v1"
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Jeanne Dupont-Lefèvre",
                "email": "jeanne.dupont@example.org",
                "phone": "+33 6 12 34 56 78",
                "street": "12 Rue des Lilas",
                "city": "Lyon",
            }
        )
        cls.exception = cls.env["workflow.exception"].create(
            {
                "name": "Carrier missed the pickup for Jeanne Dupont-Lefèvre",
                "category_id": cls.categories["late_delivery"].id,
                "dedupe_key": "manual:provider-test",
                "description": (
                    "Jeanne Dupont-Lefèvre (jeanne.dupont@example.org, +33 6 12 34 56 78) called: "
                    "parcel WH/OUT/00042 for 12 Rue des Lilas, 69003 Lyon never arrived. "
                    "Call back on (555) 123-4567 or 06.12.34.56.78. Refund to IBAN "
                    "FR76 3000 6000 0112 3456 7890 189 if lost. "
                    "Order S00042 of 2025-03-04, 3 units."
                ),
            }
        )

    def setUp(self):
        super().setUp()
        self.server.requests.clear()
        self.server.delay, self.server.status = 0, 200
        self.set_ai(
            provider_enabled=True,
            provider_url=self.url,
            provider_model="test-model",
            provider_api_key="sk-test-secret",
            provider_timeout=5,
        )

    def logs(self):
        return self.env["workflow.ai.log"].search(
            [("kind", "=", "provider"), ("exception_id", "=", self.exception.id)]
        )

    def test_masking_realistic_example(self):
        masked, count = self.env["workflow.ai.provider"]._mask(self.exception.description)
        for secret in (
            "Jeanne",
            "Dupont",
            "jeanne.dupont@example.org",
            "+33 6 12 34 56 78",
            "12 Rue des Lilas",
            "69003 Lyon",
            "555",
            "06.12.34.56.78",
            "FR76",
        ):
            self.assertNotIn(secret, masked)
        for kept in ("WH/OUT/00042", "S00042", "2025-03-04", "3 units", "never arrived"):
            self.assertIn(kept, masked)
        self.assertIn("[PARTNER_1]", masked)
        self.assertIn("[EMAIL_1]", masked)
        self.assertIn("[ADDRESS_1]", masked)
        self.assertIn("[PHONE_1]", masked)
        self.assertIn("[IBAN_1]", masked)
        self.assertGreaterEqual(count, 7)
        # pure function: known partner names and free-text addresses in English
        text, placeholders = mask_text(
            "Mail bob@acme.com, John Smith lives at 221B Baker Street. John Smith again.",
            partner_names=["John Smith"],
        )
        self.assertEqual(
            text, "Mail [EMAIL_1], [PARTNER_1] lives at [ADDRESS_1]. [PARTNER_1] again."
        )
        self.assertEqual(set(placeholders.values()), {"EMAIL", "PARTNER", "ADDRESS"})

    def test_summary_through_loopback_provider(self):
        suggestion = self.exception._ai_summarize()
        self.assertEqual(suggestion.kind, "summary")
        self.assertEqual(suggestion.content, ANSWER)
        self.assertEqual(suggestion.model_version, "test-model")
        self.assertEqual(len(self.server.requests), 1)
        request = self.server.requests[0]
        self.assertEqual(request["path"], "/v1/chat/completions")
        self.assertEqual(request["auth"], "Bearer sk-test-secret")
        body = json.loads(request["body"])
        self.assertEqual(body["model"], "test-model")
        sent = body["messages"][1]["content"]
        self.assertNotIn("Dupont", request["body"])
        self.assertNotIn("jeanne.dupont@example.org", request["body"])
        self.assertNotIn("Rue des Lilas", request["body"])
        self.assertIn("[PARTNER_1]", sent)
        log = self.logs()
        self.assertEqual(len(log), 1)
        self.assertEqual(log.status, "ok")
        self.assertEqual(log.http_status, 200)
        self.assertIn("[EMAIL_1]", log.prompt)
        self.assertNotIn("Dupont", log.prompt)
        self.assertNotIn("sk-test-secret", log.prompt)
        self.assertIn(ANSWER, log.response)
        self.assertGreaterEqual(log.masked_count, 7)
        # accepting a summary posts it as a note, nothing else
        suggestion.action_accept()
        self.assertIn(ANSWER[:20], self.exception.message_ids[:1].body)

    def test_timeout(self):
        # Odoo's test harness raises any requests timeout below 10 s to 10 s
        # (odoo/tests/common.py _request_handler): the server answers after 11 s
        self.server.delay = 11
        self.set_ai(provider_timeout=0.3)
        start = time.perf_counter()
        with mute_logger(
            "odoo.addons.workflow_monitor_ai.models.workflow_ai_provider",
            "odoo.tests.common.requests",
        ):
            suggestion = self.exception._ai_summarize()
        self.assertLess(time.perf_counter() - start, 10.9)
        self.assertEqual(suggestion.model_version, "template", "falls back to the template")
        log = self.logs()
        self.assertEqual(log.status, "timeout")
        self.assertIn("0.3", log.message)

    def test_http_error_is_logged(self):
        self.server.status = 500
        with mute_logger("odoo.addons.workflow_monitor_ai.models.workflow_ai_provider"):
            suggestion = self.exception._ai_summarize()
        self.assertEqual(suggestion.model_version, "template")
        log = self.logs()
        self.assertEqual((log.status, log.http_status), ("error", 500))

    def test_kill_switch(self):
        self.set_ai(kill_switch=True)
        suggestion = self.exception._ai_summarize()
        self.assertEqual(self.server.requests, [], "nothing leaves Odoo")
        self.assertEqual(suggestion.model_version, "template")
        log = self.logs()
        self.assertEqual(log.status, "blocked")
        self.assertIn("kill switch", log.message)

    def test_disabled_by_default(self):
        self.env["ir.config_parameter"].sudo().search(
            [("key", "=", "workflow_monitor_ai.provider_enabled")]
        ).unlink()
        self.assertFalse(self.env["workflow.ai.provider"]._ai_settings()["provider_enabled"])
        self.exception._ai_summarize()
        self.assertEqual(self.server.requests, [])
        self.assertFalse(self.logs())

    def test_briefing_summary_uses_provider(self):
        subject, body, data = self.env["workflow.ai.briefing"]._build(self.company_a)
        self.assertIn("AI summary", body)
        self.assertIn(ANSWER, body)
        self.assertEqual(len(self.server.requests), 1)

    def test_api_key_is_admin_only(self):
        field = self.env["res.config.settings"]._fields["workflow_ai_provider_api_key"]
        self.assertEqual(field.groups, "base.group_system")
