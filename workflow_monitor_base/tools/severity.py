# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The four severities of the suite, in rising order: one list for every field, rank
and default (exceptions, categories, SLA policies, routes, AI suggestions, metrics)."""

SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]
SEVERITY_CODES = tuple(code for code, _label in SEVERITIES)
SEVERITY_RANK = {code: rank for rank, code in enumerate(SEVERITY_CODES, start=1)}
# response time of a severity when neither the category nor the Settings give one
DEFAULT_RESPONSE_HOURS = {"low": 72.0, "medium": 24.0, "high": 8.0, "critical": 2.0}
# kanban colours of Odoo's palette (1 red, 2 orange, 3 yellow, 10 green)
SEVERITY_COLORS = {"low": 10, "medium": 3, "high": 2, "critical": 1}
