# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Approvals in the simulated company, when Workflow Monitor Approvals is installed
(this module does not depend on it): the SIM approval policies (created once, active),
a daily cycle count by the warehouse user (inventory adjustments), and a daily step in
which the approvers decide the pending requests with known shares (approved, rejected,
delegated to the other approver and decided by them, or left to escalate), followed by
the escalation scheduled action. Without the module every function here does nothing.

Four eyes holds by construction: the approvers are neither the salespeople, the buyer
nor the warehouse user who author the documents (and the engine refuses it anyway).
"""

from collections import Counter

from odoo import Command

from . import purchases, sales

POLICY_MODEL = "workflow.approval.policy"
PREFIX = "SIM"
DISCOUNT_THRESHOLD = 15.0  # % of a line discount above which a sale order needs approval
PURCHASE_THRESHOLD = 1000.0  # purchase total (company currency) needing approval
INVENTORY_THRESHOLD = 100.0  # value of an inventory adjustment needing approval
CYCLE_COUNT_QUANTS = 3  # quants counted a day
REASONS = {
    "discount": "The discount is above what this customer's volume justifies.",
    "credit_limit": "The customer must pay the overdue invoices first.",
    "amount": "Order a smaller quantity: stock is sufficient for the coming weeks.",
    "inventory_adjustment": "Count the location again before adjusting.",
}


def installed(env):
    return POLICY_MODEL in env


def _policy_specs(sim):
    """(name, document model, condition, threshold, scope domain, approver index, SLA
    hours) of the SIM policies; the escalation goes to the other approver."""
    warehouse_ids = sim.master.warehouses.ids
    sale_scope = str([("warehouse_id", "in", warehouse_ids)])
    return (
        (
            f"{PREFIX} Sales discounts above {DISCOUNT_THRESHOLD:g} %",
            "sale.order",
            "discount",
            DISCOUNT_THRESHOLD,
            sale_scope,
            0,
            4.0,
        ),
        (
            f"{PREFIX} Sales over the customer's credit limit",
            "sale.order",
            "credit_limit",
            0.0,
            sale_scope,
            0,
            8.0,
        ),
        (
            f"{PREFIX} Purchases above {PURCHASE_THRESHOLD:,.0f}",
            "purchase.order",
            "amount",
            PURCHASE_THRESHOLD,
            str([("picking_type_id.warehouse_id", "in", warehouse_ids)]),
            1,
            8.0,
        ),
        (
            f"{PREFIX} Inventory adjustments above {INVENTORY_THRESHOLD:g}",
            "stock.quant",
            "inventory_adjustment",
            INVENTORY_THRESHOLD,
            str([("location_id.warehouse_id", "in", warehouse_ids)]),
            1,
            24.0,
        ),
    )


def setup(sim):
    """Create the SIM policies once (their tiers name the approvers, with an SLA and
    the other approver as escalation user); reactivate them when archived."""
    if not installed(sim.env):
        return
    Policy = sim.env[POLICY_MODEL].with_context(active_test=False)
    specs = _policy_specs(sim)
    existing = {p.name: p for p in Policy.search([("name", "in", [s[0] for s in specs])])}
    approvers = sim.master.people.approvers
    vals_list = []
    for name, res_model, condition, threshold, domain, approver, sla in specs:
        policy = existing.get(name)
        if policy:
            if not policy.active or policy.domain != domain:
                policy.write({"active": True, "domain": domain})
            continue
        vals_list.append(
            {
                "name": name,
                "res_model": res_model,
                "condition": condition,
                "threshold": threshold,
                "domain": domain,
                "company_id": sim.master.company.id,
                "description": "Simulated company policy (workflow.simulator).",
                "tier_ids": [
                    Command.create(
                        {
                            "approver_type": "user",
                            "user_ids": [Command.set(approvers[approver].ids)],
                            "sla_hours": sla,
                            "escalate_to_user_id": (approvers - approvers[approver])[:1].id,
                        }
                    )
                ],
            }
        )
    if vals_list:
        Policy.create(vals_list)


def policies(sim):
    if not installed(sim.env):
        return None
    names = [spec[0] for spec in _policy_specs(sim)]
    return sim.env[POLICY_MODEL].with_context(active_test=False).search([("name", "in", names)])


def waiting(sim, records):
    """The records of ``records`` waiting for an approval (the simulator does not press
    their button again: their approval does)."""
    if not records or not installed(sim.env):
        return records.browse()
    requests = sim.env["workflow.approval.request"].search(
        [
            ("res_model", "=", records._name),
            ("res_id", "in", records.ids),
            ("state", "=", "pending"),
        ]
    )
    return records.browse(sorted(set(requests.mapped("res_id")))) & records


# ------------------------------------------------------------
# CYCLE COUNT
# ------------------------------------------------------------


def cycle_count(sim):
    """The warehouse user counts a few quants of the stock locations and applies the
    differences (1-3 units); those above the policy's value wait for an approval."""
    if not installed(sim.env):
        return
    warehouse_user = sim.master.people.warehouse
    quants = sim.env["stock.quant"].search(
        [
            ("location_id", "in", sim.master.warehouses.lot_stock_id.ids),
            ("product_id", "in", sim.master.products.ids),
            ("quantity", ">", 3),
        ],
        order="id",
    )
    quants -= waiting(sim, quants)
    if not quants:
        return
    counted = quants.browse(
        sorted(q.id for q in sim.rng.sample(list(quants), min(CYCLE_COUNT_QUANTS, len(quants))))
    ).with_user(warehouse_user)
    counting = counted.with_context(inventory_mode=True)
    for quant in counting:
        delta = sim.rng.choice((-3, -2, -1, 1, 2))
        quantity = max(quant.reserved_quantity, quant.quantity + delta)
        quant.write({"inventory_quantity": quantity, "inventory_quantity_set": True})
    counting.action_apply_inventory()
    sim.counts["cycle_counts"] += len(counted)
    _stamp_adjustments(sim)


def _stamp_adjustments(sim):
    """Odoo dates the inventory moves at the server's time: the step's time instead."""
    moves = sim.env["stock.move"].search(
        [
            ("is_inventory", "=", True),
            ("state", "=", "done"),
            ("product_id", "in", sim.master.products.ids),
            ("date", ">", sim.now),
        ]
    )
    if moves:
        moves = moves.with_user(sim.master.people.warehouse).sudo()
        moves.write({"date": sim.now})
        moves.move_line_ids.write({"date": sim.now})
        sim.counts["adjustments"] += len(moves)


# ------------------------------------------------------------
# DECISIONS
# ------------------------------------------------------------


def _outcome(sim):
    """The outcome of the next document: the one furthest behind its share so far
    (approved: the rest), so the shares hold from the first few documents on, the
    same for a given stream."""
    shares = sim.shares
    targets = {
        "rejected": shares.approval_reject_share,
        "delegated": shares.approval_delegate_share,
        "escalated": shares.approval_escalate_share,
    }
    targets["approved"] = max(0.0, 1.0 - sum(targets.values()))
    assigned = Counter(sim.plans.approval_outcome.values())
    total = len(sim.plans.approval_outcome) + 1
    return max(targets, key=lambda outcome: targets[outcome] * total - assigned[outcome])


def decide(sim):
    """The approvers decide the requests of the SIM policies pending since before now:
    one outcome per document (drawn when first seen), then the documents an approval
    confirmed get a direct confirmation's bookkeeping, the rejected ones are cancelled
    by their author, and the escalation scheduled action runs."""
    if not installed(sim.env):
        return
    Request = sim.env["workflow.approval.request"]
    pending = Request.search(
        [
            ("policy_id", "in", policies(sim).ids),
            ("state", "=", "pending"),
            ("requested_at", "<", sim.now),
        ],
        order="id",
    )
    plans = sim.plans.approval_outcome
    decided = {"sale.order": set(), "purchase.order": set(), "stock.quant": set()}
    rejected = {key: set() for key in decided}
    for request in pending:
        key = (request.res_model, request.res_id)
        if key not in plans:
            plans[key] = _outcome(sim)
        outcome = plans[key]
        if outcome == "escalated" or request.res_model not in decided:
            continue
        _decide(sim, request, outcome)
        (rejected if outcome == "rejected" else decided)[request.res_model].add(request.res_id)
    _after_decisions(sim, decided, rejected)
    Request._cron_escalate()


def _decide(sim, request, outcome):
    approvers = sim.master.people.approvers
    approver = (request.tier_approver_ids & approvers)[:1] or approvers[:1]
    mine = request.with_user(approver)
    if outcome == "rejected":
        mine.action_reject(REASONS.get(request.condition, "Not justified."))
    elif outcome == "delegated":
        substitute = approvers - approver
        mine.action_delegate(substitute, "Out of the office today: please decide.")
        request.with_user(substitute).action_approve("Approved on behalf of a colleague.")
    else:
        mine.action_approve()
    sim.counts[f"approvals_{outcome}"] += 1


def _after_decisions(sim, decided, rejected):
    env = sim.env
    orders = env["sale.order"].browse(sorted(decided["sale.order"]))
    sales.confirmed(sim, orders.filtered(lambda o: o.state == "sale"))
    buys = env["purchase.order"].browse(sorted(decided["purchase.order"]))
    purchases.confirmed(sim, buys.filtered(lambda po: po.state in ("purchase", "done")))
    if decided["stock.quant"]:
        _stamp_adjustments(sim)
    lost = env["sale.order"].browse(sorted(rejected["sale.order"]))
    for order in lost.filtered(lambda o: o.state in ("draft", "sent")):
        order.with_user(order.user_id).with_context(disable_cancel_warning=True).action_cancel()
    refused = env["purchase.order"].browse(sorted(rejected["purchase.order"]))
    refused = refused.filtered(lambda po: po.state in ("draft", "sent"))
    if refused:
        refused.with_user(sim.master.people.buyer).button_cancel()
    counts = env["stock.quant"].browse(sorted(rejected["stock.quant"])).exists()
    if counts:
        counts.with_user(sim.master.people.warehouse).with_context(
            inventory_mode=True
        ).action_clear_inventory_quantity()


# ------------------------------------------------------------
# SUMMARY
# ------------------------------------------------------------


def summary(sim):
    """Requests of the SIM policies by outcome (``None`` without the module)."""
    records = policies(sim)
    if records is None:
        return None
    requests = sim.env["workflow.approval.request"].search([("policy_id", "in", records.ids)])
    delegated = sim.env["workflow.approval.decision"].search(
        [("request_id", "in", requests.ids), ("decision", "=", "delegated")]
    )
    manual = requests.filtered(lambda r: not r.auto_approved)
    return {
        "requests": len(requests),
        "approved": len(manual.filtered(lambda r: r.state == "approved")),
        "delegated": len(delegated.request_id),
        "rejected": len(requests.filtered(lambda r: r.state == "rejected")),
        "escalated": len(requests.filtered("escalated")),
        "pending": len(requests.filtered(lambda r: r.state == "pending")),
        "outdated": len(requests.filtered(lambda r: r.state == "cancelled")),
        "auto_approved": len(requests.filtered("auto_approved")),
    }
