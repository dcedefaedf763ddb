# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Order to cash, sales side: the order stream, confirmations, quotation follow-up
and customer cancellations. The salesperson of the customer creates and confirms the
orders (``users.py``)."""

from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from odoo import Command

from . import approvals, replenishment
from .catalogue import (
    DIFFICULT_CUSTOMER_EVERY,
    DIFFICULT_CUSTOMER_FACTOR,
    LATE_FACTORS,
    OTHER_CUSTOMER_FACTOR,
)


class QuotationPlan(NamedTuple):
    day: object  # date of the customer's answer
    outcome: str  # "confirm", "cancel" or "stale"


def customer_orders(sim, domain):
    return sim.env["sale.order"].search(
        [("partner_id", "in", sim.master.customers.ids), *domain], order="id"
    )


def sell(sim, count):
    """Create ``count`` orders in one batch and confirm most of them at once."""
    rng, master = sim.rng_orders, sim.master
    vals_list, over_credit, quotations = [], [], []
    for index in range(count):
        warehouse = rng.choices(master.warehouses, master.warehouse_shares)[0]
        budget = None
        if rng.random() < sim.shares.over_credit_share:
            partner = rng.choice(master.low_credit)
            budget = partner.credit_limit * rng.uniform(1.2, 1.6)
            over_credit.append(index)
        else:
            partner = rng.choices(master.customers, master.customer_weights)[0]
        discount = None
        if rng.random() < sim.shares.discount_share:
            discount = round(rng.uniform(5, 15) + approvals.DISCOUNT_THRESHOLD, 1)
        vals_list.append(_order_vals(sim, partner, warehouse, budget, discount))
        if budget is None and rng.random() < sim.shares.quotation_share:
            quotations.append(index)
    orders = _create(sim, vals_list)
    sim.counts["orders"] += len(orders)
    sim.counts["discounted"] += sum(1 for vals in vals_list if vals.pop("discounted", False))
    quotation_orders = orders.browse([orders[i].id for i in quotations])
    sent = quotation_orders.filtered(lambda o: rng.random() < 0.6)
    if sent:
        sent.action_quotation_sent()
    for order in quotation_orders:
        draw = rng.random()
        outcome = "confirm" if draw < 0.5 else "cancel" if draw < 0.8 else "stale"
        answer_day = sim.today + timedelta(days=rng.randint(1, 5))
        sim.plans.quotation_plan[order.id] = QuotationPlan(answer_day, outcome)
    confirm(sim, orders - quotation_orders)
    sim.counts["quotations"] += len(quotation_orders)
    sim.counts["over_credit"] += len(over_credit)


def _create(sim, vals_list):
    """The orders of ``vals_list`` (in that order), each created by the salesperson of
    its customer."""
    Order = sim.env["sale.order"]
    by_user = defaultdict(list)
    for index, vals in enumerate(vals_list):
        by_user[Order.partner_id.browse(vals["partner_id"]).user_id].append(index)
    ids = [0] * len(vals_list)
    for user, indexes in by_user.items():
        created = Order.with_user(user).create(
            [{k: v for k, v in vals_list[i].items() if k != "discounted"} for i in indexes]
        )
        for index, order in zip(indexes, created, strict=True):
            ids[index] = order.id
    return Order.browse(ids)


def _order_vals(sim, partner, warehouse, budget, discount=None):
    vals = {
        "partner_id": partner.id,
        "warehouse_id": warehouse.id,
        "date_order": sim.now,
        "order_line": _order_lines(sim, budget, discount),
        "discounted": bool(discount),
    }
    validity_days = sim.master.company.quotation_validity_days
    if validity_days > 0:
        vals["validity_date"] = sim.today + timedelta(days=validity_days)
    return vals


def _order_lines(sim, budget=None, discount=None):
    rng, master = sim.rng_orders, sim.master
    count = rng.choices((1, 2, 3, 4), weights=(30, 35, 25, 10))[0]
    indexes = set()
    while len(indexes) < count:
        indexes.add(rng.choices(range(len(master.products)), master.product_weights)[0])
    lines = []
    for index in sorted(indexes):
        product = master.products[index]
        qty = rng.choices((1, 2, 3, 5, 8, 10, 12), weights=(20, 20, 15, 20, 10, 10, 5))[0]
        if budget:
            qty = max(qty, int(budget / len(indexes) / max(product.list_price, 1)) + 1)
        lines.append(Command.create({"product_id": product.id, "product_uom_qty": qty}))
    if discount:
        lines[0][2]["discount"] = discount  # above the discount policy's threshold
    return lines


def confirm(sim, orders):
    """Confirm as the salesperson at the step's time (orders an approval policy holds
    wait for their approval: ``approvals.decide`` confirms them), then
    :func:`confirmed`."""
    if not orders:
        return
    _promise(sim, orders)
    for user in orders.user_id:
        orders.filtered(lambda o, user=user: o.user_id == user).with_user(user).action_confirm()
    confirmed(sim, orders.filtered(lambda o: o.state == "sale"))


def confirmed(sim, orders):
    """What follows a confirmation, direct or by an approval: the simulated dates,
    Odoo's reordering on the simulated day and the plan of each order (customer
    cancellation, late or short delivery, return)."""
    if not orders:
        return
    # Odoo stamps the server's time on the order and on the deliveries it creates
    for user in orders.user_id:
        mine = orders.filtered(lambda o, user=user: o.user_id == user)
        # sudo as the salesperson: the deliveries are the warehouse's records
        mine = mine.with_user(user).sudo()
        mine.write({"date_order": sim.now})
        mine.picking_ids.filtered(lambda p: p.state != "done").write({"date": sim.now})
    sim.counts["confirmed"] += len(orders)
    # what Odoo's automatic reordering does on confirmation, on the simulated day
    replenishment.procure(sim, orders.order_line.product_id)
    for order in orders:
        _plan_order(sim, order)


def _promise(sim, orders):
    """Without a commitment date, Odoo plans the deliveries from the server's time at
    confirmation: promise the step's time plus the shortest lead time of the lines
    (the same scheduled date and deadline as a confirmation at that time)."""
    by_lead = defaultdict(list)
    for order in orders:
        by_lead[min(order.order_line.mapped("customer_lead"), default=0.0)].append(order.id)
    for lead, ids in by_lead.items():
        orders.browse(ids).write({"commitment_date": sim.now + timedelta(days=lead)})


def _plan_order(sim, order):
    rng, plans = sim.rng, sim.plans
    if rng.random() < sim.shares.cancel_share:
        plans.cancel_orders[order.id] = sim.today + timedelta(days=rng.randint(0, 2))
        return
    late = rng.random() < _late_chance(sim, order)
    short = rng.random() < sim.shares.short_delivery_share
    for picking in order.picking_ids:
        if late:
            tolerance = picking.picking_type_id.warehouse_id.workflow_late_tolerance_hours
            plans.ship_after[picking.id] = picking.scheduled_date + timedelta(
                hours=tolerance + 24 * rng.randint(1, 3)
            )
        if short:
            plans.short_pickings.add(picking.id)
    if rng.random() < sim.shares.return_share:
        plans.return_on[order.id] = sim.today + timedelta(days=rng.randint(3, 10))


def _late_chance(sim, order):
    """The chance that the deliveries of ``order`` are held late: the share, weighed by
    the warehouse and by the customer (every fifth one is difficult)."""
    customers = sim.master.customers.ids
    rank = customers.index(order.partner_id.id) if order.partner_id.id in customers else 0
    customer_factor = (
        DIFFICULT_CUSTOMER_FACTOR
        if rank % DIFFICULT_CUSTOMER_EVERY == DIFFICULT_CUSTOMER_EVERY - 1
        else OTHER_CUSTOMER_FACTOR
    )
    factor = LATE_FACTORS.get(order.warehouse_id.code, 1.0) * customer_factor
    return min(0.95, sim.shares.late_delivery_share * factor)


def follow_up(sim):
    """Quotations answered (confirmed or cancelled), cancelled ones reopened, and
    customer cancellations of confirmed, unshipped orders."""
    to_confirm = _answer_quotations(sim)
    _reopen(sim, exclude=to_confirm)
    confirm(sim, to_confirm)
    for order in to_confirm:
        sim.plans.reopen.pop(order.id, None)
        sim.plans.quotation_plan.pop(order.id, None)
    _customer_cancellations(sim)


def _answer_quotations(sim):
    """Cancel the quotations the customer declined today; return those to confirm."""
    to_confirm = to_cancel = sim.env["sale.order"]
    for order in customer_orders(sim, [("state", "in", ("draft", "sent"))]):
        plan = sim.plans.quotation_plan.get(order.id, QuotationPlan(sim.today, "stale"))
        if plan.day > sim.today:
            continue
        if plan.outcome == "confirm" or order.id in sim.plans.reopen:
            to_confirm |= order
        elif plan.outcome == "cancel":
            to_cancel |= order
    if to_cancel:
        # sent quotations open the "send a cancellation e-mail" wizard: skip it
        to_cancel.with_context(disable_cancel_warning=True).action_cancel()
        sim.counts["cancelled_quotations"] += len(to_cancel)
        for order in to_cancel:
            del sim.plans.quotation_plan[order.id]
            if sim.rng.random() < sim.shares.reopen_share:
                sim.plans.reopen[order.id] = sim.today + timedelta(days=sim.rng.randint(1, 3))
    return to_confirm


def _reopen(sim, exclude):
    """Cancelled quotations set back to quotation, confirmed the next day."""
    due = [
        oid
        for oid, when in sim.plans.reopen.items()
        if when <= sim.today and oid not in exclude.ids
    ]
    reopen = sim.env["sale.order"].browse(due).filtered(lambda o: o.state == "cancel")
    if reopen:
        reopen.action_draft()
        sim.counts["reopened"] += len(reopen)
        for order in reopen:
            sim.plans.quotation_plan[order.id] = QuotationPlan(
                sim.today + timedelta(days=1), "confirm"
            )


def _customer_cancellations(sim):
    plans = sim.plans.cancel_orders
    due = sorted(oid for oid, when in plans.items() if when <= sim.today)
    for order_id in due:
        del plans[order_id]
    cancel = (
        sim.env["sale.order"]
        .browse(due)
        .filtered(
            lambda o: o.state == "sale"
            and not o.picking_ids.filtered(lambda p: p.state == "done")
            and not o.invoice_ids
        )
    )
    if cancel:
        cancel.with_context(disable_cancel_warning=True).action_cancel()
        sim.counts["cancelled_orders"] += len(cancel.filtered(lambda o: o.state == "cancel"))
