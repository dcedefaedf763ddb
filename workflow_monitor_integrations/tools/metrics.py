# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The Prometheus exposition of ``/workflow_monitor/metrics`` through prometheus_client.

No Odoo import: ``workflow_integration_metrics.py`` builds the metric families
(prometheus_client's ``CounterMetricFamily``, ``GaugeMetricFamily``,
``HistogramMetricFamily``) from grouped queries; this file hands them to a registry of
their own, once per scrape, and prometheus_client writes the text format. No process-wide
registry is used: each scrape reads the database of its request.
"""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

CONTENT_TYPE = CONTENT_TYPE_LATEST


class SuiteCollector(Collector):
    """A collector whose families come from ``gather()``, called once per collection."""

    def __init__(self, gather):
        self._gather = gather

    def collect(self):
        yield from self._gather()


def exposition(gather):
    """The exposition text (bytes) of the families ``gather()`` returns. The registry
    does not describe the collector on registration (``auto_describe=False``), so the
    queries behind ``gather`` run once."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SuiteCollector(gather))
    return generate_latest(registry)


def bucket_bound(seconds):
    """A histogram bound written the way prometheus_client writes its own (``0.05``,
    ``1.0``, ``+Inf``)."""
    return floatToGoString(seconds)
