# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Order to cash, accounting side: customer invoices and credit notes, payments of
invoices, bills and refunds."""

from datetime import timedelta

from odoo import Command

from .sales import customer_orders

PAYMENT_DELAYS = ((1, 3, 5, 10, 20), (15, 30, 30, 15, 10))  # days, weights


def invoice(sim):
    """Invoice the delivered quantities (0-2 days after shipping): one invoice per
    order, a credit note for returned invoiced goods; a few invoices go out above
    the delivered quantity. Dated today (Odoo would date them at the server's today)."""
    orders = customer_orders(sim, [("state", "=", "sale"), ("invoice_status", "=", "to invoice")])
    orders = orders.filtered(lambda o: sim.rng.random() < 0.6)
    if not orders:
        return
    moves = orders.with_context(raise_if_nothing_to_invoice=False)._create_invoices(
        grouped=True, final=True
    )
    moves.write({"invoice_date": sim.today, "date": sim.today})
    invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
    for move in invoices:
        if sim.rng.random() < sim.shares.invoice_mismatch_share:
            line = move.invoice_line_ids.filtered("sale_line_ids")[:1]
            if line:
                update = Command.update(line.id, {"quantity": line.quantity + 1})
                move.write({"invoice_line_ids": [update]})
                sim.counts["invoice_mismatched"] += 1
    moves.action_post()
    posted = moves.filtered(lambda m: m.state == "posted")
    for move in posted:
        sim.plans.pay_after[move.id] = _payment_day(sim, move)
    sim.counts["invoices"] += len(posted & invoices)
    sim.counts["credit_notes"] += len(posted - invoices)


def _payment_day(sim, move):
    """Refunds are paid in 1-3 days; a share of the invoices is never paid."""
    rng = sim.rng
    if move.move_type == "out_refund":
        return sim.today + timedelta(days=rng.randint(1, 3))
    if rng.random() < sim.shares.unpaid_share:
        return None
    return sim.today + timedelta(days=int(rng.choices(*PAYMENT_DELAYS)[0]))


def pay(sim):
    """Register the payments due today with the payment wizard (customers pay
    invoices, the company pays bills and refunds), dated today."""
    plans = sim.plans.pay_after
    due = [mid for mid, when in plans.items() if when is not None and when <= sim.today]
    moves = (
        sim.env["account.move"]
        .browse(sorted(due))
        .filtered(lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial"))
    )
    for mid in due:
        del plans[mid]
    for move_type, counter in (
        ("out_invoice", "payments"),
        ("in_invoice", "vendor_payments"),
        ("out_refund", "refund_payments"),
    ):
        batch = moves.filtered(lambda m, move_type=move_type: m.move_type == move_type)
        if not batch:
            continue
        wizard = (
            sim.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=batch.ids)
            .create({"payment_date": sim.today, "group_payment": True})
        )
        sim.counts[counter] += len(wizard._create_payments())
