# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The summary dict returned (and logged) by a run."""

ALWAYS = (
    "orders",
    "deliveries",
    "partial",
    "late",
    "bills",
    "mismatched",
    "invoices",
    "payments",
    "returns",
    "credit_notes",
)


def build(sim, stream_seconds, seconds):
    """Counters of the stream (``ALWAYS`` ones even when zero), open exceptions by
    category code, and timings (``orders_per_second``: the daily stream only, master
    data is created once)."""
    exceptions = (
        sim.env["workflow.exception"]
        .sudo()
        ._read_group([("state", "not in", ("resolved", "dismissed"))], ["category_id"], ["__count"])
    )
    result = dict(sim.counts)
    result.update(
        {
            "days": sim.settings.days,
            "orders_per_day": sim.settings.orders_per_day,
            "warehouses": len(sim.master.warehouses),
            "exceptions": {category.code: count for category, count in exceptions},
            "seconds": round(seconds, 1),
            "stream_seconds": round(stream_seconds, 1),
            "step_seconds": {k: round(v, 1) for k, v in sorted(sim.timings.items())},
            "orders_per_second": round(sim.counts["orders"] / stream_seconds, 2)
            if stream_seconds
            else 0.0,
        }
    )
    for key in ALWAYS:
        result.setdefault(key, 0)
    return result
