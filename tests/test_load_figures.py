# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The figures of the load test (bench/load.py, ``make load``) from its samples: the
measured window, throughput and p95 per request type, the ratios to vanilla on the
request types both runs have, the webhook counts the integrity checks compare with the
database, and the targets. The load itself takes minutes and runs in ``make load``; this
checks its arithmetic on samples whose figures are known."""

import importlib.util
import sys
import unittest
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_module():
    """bench/load.py under a name of its own (it imports bench/_common.py)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("wm_bench_load", BENCH / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def samples(name, count, duration_ms, start=1000.0, step=0.5, outcome="ok"):
    return [[name, start + i * step, duration_ms, outcome] for i in range(count)]


class TestLoadFigures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load = load_module()

    def test_window_keeps_requests_started_and_ended_inside(self):
        rows = [
            ["a", 999.0, 100.0, "ok"],  # started before the window
            ["a", 1000.0, 100.0, "ok"],
            ["a", 1059.0, 900.0, "ok"],
            ["a", 1059.5, 900.0, "ok"],  # ended after it
        ]
        kept = self.load.measured(rows, {"begin": 1000.0, "end": 1060.0})
        self.assertEqual([row[1] for row in kept], [1000.0, 1059.0])

    def test_per_type_throughput_p95_and_failures(self):
        rows = samples("order: confirm", 94, 100.0) + samples("order: confirm", 6, 900.0)
        rows += samples("order: create", 10, 50.0, outcome="http502")
        rows += samples("order: create", 2, 50.0, outcome="rpc:odoo.exceptions.UserError")
        table = self.load.per_type(rows, 10)
        confirm, create = table["order: confirm"], table["order: create"]
        self.assertEqual((confirm["requests"], confirm["failed"]), (100, 0))
        self.assertAlmostEqual(confirm["per_second"], 10.0)
        self.assertEqual(confirm["p95_ms"], 900.0)  # the 95th of 100 sorted durations
        self.assertEqual(confirm["p50_ms"], 100.0)
        self.assertEqual((create["failed"], create["http_5xx"]), (12, 10))

    def test_ratios_only_on_request_types_of_both(self):
        suite = samples("order: confirm", 9, 110.0) + samples("invoice: post", 9, 100.0)
        suite += samples("webhook: carrier.status", 50, 20.0) + samples("login", 4, 900.0)
        vanilla = samples("order: confirm", 10, 100.0) + samples("invoice: post", 10, 100.0)
        vanilla += samples("login", 4, 800.0)
        runs = {"suite": suite, "vanilla": vanilla}
        figures = self.load.summary(runs, 10)
        versus = figures["versus_vanilla"]["suite"]
        self.assertEqual(versus["shared_types"], ["invoice: post", "order: confirm"])
        self.assertAlmostEqual(versus["order_ratio"], 0.9)
        self.assertAlmostEqual(versus["rate_ratio"], 0.9)
        self.assertAlmostEqual(versus["ratios"]["order: confirm"]["p95"], 1.1)
        self.assertEqual(versus["worst_type"], "order: confirm")
        self.assertAlmostEqual(versus["p95_ratio"], 1.1)
        checks = {check["name"]: check for check in self.load.load_checks(figures, [])}
        self.assertTrue(checks["orders/s suite/vanilla (order to cash completed)"]["pass"])
        self.assertTrue(checks["p95 suite/vanilla (all requests of both types)"]["pass"])
        self.assertEqual(checks["failed requests (every run)"]["value"], 0)

    def test_a_missed_target_and_an_integrity_count_fail(self):
        runs = {
            "suite": samples("invoice: post", 8, 200.0),
            "vanilla": samples("invoice: post", 10, 100.0),
        }
        figures = self.load.summary(runs, 10)
        integrity = [
            ({"duplicated open exceptions": 1}, {}),
            ({"duplicated open exceptions": 0}, {}),
        ]
        checks = {check["name"]: check for check in self.load.load_checks(figures, integrity)}
        self.assertFalse(checks["orders/s suite/vanilla (order to cash completed)"]["pass"])
        self.assertFalse(checks["p95 suite/vanilla (all requests of both types)"]["pass"])
        self.assertEqual(checks["duplicated open exceptions"]["value"], 1)
        self.assertFalse(checks["duplicated open exceptions"]["pass"])

    def test_rounds_pooled_and_compared_alone(self):
        rounds = [
            {
                "suite": samples("invoice: post", 9, 100.0),
                "vanilla": samples("invoice: post", 10, 100.0),
            },
            {
                "suite": samples("invoice: post", 2, 300.0),
                "vanilla": samples("invoice: post", 4, 100.0),
            },
        ]
        self.assertEqual(len(self.load.pooled(rounds)["suite"]), 11)
        ratios = self.load.per_round(rounds, 10)
        self.assertAlmostEqual(ratios[0]["suite"]["order_ratio"], 0.9)
        self.assertAlmostEqual(ratios[1]["suite"]["order_ratio"], 0.5)
        self.assertAlmostEqual(ratios[1]["suite"]["p95_ratio"], 3.0)

    def test_webhooks_sent_are_counted_over_the_whole_run(self):
        rows = samples("webhook: carrier.status", 10, 5.0)
        rows += samples("webhook: workflow.exception", 3, 5.0)
        rows += samples("webhook: re-sent", 2, 5.0)
        rows += samples("webhook: carrier.status", 1, 5.0, outcome="http503:None")
        rows += samples("order: create", 4, 5.0)
        self.assertEqual(self.load.sent_webhooks(rows), {"new": 13, "resent": 2, "exception": 3})
