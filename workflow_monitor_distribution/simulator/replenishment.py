# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The reordering rules of the simulated warehouses, run on the simulated day.

Odoo's scheduler (``stock.warehouse.orderpoint._procure_orderpoint_confirm``) plans
from the server's today (``lead_days_date``); the simulator computes the same min/max
quantities with the simulated day as today and hands them to the same procurement
flow (``procurement.group.run``: buy rule, vendor, grouping of RFQs) with explicit
dates, through ``orderpoint._prepare_procurement_values(date=...)``.
"""

import contextlib
import logging
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import NamedTuple

import psycopg2
from pytz import UTC, timezone

from odoo.tools import float_compare, float_is_zero

from odoo.addons.stock.models.stock_rule import ProcurementException

_logger = logging.getLogger(__name__)

NO_AUTO_SCHEDULER = "stock.no_auto_scheduler"


class Need(NamedTuple):
    orderpoint: object
    quantity: float
    lead_date: object  # the day the rule plans for (today + lead days)


@contextlib.contextmanager
def scheduler_off(env):
    """Odoo runs at once the reordering rules that a confirmed delivery takes below
    their minimum (``stock.move._trigger_scheduler``), planning from the server's today;
    the simulator runs them itself (:func:`procure`). The switch is Odoo's own
    parameter, set and reset inside the transaction, so it is never committed: the
    simulator commits between days only, outside this block."""
    params = env["ir.config_parameter"].sudo()
    if params.get_param(NO_AUTO_SCHEDULER):
        yield
        return
    params.set_param(NO_AUTO_SCHEDULER, "1")
    try:
        yield
    finally:
        # after an error the transaction is rolled back with the parameter
        with contextlib.suppress(psycopg2.Error):
            params.set_param(NO_AUTO_SCHEDULER, False)


def procure(sim, products=None, opening=False):
    """Create or complete the RFQs the reordering rules ask for today (only the rules
    of ``products`` when given: the products of the orders just confirmed), but those
    the buyer misses (``missed_replenishment_share``; not for the opening stock)."""
    needs = _needs(sim, products)
    if not opening:
        needs = [need for need in needs if not _missed(sim, need.orderpoint)]
    if not needs:
        return
    Group = sim.env["procurement.group"]
    procurements = [Group.Procurement(*_procurement_args(sim, need)) for need in needs]
    try:
        with sim.env.cr.savepoint():
            Group.with_context(from_orderpoint=True).run(procurements, raise_user_error=False)
    except ProcurementException as errors:
        _logger.warning(
            "Workflow Monitor simulator: procurements failed on %s: %s",
            sim.today,
            [message for _procurement, message in errors.procurement_exceptions],
        )


def _missed(sim, orderpoint):
    """Whether the buyer misses this rule's need today: drawn when a need appears; a
    missed need waits 2-4 days (longer than the aging hours, so ``replenishment_aging``
    is raised), then is ordered like any other."""
    until = sim.plans.missed_until.get(orderpoint.id)
    if until is None:
        if sim.rng_network.random() >= sim.shares.missed_replenishment_share:
            return False
        until = sim.today + timedelta(days=sim.rng_network.randint(3, 5))
        sim.plans.missed_until[orderpoint.id] = until
        sim.counts["replenishment_missed"] += 1
    if sim.today < until:
        return True
    del sim.plans.missed_until[orderpoint.id]
    return False


def _needs(sim, products=None):
    """The forecast of each rule at its lead date (stock, planned moves until then,
    RFQs in progress); below the minimum, order up to the maximum."""
    orderpoints = sim.master.orderpoints
    if products is not None:
        orderpoints = orderpoints.filtered(lambda op: op.product_id in products)
        if not orderpoints:
            return []
    orderpoints.invalidate_recordset()
    sim.env["product.product"].invalidate_model(["qty_available", "virtual_available"])
    in_progress = orderpoints._quantity_in_progress()
    horizons = defaultdict(list)  # (location id, lead date) -> orderpoints
    for orderpoint in orderpoints:
        lead_date = sim.today + timedelta(days=_lead_days(orderpoint))
        horizons[(orderpoint.location_id.id, lead_date)].append(orderpoint)
    needs = []
    for (location_id, lead_date), batch in horizons.items():
        products = sim.env["product.product"].browse([op.product_id.id for op in batch])
        to_date = datetime.combine(lead_date, time.max)
        forecast = {
            product.id: product.virtual_available
            for product in products.with_context(location=location_id, to_date=to_date)
        }
        for orderpoint in batch:
            quantity = _quantity_to_order(
                orderpoint, forecast[orderpoint.product_id.id] + in_progress[orderpoint.id]
            )
            if quantity > 0:
                needs.append(Need(orderpoint, quantity, lead_date))
    return needs


def _lead_days(orderpoint):
    """The rule's total delay, as ``_compute_lead_days`` counts it."""
    rules = orderpoint.rule_ids.with_context(bypass_delay_description=True)
    delays, _description = rules._get_lead_days(
        orderpoint.product_id, **orderpoint._get_lead_days_values()
    )
    return delays["total_delay"]


def _quantity_to_order(orderpoint, forecast):
    """``stock.warehouse.orderpoint._get_qty_to_order`` (no visibility days)."""
    rounding = orderpoint.product_uom.rounding
    if float_compare(forecast, orderpoint.product_min_qty, precision_rounding=rounding) >= 0:
        return 0.0
    quantity = max(orderpoint.product_min_qty, orderpoint.product_max_qty) - forecast
    multiple = orderpoint.qty_multiple
    remainder = multiple > 0.0 and quantity % multiple or 0.0
    if (
        float_compare(remainder, 0.0, precision_rounding=rounding) > 0
        and float_compare(multiple - remainder, 0.0, precision_rounding=rounding) > 0
    ):
        if float_is_zero(orderpoint.product_max_qty, precision_rounding=rounding):
            quantity += multiple - remainder
        else:
            quantity -= remainder
    return quantity


def _procurement_args(sim, need):
    """The arguments of ``procurement.group.Procurement`` for one need, dated like
    ``_get_orderpoint_procurement_date`` (noon of the lead date, company time)."""
    orderpoint = need.orderpoint
    tz = timezone(orderpoint.company_id.partner_id.tz or "UTC")
    date = tz.localize(datetime.combine(need.lead_date, time(12))).astimezone(UTC)
    visibility = sim.env["ir.config_parameter"].sudo().get_param("stock.visibility_days", 0)
    date = date.replace(tzinfo=None) - timedelta(days=int(visibility or 0))
    return (
        orderpoint.product_id,
        need.quantity,
        orderpoint.product_uom,
        orderpoint.location_id,
        orderpoint.name,
        orderpoint.name,
        orderpoint.company_id,
        orderpoint._prepare_procurement_values(date=date),
    )
