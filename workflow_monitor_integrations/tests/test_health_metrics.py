# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from prometheus_client.parser import text_string_to_metric_families

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SECRET, IntegrationCommon, Receiver


@tagged("post_install", "-at_install")
class TestHealth(IntegrationCommon):
    def test_health_figures_are_grouped(self):
        self.receiver.responses = [204, 204, 204, 500]
        self.queue(4)
        self.deliver()
        self.queue(2)  # waiting
        figures = self.integration._health_figures(self.env.cr.now())
        self.integration._refresh_health()
        integration = self.integration
        self.assertEqual(integration.queue_depth, 3)  # 1 failed (retrying) + 2 pending
        self.assertEqual(integration.success_rate, 75.0)
        self.assertGreater(integration.latency_p95_ms, 0)
        self.assertEqual(integration.consecutive_failures, 1)
        self.assertEqual(integration.state, "degraded")
        self.assertEqual(figures[integration.id][0], 3)

    def test_refresh_is_one_query_for_many_integrations(self):
        integrations = self.integration | self.env["workflow.integration"].create(
            [{"name": f"WM bulk {i}", "url": self.receiver.url} for i in range(5)]
        )
        self.env.flush_all()
        cr = self.env.cr
        start = cr.sql_log_count
        integrations._health_figures(self.env.cr.now())
        self.assertEqual(cr.sql_log_count - start, 1)

    def test_down_raises_one_exception_and_dashboard_shows_it(self):
        self.integration.write({"circuit_threshold": 1, "max_attempts": 5})
        self.receiver.default = 500
        self.queue(3)
        self.deliver()
        self.integration._refresh_health()
        self.env["workflow.integration"]._cron_health()
        self.assertEqual(self.integration.state, "down")
        self.assertEqual(
            len(
                self.open_exceptions(
                    "integration_failure", dedupe_key=f"integration_down:{self.integration.id}"
                )
            ),
            1,
        )
        data = self.env["workflow.dashboard"].with_user(self.workflow_admin).get_dashboard_data({})
        item = next(i for i in data["technical"]["integrations"] if i["id"] == self.integration.id)
        self.assertEqual(item["state"], "down")
        self.assertEqual(item["state_label"], "Down")
        self.assertEqual(item["model"], "workflow.integration")
        self.assertEqual(self.env["workflow.integration"].search(item["domain"]), self.integration)
        self.assertEqual(data["technical"]["integrations"][0]["state"], "down", "worst first")

    def test_secret_is_admin_only(self):
        self.assertEqual(
            self.integration.with_user(self.workflow_admin).signing_secret,
            self.integration.signing_secret,
        )
        integration = self.integration.with_user(self.workflow_manager)
        self.assertEqual(integration.name, "WM Test Receiver")
        with self.assertRaises(AccessError):
            integration.read(["signing_secret"])
        with self.assertRaises(AccessError):
            self.integration.with_user(self.workflow_user).read(["name"])
        message = self.queue()
        with self.assertRaises(AccessError):
            message.with_user(self.workflow_manager).action_replay()
        with self.assertRaises(AccessError):
            message.with_user(self.plain_user).read(["payload"])
        self.assertEqual(message.with_user(self.workflow_manager).state, "pending")

    def test_purge_keeps_dead_letters(self):
        old = self.queue(2)
        old[0].write({"state": "delivered"})
        old[1].write({"state": "dead"})
        self.env.cr.execute(
            "UPDATE workflow_integration_message SET create_date = now() - interval '90 days' "
            "WHERE id = ANY(%s)",
            [old.ids],
        )
        self.Message._purge_old_messages()
        self.assertEqual(old.exists(), old[1])


@tagged("post_install", "-at_install")
class TestMetrics(HttpCase):
    """The scrape read back with prometheus_client's own parser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor.metrics_token", "wm-test-token"
        )
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.stop)
        cls.integration = cls.env["workflow.integration"].create(
            {
                "name": 'WM "metrics"',
                "url": cls.receiver.url,
                "signing_secret": SECRET,
                "max_attempts": 3,
                "circuit_threshold": 10,
            }
        )
        cls.Message = cls.env["workflow.integration.message"]
        cls.label = {"integration": 'WM "metrics"'}

    def queue(self, count):
        return self.Message._queue_outbound(
            [{"integration_id": self.integration.id, "payload": {"n": n}} for n in range(count)]
        )

    def deliver(self):
        self.Message.flush_model()
        self.Message._cron_deliver(batch_size=50, time_budget=30)

    def scrape(self):
        response = self.url_open(
            "/workflow_monitor/metrics", headers={"Authorization": "Bearer wm-test-token"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        return {family.name: family for family in text_string_to_metric_families(response.text)}

    @staticmethod
    def value(families, family, sample=None, **labels):
        """The value of the sample ``sample`` (default: the family's name) whose labels
        include ``labels``; None when there is none."""
        found = [
            s.value
            for s in families[family].samples
            if s.name == (sample or family) and labels.items() <= s.labels.items()
        ]
        return found[0] if found else None

    def test_metrics_needs_the_token(self):
        response = self.url_open("/workflow_monitor/metrics")
        self.assertEqual(response.status_code, 401)
        response = self.url_open(
            "/workflow_monitor/metrics", headers={"Authorization": "Bearer wrong"}
        )
        self.assertEqual(response.status_code, 401)
        self.env["ir.config_parameter"].sudo().set_param("workflow_monitor.metrics_token", "")
        response = self.url_open("/workflow_monitor/metrics", headers={"Authorization": "Bearer "})
        self.assertEqual(response.status_code, 401, "no token configured: closed")

    def test_metrics_prometheus_text(self):
        """One failed attempt (retried later), two deliveries, one message waiting."""
        self.receiver.responses = [500]
        self.queue(3)
        self.deliver()  # a new service: the first request alone, so the 500 is the first
        self.queue(1)
        families = self.scrape()
        kinds = {name: family.type for name, family in families.items()}
        self.assertEqual(kinds["workflow_monitor_integration_deliveries"], "counter")
        self.assertEqual(kinds["workflow_monitor_webhook_latency_seconds"], "histogram")
        label = self.label
        counter = "workflow_monitor_integration_deliveries"
        self.assertEqual(self.value(families, counter, f"{counter}_total", **label), 2)
        failures = "workflow_monitor_integration_failures"
        self.assertEqual(self.value(families, failures, f"{failures}_total", **label), 1)
        dead = "workflow_monitor_integration_dead_letters"
        self.assertEqual(self.value(families, dead, f"{dead}_total", **label), 0)
        self.assertEqual(
            self.value(families, "workflow_monitor_integration_queue_depth", **label), 2
        )
        stored = "workflow_monitor_integration_messages"
        self.assertEqual(self.value(families, stored, direction="out", state="delivered"), 2)
        self.assertEqual(
            self.value(families, "workflow_monitor_integration_max_in_flight", **label), 8
        )
        self.assertEqual(
            self.value(families, "workflow_monitor_integration_up", **label, state="degraded"),
            1,
        )
        histogram = "workflow_monitor_webhook_latency_seconds"
        buckets = [
            (s.labels["le"], s.value)
            for s in families[histogram].samples
            if s.name == f"{histogram}_bucket" and s.labels["integration"] == label["integration"]
        ]
        self.assertEqual(buckets[-1], ("+Inf", 2))
        self.assertEqual(dict(buckets)["10.0"], 2, "loopback answers within 10 s")
        counts = [value for _le, value in buckets]
        self.assertEqual(counts, sorted(counts), "buckets are cumulative")
        self.assertEqual(self.value(families, histogram, f"{histogram}_count", **label), 2)
        self.assertGreater(self.value(families, histogram, f"{histogram}_sum", **label), 0)
        for family in (
            "workflow_monitor_open_exceptions",
            "workflow_monitor_sla_breached_instances",
            "workflow_monitor_cron_lag_seconds",
            "workflow_monitor_cron_failures",
            "workflow_monitor_inbound_refused",
        ):
            self.assertEqual(kinds[family], "gauge", family)
        self.assertIsNotNone(
            self.value(families, "workflow_monitor_open_exceptions", severity="critical")
        )
        delivery_cron = self.env.ref("workflow_monitor_integrations.ir_cron_webhook_delivery")
        self.assertIsNotNone(
            self.value(families, "workflow_monitor_cron_lag_seconds", cron=delivery_cron.cron_name)
        )

    def test_counters_never_go_down_across_the_purge(self):
        """Deliver, scrape, purge the delivered messages, scrape again: every counter and
        histogram sample of the integration is where it was; the stored-messages gauge
        went down. A new delivery counts on from there."""
        self.queue(2)
        self.deliver()
        before = self.samples_of_counters(self.scrape())
        self.assertEqual(before["workflow_monitor_integration_deliveries_total"], 2)
        self.env.cr.execute(
            "UPDATE workflow_integration_message SET create_date = now() - interval '90 days' "
            "WHERE integration_id = %s",
            [self.integration.id],
        )
        self.assertEqual(self.Message._purge_old_messages(), 2)
        families = self.scrape()
        after = self.samples_of_counters(families)
        self.assertEqual(set(after), set(before))
        for key, value in before.items():
            self.assertGreaterEqual(after[key], value, key)
        stored = "workflow_monitor_integration_messages"
        self.assertIsNone(self.value(families, stored, **self.label), "the gauge went down")
        self.queue(1)
        self.deliver()
        again = self.samples_of_counters(self.scrape())
        self.assertEqual(again["workflow_monitor_integration_deliveries_total"], 3)

    def test_dead_letters_and_replay_keep_counting(self):
        self.integration.max_attempts = 1
        self.receiver.default = 500
        message = self.queue(1)
        self.deliver()
        self.assertEqual(message.state, "dead")
        before = self.samples_of_counters(self.scrape())
        self.assertEqual(before["workflow_monitor_integration_dead_letters_total"], 1)
        self.assertEqual(before["workflow_monitor_integration_failures_total"], 1)
        # a replay resets the message's attempts, not the counters
        self.receiver.default = 204
        message.action_replay()
        after = self.samples_of_counters(self.scrape())
        self.assertEqual(after, before)
        self.deliver()
        after = self.samples_of_counters(self.scrape())
        self.assertEqual(after["workflow_monitor_integration_failures_total"], 1)
        self.assertEqual(after["workflow_monitor_integration_deliveries_total"], 1)

    def samples_of_counters(self, families):
        """{sample name (+ le): value} of the counter and histogram samples of the test
        integration."""
        return {
            f"{s.name}{s.labels.get('le', '')}": s.value
            for family in families.values()
            if family.type in ("counter", "histogram")
            for s in family.samples
            if s.labels.get("integration") == self.label["integration"]
        }
