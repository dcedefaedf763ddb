# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Master data, created once and reused (names and codes start with ``SIM``):
warehouses with their Workflow Monitor parameters, SLA policies per warehouse,
vendors, customers, products bought on the Buy route, min/max reordering rules, the
named users the simulator acts as (``users.py``) and, when Workflow Monitor Approvals is
installed, its approval policies (``approvals.py``)."""

import random
from dataclasses import dataclass, replace

from odoo import Command

from . import approvals, purchases, transfers, users
from .catalogue import CITIES, PREFIX, PRODUCT_WORDS, WAREHOUSES

RECORDSETS = ("company", "warehouses", "vendors", "customers", "low_credit", "products")


@dataclass(frozen=True)
class MasterData:
    company: object
    warehouses: object
    warehouse_shares: tuple
    vendors: object
    customers: object
    low_credit: object  # customers with a low credit limit: over-credit orders go there
    products: object
    product_weights: tuple  # popularity: a few products sell much more (Zipf-like)
    customer_weights: tuple
    people: object = None  # users.People
    orderpoints: object = None

    def bound(self, env):
        """The same records in ``env`` (each step has its own clock)."""
        names = RECORDSETS + (("orderpoints",) if self.orderpoints is not None else ())
        values = {name: getattr(self, name).with_env(env) for name in names}
        if self.people is not None:
            values["people"] = self.people.bound(env)
        return replace(self, **values)


def setup(sim):
    """Create or reuse the master data; the first time, buy the opening stock."""
    company = sim.env.company
    if not company.account_use_credit_limit:
        company.account_use_credit_limit = True
    sizes = sim.settings.sizes
    warehouses = _warehouses(sim, company)
    _sla_policies(sim, warehouses)
    vendors = _partners(sim, "Vendor", sizes.vendors, {"supplier_rank": 1, "is_company": True})
    customers = _partners(
        sim, "Customer", sizes.customers, {"customer_rank": 1, "is_company": True}
    )
    low_credit = customers[: max(1, len(customers) // 6)]
    for index, partner in enumerate(low_credit):
        if not partner.credit_limit:
            partner.credit_limit = 1500.0 + 500 * (index % 4)
    products, created = _products(sim, vendors)
    people = users.setup(sim, company)
    _assign(customers, vendors, people)
    sim.master = MasterData(
        company=company,
        warehouses=warehouses,
        warehouse_shares=tuple(w.share for w in WAREHOUSES[: len(warehouses)]),
        vendors=vendors,
        customers=customers,
        low_credit=low_credit,
        products=products,
        product_weights=tuple(1.0 / (rank + 1) ** 0.8 for rank in range(len(products))),
        customer_weights=tuple(1.0 / (rank + 1) ** 0.5 for rank in range(len(customers))),
        people=people,
    )
    sim.master = replace(sim.master, orderpoints=_orderpoints(sim, sim.master))
    transfers.setup(sim)
    if created:
        purchases.opening_stock(sim)
    # after the opening stock, which no policy holds
    approvals.setup(sim)
    sim.counts.clear()


def _assign(customers, vendors, people):
    """Each customer has a salesperson (who takes their orders), each vendor the buyer
    (Odoo's reordering names them on the RFQs: ``partner.buyer_id``)."""
    for index, customer in enumerate(customers):
        salesperson = people.salespeople[index % len(people.salespeople)]
        if customer.user_id != salesperson:
            customer.user_id = salesperson
    vendors.filtered(lambda v: v.buyer_id != people.buyer).buyer_id = people.buyer


def _warehouses(sim, company):
    Warehouse = sim.env["stock.warehouse"]
    warehouses = Warehouse
    team = sim.env.ref("workflow_monitor_base.team_operations", raise_if_not_found=False)
    for index, profile in enumerate(WAREHOUSES[: sim.settings.sizes.warehouses]):
        warehouse = Warehouse.search(
            [("code", "=", profile.code), ("company_id", "=", company.id)], limit=1
        )
        if not warehouse:
            warehouse = Warehouse.create(
                {
                    "name": profile.name,
                    "code": profile.code,
                    "company_id": company.id,
                    "workflow_tz": profile.tz,
                    "workflow_team_id": team.id if team and index == 0 else False,
                    **profile.params,
                }
            )
        warehouses |= warehouse
    return warehouses


def _sla_policies(sim, warehouses):
    """One copy of each shipped ``sla_*_main`` policy per simulated warehouse."""
    data = sim.env["ir.model.data"].search(
        [
            ("module", "=", "workflow_monitor_distribution"),
            ("model", "=", "workflow.sla.policy"),
            ("name", "=like", "sla_%_main"),
        ]
    )
    templates = sim.env["workflow.sla.policy"].browse(data.mapped("res_id")).exists()
    Policy = sim.env["workflow.sla.policy"].with_context(active_test=False)
    existing = {
        (p.warehouse_id.id, p.definition_id.id, p.stage_id.id)
        for p in Policy.search([("warehouse_id", "in", warehouses.ids)])
    }
    vals_list = []
    for warehouse in warehouses:
        for template in templates:
            key = (warehouse.id, template.definition_id.id, template.stage_id.id)
            if key in existing:
                continue
            name = template.name.replace("main warehouse", warehouse.name)
            if name == template.name:
                name = f"{template.name} ({warehouse.name})"
            vals_list.append(template.copy_data({"name": name, "warehouse_id": warehouse.id})[0])
    if vals_list:
        Policy.create(vals_list)


def _partners(sim, kind, count, values):
    Partner = sim.env["res.partner"]
    names = [f"{PREFIX} {kind} {index:02d}" for index in range(1, count + 1)]
    by_name = {p.name: p for p in Partner.search([("name", "in", names)])}
    missing = [
        {
            "name": name,
            "city": CITIES[index % len(CITIES)],
            "email": f"{kind.lower()}{index + 1:02d}@sim.example.com",
            **values,
        }
        for index, name in enumerate(names)
        if name not in by_name
    ]
    for partner in Partner.create(missing):
        by_name[partner.name] = partner
    return Partner.browse([by_name[name].id for name in names])


def _products(sim, vendors):
    """Storable products invoiced on delivery, each bought from one vendor; return
    (products, whether any was created)."""
    Product = sim.env["product.product"]
    codes = [f"{PREFIX}-{index:03d}" for index in range(1, sim.settings.sizes.products + 1)]
    existing = {p.default_code: p for p in Product.search([("default_code", "in", codes)])}
    buy = sim.env.ref("purchase_stock.route_warehouse0_buy")
    rng = random.Random(1)  # prices do not depend on the stream's seed
    vals_list = []
    for index, code in enumerate(codes):
        if code in existing:
            continue
        cost = round(rng.uniform(4, 120), 2)
        seller = {"partner_id": vendors[index % len(vendors)].id, "price": cost, "min_qty": 1}
        vals_list.append(
            {
                "name": f"{PREFIX} {PRODUCT_WORDS[index]}",
                "default_code": code,
                "type": "consu",
                "is_storable": True,
                "invoice_policy": "delivery",
                "purchase_method": "receive",
                "list_price": round(cost * rng.uniform(1.3, 1.8), 2),
                "standard_price": cost,
                "sale_delay": 1 if index % 3 else 2,
                "route_ids": [Command.link(buy.id)],
                "seller_ids": [Command.create(dict(seller, delay=1 + (index * 7) % 4))],
            }
        )
    created = Product.create(vals_list) if vals_list else Product
    for product in created:
        existing[product.default_code] = product
    return Product.browse([existing[code].id for code in codes]), bool(created)


def _orderpoints(sim, master):
    """Min/max reordering rules per product and warehouse; the two last products are
    scarce (low maximum) so shortages and partial deliveries happen by themselves."""
    Orderpoint = sim.env["stock.warehouse.orderpoint"]
    domain = [
        ("warehouse_id", "in", master.warehouses.ids),
        ("product_id", "in", master.products.ids),
    ]
    existing = {(op.product_id.id, op.warehouse_id.id) for op in Orderpoint.search(domain)}
    total = sum(master.product_weights)
    scarce = master.products[-2:]
    vals_list = []
    for warehouse, share in zip(master.warehouses, master.warehouse_shares, strict=True):
        for product, weight in zip(master.products, master.product_weights, strict=True):
            if (product.id, warehouse.id) in existing:
                continue
            # expected units a day in this warehouse (2.1 lines of 4.6 units)
            daily = max(sim.settings.orders_per_day, 5) * 2.1 * 4.6 * share * weight / total
            minimum = round(max(3, daily * (1 if product in scarce else 4)))
            vals_list.append(
                {
                    "product_id": product.id,
                    "warehouse_id": warehouse.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "trigger": "auto",
                    "product_min_qty": minimum,
                    "product_max_qty": round(minimum * (1.5 if product in scarce else 3)),
                }
            )
    if vals_list:
        Orderpoint.create(vals_list)
    return Orderpoint.search(domain)
