# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The summary dict returned (and logged) by a run."""

from . import approvals

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
    "tracked",
    "carrier_updates",
    "failed_deliveries",
    "transfers",
    "transfers_late",
    "transfers_received",
    "replenishment_missed",
    "replenishment_duplicated",
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
    by_outcome = approvals.summary(sim)
    if by_outcome is not None:
        result["approvals"] = by_outcome
    return result


# rows of the readable summary: (label, key of the result)
TABLE_ROWS = (
    ("Days simulated", "days"),
    ("Warehouses", "warehouses"),
    ("Sale orders", "orders"),
    ("Deliveries", "deliveries"),
    ("  shipped short (backorder)", "partial"),
    ("  shipped late", "late"),
    ("  carrier updates (webhooks)", "carrier_updates"),
    ("  failed delivery attempts", "failed_deliveries"),
    ("Customer returns", "returns"),
    ("Customer invoices", "invoices"),
    ("  credit notes", "credit_notes"),
    ("Vendor bills", "bills"),
    ("  mismatched", "mismatched"),
    ("Payments", "payments"),
    ("Inter-warehouse transfers", "transfers"),
    ("  received late", "transfers_late"),
    ("Reordering needs missed for days", "replenishment_missed"),
    ("RFQs ordered twice by hand", "replenishment_duplicated"),
)
# approval requests by outcome (with Workflow Monitor Approvals)
APPROVAL_ROWS = (
    ("Approval requests", "requests"),
    ("  approved", "approved"),
    ("    of which delegated", "delegated"),
    ("  rejected", "rejected"),
    ("  escalated (SLA passed)", "escalated"),
    ("  still pending", "pending"),
    ("  outdated (document changed)", "outdated"),
)
TIMING_ROWS = (
    ("Seconds (all)", "seconds"),
    ("Orders per second (daily stream)", "orders_per_second"),
)


def table(result):
    """The result as a two-column text table: the documents created, then the open
    exceptions by category, the approval requests by outcome, then the time taken
    (what ``make demo`` prints)."""
    rows = [(label, result.get(key, 0)) for label, key in TABLE_ROWS]
    exceptions = sorted(result.get("exceptions", {}).items(), key=lambda item: (-item[1], item[0]))
    rows.append(("Open exceptions", sum(count for _code, count in exceptions)))
    rows.extend((f"  {code}", count) for code, count in exceptions)
    if "approvals" in result:
        rows.extend((label, result["approvals"].get(key, 0)) for label, key in APPROVAL_ROWS)
    rows.extend((label, result.get(key, 0)) for label, key in TIMING_ROWS)
    width = max(len(label) for label, _value in rows)
    values = [f"{value:,}" if isinstance(value, int) else f"{value}" for _label, value in rows]
    value_width = max(len(value) for value in values)
    rule = "-" * (width + value_width + 3)
    lines = [rule]
    lines += [
        f"{label.ljust(width)}   {value.rjust(value_width)}"
        for (label, _v), value in zip(rows, values, strict=True)
    ]
    lines.append(rule)
    return "\n".join(lines)
