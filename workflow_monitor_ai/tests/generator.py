# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A labelled data set of realistic distribution exceptions, with noise.

Six categories, each written in several ways (different sentences, references, product
and partner names, warehouses shared by several categories), filler words common to all,
and a share of label noise (an example written like another category but labelled as
its own), as real queues have. Severity follows cues in the text (a customer waiting,
a blocked order, a large amount), also with noise.
"""

import random

from odoo.addons.workflow_monitor_base.tools.severity import SEVERITY_CODES

CATEGORIES = {
    "late_delivery": (
        [
            "Delivery {pick} for {cust} is {n} days late",
            "Carrier {carrier} missed the pickup of {pick}",
            "Outgoing shipment {pick} past its scheduled date {date}",
            "Order {so} of {cust} not shipped yet, promised on {date}",
            "Dispatch of {pick} from {wh} delayed, truck not arrived",
        ],
        [
            "Scheduled {date}, still waiting at {wh}. Carrier {carrier} tracking shows no scan.",
            "The customer asked where the parcel is. Late by {n} days.",
            "Picking ready but not dispatched before the cut-off.",
        ],
    ),
    "stock_shortage": (
        [
            "Not enough stock of {prod} in {wh}: demand {n}, free {m}",
            "Product {prod} out of stock, {n} orders waiting",
            "Replenishment needed for {prod} at {wh}",
            "Free quantity of {prod} below open demand in {wh}",
            "Reservation failed for {prod}: on hand {m}, reserved {n}",
        ],
        [
            "Open demand exceeds free stock. Reorder rule min {m} max {n}.",
            "No incoming receipt planned for {prod} before {date}.",
            "Quants in {wh} cannot cover the confirmed moves.",
        ],
    ),
    "invoice_mismatch": (
        [
            "Vendor bill {bill} price differs from purchase order {po} for {prod}",
            "Invoice {inv} quantity {n} does not match delivered {m}",
            "Bill {bill} amount exceeds the received quantity of {po}",
            "Unit price on bill {bill} is {amt} instead of the agreed price",
            "Customer invoice {inv} bills {n} units, only {m} delivered",
        ],
        [
            "Three-way match failed between order, receipt and bill.",
            "Difference of {amt} EUR on line {prod}. Accounting asked for a credit note.",
            "Billed quantity above received quantity; payment on hold.",
        ],
    ),
    "supplier_delay": (
        [
            "Purchase order {po} from {vendor} past its planned date",
            "RFQ {rfq} sent to {vendor} unanswered for {n} days",
            "Vendor {vendor} confirmed a late receipt for {po}",
            "Receipt of {po} expected {date} has not arrived",
            "{vendor} postponed the delivery of {prod} again",
        ],
        [
            "Supplier lead time is {n} days; planned date {date} passed.",
            "No answer from the vendor to the request for quotation.",
            "Incoming shipment from {vendor} still not received in {wh}.",
        ],
    ),
    "credit_hold": (
        [
            "Customer {cust} over credit limit by {amt}",
            "Order {so} blocked: credit exposure {amt} above limit",
            "Overdue invoices of {cust} exceed the credit allowed",
            "Credit check failed for {cust} on order {so}",
            "Partner {cust} has {n} unpaid invoices, sales order on hold",
        ],
        [
            "Total receivable {amt} EUR, limit lower. Finance must release the order.",
            "Payment terms exceeded by {n} days. Ask for a prepayment.",
            "The credit limit of the partner is reached.",
        ],
    ),
    "integration_failure": (
        [
            "Webhook to {svc} failed with HTTP {code}",
            "n8n workflow {wf} execution failed: timeout",
            "Marketplace {svc} order sync error: {err}",
            "Carrier API {carrier} label request rejected with {code}",
            "Outbound message to {svc} dead after {n} attempts",
        ],
        [
            "Response {code} from the endpoint. Retries exhausted; message moved to dead letters.",
            "Connection reset by peer while posting the payload to {svc}.",
            "Signature check failed on the inbound webhook from {svc}.",
        ],
    ),
}
RES_MODELS = {
    "late_delivery": ["stock.picking", "sale.order"],
    "stock_shortage": ["stock.picking", "product.product", "sale.order"],
    "invoice_mismatch": ["account.move", "purchase.order"],
    "supplier_delay": ["purchase.order", "stock.picking"],
    "credit_hold": ["sale.order", "res.partner"],
    "integration_failure": ["workflow.integration.message", "sale.order"],
}
FILLER = [
    "please check",
    "urgent",
    "again",
    "reported by the team",
    "see attachment",
    "follow up tomorrow",
    "same as last week",
    "FYI",
    "need action",
    "customer waiting",
    "minor",
    "blocked",
]
SLOTS = {
    "pick": lambda r: f"WH/OUT/{r.randint(1, 99999):05d}",
    "so": lambda r: f"S{r.randint(1, 99999):05d}",
    "po": lambda r: f"P{r.randint(1, 99999):05d}",
    "rfq": lambda r: f"P{r.randint(1, 99999):05d}",
    "bill": lambda r: f"BILL/2025/{r.randint(1, 9999):04d}",
    "inv": lambda r: f"INV/2025/{r.randint(1, 9999):04d}",
    "cust": lambda r: r.choice(
        ["Deco Addict", "Azure Interior", "Gemini Furniture", "Lumber Inc", "Ready Mat"]
    ),
    "vendor": lambda r: r.choice(["Wood Corner", "Steel Masters", "Plastic World", "Pack & Co"]),
    "carrier": lambda r: r.choice(["DHL", "UPS", "FedEx", "GLS", "Chronopost"]),
    "prod": lambda r: r.choice(
        ["Office Chair", "Desk Combination", "Cable Management Box", "Large Cabinet", "Drawer"]
    ),
    "wh": lambda r: r.choice(["WH Paris", "WH Lyon", "WH Berlin", "Main Warehouse"]),
    "svc": lambda r: r.choice(["n8n", "Shopify", "Amazon", "ERP bridge", "Sendcloud"]),
    "wf": lambda r: r.choice(["order-export", "label-print", "stock-sync"]),
    "code": lambda r: r.choice(["500", "502", "503", "401", "410", "429"]),
    "err": lambda r: r.choice(["invalid JSON", "rate limited", "unknown SKU", "auth expired"]),
    "n": lambda r: str(r.randint(2, 40)),
    "m": lambda r: str(r.randint(0, 20)),
    "amt": lambda r: f"{r.randint(100, 90000)}.00",
    "date": lambda r: f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
}


def _fill(template, rng):
    return template.format(**{key: slot(rng) for key, slot in SLOTS.items()})


def _severity(text, rng):
    lowered = text.lower()
    if "blocked" in lowered or "dead" in lowered or "http 5" in lowered:
        severity = "critical"
    elif "customer waiting" in lowered or "urgent" in lowered or "late" in lowered:
        severity = "high"
    elif "minor" in lowered or "fyi" in lowered:
        severity = "low"
    else:
        severity = "medium"
    if rng.random() < 0.1:  # people disagree on severity
        severity = rng.choice(SEVERITY_CODES)
    return severity


def generate(per_category=80, seed=7, label_noise=0.06):
    """[(name, description, res_model, category, severity)]"""
    rng = random.Random(seed)
    rows = []
    codes = sorted(CATEGORIES)
    for code in codes:
        for _i in range(per_category):
            written_as = code
            if rng.random() < label_noise:
                written_as = rng.choice([c for c in codes if c != code])
            titles, descriptions = CATEGORIES[written_as]
            name = _fill(rng.choice(titles), rng)
            if rng.random() < 0.5:
                name += " - " + rng.choice(FILLER)
            description = _fill(rng.choice(descriptions), rng)
            if rng.random() < 0.6:
                description += " " + " ".join(rng.sample(FILLER, 2)) + "."
            res_model = rng.choice(RES_MODELS[code] + ["workflow.test.document"])
            rows.append(
                (name, description, res_model, code, _severity(name + " " + description, rng))
            )
    rng.shuffle(rows)
    return rows
