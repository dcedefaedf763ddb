# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..models.workflow_integration_message import RETRY_SCHEDULE, message_body, retry_delay
from .common import SECRET, IntegrationCommon, independent_signature


@tagged("post_install", "-at_install")
class TestDelivery(IntegrationCommon):
    def test_delivery_signed_and_verifiable(self):
        messages = self.queue(3)
        self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"delivered"})
        self.assertEqual(len(self.receiver.requests), 3)
        # messages of no document are sent concurrently: pair the requests by webhook-id
        by_id = {request["headers"]["webhook-id"]: request for request in self.receiver.requests}
        self.assertEqual(set(by_id), set(messages.mapped("webhook_id")))
        for message in messages:
            request = by_id[message.webhook_id]
            headers = request["headers"]
            self.assertEqual(headers["content-type"], "application/json")
            self.assertEqual(
                headers["webhook-signature"],
                independent_signature(
                    SECRET, headers["webhook-id"], headers["webhook-timestamp"], request["body"]
                ),
            )
            self.assertEqual(json.loads(request["body"]), message.payload)
            self.assertEqual(request["body"], message_body(message.payload))
        message = messages[0]
        self.assertEqual(message.attempts, 1)
        self.assertEqual(message.last_http_status, 204)
        self.assertTrue(message.delivered_at)
        self.assertGreater(message.latency_ms, 0)
        self.assertEqual(self.integration.consecutive_failures, 0)
        self.assertTrue(self.integration.last_success_at)
        self.assertEqual(self.integration.state, "healthy")

    def test_retry_on_500_with_schedule_and_jitter(self):
        message = self.queue()
        self.receiver.responses = [500]
        before = fields.Datetime.now()
        self.deliver()
        self.assertEqual(message.state, "failed")
        self.assertEqual((message.attempts, message.last_http_status), (1, 500))
        self.assertIn("HTTP 500", message.last_error)
        delay = (message.next_attempt_at - before).total_seconds()
        self.assertTrue(3 <= delay <= 7, f"first retry after 5 s +/- 20 %, got {delay}")
        self.deliver()
        self.assertEqual(message.attempts, 1, "not due yet: not sent again")
        self.make_due(message)
        self.deliver()
        self.assertEqual((message.state, message.attempts), ("delivered", 2))
        self.assertEqual(self.receiver.webhook_ids(), [message.webhook_id] * 2)

    def test_retry_schedule(self):
        self.assertEqual(RETRY_SCHEDULE, (5, 300, 1800, 7200, 18000, 36000, 86400))
        for attempts, base in enumerate(RETRY_SCHEDULE, start=1):
            delays = {retry_delay(attempts) for _i in range(20)}
            self.assertTrue(all(base * 0.8 <= d <= base * 1.2 for d in delays))
            self.assertGreater(len(delays), 1, "jitter spreads retries")
        self.assertTrue(86400 * 0.8 <= retry_delay(12) <= 86400 * 1.2)

    def test_timeout_is_a_failure(self):
        # Odoo's test harness raises request timeouts below 10 s to 10 s
        self.integration.timeout_seconds = 10
        self.receiver.delay = 10.5
        message = self.queue()
        self.deliver()
        self.assertEqual(message.state, "failed")
        self.assertFalse(message.last_http_status)
        self.assertIn("Timeout", message.last_error)
        self.receiver.delay = 0
        self.make_due(message)
        self.deliver()
        self.assertEqual(message.state, "delivered")

    def test_410_disables_route(self):
        route = self.make_route(event_type="custom", name="Gone route")
        first, second = self.queue(2, route_id=route.id)
        self.receiver.responses = [410]
        self.deliver(batch_size=1)
        self.assertEqual(first.state, "dead")
        self.assertEqual(first.last_http_status, 410)
        self.assertFalse(route.active)
        self.assertEqual(second.state, "dead", "queued messages of the route stop too")
        self.assertIn("410", second.last_error)
        self.assertEqual(len(self.receiver.requests), 1)
        exception = self.open_exceptions(
            "integration_failure", dedupe_key=f"integration_route_gone:{route.id}"
        )
        self.assertEqual(len(exception), 1)
        # no new message for a disabled route
        self.env["workflow.event"]._log_events([{"event_type": "custom"}])
        self.assertFalse(
            self.Message.search([("route_id", "=", route.id), ("state", "=", "pending")])
        )

    def test_dead_letter_raises_integration_failure_and_replay_keeps_id(self):
        self.receiver.default = 503
        self.integration.circuit_threshold = 100
        messages = self.queue(2)
        for _attempt in range(3):  # max_attempts = 3
            self.make_due(messages.filtered(lambda m: m.state == "failed"))
            self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"dead"})
        self.assertEqual(set(messages.mapped("attempts")), {3})
        exception = self.open_exceptions(
            "integration_failure", dedupe_key=f"integration_dead:{self.integration.id}"
        )
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(exception.team_id, self.env.ref("workflow_monitor_base.team_technical"))
        ids_before = messages.mapped("webhook_id")
        self.receiver.default = 200
        self.receiver.requests.clear()
        messages.with_user(self.workflow_admin).action_replay()
        self.assertEqual(set(messages.mapped("state")), {"pending"})
        self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"delivered"})
        self.assertEqual(sorted(self.receiver.webhook_ids()), sorted(ids_before))
        self.assertEqual(messages.mapped("webhook_id"), ids_before)

    def test_circuit_breaker_pauses_and_probes(self):
        self.integration.write({"circuit_threshold": 2, "max_attempts": 8})
        self.receiver.default = 500
        messages = self.queue(5)
        self.deliver()
        self.assertEqual(len(self.receiver.requests), 2, "stops after 2 failures in a row")
        self.assertEqual(self.integration.consecutive_failures, 2)
        self.assertTrue(self.integration.circuit_open_until)
        self.assertEqual(self.integration.state, "down")
        self.assertEqual(
            len(messages.filtered(lambda m: m.attempts == 0 and m.state == "pending")), 3
        )
        down = self.open_exceptions(
            "integration_failure", dedupe_key=f"integration_down:{self.integration.id}"
        )
        self.assertEqual(len(down), 1)
        self.assertEqual(down.severity, "critical")
        self.make_due(messages)
        self.deliver()
        self.assertEqual(len(self.receiver.requests), 2, "circuit open: nothing sent")
        # cool-down over: one probe, which fails -> open again with a doubled cool-down
        self.integration.circuit_open_until = fields.Datetime.now() - timedelta(seconds=1)
        self.deliver()
        self.assertEqual(len(self.receiver.requests), 3)
        self.assertEqual(self.integration.circuit_trips, 2)
        cooldown = (self.integration.circuit_open_until - fields.Datetime.now()).total_seconds()
        self.assertTrue(100 < cooldown <= 120, cooldown)
        # the service is back: the probe succeeds, the circuit closes, the rest flows
        self.receiver.default = 204
        self.integration.circuit_open_until = fields.Datetime.now() - timedelta(seconds=1)
        self.make_due(messages)
        self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"delivered"})
        self.assertEqual(self.integration.consecutive_failures, 0)
        self.assertEqual(self.integration.state, "healthy")
        self.assertEqual(down.state, "resolved")

    def test_paused_integration_keeps_messages(self):
        message = self.queue()
        self.integration.action_pause()
        self.deliver()
        self.assertEqual(message.state, "pending")
        self.assertFalse(self.receiver.requests)
        self.integration.action_resume()
        self.deliver()
        self.assertEqual(message.state, "delivered")

    def test_expired_lease_is_sent_again(self):
        message = self.queue()
        message.write(
            {
                "state": "sending",
                "lease_until": fields.Datetime.now() - timedelta(seconds=1),
            }
        )
        fresh = self.queue()
        fresh.write(
            {"state": "sending", "lease_until": fields.Datetime.now() + timedelta(minutes=5)}
        )
        self.deliver()
        self.assertEqual(message.state, "delivered")
        self.assertEqual(fresh.state, "sending", "a live lease is left alone")
        self.assertEqual(self.receiver.webhook_ids(), [message.webhook_id])

    def test_trigger_after_commit_and_next_retry(self):
        cron = self.env.ref("workflow_monitor_integrations.ir_cron_webhook_delivery")
        Trigger = self.env["ir.cron.trigger"]
        self.env.cr.postcommit.clear()
        self.queue(2)
        self.assertTrue(self.env.cr.postcommit.data.get("workflow_webhook_trigger"))
        self.assertEqual(len(self.env.cr.postcommit._funcs), 1, "one trigger per transaction")
        self.env.cr.postcommit.clear()
        self.receiver.responses = [500]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        self.deliver()
        triggers = Trigger.search([("cron_id", "=", cron.id)], order="id desc")
        self.assertEqual(len(triggers), before + 1, "a trigger for the first retry")
        self.assertGreater(triggers[0].call_at, fields.Datetime.now())

    def test_send_test_ping(self):
        self.integration.action_send_test()
        self.deliver()
        self.assertEqual(self.receiver.json_bodies()[0]["type"], "ping")

    def test_delivery_queries_do_not_grow_with_the_batch(self):
        self.queue(2)
        self.deliver()  # warm caches and sessions
        cr = self.env.cr

        def measure(count):
            self.queue(count)
            self.env.flush_all()
            start = cr.sql_log_count
            self.deliver(batch_size=500)
            return cr.sql_log_count - start

        few, many = measure(5), measure(100)
        self.assertLessEqual(many, few + 2, (few, many))
        self.assertEqual(len(self.receiver.requests), 107)

    def test_delivery_batch_statement_budget(self):
        """SQL statements of one delivery batch and of one delivery job call, on success
        and on failure: never more than measured before the delivery code was split
        (issue 15), whatever the batch size."""
        self.queue(2)
        self.deliver()  # warm caches and sessions
        Message = self.Message
        cr = self.env.cr

        def count(run, size, status=204):
            self.receiver.default = status
            self.queue(size)
            self.env.flush_all()
            start = cr.sql_log_count
            run()
            self.env.flush_all()  # writes the ORM defers are statements of the batch too
            return cr.sql_log_count - start

        figures = {
            "batch_ok": count(lambda: Message._deliver_batch(500), 20),
            "batch_failed": count(lambda: Message._deliver_batch(500), 3, status=500),
            "job_ok": count(lambda: self.deliver(batch_size=500), 20),
        }
        budget = {"batch_ok": 4, "batch_failed": 8, "job_ok": 17}
        for name, statements in figures.items():
            self.assertLessEqual(statements, budget[name], (name, figures))

    def test_delivery_keeps_the_registry_caches(self):
        """Breaker counters and health figures are runtime state: a failing batch (which
        opens the circuit and refreshes the health) leaves the cached route specs of
        every worker alone, while a configuration change clears them."""
        Route = self.env["workflow.integration.route"]
        route = self.make_route(event_type="custom")
        self.integration.write({"circuit_threshold": 1})
        self.receiver.default = 500
        self.queue(2)
        self.env.flush_all()
        self.assertIn(route.id, [spec.id for spec in Route._active_route_specs()])
        cr = self.env.cr
        self.deliver()
        self.assertTrue(self.integration.circuit_open_until, "the batch opened the circuit")
        self.assertEqual(self.integration.state, "down")
        start = cr.sql_log_count
        Route._active_route_specs()
        self.assertEqual(cr.sql_log_count - start, 0, "delivery cleared the registry caches")
        self.integration.write({"active": False})
        self.assertNotIn(route.id, [spec.id for spec in Route._active_route_specs()])
