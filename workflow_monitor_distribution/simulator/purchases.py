# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Procure to pay: RFQs from the reordering rules and their answers, receipts (late,
short), vendor bills (some mismatched). Odoo's reordering creates the RFQs as the
superuser (``stock.rule._run_buy``) and names the vendor's buyer on them; the buyer
confirms them, the warehouse user validates the receipts (``users.py``)."""

from datetime import timedelta
from typing import NamedTuple

from odoo import Command

from . import approvals, replenishment, stock


class RfqAnswer(NamedTuple):
    at: object  # datetime of the vendor's answer
    action: str  # "confirm" or "cancel"


def vendor_orders(sim, domain):
    return sim.env["purchase.order"].search(
        [("partner_id", "in", sim.master.vendors.ids), *domain], order="id"
    )


def open_rfqs(sim):
    return vendor_orders(sim, [("state", "in", ("draft", "sent"))])


def opening_stock(sim):
    """The reordering rules buy the opening stock the day before the first day
    (ordered at the setup time, confirmed and received at 16:00)."""
    replenishment.procure(sim, opening=True)
    sim.checkpoint()
    sim.at(sim.today, 16)
    confirm(sim, open_rfqs(sim), plan=False)
    receive(sim, everything=True)


def replenish(sim):
    """The reordering rules create RFQs; most are confirmed at once, some are sent and
    answered later (or never)."""
    Purchase = sim.env["purchase.order"]
    before = set(open_rfqs(sim).ids)
    replenishment.procure(sim)
    rfqs = open_rfqs(sim)
    new = rfqs.filtered(lambda po: po.id not in before)
    sim.counts["purchase_orders"] += len(new)
    to_send, to_confirm = _plan_new_rfqs(sim, new)
    to_cancel = Purchase
    waiting = approvals.waiting(sim, rfqs)  # their approval confirms them
    for order in rfqs - new - waiting:  # answers to RFQs sent on earlier days
        answer = sim.plans.rfq_answer.get(order.id, RfqAnswer(sim.now, "confirm"))
        if answer.at <= sim.now:
            if answer.action == "confirm":
                to_confirm |= order
            else:
                to_cancel |= order
    if to_cancel:
        to_cancel.button_cancel()
        sim.counts["rfq_cancelled"] += len(to_cancel)
    if to_send:
        to_send.filtered(lambda po: po.state == "draft").print_quotation()
        sim.counts["rfq_sent"] += len(to_send)
    confirm(sim, to_confirm)


def _order_twice(sim, orders):
    """Purchases the buyer orders a second time by hand once confirmed (a copy left as
    an RFQ, ``duplicate_replenishment_share``), noticed and cancelled 1-3 days later."""
    rng = sim.rng_network
    for order in orders:
        if rng.random() >= sim.shares.duplicate_replenishment_share:
            continue
        copy = order.with_user(sim.master.people.buyer).copy({"date_order": sim.now})
        sim.plans.rfq_answer[copy.id] = RfqAnswer(
            sim.now + timedelta(days=rng.randint(1, 3)), "cancel"
        )
        sim.counts["replenishment_duplicated"] += 1


def _plan_new_rfqs(sim, new):
    """(to send, to confirm): unanswered RFQs are answered 4-7 days later or never (the
    buyer cancels them after 8 days), 20 % more the next day, the rest confirmed."""
    to_send = to_confirm = sim.env["purchase.order"]
    unanswered = sim.shares.rfq_unanswered_share
    for order in new:
        draw = sim.rng.random()
        if draw < unanswered:
            to_send |= order
            answered = sim.rng.random() < 0.7
            days = sim.rng.randint(4, 7) if answered else 8
            sim.plans.rfq_answer[order.id] = RfqAnswer(
                sim.now + timedelta(days=days), "confirm" if answered else "cancel"
            )
        elif draw < unanswered + 0.2:
            to_send |= order
            sim.plans.rfq_answer[order.id] = RfqAnswer(sim.now + timedelta(days=1), "confirm")
        else:
            to_confirm |= order
    return to_send, to_confirm


def confirm(sim, orders, plan=True):
    """Confirm purchase orders as the buyer at the step's time (those an approval
    policy holds wait for their approval: ``approvals.decide`` confirms them), then
    :func:`confirmed`; return the confirmed."""
    if not orders:
        return orders
    buyer_orders = orders.with_user(sim.master.people.buyer)
    buyer_orders.button_confirm()
    # the buyer sends the RFQs that wait for an approval to the vendor: Odoo's reordering
    # then adds no line to them (it completes draft RFQs only), which would make the
    # request outdated before the approver sees it
    held = approvals.waiting(sim, orders).filtered(lambda po: po.state == "draft")
    if held:
        buyer_orders.browse(held.ids).print_quotation()
    return confirmed(sim, orders.filtered(lambda po: po.state in ("purchase", "done")), plan)


def confirmed(sim, orders, plan=True):
    """What follows a confirmation, direct or by an approval: the simulated dates and
    (``plan``) the plan of the receipts (late, short)."""
    if not orders:
        return orders
    # Odoo stamps the server's time on the approval and on the receipts it creates;
    # sudo as the buyer: the receipts are the warehouse's records
    stamped = orders.with_user(sim.master.people.buyer).sudo()
    stamped.write({"date_approve": sim.now})
    stamped.picking_ids.filtered(lambda p: p.state != "done").write({"date": sim.now})
    if plan:
        for order in orders:
            _plan_receipts(sim, order)
        _order_twice(sim, orders)
    return orders


def _plan_receipts(sim, order):
    late = sim.rng.random() < sim.shares.late_supplier_share
    short = sim.rng.random() < sim.shares.short_receipt_share
    if late:
        sim.plans.late_purchases.add(order.id)
    for picking in order.picking_ids:
        if late:
            sim.plans.receive_after[picking.id] = picking.scheduled_date + timedelta(
                days=sim.rng.randint(2, 5)
            )
        if short:
            sim.plans.short_receipts.add(picking.id)


def receive(sim, everything=False):
    """Validate the receipts due today (late ones wait); short ones leave a backorder,
    received 1-4 days later. ``everything``: the opening stock, all receipts."""
    domain = [
        ("picking_type_id", "in", sim.master.warehouses.in_type_id.ids),
        ("state", "=", "assigned"),
        ("location_id.usage", "!=", "transit"),  # transfers: transfers.receive
    ]
    if not everything:
        domain.append(("scheduled_date", "<", sim.now + timedelta(hours=12)))
    pickings = sim.env["stock.picking"].search(domain, order="id")
    if not everything:
        pickings = pickings.filtered(
            lambda p: sim.plans.receive_after.get(p.id, sim.now) <= sim.now
        )
    if not pickings:
        return
    for picking in pickings.filtered(lambda p: p.id in sim.plans.short_receipts):
        moves = picking.move_ids.filtered(lambda m: m.quantity > 1)
        if moves and not everything:
            move = moves[0]
            move.quantity = max(1, int(move.quantity * sim.rng.uniform(0.4, 0.8)))
    late = pickings.filtered(lambda p: p.scheduled_date + timedelta(days=1) < sim.now)
    done, backorders = stock.validate(sim, pickings)
    for backorder in backorders:
        sim.plans.receive_after[backorder.id] = sim.now + timedelta(days=sim.rng.randint(1, 4))
    if not everything:
        sim.counts["receipts"] += len(done)
        sim.counts["partial_receipts"] += len(backorders)
        sim.counts["late_receipts"] += len(late & done)


def bill(sim):
    """Vendor bills for what was received (0-3 days after), some mismatched."""
    purchases = vendor_orders(
        sim, [("state", "in", ("purchase", "done")), ("invoice_status", "=", "to invoice")]
    )
    purchases = purchases.filtered(lambda po: sim.rng.random() < 0.5)
    if not purchases:
        return
    purchases.action_create_invoice()
    bills = purchases.invoice_ids.filtered(
        lambda m: m.state == "draft" and m.move_type == "in_invoice"
    )
    for draft in bills:
        # without an accounting date, Odoo dates a bill of a past day at the server's today
        values = {"invoice_date": sim.today, "date": sim.today}
        line = draft.invoice_line_ids.filtered("purchase_line_id")[:1]
        if sim.rng.random() < sim.shares.mismatch_share and line:
            values["invoice_line_ids"] = [Command.update(line.id, _mismatch(sim, line))]
            sim.counts["mismatched"] += 1
            sim.plans.pay_after[draft.id] = None  # on hold until someone looks at it
        draft.write(values)
        if draft.id not in sim.plans.pay_after:
            sim.plans.pay_after[draft.id] = sim.today + timedelta(days=sim.rng.randint(5, 20))
    bills.action_post()
    sim.counts["bills"] += len(bills.filtered(lambda m: m.state == "posted"))


def _mismatch(sim, line):
    """A price 5-15 % above the order, or 1-3 units more than received."""
    if sim.rng.random() < 0.5:
        return {"price_unit": round(line.price_unit * sim.rng.uniform(1.05, 1.15), 2)}
    return {"quantity": line.quantity + sim.rng.randint(1, 3)}
