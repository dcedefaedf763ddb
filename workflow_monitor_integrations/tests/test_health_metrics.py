# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import IntegrationCommon


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
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor.metrics_token", "wm-test-token"
        )
        integration = cls.env["workflow.integration"].create(
            {"name": 'WM "metrics"', "url": "http://127.0.0.1:9/none"}
        )
        cls.env["workflow.integration.message"].create(
            [
                {"integration_id": integration.id, "payload": {"n": 1}},
                {
                    "integration_id": integration.id,
                    "payload": {"n": 2},
                    "state": "delivered",
                    "attempts": 2,
                    "latency_ms": 120.0,
                },
            ]
        )

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
        response = self.url_open(
            "/workflow_monitor/metrics", headers={"Authorization": "Bearer wm-test-token"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        text = response.text
        name = 'integration="WM \\"metrics\\""'
        self.assertIn(f"workflow_monitor_integration_queue_depth{{{name}}} 1", text)
        self.assertIn(f"workflow_monitor_integration_deliveries_total{{{name}}} 1", text)
        self.assertIn(f"workflow_monitor_integration_failures_total{{{name}}} 1", text)
        self.assertIn(
            f'workflow_monitor_webhook_latency_seconds_bucket{{{name},le="0.25"}} 1', text
        )
        self.assertIn(f'workflow_monitor_webhook_latency_seconds_bucket{{{name},le="0.1"}} 0', text)
        self.assertIn(f"workflow_monitor_webhook_latency_seconds_count{{{name}}} 1", text)
        for family in (
            "workflow_monitor_open_exceptions",
            "workflow_monitor_sla_breached_instances",
            "workflow_monitor_cron_lag_seconds",
            "workflow_monitor_cron_failures",
            "workflow_monitor_integration_up",
        ):
            self.assertIn(f"# TYPE {family} ", text)
        self.assertIn('workflow_monitor_open_exceptions{severity="critical"}', text)
        for line in text.splitlines():
            if line and not line.startswith("#"):
                metric, value = line.rsplit(" ", 1)
                float(value)  # every sample has a numeric value
