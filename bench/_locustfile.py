# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Locust users of the load test (bench/load.py starts Locust on this file; it is not a
benchmark of its own, hence the leading underscore).

Every user is a person or a system talking to Odoo over HTTP as it would in production:
a session opened by ``/web/session/authenticate``, then JSON-RPC ``call_kw`` requests
(what the web client sends), or signed webhooks posted to the integrations' inbound
endpoint. Users:

- ``OrderUser`` (suite and vanilla): closed loop, no think time: creates a sale order
  of 3 lines, confirms it, validates its delivery, invoices it (the invoicing wizard)
  and posts the invoice.
- ``DashboardUser`` (suite only): polls ``workflow.dashboard.get_dashboard_data`` at a
  fixed pace, as the dashboard's auto-refresh does.
- ``ExceptionUser`` (suite only): opens the list of open exceptions, assigns one to
  itself, writes a resolution and resolves it, at a fixed pace.
- ``WebhookUser`` (suite only): a carrier posting signed Standard Webhooks: a
  ``carrier.status`` about each order delivered by the order users, a share of
  ``workflow.exception`` reports with a few recurring dedupe keys, and re-sent ids, as a
  sender retrying does.

Configuration: the JSON file named by ``WM_LOAD_PLAN`` (written by bench/load.py: logins,
password, products, customers, exceptions per user, the integration's key and secret,
paces, warm-up and measured seconds). Every request, with its time and outcome, and the
measured window are written at the end to the JSON file named by ``WM_LOAD_SAMPLES``;
bench/load.py computes throughput and percentiles from it.
"""

import importlib.util
import itertools
import json
import os
import random
import time

import gevent
import gevent.queue
from locust import FastHttpUser, constant, constant_throughput, events, task

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.environ["WM_LOAD_PLAN"]) as _plan:
    PLAN = json.load(_plan)
SAMPLES_PATH = os.environ["WM_LOAD_SAMPLES"]


def _signature_module():
    """tools/signature.py of the integrations module: pure standard library, no Odoo."""
    path = os.path.join(HERE, "..", "workflow_monitor_integrations", "tools", "signature.py")
    spec = importlib.util.spec_from_file_location("wm_signature", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


signature = _signature_module()

# ------------------------------------------------------------
# Samples: every request, with its outcome
# ------------------------------------------------------------

SAMPLES = []  # [name, start (epoch s), duration (ms), outcome]
# The measured window: it opens ``warmup`` seconds after the last user has started (logins
# hash their password: seconds on a busy machine) and closes ``seconds`` later, when the
# run is stopped from here; Locust's own -t is only a safety limit.
WINDOW = {}
_STARTED = [0]


def _user_started(environment):
    _STARTED[0] += 1
    if _STARTED[0] == sum(PLAN["users"].values()):
        begin = time.time() + PLAN["warmup"]
        WINDOW.update(begin=begin, end=begin + PLAN["seconds"])
        gevent.spawn_later(PLAN["warmup"] + PLAN["seconds"], environment.runner.quit)


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    start = kwargs.get("start_time") or (time.time() - response_time / 1000.0)
    context = kwargs.get("context") or {}
    outcome = context.get("outcome") or ("ok" if exception is None else f"error:{exception}")
    SAMPLES.append([name, start, response_time, outcome[:200]])


@events.quitting.add_listener
def _dump(environment, **_kwargs):
    with open(SAMPLES_PATH, "w") as handle:
        json.dump({"samples": SAMPLES, "window": WINDOW}, handle)


# ------------------------------------------------------------
# A logged-in person speaking JSON-RPC
# ------------------------------------------------------------

_LOGINS = itertools.count()
_RPC_IDS = itertools.count(1)
_WEBHOOK_IDS = itertools.count()
_EXCEPTION_WORKERS = itertools.count()  # each works its own share of the exceptions
# delivered orders, handed from the order users to the carrier (suite runs only)
DELIVERED = gevent.queue.Queue()


class RpcError(Exception):
    pass


class OdooUser(FastHttpUser):
    abstract = True
    # Odoo answers in the order of seconds when saturated; never retry by ourselves
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self):
        index = next(_LOGINS)
        self.index = index
        self.login = PLAN["logins"][index % len(PLAN["logins"])]
        self.rng = random.Random(index)
        try:
            self.call(
                "login",
                "/web/session/authenticate",
                {"db": PLAN["db"], "login": self.login, "password": PLAN["password"]},
            )
        finally:
            _user_started(self.environment)

    def call(self, name, path, params):
        """POST one JSON-RPC request; returns its result, raises RpcError when Odoo
        answered an error (recorded as such: HTTP status, or the error's class)."""
        payload = {"jsonrpc": "2.0", "method": "call", "params": params, "id": next(_RPC_IDS)}
        with self.client.post(
            path, json=payload, name=name, catch_response=True, context={}
        ) as response:
            outcome, result = self._outcome(response)
            response.request_meta["context"]["outcome"] = outcome
            if outcome == "ok":
                response.success()
                return result
            response.failure(outcome)
            raise RpcError(outcome)

    @staticmethod
    def _outcome(response):
        status = response.status_code
        if not status:
            return f"connection:{response.error}", None
        if status >= 500:
            return f"http{status}", None
        if status >= 400:
            return f"http{status}", None
        try:
            body = response.json()
        except ValueError:
            return "bad json", None
        if body.get("error"):
            data = body["error"].get("data") or {}
            return f"rpc:{data.get('name') or body['error'].get('message')}", None
        return "ok", body.get("result")

    def call_kw(self, name, model, method, args, kwargs=None):
        return self.call(
            name,
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )


# ------------------------------------------------------------
# Users
# ------------------------------------------------------------


class OrderUser(OdooUser):
    """Order to cash: create, confirm, deliver, invoice, post."""

    fixed_count = PLAN["users"]["order"]
    wait_time = constant(0)

    @task
    def order_to_cash(self):
        try:
            self._order_to_cash()
        except RpcError:
            pass  # recorded; the next loop starts a new order

    def _order_to_cash(self):
        products = self.rng.sample(PLAN["product_ids"], 3)
        order_id = self.call_kw(
            "order: create",
            "sale.order",
            "create",
            [
                {
                    "partner_id": self.rng.choice(PLAN["partner_ids"]),
                    "order_line": [
                        [0, 0, {"product_id": product, "product_uom_qty": 1 + k}]
                        for k, product in enumerate(products)
                    ],
                }
            ],
        )
        self.call_kw("order: confirm", "sale.order", "action_confirm", [[order_id]])
        pickings = self.call_kw(
            "delivery: read",
            "stock.picking",
            "search_read",
            [[["sale_id", "=", order_id], ["state", "not in", ["done", "cancel"]]]],
            {"fields": ["state"]},
        )
        result = self.call_kw(
            "delivery: validate",
            "stock.picking",
            "button_validate",
            [[picking["id"] for picking in pickings]],
        )
        if result is not True:
            # a backorder or other wizard: the stock plan makes none expected
            self.environment.events.request.fire(
                request_type="CHECK",
                name="delivery: validate answered a wizard",
                response_time=0,
                response_length=0,
                exception=RpcError(str(result)[:80]),
                context={"outcome": f"unexpected answer: {str(result)[:80]}"},
            )
            raise RpcError("unexpected answer of button_validate")
        if PLAN["users"]["webhook"]:
            DELIVERED.put(order_id)  # the carrier reports on it
        context = {"active_model": "sale.order", "active_ids": [order_id], "active_id": order_id}
        wizard_id = self.call_kw(
            "invoice: wizard",
            "sale.advance.payment.inv",
            "create",
            [{"advance_payment_method": "delivered"}],
            {"context": context},
        )
        self.call_kw(
            "invoice: create",
            "sale.advance.payment.inv",
            "create_invoices",
            [[wizard_id]],
            {"context": context},
        )
        invoices = self.call_kw(
            "invoice: read",
            "sale.order",
            "read",
            [[order_id], ["invoice_ids"]],
        )
        self.call_kw("invoice: post", "account.move", "action_post", [invoices[0]["invoice_ids"]])


class DashboardUser(OdooUser):
    """A manager's dashboard left open: it refreshes every ``pace`` seconds."""

    fixed_count = PLAN["users"]["dashboard"]
    wait_time = constant_throughput(1.0 / PLAN["pace"]["dashboard_seconds"])

    @task
    def poll(self):
        try:
            self.call_kw(
                "dashboard: get_dashboard_data",
                "workflow.dashboard",
                "get_dashboard_data",
                [{"period_days": 30}],
            )
        except RpcError:
            pass


class ExceptionUser(OdooUser):
    """A person working the exception queue: list, assign to me, resolve."""

    fixed_count = PLAN["users"]["exception"]
    wait_time = constant_throughput(1.0 / PLAN["pace"]["exception_seconds"])

    def on_start(self):
        super().on_start()
        own = PLAN["exceptions"][next(_EXCEPTION_WORKERS) % len(PLAN["exceptions"])]
        self.todo = list(own)

    @task
    def work_one(self):
        if not self.todo:
            return
        exception_id = self.todo.pop(0)
        try:
            self.call_kw(
                "exception: list",
                "workflow.exception",
                "search_read",
                [[["state", "in", ["new", "assigned", "in_progress"]]]],
                {"fields": ["name", "severity", "state", "user_id"], "limit": 80},
            )
            self.call_kw(
                "exception: assign", "workflow.exception", "action_assign_to_me", [[exception_id]]
            )
            self.call_kw(
                "exception: write resolution",
                "workflow.exception",
                "write",
                [[exception_id], {"resolution": "Checked with the carrier (load test)."}],
            )
            self.call_kw(
                "exception: resolve", "workflow.exception", "action_resolve", [[exception_id]]
            )
        except RpcError:
            pass


class WebhookUser(FastHttpUser):
    """A carrier posting signed webhooks: one ``carrier.status`` per delivered order
    (the order users hand them over), every fifth delivery also a ``workflow.exception``
    report (three recurring dedupe keys: occurrences of open exceptions), every tenth a
    re-send of the previous message (same id and body, as a retrying sender)."""

    fixed_count = PLAN["users"]["webhook"]
    wait_time = constant(0)  # paced by the deliveries
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self):
        self.index = next(_LOGINS)
        self.key = signature.secret_key(PLAN["secret"])
        self.sent = itertools.count()
        self.last = None
        _user_started(self.environment)

    @task
    def deliveries(self):
        try:
            order_id = DELIVERED.get(timeout=2)
        except gevent.queue.Empty:
            return
        self.post(
            "webhook: carrier.status",
            {
                "type": "carrier.status",
                "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "data": {
                    "tracking_ref": f"{PLAN['run']}-{order_id}",
                    "status": "in_transit",
                    "res_model": "sale.order",
                    "res_id": order_id,
                },
            },
        )
        n = next(self.sent)
        if n % 5 == 4:
            self.post(
                "webhook: workflow.exception",
                {
                    "type": "workflow.exception",
                    "data": {
                        "category": "integration_failure",
                        "message": "Carrier API answered 503",
                        "severity": "medium",
                        "dedupe_key": f"{PLAN['run']}:carrier-api:{n % 3}",
                    },
                },
            )
        if n % 10 == 9:
            self.post("webhook: re-sent", None)

    def post(self, name, envelope):
        if envelope is None:
            webhook_id, body = self.last
        else:
            webhook_id = f"{PLAN['run']}-{self.index}-{next(_WEBHOOK_IDS)}"
            body = json.dumps(envelope).encode()
            self.last = (webhook_id, body)
        headers = signature.sign_headers(PLAN["secret"], webhook_id, body, key=self.key)
        headers["Content-Type"] = "application/json"
        with self.client.post(
            PLAN["hook_path"],
            data=body,
            headers=headers,
            name=name,
            catch_response=True,
            context={},
        ) as response:
            status = response.status_code
            try:
                answer = response.json().get("status") if status == 200 else None
            except ValueError:
                answer = None
            expected = "duplicate" if envelope is None else "processed"
            outcome = "ok" if status == 200 and answer == expected else f"http{status}:{answer}"
            response.request_meta["context"]["outcome"] = outcome
            if outcome == "ok":
                response.success()
            else:
                response.failure(outcome)
