# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Outgoing goods: reservation, dispatch (late and short deliveries, backorders) and
customer returns."""

from datetime import timedelta

from . import carrier, stock


# the deliveries to customers (the shipments of transfers are ``transfers.py``'s)
def _deliveries(sim, states):
    return [
        ("picking_type_id", "in", sim.master.warehouses.out_type_id.ids),
        ("state", "in", states),
        ("workflow_transfer_stage", "=", False),
    ]


def reserve(sim):
    """Reserve the waiting deliveries (what Odoo's scheduler does)."""
    pickings = sim.env["stock.picking"].search(_deliveries(sim, ("confirmed", "waiting")))
    if pickings:
        pickings.action_assign()


def dispatch(sim):
    """Ship what is ready and due by tomorrow; late ones wait, short ones ship less
    than reserved and leave a backorder (through the backorder wizard)."""
    pickings = sim.env["stock.picking"].search(
        [*_deliveries(sim, ("assigned",)), ("scheduled_date", "<", sim.now + timedelta(days=1))],
        order="id",
    )
    pickings = pickings.filtered(lambda p: sim.plans.ship_after.get(p.id, sim.now) <= sim.now)
    if not pickings:
        return
    for picking in pickings.filtered(lambda p: p.id in sim.plans.short_pickings):
        moves = picking.move_ids.filtered(lambda m: m.quantity >= 2)
        if moves:
            move = sim.rng.choice(moves)
            move.quantity = max(1, int(move.quantity * sim.rng.uniform(0.3, 0.7)))
    late = pickings.filtered(
        lambda p: p.scheduled_date
        + timedelta(hours=p.picking_type_id.warehouse_id.workflow_late_tolerance_hours)
        < sim.now
    )
    done, backorders = stock.validate(sim, pickings)
    for backorder in backorders:
        # the rest ships once restocked, or after 1-7 days for a picking error
        sim.plans.ship_after[backorder.id] = sim.now + timedelta(days=sim.rng.randint(1, 7))
    carrier.shipped(sim, done)
    sim.counts["deliveries"] += len(done)
    sim.counts["partial"] += len(backorders)
    sim.counts["late"] += len(late & done)


def returns(sim):
    """Customers send part of a delivery back (return wizard); the order's next invoice
    is then a credit note when it was invoiced already."""
    plans = sim.plans.return_on
    due = sorted(oid for oid, when in plans.items() if when <= sim.today)
    for order_id in due:
        del plans[order_id]
    orders = sim.env["sale.order"].browse(due).filtered(lambda o: o.state == "sale")
    # the warehouse user receives the goods back
    Return = sim.env["stock.return.picking"].with_user(sim.master.people.warehouse)
    created = sim.env["stock.picking"]
    for order in orders:
        delivery = order.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )[:1]
        if not delivery:
            continue
        wizard = Return.with_context(active_id=delivery.id, active_model="stock.picking").create(
            {"picking_id": delivery.id}
        )
        line = sim.rng.choice(wizard.product_return_moves)
        line.quantity = max(1, int(line.move_id.quantity * sim.rng.uniform(0.2, 1.0)))
        created |= wizard._create_return().with_env(created.env)
    if created:
        # the wizard dates the return at the server's time
        created.with_user(sim.master.people.warehouse).sudo().write(
            {"date": sim.now, "scheduled_date": sim.now}
        )
        for move in created.move_ids:
            move.quantity = move.product_uom_qty
        done, _backorders = stock.validate(sim, created)
        sim.counts["returns"] += len(done)
