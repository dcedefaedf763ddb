# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Governance of the integrations module (DESIGN.md section 10), attacked from outside.

Every test is an attack a hostile sender or a hostile logged-in user can run: over a
real socket on 127.0.0.1 for the inbound route, over real JSON-RPC
(``/web/dataset/call_kw``) with real sessions for the methods of the models.

- the inbound route declares ``max_content_length``: Odoo refuses a bigger body before
  the controller runs;
- requests that fail authentication (unknown key, disabled or paused integration, body
  too large to be verified, missing or bad signature, stale timestamp) are counted in
  bounded rows (one per integration, reason and hour), and feed the ``security_signal``
  mechanism a bounded number of times; a flood grows no table with the number of
  requests, and the exact count shows on the integration and in the metrics;
- responses carry no internal error text: fixed messages plus a reference;
- handlers act on the integration's company and on the models they are written for;
- context keys that switch behaviour are honoured only when server code set them;
- the public methods of the module's models are user actions checking the caller's
  group; engine entry points cannot be called remotely.
"""

import json
import threading
import time
import uuid

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.workflow_monitor_base.tests.common import apply_deferred

from ..tools import signature
from .common import SECRET

HOOK = "/workflow_monitor/hook/"
METRICS_TOKEN = "wm-governance-metrics-token"
SIGNAL_THRESHOLD = 5
FLOOD = 500
# words of Python, psycopg2 and Odoo error texts that must never reach a sender
LEAKS = (
    "Traceback",
    "Error:",
    "Error(",
    "Exception:",
    "Exception(",
    "psycopg2",
    "out of range",
    "Expecting",
    "dictionary update",
    "line 1 column",
    "SELECT ",
    "odoo.",
)
# ORM methods are guarded by the access rights and record rules (see the access matrix)
ORM_METHODS = {"create", "write", "unlink", "copy", "read", "search"}
ADMIN = "workflow_monitor_base.group_workflow_admin"
MANAGER = "workflow_monitor_base.group_workflow_manager"


@tagged("post_install", "-at_install")
class TestInboundGovernance(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "WM Governance B"})
        Integration = cls.env["workflow.integration"]
        cls.integration = Integration.create(
            {"name": "WM gov A", "kind": "carrier", "signing_secret": SECRET}
        )
        cls.integration_b = Integration.with_company(cls.company_b).create(
            {
                "name": "WM gov B",
                "kind": "carrier",
                "signing_secret": SECRET,
                "company_id": cls.company_b.id,
            }
        )
        Doc = cls.env["workflow.test.document"]
        cls.doc_a = Doc.create({"name": "Gov doc A", "company_id": cls.company_a.id})
        cls.doc_b = Doc.create({"name": "Gov doc B", "company_id": cls.company_b.id})
        apply_deferred(cls.env)  # their capture, or the first request would apply it
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("workflow_monitor.security_signal_threshold", str(SIGNAL_THRESHOLD))
        params.set_param("workflow_monitor.metrics_token", METRICS_TOKEN)
        cls.Message = cls.env["workflow.integration.message"]

    _counter = 0

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def path(self, integration=None):
        return HOOK + (integration or self.integration).inbound_uuid

    def post(self, body, webhook_id=None, secret=SECRET, timestamp=None, path=None, headers=None):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        if webhook_id is None:
            TestInboundGovernance._counter += 1
            webhook_id = f"msg_gov_{TestInboundGovernance._counter}_{time.time_ns()}"
        all_headers = signature.sign_headers(secret, webhook_id, body, timestamp=timestamp)
        all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        response = self.url_open(path or self.path(), data=body, headers=all_headers, timeout=30)
        self.env.invalidate_all()  # the request wrote through its own environment
        return response

    def stored(self, webhook_id, integration=None):
        return self.Message.search(
            [
                ("integration_id", "=", (integration or self.integration).id),
                ("webhook_id", "=", webhook_id),
            ],
            order="id",
        )

    def table_count(self, table):
        self.env.flush_all()
        self.env.cr.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
        return self.env.cr.fetchone()[0]

    def signal_events(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM workflow_event WHERE payload->>'security_signal' IS NOT NULL"
        )
        return self.env.cr.fetchone()[0]

    def refused(self, integration, reason):
        """The exact count of refused requests of ``integration`` for ``reason``."""
        Refusal = self.env["workflow.integration.refusal"]
        domain = [("reason", "=", reason)]
        domain.append(("integration_id", "=", integration.id if integration else False))
        return sum(Refusal.search(domain).mapped("count"))

    def metrics(self):
        response = self.url_open(
            "/workflow_monitor/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        self.assertEqual(response.status_code, 200)
        return response.text

    def assert_no_leak(self, response):
        for word in LEAKS:
            self.assertNotIn(word, response.text, f"internal error text in {response.text!r}")

    def assert_reference(self, response):
        body = response.json()
        self.assertTrue(body.get("error"), response.text)
        self.assertTrue(
            body.get("message_id") or body.get("reference"), f"no reference: {response.text}"
        )

    def carrier(self, doc=None, **data):
        doc = doc or self.doc_a
        return {
            "type": "carrier.status",
            "data": dict(
                {
                    "tracking_ref": f"TRK-{uuid.uuid4().hex[:8]}",
                    "status": "in_transit",
                    "res_model": doc._name,
                    "res_id": doc.id,
                },
                **data,
            ),
        }

    # ------------------------------------------------------------
    # 1. size limit declared on the route
    # ------------------------------------------------------------

    def _hook_routing(self):
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
            if rule.rule == "/workflow_monitor/hook/<string:inbound_uuid>" and "POST" in (
                rule.methods or ()
            ):
                return rule.endpoint.routing
        raise AssertionError("inbound route not found")

    def test_route_declares_max_content_length(self):
        routing = self._hook_routing()
        self.assertIn("max_content_length", routing)
        limit = routing["max_content_length"]
        # the largest body an integration may accept (Inbound Size Limit, at most 10 MB)
        self.assertEqual(limit, 10240 * 1024)

    def test_body_over_the_route_limit_is_refused_before_dispatch(self):
        """Odoo refuses the body before the controller runs: nothing is stored and
        nothing is counted by the controller."""
        messages = self.table_count("workflow_integration_message")
        body = b'{"type": "carrier.status", "data": {"pad": "' + b"x" * (10240 * 1024) + b'"}}'
        response = self.post(body)
        self.assertEqual(response.status_code, 413)
        self.assertEqual(self.table_count("workflow_integration_message"), messages)
        self.assertEqual(self.refused(self.integration, "too_large"), 0, "never dispatched")
        self.assert_no_leak(response)

    def test_body_over_the_integration_limit_is_counted_not_stored(self):
        self.integration.inbound_max_kb = 4
        messages = self.table_count("workflow_integration_message")
        response = self.post(self.carrier(pad="x" * 5000))
        self.assertEqual(response.status_code, 413)
        self.assert_reference(response)
        self.assertEqual(self.table_count("workflow_integration_message"), messages)
        self.assertEqual(self.refused(self.integration, "too_large"), 1)

    # ------------------------------------------------------------
    # 2. bounded counting of failed authentication
    # ------------------------------------------------------------

    def test_bad_signature_flood_is_bounded_and_counted(self):
        forged_secret = signature.generate_secret()
        before = {
            "messages": self.table_count("workflow_integration_message"),
            "refusals": self.table_count("workflow_integration_refusal"),
            "signals": self.signal_events(),
            "events": self.table_count("workflow_event"),
        }
        body = json.dumps(self.carrier()).encode()
        statuses = set()
        started = time.monotonic()
        for _index in range(FLOOD):
            statuses.add(self.post(body, secret=forged_secret).status_code)
        elapsed = time.monotonic() - started
        self.assertEqual(statuses, {401})
        growth = {
            "messages": self.table_count("workflow_integration_message") - before["messages"],
            "refusals": self.table_count("workflow_integration_refusal") - before["refusals"],
            "signals": self.signal_events() - before["signals"],
            "events": self.table_count("workflow_event") - before["events"],
        }
        print(  # noqa: T201 (measured figures for the report)
            f"flood of {FLOOD} bad signatures in {elapsed:.1f} s: row growth {growth}"
        )
        self.assertEqual(growth["messages"], 0, "an unauthenticated request became a row")
        self.assertLessEqual(growth["refusals"], 2, "one row per hour bucket")
        # one signal event per hour bucket, then the exception (and its own event)
        self.assertGreaterEqual(growth["signals"], 1, "the security signal is still fed")
        self.assertLessEqual(growth["signals"], 2, "one signal event per hour bucket")
        self.assertLessEqual(growth["events"], 4, "signals and the raised exception only")
        # the count is exact and visible
        self.assertEqual(self.refused(self.integration, "bad_signature"), FLOOD)
        self.integration.invalidate_recordset()
        self.assertEqual(self.integration.inbound_refused_count, FLOOD)
        self.assertIn(
            f'workflow_monitor_inbound_refused{{integration="WM gov A",'
            f'reason="bad_signature"}} {FLOOD}',
            self.metrics(),
        )
        # ... and the security_signal mechanism raised its exception
        exception = self.env["workflow.exception"].search(
            [
                ("category_id.code", "=", "security_signal"),
                ("dedupe_key", "=", "signal:webhook_signature"),
                ("state", "in", ("new", "assigned", "in_progress")),
            ]
        )
        self.assertTrue(exception, "the burst raised a security_signal exception")

    def test_every_authentication_failure_is_counted_by_reason(self):
        messages = self.table_count("workflow_integration_message")
        body = self.carrier()
        cases = [
            (
                "missing_signature",
                401,
                lambda: self.url_open(
                    self.path(), data=json.dumps(body), headers={"Content-Type": "application/json"}
                ),
            ),
            ("bad_timestamp", 401, lambda: self.post(body, timestamp=int(time.time()) - 301)),
            ("bad_signature", 401, lambda: self.post(body, secret=signature.generate_secret())),
        ]
        for reason, status, send in cases:
            for _index in range(3):
                response = send()
                self.assertEqual(response.status_code, status, reason)
                self.assert_reference(response)
                self.assert_no_leak(response)
            self.assertEqual(self.refused(self.integration, reason), 3, reason)
        # unknown keys: counted without an integration
        for _index in range(7):
            response = self.post(body, path=HOOK + str(uuid.uuid4()))
            self.assertEqual(response.status_code, 404)
            self.assert_reference(response)
        self.assertEqual(self.refused(None, "unknown_key"), 7)
        # paused: nothing is accepted until an administrator resumes it
        self.integration.action_pause()
        response = self.post(body)
        self.assertEqual(response.status_code, 503)
        self.assert_reference(response)
        self.assertEqual(self.refused(self.integration, "paused"), 1)
        self.integration.action_resume()
        # inbound disabled: answered like an unknown key
        self.integration.inbound_enabled = False
        response = self.post(body)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.refused(self.integration, "disabled"), 1)
        self.assertEqual(self.table_count("workflow_integration_message"), messages)

    def test_authenticated_requests_are_still_all_stored(self):
        """A verified sender keeps its history: processed, duplicate and refused (415,
        400, 422) requests are stored as before."""
        body = self.carrier()
        self.assertEqual(self.post(body, webhook_id="msg_gov_keep").status_code, 200)
        self.assertEqual(self.post(body, webhook_id="msg_gov_keep").status_code, 200)
        self.assertEqual(self.stored("msg_gov_keep").mapped("state"), ["processed", "duplicate"])
        response = self.post(b"{oops", webhook_id="msg_gov_bad_json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.stored("msg_gov_bad_json").state, "rejected")

    # ------------------------------------------------------------
    # 3. no internal error text in responses
    # ------------------------------------------------------------

    def test_malformed_json_answer_has_no_parser_text(self):
        response = self.post(b'{"type": "carrier.status", ', webhook_id="msg_gov_mal")
        self.assertEqual(response.status_code, 400)
        self.assertIn("malformed JSON", response.json()["error"])
        self.assert_no_leak(response)
        self.assert_reference(response)
        self.assertEqual(response.json()["message_id"], self.stored("msg_gov_mal").id)

    def test_handler_failure_answer_has_no_error_text(self):
        response = self.post(
            {"type": "workflow.event", "data": {"definition": "no_such_flow"}},
            webhook_id="msg_gov_fail",
        )
        self.assertEqual(response.status_code, 202)
        message = self.stored("msg_gov_fail")
        self.assertEqual(message.state, "failed")
        self.assertTrue(message.last_error, "the error is kept for the administrator")
        self.assertNotIn(message.last_error, response.text)
        self.assertNotIn("no_such_flow", response.text)
        self.assert_no_leak(response)
        self.assertEqual(response.json()["message_id"], message.id)
        self.assertTrue(response.json()["retry"])

    def test_bad_values_are_clear_422_not_internal_errors(self):
        cases = (
            # psycopg2: integer out of range
            (self.carrier(res_id=2**40), "res_id"),
            # TypeError in the handler: dict() of a list
            (
                {"type": "workflow.event", "data": {"event_type": "custom", "payload": [1, 2]}},
                "payload",
            ),
            # psycopg2: can't adapt type 'dict' (correlation_id is a Char)
            (self.carrier(correlation_id={"a": 1}), "correlation_id"),
        )
        for body, field in cases:
            response = self.post(body)
            self.assertEqual(response.status_code, 422, response.text)
            self.assertIn(field, response.json()["error"])
            self.assert_no_leak(response)
            self.assert_reference(response)

    def test_unexpected_error_answers_a_reference_only(self):
        """A broken configuration (a secret emptied in the database) makes verifying
        fail inside the server: a fixed 500 with a reference, the details in the log."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE workflow_integration SET signing_secret = NULL WHERE id = %s",
            [self.integration.id],
        )
        self.env.invalidate_all()
        with self.assertLogs(
            "odoo.addons.workflow_monitor_integrations.controllers.main", "ERROR"
        ) as logs:
            response = self.post(self.carrier())
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response.json()["error"], "internal error")
        reference = response.json()["reference"]
        self.assertIn(reference, logs.output[0])
        self.assert_no_leak(response)
        self.assertNotIn("whsec", response.text)

    # ------------------------------------------------------------
    # 4. handlers: the integration's company, the models they are written for
    # ------------------------------------------------------------

    def test_integration_company_is_required(self):
        field = self.env["workflow.integration"]._fields["company_id"]
        self.assertTrue(field.required)
        integration = self.env["workflow.integration"].create({"name": "WM gov default"})
        self.assertEqual(integration.company_id, self.env.company)

    def assert_rejected_422(self, body, webhook_id, text):
        response = self.post(body, webhook_id=webhook_id)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn(text, response.json()["error"])
        self.assert_no_leak(response)
        message = self.stored(webhook_id)
        self.assertEqual((message.state, message.last_http_status), ("rejected", 422))
        return message

    def test_handlers_refuse_models_they_are_not_written_for(self):
        exceptions = self.env["workflow.exception"].search_count([])
        events = self.table_count("workflow_event")
        self.assert_rejected_422(
            {
                "type": "workflow.exception",
                "data": {
                    "category": "integration_failure",
                    "message": "on a user",
                    "res_model": "res.users",
                    "res_id": self.env.user.id,
                },
            },
            "msg_gov_users",
            "res.users",
        )
        self.assert_rejected_422(
            {
                "type": "n8n.execution",
                "data": {
                    "execution_id": "9",
                    "status": "success",
                    "res_model": "res.partner",
                    "res_id": self.env.user.partner_id.id,
                },
            },
            "msg_gov_partner",
            "res.partner",
        )
        self.assert_rejected_422(
            {
                "type": "workflow.event",
                "data": {
                    "res_model": "res.company",
                    "res_id": self.company_b.id,
                    "event_type": "custom",
                },
            },
            "msg_gov_company",
            "res.company",
        )
        # engine-owned event types and categories are not forged from outside
        self.assert_rejected_422(
            {"type": "workflow.event", "data": {"event_type": "config"}},
            "msg_gov_config",
            "config",
        )
        # every system category: the engine's, and those of the other modules
        system = self.env["workflow.exception.category"].search([("is_system", "=", True)])
        for code in {"security_signal", "sla_breach", *system.mapped("code")} - {
            "integration_failure"
        }:
            self.assert_rejected_422(
                {
                    "type": "workflow.exception",
                    "data": {"category": code, "message": "forged alarm"},
                },
                f"msg_gov_signal_{code}",
                code,
            )
        # a record that does not exist is not linked
        self.assert_rejected_422(self.carrier(res_id=2**31 - 1), "msg_gov_missing", "res_id")
        self.assertEqual(self.env["workflow.exception"].search_count([]), exceptions)
        self.assertEqual(self.table_count("workflow_event"), events)

    def test_handlers_refuse_records_of_another_company(self):
        events = self.table_count("workflow_event")
        exceptions = self.env["workflow.exception"].search_count([])
        self.assert_rejected_422(
            {
                "type": "workflow.event",
                "data": {
                    "definition": "test_flow",
                    "stage_to": "confirmed",
                    "res_model": self.doc_b._name,
                    "res_id": self.doc_b.id,
                },
            },
            "msg_gov_move_b",
            "company",
        )
        self.assert_rejected_422(
            {
                "type": "workflow.exception",
                "data": {
                    "category": "integration_failure",
                    "message": "cross company",
                    "res_model": self.doc_b._name,
                    "res_id": self.doc_b.id,
                },
            },
            "msg_gov_exc_b",
            "company",
        )
        self.assert_rejected_422(self.carrier(self.doc_b), "msg_gov_carrier_b", "company")
        self.assertEqual(self.table_count("workflow_event"), events)
        self.assertEqual(self.env["workflow.exception"].search_count([]), exceptions)
        instance = self.env["workflow.instance"].search(
            [("res_model", "=", self.doc_b._name), ("res_id", "=", self.doc_b.id)]
        )
        self.assertNotEqual(instance.stage_id.code, "confirmed", "company B's flow moved")

    def test_handlers_run_in_the_integration_company(self):
        """Positive control: each integration acts on its own company's documents, and
        what it creates belongs to that company."""
        response = self.post(
            {
                "type": "workflow.event",
                "data": {
                    "definition": "test_flow",
                    "stage_to": "confirmed",
                    "res_model": self.doc_b._name,
                    "res_id": self.doc_b.id,
                },
            },
            path=self.path(self.integration_b),
        )
        self.assertEqual(response.status_code, 200, response.text)
        instance = self.env["workflow.instance"].search(
            [("res_model", "=", self.doc_b._name), ("res_id", "=", self.doc_b.id)]
        )
        self.assertEqual(instance.stage_id.code, "confirmed")
        self.assertEqual(instance.company_id, self.company_b)
        response = self.post(
            {"type": "workflow.event", "data": {"event_type": "integration"}},
            webhook_id="msg_gov_b_event",
            path=self.path(self.integration_b),
        )
        self.assertEqual(response.status_code, 200, response.text)
        message = self.stored("msg_gov_b_event", self.integration_b)
        event = self.env["workflow.event"].browse(message.res_id)
        self.assertEqual(message.res_model, "workflow.event")
        self.assertEqual(event.company_id, self.company_b)
        response = self.post(
            {
                "type": "workflow.exception",
                "data": {"category": "integration_failure", "message": "B problem"},
            },
            path=self.path(self.integration_b),
        )
        self.assertEqual(response.status_code, 200, response.text)
        exception = self.env["workflow.exception"].search([("name", "=", "B problem")])
        self.assertEqual(exception.company_id, self.company_b)

    def test_webhook_dedupe_key_cannot_merge_into_engine_exceptions(self):
        engine = self.env["workflow.exception"].raise_exception(
            self.integration,
            "integration_failure",
            "Engine: integration down",
            severity="low",
            dedupe_key=f"integration_down:{self.integration.id}",
        )
        response = self.post(
            {
                "type": "workflow.exception",
                "data": {
                    "category": "integration_failure",
                    "message": "merge me",
                    "severity": "critical",
                    "dedupe_key": f"integration_down:{self.integration.id}",
                },
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        engine.invalidate_recordset()
        self.assertEqual(engine.occurrence_count, 1)
        self.assertEqual(engine.severity, "low", "a webhook raised an engine exception")

    def test_events_are_labelled_by_server_flags(self):
        """Source, source reference and correlation id of the events a webhook logs are
        set by server code (flags a client context cannot forge, nor lose)."""
        response = self.post(
            {
                "type": "workflow.event",
                "data": {
                    "definition": "test_flow",
                    "stage_to": "confirmed",
                    "res_model": self.doc_a._name,
                    "res_id": self.doc_a.id,
                    "correlation_id": "corr-gov-1",
                },
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        event = self.env["workflow.event"].search(
            [
                ("res_model", "=", self.doc_a._name),
                ("res_id", "=", self.doc_a.id),
                ("event_type", "=", "stage"),
            ],
            order="id desc",
            limit=1,
        )
        self.assertEqual(event.stage_to_id.code, "confirmed")
        self.assertEqual(event.source, "webhook")
        self.assertEqual(event.source_ref, f"workflow.integration,{self.integration.id}")
        self.assertEqual(event.correlation_id, "corr-gov-1")
        self.assertEqual(event.company_id, self.company_a)

    def test_replay_of_an_edited_message_is_checked_again(self):
        response = self.post(self.carrier(), webhook_id="msg_gov_replay")
        self.assertEqual(response.status_code, 200)
        message = self.stored("msg_gov_replay")
        message.write(
            {
                "state": "failed",
                "payload": self.carrier(self.doc_b),
            }
        )
        message.action_replay()
        self.assertEqual(message.state, "rejected")
        self.assertIn("company", message.last_error)


@tagged("post_install", "-at_install")
class TestRpcGovernance(HttpCase):
    """The public methods of the module's models, called over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company

        def user(login, groups):
            return mail_new_test_user(
                cls.env,
                login=login,
                password=f"{login}-password",
                name=login,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.users = {
            "portal": user("wm_gov_portal", "base.group_portal"),
            "employee": user("wm_gov_employee", "base.group_user"),
            "wf_user": user(
                "wm_gov_wf_user", "base.group_user,workflow_monitor_base.group_workflow_user"
            ),
            "wf_manager": user("wm_gov_wf_manager", f"base.group_user,{MANAGER}"),
            "wf_admin": user("wm_gov_wf_admin", f"base.group_user,{ADMIN}"),
        }
        cls.integration = cls.env["workflow.integration"].create(
            {"name": "WM gov RPC", "url": "http://127.0.0.1:9/gov", "signing_secret": SECRET}
        )
        cls.route = cls.env["workflow.integration.route"].create(
            {"name": "WM gov route", "integration_id": cls.integration.id, "active": False}
        )
        cls.message = cls.env["workflow.integration.message"]._queue_outbound(
            [{"integration_id": cls.integration.id, "event_type": "custom", "payload": {"n": 1}}]
        )

    # public methods: {model: {method: group needed (None: no caller at all)}}
    EXPECTED = {
        "workflow.integration": {
            "action_pause": ADMIN,
            "action_resume": ADMIN,
            "action_rotate_secret": ADMIN,
            "action_send_test": ADMIN,
            "action_refresh_health": MANAGER,
            "action_view_messages": MANAGER,
            "action_view_routes": MANAGER,
            "action_view_refusals": MANAGER,
        },
        "workflow.integration.message": {
            "action_replay": ADMIN,
            "action_open_document": MANAGER,
        },
        "workflow.integration.route": {},
        "workflow.integration.refusal": {},
        "ir.actions.server": {},
    }
    # methods engine code calls: never over RPC
    ENGINE = {
        "workflow.integration": (
            "init",
            "_cron_health",
            "_refresh_health",
            "_health_figures",
            "_metrics_text",
            "_delivery_gate",
            "_record_delivery_outcomes",
        ),
        "workflow.integration.message": (
            "init",
            "_cron_deliver",
            "_deliver_batch",
            "_claim",
            "_reclaim_expired_leases",
            "_purge_old_messages",
            "_cron_retry_inbound",
            "_process_inbound",
            "_queue_outbound",
            "_schedule_delivery_trigger",
            "_inbound_workflow_exception",
            "_inbound_receive",
        ),
        "workflow.integration.route": ("_queue_for_events", "_active_route_specs"),
        "workflow.integration.refusal": ("init", "_count_refusal", "_purge_old"),
    }

    def login(self, role):
        user = self.users[role]
        self.authenticate(user.login, f"{user.login}-password")

    def call_kw(self, model, method, args, kwargs=None, context=None):
        kwargs = dict(kwargs or {})
        if context is not None:
            kwargs["context"] = context
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.env.invalidate_all()  # the request wrote through its own environment
        return response.json()

    def assert_refused(self, payload, what):
        self.assertNotIn("result", payload, f"{what} was accepted")
        self.assertIn(
            payload["error"]["data"]["name"],
            ("odoo.exceptions.AccessError", "odoo.exceptions.UserError"),
            f"{what}: {payload['error']['data']['message']}",
        )

    def module_public_methods(self, model):
        """Public methods that a class of workflow_monitor_integrations defines."""
        from odoo.service.model import get_public_method

        cls = type(self.env[model])
        names = set()
        for klass in cls.mro():
            if not getattr(klass, "__module__", "").startswith(
                "odoo.addons.workflow_monitor_integrations."
            ):
                continue
            for name, value in vars(klass).items():
                if name.startswith("_") or name in ORM_METHODS or not callable(value):
                    continue
                try:
                    get_public_method(self.env[model], name)
                except Exception:  # noqa: BLE001 (private: not listed)
                    continue
                names.add(name)
        return names

    def test_every_public_method_has_an_expectation(self):
        for model, expected in self.EXPECTED.items():
            self.assertEqual(
                self.module_public_methods(model), set(expected), f"{model}: public methods"
            )

    def test_engine_entry_points_are_not_callable_remotely(self):
        self.login("wf_admin")
        for model, methods in self.ENGINE.items():
            for method in methods:
                payload = self.call_kw(model, method, [[]])
                self.assertNotIn("result", payload, f"{model}.{method} was callable")
                self.assertIn("Private methods", payload["error"]["data"]["message"], method)

    def ids_of(self, model):
        return {
            "workflow.integration": self.integration.ids,
            "workflow.integration.message": self.message.ids,
        }[model]

    def test_user_actions_check_the_group(self):
        ranks = {"portal": 0, "employee": 1, "wf_user": 2, "wf_manager": 3, "wf_admin": 4}
        needs = {MANAGER: 3, ADMIN: 4}
        secret = self.integration.signing_secret
        for model in ("workflow.integration", "workflow.integration.message"):
            for method, group in self.EXPECTED[model].items():
                for role, rank in ranks.items():
                    if rank >= needs[group]:
                        continue
                    self.login(role)
                    self.assert_refused(
                        self.call_kw(model, method, [self.ids_of(model)]),
                        f"{model}.{method} as {role}",
                    )
        self.assertEqual(self.integration.signing_secret, secret, "secret rotated")
        self.assertFalse(self.integration.paused)
        # positive control: the groups that should can
        self.login("wf_manager")
        payload = self.call_kw(
            "workflow.integration", "action_refresh_health", [self.integration.ids]
        )
        self.assertNotIn("error", payload)
        self.login("wf_admin")
        payload = self.call_kw("workflow.integration", "action_pause", [self.integration.ids])
        self.assertNotIn("error", payload)
        self.assertTrue(self.integration.paused)
        payload = self.call_kw("workflow.integration.message", "action_replay", [self.message.ids])
        self.assertNotIn("error", payload)

    def test_signing_secret_is_admin_only(self):
        self.login("wf_manager")
        for method, args, kwargs in (
            ("read", [self.integration.ids, ["signing_secret"]], {}),
            ("search", [[("signing_secret", "=like", "whsec_%")]], {}),
            ("search_read", [[], ["inbound_uuid"]], {}),
            ("read_group", [[], ["signing_secret"], ["signing_secret"]], {}),
        ):
            self.assert_refused(self.call_kw("workflow.integration", method, args, kwargs), method)
        payload = self.call_kw(
            "workflow.integration", "web_read", [self.integration.ids], {"specification": {}}
        )
        self.assertNotIn("signing_secret", json.dumps(payload))
        self.login("wf_admin")
        payload = self.call_kw(
            "workflow.integration", "read", [self.integration.ids, ["signing_secret"]]
        )
        self.assertEqual(payload["result"][0]["signing_secret"], SECRET)

    def test_health_refresh_writes_are_not_audited_client_flags_are(self):
        """The health job switches the config audit off with a server flag; a client
        sending the same key over RPC still gets its change audited."""
        Event = self.env["workflow.event"]
        domain = [
            ("event_type", "=", "config"),
            ("res_model", "=", "workflow.integration"),
            ("res_id", "=", self.integration.id),
        ]
        before = Event.search_count(domain)
        self.integration.write({"consecutive_failures": 7})  # changes the health state
        self.integration._refresh_health()
        self.assertEqual(Event.search_count(domain), before, "health writes are not config")
        self.login("wf_admin")
        payload = self.call_kw(
            "workflow.integration",
            "write",
            [self.integration.ids, {"timeout_seconds": 33}],
            context={"workflow_audit_disable": True},
        )
        self.assertNotIn("error", payload)
        self.assertEqual(Event.search_count(domain), before + 1, "a client silenced the audit")

    def test_delivery_context_key_is_not_read(self):
        """The delivery loop passes what it touched as an argument: a context value of
        any type changes nothing."""
        Message = self.env["workflow.integration.message"]
        for value in ("not a set", [1, 2], {"x": 1}):
            Message.with_context(workflow_delivery_touched=value)._deliver_batch(10)
