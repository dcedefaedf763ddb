# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The Grafana dashboard of examples/grafana/ is built on the metrics the suite really
exposes: every metric an expression (or a template variable) names exists in a scrape of
``/workflow_monitor/metrics`` read back with prometheus_client's parser, and every label
an expression matches on or groups by is a label of that metric. Panels and variables
query the dashboard's data source variable, so the dashboard imports into any Grafana."""

import json
import os
import re

from prometheus_client.parser import text_string_to_metric_families

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.workflow_monitor_integrations.tests.common import SECRET, Receiver

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DASHBOARD = os.path.join(REPO, "examples", "grafana", "workflow_monitor.json")
TOKEN = "wm-grafana-metrics-token"
METRIC = re.compile(r"\b(workflow_monitor_[a-z0-9_]+)\b")
SELECTOR = re.compile(r"\b(workflow_monitor_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


def expressions(dashboard):
    """(where, PromQL) of every panel target and query variable of the dashboard."""
    found = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                found.append((panel["title"], target["expr"]))
            walk(panel.get("panels", []))

    walk(dashboard["panels"])
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            found.append((variable["name"], query["query"] if isinstance(query, dict) else query))
    return found


@tagged("post_install", "-at_install")
class TestGrafanaDashboard(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("workflow_monitor.metrics_token", TOKEN)
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.stop)
        with open(DASHBOARD) as handle:
            cls.dashboard = json.load(handle)

    def scrape(self):
        """{sample or family name: label names} of one scrape, after a delivery and a
        refused request (so that every family has samples)."""
        integration = self.env["workflow.integration"].create(
            {"name": "WM grafana", "url": self.receiver.url, "signing_secret": SECRET}
        )
        self.env["workflow.integration.refusal"].create(
            {
                "integration_id": integration.id,
                "reason": "bad_signature",
                "bucket_start": fields.Datetime.now().replace(minute=0, second=0),
                "count": 3,
            }
        )
        Message = self.env["workflow.integration.message"]
        Message._queue_outbound([{"integration_id": integration.id, "payload": {"n": 1}}])
        Message.flush_model()
        Message._cron_deliver(batch_size=10, time_budget=30)
        response = self.url_open(
            "/workflow_monitor/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        self.assertEqual(response.status_code, 200)
        names = {}
        for family in text_string_to_metric_families(response.text):
            labels = set().union(*(sample.labels for sample in family.samples))
            for name in (family.name, *(family.name + s for s in SUFFIXES.get(family.type, ()))):
                names.setdefault(name, set()).update(labels)
            for sample in family.samples:
                names.setdefault(sample.name, set()).update(sample.labels)
        return names

    def test_every_expression_uses_scraped_metrics_and_labels(self):
        exposed = self.scrape()
        found = expressions(self.dashboard)
        self.assertGreater(len(found), 15)
        used = set()
        for where, expr in found:
            metrics = METRIC.findall(expr)
            self.assertTrue(metrics, f"{where}: {expr} names no suite metric")
            for metric in metrics:
                self.assertIn(metric, exposed, f"{where}: {metric} is not in the scrape")
                used.add(metric)
            for metric, matchers in SELECTOR.findall(expr):
                for label in MATCHER.findall(matchers):
                    self.assertIn(label, exposed[metric], f"{where}: {metric} has no {label}")
            for grouping in GROUPING.findall(expr):
                labels = {label.strip() for label in grouping.split(",") if label.strip()}
                owners = set().union(*(exposed[metric] for metric in metrics))
                self.assertLessEqual(labels, owners, f"{where}: grouped by {labels}")
        for family in (
            "workflow_monitor_integration_deliveries_total",
            "workflow_monitor_integration_failures_total",
            "workflow_monitor_integration_dead_letters_total",
            "workflow_monitor_integration_queue_depth",
            "workflow_monitor_webhook_latency_seconds_bucket",
            "workflow_monitor_open_exceptions",
            "workflow_monitor_sla_breached_instances",
            "workflow_monitor_cron_lag_seconds",
            "workflow_monitor_inbound_refused",
        ):
            self.assertIn(family, used, f"the dashboard shows {family}")

    def test_panels_query_the_datasource_variable(self):
        variables = {v["name"]: v for v in self.dashboard["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        datasource = {"type": "prometheus", "uid": "${datasource}"}
        self.assertEqual(variables["integration"]["datasource"], datasource)
        for panel in self.dashboard["panels"]:
            if panel["type"] == "row":
                continue
            self.assertEqual(panel["datasource"], datasource, panel["title"])
            for target in panel["targets"]:
                self.assertEqual(target["datasource"], datasource, panel["title"])
        ids = [panel["id"] for panel in self.dashboard["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
