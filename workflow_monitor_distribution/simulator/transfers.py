# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The network: every warehouse but the first is resupplied from the first (Odoo's
resupply routes, ``stock.warehouse.resupply_wh_ids``: first warehouse -> the company's
transit location -> receiving warehouse), so each transfer is the two pickings Odoo
creates for a procurement at the receiving warehouse through that route.

On a day drawn with ``transfer_share``, a receiving warehouse asks for one or two
products the first warehouse has in free stock (a procurement, dated for the next
morning); the warehouse user ships them in the afternoon; the receipt from transit is
validated the next morning, or 2.5-5 days after shipping for a late transfer
(``late_transfer_share``: past the In Transit SLA, so ``transfer_delay`` is raised).
The products keep their Buy route, so the reordering rules still buy from vendors.
"""

from datetime import timedelta

from odoo import Command

from . import stock

MIN_FREE = 10  # units the first warehouse keeps beyond what it sends


def setup(sim):
    """The resupply routes of the simulated warehouses (created once by Odoo)."""
    main, others = sim.master.warehouses[:1], sim.master.warehouses[1:]
    for warehouse in others:
        if main not in warehouse.resupply_wh_ids:
            warehouse.resupply_wh_ids = [Command.link(main.id)]


def _route(warehouse, supplier):
    return warehouse.resupply_route_ids.filtered(lambda r: r.supplier_wh_id == supplier)[:1]


def request(sim):
    """Transfer requests of the day: a procurement at each receiving warehouse drawn."""
    rng = sim.rng_network
    main, others = sim.master.warehouses[:1], sim.master.warehouses[1:]
    if not main or not others:
        return
    Group = sim.env["procurement.group"]
    products = sim.master.products.with_context(location=main.lot_stock_id.id)
    products.invalidate_recordset(["free_qty"])
    free = {product.id: product.free_qty for product in products}
    planned = sim.now.replace(hour=0, minute=0) + timedelta(days=1, hours=9)
    for warehouse in others:
        if rng.random() >= sim.shares.transfer_share:
            continue
        route = _route(warehouse, main)
        candidates = [p for p in products if free[p.id] >= MIN_FREE + 5]
        if not route or not candidates:
            continue
        chosen = rng.sample(candidates, min(len(candidates), rng.randint(1, 2)))
        group = Group.create({"name": f"SIM transfer {warehouse.code} {sim.today}"})
        values = {
            "warehouse_id": warehouse,
            "group_id": group,
            "route_ids": route,
            "date_planned": planned,
        }
        procurements = []
        for product in chosen:
            quantity = rng.randint(2, 5)
            free[product.id] -= quantity
            procurements.append(
                Group.Procurement(
                    product,
                    quantity,
                    product.uom_id,
                    warehouse.lot_stock_id,
                    group.name,
                    group.name,
                    warehouse.company_id,
                    values,
                )
            )
        Group.run(procurements)
        pickings = sim.env["stock.picking"].search([("group_id", "=", group.id)])
        # Odoo dates the pickings it creates at the server's time; sudo as the warehouse
        # user, as stock.py does
        pickings.with_user(sim.master.people.warehouse).sudo().write({"date": sim.now})
        shipments = pickings.filtered(lambda p: p.location_dest_id.usage == "transit")
        if shipments:
            shipments.action_assign()
        for shipment in shipments:
            if rng.random() < sim.shares.late_transfer_share:
                sim.plans.late_transfers.add(shipment.id)
        sim.counts["transfers"] += len(shipments)


def _open_shipments(sim):
    return sim.env["stock.picking"].search(
        [
            ("picking_type_id", "in", sim.master.warehouses.out_type_id.ids),
            ("workflow_transfer_stage", "in", ("requested", "ready")),
        ],
        order="id",
    )


def ship(sim):
    """The afternoon: the warehouse user ships the reserved shipments in full."""
    shipments = _open_shipments(sim)
    waiting = shipments.filtered(lambda p: p.state in ("confirmed", "waiting"))
    if waiting:
        waiting.action_assign()
    ready = shipments.filtered(lambda p: p.state == "assigned")
    if not ready:
        return
    done, _backorders = stock.validate(sim, ready)
    rng = sim.rng_network
    for shipment in done:
        receipts = shipment.move_ids.move_dest_ids.picking_id
        if shipment.id in sim.plans.late_transfers:
            at = sim.now + timedelta(hours=rng.randint(60, 120))
            sim.counts["transfers_late"] += 1
        else:
            at = sim.now  # the next morning's step
        for receipt in receipts:
            sim.plans.transfer_receive_after[receipt.id] = at
    sim.counts["transfers_shipped"] += len(done)


def receive(sim):
    """The morning: receipts from transit that arrived (every quantity shipped)."""
    receipts = sim.env["stock.picking"].search(
        [
            ("picking_type_id", "in", sim.master.warehouses.in_type_id.ids),
            ("location_id.usage", "=", "transit"),
            ("state", "=", "assigned"),
        ],
        order="id",
    )
    plans = sim.plans.transfer_receive_after
    receipts = receipts.filtered(lambda p: plans.get(p.id, sim.now) <= sim.now)
    if not receipts:
        return
    for move in receipts.move_ids:
        move.quantity = move.product_uom_qty
    done, _backorders = stock.validate(sim, receipts)
    sim.counts["transfers_received"] += len(done)
