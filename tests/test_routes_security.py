# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""HTTP surface of the Workflow Monitor suite, over a real socket.

The routes are enumerated at run time from the routing map of ``ir.http`` (endpoints
whose function lives in an ``odoo.addons.workflow_monitor_*`` module), so a new route
without an entry in ``ROUTES`` fails ``test_every_route_has_an_expectation``. Each entry
names the check that proves the route refuses callers without credentials (anonymous and
portal sessions): routes with ``auth='user'`` must answer 401/403/404 or redirect to
/web/login; the public ones are public by design and authenticate the request
themselves (HMAC signature for inbound webhooks, bearer token for the metrics), so they
must answer a 4xx with a message and create nothing but the rejected request itself.

The JSON-RPC methods the dashboard and the AI/approval forms call are checked the same
way, through ``/web/dataset/call_kw`` with real sessions.
"""

import json
import threading
import time
import uuid

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.workflow_monitor_integrations.tools import signature

SUITE_MODULE_PREFIX = "odoo.addons.workflow_monitor_"
METRICS_TOKEN = "wm-routes-metrics-token-0123456789"

# endpoint (Controller.method): expected auth and the check that exercises it
ROUTES = {
    "WorkflowMonitorWebhooks.workflow_hook": ("public", "_check_inbound_hook"),
    "WorkflowMonitorWebhooks.workflow_hook_other_methods": ("none", "_check_hook_other_methods"),
    "WorkflowMonitorWebhooks.workflow_metrics": ("public", "_check_metrics"),
    "WorkflowMonitorExport.workflow_export_ocel": ("user", "_check_export_ocel"),
    "WorkflowMonitorExport.workflow_export_xes": ("user", "_check_export_xes"),
}
REFUSED = {401, 403, 404, 405, 413, 415, 422}


@tagged("post_install", "-at_install")
class TestRoutesSecurity(HttpCase):
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

        cls.portal = user("wm_routes_portal", "base.group_portal")
        cls.employee = user("wm_routes_employee", "base.group_user")
        cls.wf_user = user(
            "wm_routes_wf_user", "base.group_user,workflow_monitor_base.group_workflow_user"
        )
        cls.wf_manager = user(
            "wm_routes_wf_manager", "base.group_user,workflow_monitor_base.group_workflow_manager"
        )
        cls.secret = signature.generate_secret()
        cls.integration = cls.env["workflow.integration"].create(
            {"name": "WM routes", "kind": "other", "signing_secret": cls.secret}
        )
        cls.hook = f"/workflow_monitor/hook/{cls.integration.inbound_uuid}"
        # a burst of refused signatures must not turn into exceptions during this test
        cls.env["ir.config_parameter"].set_param(
            "workflow_monitor.security_signal_threshold", "1000000"
        )
        cls.env["ir.config_parameter"].set_param("workflow_monitor.metrics_token", "")
        # no team: workflow users may work it (the team rule is not under test here)
        category = cls.env["workflow.exception.category"].create(
            {"code": "wm_routes", "name": "WM routes", "team_id": False}
        )
        cls.exception = cls.env["workflow.exception"].create(
            {
                "name": "WM routes exception",
                "category_id": category.id,
                "dedupe_key": "wm-routes",
                "res_model": "res.partner",
                "res_id": cls.env.user.partner_id.id,
            }
        )

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def login(self, user):
        """A real session cookie for ``user`` (None: anonymous)."""
        if user is None:
            self.authenticate(None, None)
        else:
            self.authenticate(user.login, f"{user.login}-password")

    def counts(self):
        """What a refused request must not create (rejected requests are stored by
        design, every other message state counts)."""
        env = self.env
        env.flush_all()
        return {
            "messages": env["workflow.integration.message"].search_count(
                [("state", "!=", "rejected")]
            ),
            "events": env["workflow.event"].search_count(
                [("event_type", "in", ("integration", "exception", "stage"))]
            ),
            "exceptions": env["workflow.exception"].search_count([]),
        }

    def signed_post(self, path, body, secret=None, headers=None):
        raw = json.dumps(body).encode()
        all_headers = signature.sign_headers(
            secret or self.secret, f"msg_routes_{time.time_ns()}", raw
        )
        all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self.url_open(path, data=raw, headers=all_headers)

    def assert_refused(self, response, statuses, message_key="error"):
        self.assertIn(response.status_code, statuses, response.text[:500])
        if message_key:
            self.assertTrue(response.json().get(message_key), response.text[:500])

    def call_kw(self, model, method, args, kwargs=None):
        return self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": model,
                        "method": method,
                        "args": args,
                        "kwargs": kwargs or {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )

    def assert_rpc_refused(self, response, errors=("odoo.exceptions.AccessError",)):
        """JSON-RPC errors travel with HTTP 200: the refusal is in the body."""
        self.assertEqual(response.status_code, 200, response.text[:300])
        payload = response.json()
        self.assertNotIn("result", payload, f"the call was accepted: {response.text[:300]}")
        self.assertIn(payload["error"]["data"]["name"], errors, payload["error"]["data"])

    # ------------------------------------------------------------
    # completeness
    # ------------------------------------------------------------

    def suite_routes(self):
        routes = {}
        # routing_map() builds the map of the database of the current thread, as a request
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
            module = getattr(function, "__module__", "") or ""
            if module.startswith(SUITE_MODULE_PREFIX):
                routes.setdefault(function.__qualname__, []).append(
                    (rule.rule, rule.endpoint.routing["auth"], sorted(rule.methods or ()))
                )
        return routes

    def test_every_route_has_an_expectation(self):
        routes = self.suite_routes()
        self.assertEqual(sorted(routes), sorted(ROUTES), "routes without an expectation")
        for name, rules in routes.items():
            for url, auth, _methods in rules:
                self.assertEqual(auth, ROUTES[name][0], f"{name} ({url}) changed its auth")

    def test_every_route_refuses_callers_without_credentials(self):
        failures = []
        for name in ROUTES:
            for user in (None, self.portal):
                self.login(user)
                try:
                    getattr(self, ROUTES[name][1])()
                except AssertionError as error:
                    failures.append(f"{name} as {user.login if user else 'anonymous'}: {error}")
        self.assertFalse(failures, "\n".join(failures))

    # ------------------------------------------------------------
    # checks per route
    # ------------------------------------------------------------

    def _check_inbound_hook(self):
        body = {"type": "workflow.exception", "data": {"category": "stale_record", "message": "x"}}
        before = self.counts()
        rejected_before = self.env["workflow.integration.message"].search_count(
            [("state", "=", "rejected")]
        )
        refused_before = self.refused_count()
        unsigned = self.url_open(
            self.hook, data=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        self.assert_refused(unsigned, {401})
        self.assertIn("signature", unsigned.json()["error"])
        forged = self.signed_post(self.hook, body, secret=signature.generate_secret())
        self.assert_refused(forged, {401})
        # a signature made for another body (replayed headers) is refused as well
        raw = json.dumps(body).encode()
        headers = signature.sign_headers(self.secret, "msg_routes_replay", b"{}")
        headers["Content-Type"] = "application/json"
        self.assert_refused(self.url_open(self.hook, data=raw, headers=headers), {401})
        unknown = self.signed_post(f"/workflow_monitor/hook/{uuid.uuid4()}", body)
        self.assert_refused(unknown, {404})
        self.assertEqual(self.counts(), before, "a refused webhook created records")
        rejected = self.env["workflow.integration.message"].search_count(
            [("state", "=", "rejected")]
        )
        # unauthenticated requests are counted (bounded), not stored one row each
        self.assertEqual(rejected, rejected_before, "a refused request was stored")
        self.assertEqual(self.refused_count(), refused_before + 4, "every refusal is counted")

    def refused_count(self):
        self.env["workflow.integration.refusal"].invalidate_model()
        refusals = self.env["workflow.integration.refusal"].search(
            [("integration_id", "in", (self.integration.id, False))]
        )
        return sum(refusals.mapped("count"))

    def _check_hook_other_methods(self):
        before = self.counts()
        for method in ("GET", "PUT", "DELETE"):
            # the test opener (a requests.Session carrying the session cookie)
            response = self.opener.request(method, self.base_url() + self.hook, timeout=12)
            self.assert_refused(response, {405})
            self.assertEqual(response.headers.get("Allow"), "POST")
        self.assertEqual(self.counts(), before)

    def _check_metrics(self):
        params = self.env["ir.config_parameter"]
        params.set_param("workflow_monitor.metrics_token", "")
        self.assert_refused(self.url_open("/workflow_monitor/metrics"), {401}, None)
        self.assert_refused(
            self.url_open("/workflow_monitor/metrics", headers={"Authorization": "Bearer "}),
            {401},
            None,
        )
        params.set_param("workflow_monitor.metrics_token", METRICS_TOKEN)
        for header in (None, "Bearer wrong", f"Basic {METRICS_TOKEN}", METRICS_TOKEN):
            response = self.url_open(
                "/workflow_monitor/metrics", headers={"Authorization": header} if header else {}
            )
            self.assertEqual(response.status_code, 401, header)
            self.assertNotIn("workflow_monitor_", response.text, header)
        ok = self.url_open(
            "/workflow_monitor/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        self.assertEqual(ok.status_code, 200)
        self.assertIn("workflow_monitor_open_exceptions", ok.text)
        params.set_param("workflow_monitor.metrics_token", "")

    def _check_export_ocel(self):
        self._check_export("/workflow_monitor/export/ocel")

    def _check_export_xes(self):
        self._check_export("/workflow_monitor/export/xes")

    def _check_export(self, path):
        """auth='user': anonymous callers are sent to the login page, logged-in users
        without the workflow user group (portal) get a 403 with a message, no data."""
        response = self.url_open(f"{path}?definition=test_flow", allow_redirects=False)
        self.assertNotIn(b"events", response.content)
        self.assertNotIn(b"<trace>", response.content)
        if response.status_code in (302, 303):
            self.assertIn("/web/login", response.headers["Location"])
        else:
            self.assert_refused(response, REFUSED)

    # ------------------------------------------------------------
    # the web client and the JSON-RPC methods behind the UIs
    # ------------------------------------------------------------

    def test_dashboard_page_needs_a_login(self):
        self.login(None)
        response = self.url_open("/odoo/workflow-monitor", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self.login(self.portal)
        response = self.url_open("/odoo/workflow-monitor", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303), "portal users get no web client")
        self.assertNotIn("/odoo", response.headers["Location"].split("?")[0][-6:])

    def test_rpc_refused_without_the_groups(self):
        self.login(None)
        anonymous = self.call_kw("workflow.dashboard", "get_dashboard_data", [{}])
        self.assert_rpc_refused(anonymous, ("odoo.http.SessionExpiredException",))
        for user in (self.portal, self.employee):
            self.login(user)
            self.assert_rpc_refused(self.call_kw("workflow.dashboard", "get_dashboard_data", [{}]))
            for method in ("action_ai_summarize", "action_ai_similar", "action_ai_root_cause"):
                self.assert_rpc_refused(
                    self.call_kw("workflow.exception", method, [self.exception.ids])
                )
            self.assert_rpc_refused(
                self.call_kw("workflow.exception", "action_assign_to_me", [self.exception.ids])
            )
            self.assert_rpc_refused(
                self.call_kw("workflow.simulator", "run", [], {"days": 1, "orders_per_day": 1})
            )
            self.assert_rpc_refused(
                self.call_kw("workflow.event", "log_events", [[{"event_type": "custom"}]])
            )
        self.login(self.wf_manager)
        self.assert_rpc_refused(
            self.call_kw("workflow.ai.model", "action_train_now", [[]]),
            ("odoo.exceptions.AccessError", "odoo.exceptions.UserError"),
        )
        self.assertFalse(self.exception.user_id, "no refused call assigned the exception")

    def test_rpc_allowed_with_the_group(self):
        """Positive control: the same calls work for a workflow user (so the refusals above
        come from the groups, not from a broken call)."""
        self.login(self.wf_user)
        response = self.call_kw("workflow.dashboard", "get_dashboard_data", [{}])
        self.assertEqual(response.json()["result"]["layers"], ["operations"])
        response = self.call_kw("workflow.exception", "action_assign_to_me", [self.exception.ids])
        self.assertNotIn("error", response.json(), response.text[:300])
        self.assertEqual(self.exception.user_id, self.wf_user)
