# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Inbound webhook attacks (DESIGN.md sections 6 and 10, "Inbound webhooks"):
``POST /workflow_monitor/hook/<inbound_uuid>`` from an unauthenticated network peer, or
from a service that holds the signing secret of one company's integration."""

import json
import re
import threading
import time

import requests

from odoo.tests import tagged

from odoo.addons.workflow_monitor_integrations.tools import signature

from .common import AttackCase

HOOK_ENDPOINT = "WorkflowMonitorWebhooks.workflow_hook"
FLOOD = 300
FLOOD_ROWS_ALLOWED = 5
# what an answer must never show: Python exception names, tracebacks, SQL errors
LEAK = re.compile(
    r"Traceback|File \"|\b[A-Z]\w*(?:Error|Exception)\b|psycopg2|dictionary update sequence"
    r"|integer out of range|object has no attribute|odoo\.(?:addons|models|fields)"
)
COUNTER_NAME = re.compile(r"reject|refus|unauthori|auth_fail|signature|bad_sig|invalid")


@tagged("post_install", "-at_install")
class TestAttackInbound(AttackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secret = signature.generate_secret()
        cls.integration = cls.env["workflow.integration"].create(
            {
                "name": "WM attack inbound",
                "kind": "other",
                "signing_secret": cls.secret,
                "company_id": cls.company.id,
            }
        )
        cls.hook = f"/workflow_monitor/hook/{cls.integration.inbound_uuid}"
        cls.customer.company_id = cls.company

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    _sequence = 0

    def post(self, body, secret=None, webhook_id=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        TestAttackInbound._sequence += 1
        webhook_id = webhook_id or f"msg_attack_{TestAttackInbound._sequence}_{time.time_ns()}"
        headers = signature.sign_headers(secret or self.secret, webhook_id, raw)
        headers["Content-Type"] = "application/json"
        self.env.flush_all()
        try:
            return self.url_open(self.hook, data=raw, headers=headers, timeout=60)
        finally:
            self.env.invalidate_all()

    def counts(self):
        cr = self.env.cr
        self.env.flush_all()
        result = {}
        for table in ("workflow_integration_message", "workflow_event", "workflow_exception"):
            cr.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (constant names)
            result[table] = cr.fetchone()[0]
        return result

    def route_routing(self):
        """The routing of the inbound route, as Odoo dispatches it."""
        thread = threading.current_thread()
        previous = getattr(thread, "dbname", None)
        thread.dbname = self.env.cr.dbname
        try:
            rules = list(self.env["ir.http"].routing_map().iter_rules())
        finally:
            if previous is None:
                del thread.dbname
            else:
                thread.dbname = previous
        for rule in rules:
            function = getattr(rule.endpoint, "original_endpoint", rule.endpoint)
            if function.__qualname__ == HOOK_ENDPOINT:
                return rule.endpoint
        self.fail("inbound route not found")

    def refusal_count(self):
        """How many refused requests the suite counted for the integration, wherever it
        keeps the count: a counter field of the integration, a count on stored rejected
        rows (one row per request, or aggregated rows with a counter), or the metrics."""
        self.env.flush_all()
        self.env.invalidate_all()
        integration = self.integration.sudo()
        counts = [0]
        for name, field in integration._fields.items():
            if field.type in ("integer", "float") and COUNTER_NAME.search(name):
                counts.append(integration[name] or 0)
        Message = self.env["workflow.integration.message"].sudo()
        rejected = Message.search(
            [
                ("integration_id", "=", integration.id),
                ("direction", "=", "in"),
                ("state", "=", "rejected"),
            ]
        )
        counts.append(len(rejected))
        for name, field in Message._fields.items():
            if field.type == "integer" and re.search(r"count|attempts|hits|occurrence", name):
                counts.append(sum(rejected.mapped(name)))
        # a counter model keyed by integration (rows per integration and period)
        for model_name in self.env.registry:
            if not model_name.startswith("workflow.integration.") or model_name == Message._name:
                continue
            Model = self.env[model_name].sudo()
            field = Model._fields.get("integration_id")
            if Model._abstract or not field or field.comodel_name != "workflow.integration":
                continue
            for name, counter in Model._fields.items():
                if counter.type == "integer" and counter.store and re.search(r"count|hits", name):
                    rows = Model.search([("integration_id", "=", integration.id)])
                    counts.append(sum(rows.mapped(name)))
        token = "wm-attack-metrics-token-0123456789"
        self.env["ir.config_parameter"].sudo().set_param("workflow_monitor.metrics_token", token)
        self.env.flush_all()
        response = self.url_open(
            "/workflow_monitor/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        for line in response.text.splitlines():
            if (
                not line.startswith("#")
                and integration.name in line
                and COUNTER_NAME.search(line.split("{")[0] + line)
                and 'state="delivered"' not in line
            ):
                try:
                    counts.append(float(line.rsplit(" ", 1)[-1]))
                except ValueError:
                    continue
        return max(counts)

    # ------------------------------------------------------------
    # 13. oversized body
    # ------------------------------------------------------------

    def test_attack13_oversized_body(self):
        endpoint = self.route_routing()
        limit = endpoint.routing.get("max_content_length")
        if callable(limit):
            limit = limit(endpoint.func.__self__)
        with self.door("the route declares max_content_length"):
            self.assertTrue(limit, "no max_content_length on the route")
            self.assertLessEqual(limit, 32 * 1024 * 1024, "a limit above 32 MiB")
        size = max(2 * 1024 * 1024, (limit or 0) + 1024)
        body = json.dumps(
            {
                "type": "workflow.event",
                "data": {"event_type": "custom", "payload": {"x": "a" * size}},
            }
        ).encode()
        before = self.counts()
        try:
            status = self.post(body).status_code
        except requests.exceptions.ConnectionError as error:
            status = f"connection closed ({error.__class__.__name__})"
        with self.door("answer"):
            self.assertEqual(status, 413)
        with self.door("nothing stored"):
            self.assertEqual(self.counts(), before)
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 14. a flood of bad signatures
    # ------------------------------------------------------------

    def test_attack14_bad_signature_flood(self):
        """300 forged requests: all refused, counted, and the tables do not grow with the
        flood. Events may count signals up to the security-signal threshold (that is how
        a burst raises its ``security_signal`` exception), not one per request."""
        threshold = 10
        self.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor.security_signal_threshold", str(threshold)
        )
        allowed = {
            "workflow_integration_message": FLOOD_ROWS_ALLOWED,
            "workflow_event": FLOOD_ROWS_ALLOWED + threshold,
        }
        before = self.counts()
        counted_before = self.refusal_count()
        body = {"type": "workflow.event", "data": {"event_type": "custom"}}
        forged = signature.generate_secret()
        statuses = {}
        middle = None
        for index in range(FLOOD):
            if index == FLOOD // 2:
                middle = self.counts()
            status = self.post(body, secret=forged).status_code
            statuses[status] = statuses.get(status, 0) + 1
        with self.door("answers"):
            self.assertEqual(statuses, {401: FLOOD})
        after = self.counts()
        for table, limit in allowed.items():
            with self.door(f"new rows in {table}"):
                self.assertLessEqual(
                    after[table] - before[table],
                    limit,
                    f"{after[table] - before[table]} rows for {FLOOD} refused requests",
                )
            with self.door(f"rows in {table} still growing"):
                self.assertLessEqual(
                    after[table] - middle[table],
                    2,
                    f"the last {FLOOD - FLOOD // 2} requests added "
                    f"{after[table] - middle[table]} rows",
                )
        with self.door("failures counted"):
            self.assertGreaterEqual(self.refusal_count() - counted_before, FLOOD)
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 15. internal error text in answers
    # ------------------------------------------------------------

    def test_attack15_handler_failure_shows_no_internals(self):
        bodies = {
            "payload not an object": {
                "type": "workflow.event",
                "data": {"event_type": "custom", "payload": "not an object"},
            },
            "res_id out of range": {
                "type": "workflow.event",
                "data": {"event_type": "custom", "res_model": "res.partner", "res_id": 2**40},
            },
            "unknown stage": {
                "type": "workflow.event",
                "data": {
                    "definition": "order_to_cash",
                    "stage_to": "no_such_stage",
                    "res_model": "res.partner",
                    "res_id": self.customer.id,
                },
            },
        }
        for label, body in bodies.items():
            response = self.post(body)
            with self.door(f"{label}: handled"):
                self.assertNotEqual(
                    (response.status_code, (response.json() or {}).get("status")),
                    (200, "processed"),
                    "the handler did not fail: the attack needs a new body",
                )
            with self.door(f"{label} ({response.status_code})"):
                self.assertIsNone(
                    LEAK.search(response.text),
                    f"internal error text in the answer: {response.text[:300]}",
                )
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 16. records of another company, models the handler is not for
    # ------------------------------------------------------------

    def test_attack16_exception_about_another_company_or_model(self):
        cases = {
            "record of company B": {"res_model": "res.partner", "res_id": self.partner_b.id},
            "res.users": {"res_model": "res.users", "res_id": self.env.ref("base.user_admin").id},
        }
        for label, target in cases.items():
            before = self.counts()["workflow_exception"]
            response = self.post(
                {
                    "type": "workflow.exception",
                    "data": dict(
                        target,
                        category="stale_record",
                        message=f"WM attack {label}",
                        dedupe_key=f"wm-attack-{label}",
                    ),
                }
            )
            with self.door(f"{label}: answer"):
                self.assertEqual(response.status_code, 422, response.text[:300])
            with self.door(f"{label}: nothing created"):
                self.assertEqual(self.counts()["workflow_exception"], before)
                self.assertFalse(
                    self.env["workflow.exception"]
                    .sudo()
                    .search([("dedupe_key", "=", f"wm-attack-{label}")])
                )
        self.assertDoorsClosed()
