# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Prometheus text exposition format (version 0.0.4), written family by family.

No Odoo import: ``workflow_integration_metrics.py`` gathers the figures with grouped
queries and writes them here.
"""

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def label_value(value):
    """A label value escaped as the format asks (backslash, newline, double quote)."""
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Exposition:
    """The lines of one scrape: ``family()`` opens a metric family (HELP and TYPE),
    ``sample()`` adds one line to it."""

    def __init__(self):
        self.lines = []

    def family(self, name, kind, help_text):
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name, value, **labels):
        """One sample; labels keep their order, values are escaped."""
        if labels:
            pairs = ",".join(f'{key}="{label_value(item)}"' for key, item in labels.items())
            name = f"{name}{{{pairs}}}"
        self.lines.append(f"{name} {value}")

    def text(self):
        return "\n".join(self.lines) + "\n"
