# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Validation of transfers by the warehouse user (backorder wizard), dated at the
step's time."""


def validate(sim, pickings):
    """Validate with the quantities set on the moves (reserved or changed by the
    caller) as the warehouse user, processing the backorder wizard like a user; return
    (done, backorders) in the caller's environment."""
    caller = pickings
    # no text message to the recipients (stock_sms asks once per company outside tests:
    # shipments between warehouses are addressed to the company, which has a phone)
    pickings = pickings.with_user(sim.master.people.warehouse).with_context(skip_sms=True)
    moves = pickings.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
    moves.filtered(lambda m: m.quantity).picked = True
    ready = pickings.filtered(lambda p: any(m.picked for m in p.move_ids))
    if not ready:
        return caller.browse(), caller.browse()
    existing = set(pickings.search([("backorder_id", "in", ready.ids)]).ids)
    result = ready.button_validate()
    if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
        wizard = (
            pickings.env["stock.backorder.confirmation"]
            .with_context(**result["context"])
            .create({})
        )
        wizard.process()
    done = ready.filtered(lambda p: p.state == "done")
    backorders = pickings.search([("backorder_id", "in", done.ids)]) - pickings.browse(existing)
    stamp_done(sim, done, backorders)
    return done.with_env(caller.env), backorders.with_env(caller.env)


def stamp_done(sim, done, backorders):
    """Odoo stamps the server's time on what it validates (``date_done`` of the
    pickings, ``date`` of the moves and their lines) and on the backorders it creates
    (``date``, their creation date): write the step's time instead, as the warehouse
    user (sudo: the move lines' dates are not a user's field to write)."""
    done, backorders = (r.with_user(sim.master.people.warehouse).sudo() for r in (done, backorders))
    if done:
        done.write({"date_done": sim.now})
        moves = done.move_ids.filtered(lambda m: m.state == "done")
        moves.write({"date": sim.now})
        moves.move_line_ids.write({"date": sim.now})
    if backorders:
        backorders.write({"date": sim.now})
