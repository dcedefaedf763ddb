import logging
import random
from collections import Counter
from datetime import datetime, time, timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import commit_chunk

_logger = logging.getLogger(__name__)

PREFIX = "SIM"
WAREHOUSES = (
    # name, code, share of the orders, timezone, workflow parameters
    (
        "SIM North",
        "SIMN",
        0.5,
        "Europe/Brussels",
        {
            "workflow_cutoff_time": 14.0,
            "workflow_late_tolerance_hours": 4.0,
            "workflow_backorder_aging_days": 5.0,
            "workflow_allocation_delay_hours": 24.0,
            "workflow_target_fill_rate": 95.0,
            "workflow_target_on_time": 92.0,
        },
    ),
    (
        "SIM South",
        "SIMS",
        0.3,
        "Europe/Madrid",
        {
            "workflow_cutoff_time": 15.0,
            "workflow_late_tolerance_hours": 6.0,
            "workflow_backorder_aging_days": 4.0,
            "workflow_allocation_delay_hours": 12.0,
            "workflow_target_fill_rate": 92.0,
            "workflow_target_on_time": 90.0,
        },
    ),
    (
        "SIM East",
        "SIME",
        0.2,
        "Europe/Warsaw",
        {
            "workflow_cutoff_time": 13.0,
            "workflow_late_tolerance_hours": 2.0,
            "workflow_backorder_aging_days": 3.0,
            "workflow_allocation_delay_hours": 8.0,
            "workflow_target_fill_rate": 97.0,
            "workflow_target_on_time": 95.0,
        },
    ),
)
PRODUCT_WORDS = (
    "Pallet Wrap",
    "Shelf Bracket",
    "Cable Drum",
    "Safety Gloves",
    "Label Roll",
    "Packing Tape",
    "Steel Bolt M8",
    "Hand Truck",
    "Bin Divider",
    "LED Panel",
    "Floor Marker",
    "Carton Box L",
    "Carton Box S",
    "Stretch Film",
    "Scanner Holster",
    "Hi-Vis Vest",
    "Tool Case",
    "Cable Ties",
    "Bubble Wrap",
    "Storage Crate",
    "Work Lamp",
    "Pallet Jack Wheel",
    "Dock Bumper",
    "Spill Kit",
)
CITIES = ("Antwerp", "Lyon", "Porto", "Gdansk", "Turin", "Ghent", "Bilbao", "Poznan", "Lille")


class WorkflowSimulator(models.AbstractModel):
    """A realistic, reproducible distribution stream through Odoo's real flows.

    Feeds the demo database (``make demo``) and the benchmarks; see :meth:`run`.
    """

    _name = "workflow.simulator"
    _description = "Workflow Monitor Distribution Simulator"

    @api.model
    def run(
        self,
        days=30,
        orders_per_day=20,
        seed=42,
        commit=False,
        warehouses=3,
        products=20,
        customers=30,
        vendors=6,
        late_delivery_share=0.12,
        short_delivery_share=0.10,
        late_supplier_share=0.15,
        short_receipt_share=0.10,
        mismatch_share=0.10,
        invoice_mismatch_share=0.02,
        over_credit_share=0.04,
        quotation_share=0.10,
        cancel_share=0.03,
        reopen_share=0.3,
        return_share=0.04,
        unpaid_share=0.10,
        rfq_unanswered_share=0.10,
        end_date=None,
    ):
        """Simulate ``days`` days of a distribution company, ending the day before
        ``end_date`` (default: today), then run the detectors, the SLA and stale sweeps
        and store one KPI snapshot per simulated day.

        Master data is created once and reused (names and codes start with ``SIM``):
        ``warehouses`` warehouses (2-3) with their Workflow Monitor parameters and a copy
        of the shipped ``sla_*_main`` SLA policies each, ``products`` storable products
        bought from ``vendors`` vendors (vendor prices, lead times, min/max reordering
        rules on the Buy route), ``customers`` customers, some of them with a low credit
        limit (the company's credit limit check is switched on). Opening stock comes from
        purchase orders received the day before the first simulated day.

        Reproducible: the order stream (how many orders a day, customers, warehouses,
        products, quantities, quotations) comes from ``random.Random`` seeded with
        ``seed`` alone; the operational decisions (late, short, when to invoice or pay)
        use a second generator of the same seed over Odoo's documents in id order, so
        the same arguments on copies of the same database give the same run.

        Every day runs through the real flows (no state is written directly; chatter
        and tracking messages are not simulated), with the clock frozen at the time of
        each step (freezegun; the documents created in a step also get that time as
        creation date), so events, order dates and scheduled dates follow the simulated
        days: receipts (09:00), reservations (09:30), reordering
        (10:00: the reordering rules create RFQs, most are confirmed, some sent and
        answered late), new orders (10:00-12:00, confirmed in batches), cancellations
        and quotation follow-up (14:00), dispatch (15:00, with the backorder wizard),
        returns (16:00), customer invoices and credit notes (17:00), vendor bills
        (17:30), payments (18:00, with the payment wizard).

        Known shares (0-1) of the cases the detectors and KPIs must see:

        - ``late_delivery_share``: deliveries held 1-3 days past their scheduled date
          and tolerance (``late_delivery``; on-time dispatch KPI).
        - ``short_delivery_share``: deliveries shipped short on one line, the rest on a
          backorder shipped 1-7 days later (fill rate, ``backorder_aging``); products
          out of stock add natural partial deliveries and ``stock_shortage``.
        - ``late_supplier_share``: receipts arriving 2-5 days after the planned date
          (``supplier_delay``); ``short_receipt_share``: receipts short on one line.
        - ``rfq_unanswered_share``: RFQs sent and answered 4-7 days later, or never.
        - ``mismatch_share``: vendor bills whose price (+5-15 %) or quantity (+1-3)
          differs from the purchase order or receipt (``invoice_mismatch``);
          ``invoice_mismatch_share``: customer invoices above the delivered quantity.
        - ``over_credit_share``: orders of low-limit customers above their credit limit,
          confirmed anyway (``credit_hold``).
        - ``quotation_share``: quotations not confirmed at once (some confirmed later,
          some cancelled, some left to go stale); ``reopen_share``: the part of the
          cancelled quotations set back to quotation and confirmed; ``cancel_share``:
          confirmed orders cancelled by the customer before shipping.
        - ``return_share``: deliveries partly returned (a credit note follows when the
          order was invoiced); ``unpaid_share``: invoices left unpaid.

        :param commit: commit after each simulated day (demo database); ignored in
            tests, where the test transaction stays open.
        :param end_date: the day after the last simulated day (date or string).
        :return: a summary dict, also logged: counts (``orders``, ``confirmed``,
            ``quotations``, ``over_credit``, ``deliveries``, ``partial``, ``late``,
            ``receipts``, ``partial_receipts``, ``late_receipts``, ``purchase_orders``,
            ``bills``, ``mismatched``, ``invoices``, ``invoice_mismatched``,
            ``credit_notes``, ``payments``, ``vendor_payments``, ``returns``,
            cancellations...), ``exceptions`` (open ones by category code),
            ``seconds`` (total), ``stream_seconds`` and ``orders_per_second`` (the
            daily stream, master data excluded) and ``step_seconds``.
        """
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only administrators can run the Workflow Monitor simulator."))
        shares = {
            "late_delivery": late_delivery_share,
            "short_delivery": short_delivery_share,
            "late_supplier": late_supplier_share,
            "short_receipt": short_receipt_share,
            "mismatch": mismatch_share,
            "invoice_mismatch": invoice_mismatch_share,
            "over_credit": over_credit_share,
            "quotation": quotation_share,
            "cancel": cancel_share,
            "reopen": reopen_share,
            "return": return_share,
            "unpaid": unpaid_share,
            "rfq_unanswered": rfq_unanswered_share,
        }
        for name, share in shares.items():
            if not 0 <= share <= 1:
                raise UserError(
                    _(
                        "%(name)s_share must be between 0 and 1, not %(share)s.",
                        name=name,
                        share=share,
                    )
                )
        if days < 1 or orders_per_day < 1:
            raise UserError(_("days and orders_per_day must be at least 1."))
        sizes = {
            "warehouses": max(1, min(warehouses, len(WAREHOUSES))),
            "products": max(2, min(products, len(PRODUCT_WORDS))),
            "customers": max(3, customers),
            "vendors": max(1, vendors),
        }
        simulation = _Simulation(self.env, seed, shares, sizes, commit)
        return simulation.run(days, orders_per_day, end_date)


class _Simulation:
    """State of one simulator run: the random generator, the plans decided for each
    document (late, short, when to invoice or pay...) and the counters."""

    def __init__(self, env, seed, shares, sizes, commit):
        # Chatter and tracking messages are not simulated (they do not feed Workflow
        # Monitor, which captures stages itself) and cost half of the time.
        self.env = env(
            context=dict(
                env.context,
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_notrack=True,
                mail_auto_subscribe_no_notify=True,
            )
        )
        # the order stream (how many orders, who, what) has its own generator, so it
        # does not depend on how many documents Odoo's flows created on the way
        self.rng_orders = random.Random(f"{seed}-orders")
        self.rng = random.Random(seed)
        self.shares = shares
        self.sizes = sizes
        self.commit = commit
        self.counts = Counter()
        self.timings = Counter()  # step -> seconds
        self.company = self.env.company
        self.freezer = None
        self.frozen = None
        self.now = None
        # plans: document id -> decision
        self.ship_after = {}  # outgoing picking -> datetime
        self.short_pickings = set()  # outgoing pickings to ship short
        self.receive_after = {}  # incoming picking -> datetime
        self.short_receipts = set()
        self.late_purchases = set()  # purchase order ids received late
        self.rfq_answer = {}  # purchase order -> (datetime, "confirm" or "cancel")
        self.quotation_plan = {}  # sale order -> (date, "confirm"/"cancel"/"stale")
        self.reopen = {}  # cancelled quotation -> date to reopen and confirm
        self.cancel_orders = {}  # confirmed order -> date of the customer's cancellation
        self.pay_after = {}  # invoice/bill -> date (None: never)
        self.return_on = {}  # done delivery -> date of the return

    # ------------------------------------------------------------
    # DRIVER
    # ------------------------------------------------------------

    def run(self, days, orders_per_day, end_date):
        import freezegun  # Odoo requires it (tests); imported only when simulating

        # freezegun fakes time.perf_counter too: measure with the real one
        self.clock = freezegun.api.real_perf_counter
        start = self.clock()
        end_date = fields.Date.to_date(end_date) or fields.Date.context_today(self.env["res.users"])
        first_day = end_date - timedelta(days=days)
        self.freezer = freezegun.freeze_time(datetime.combine(first_day, time(7)))
        self.frozen = self.freezer.start()
        try:
            self._at(first_day - timedelta(days=1), 8)
            self.orders_per_day = orders_per_day
            self._stamp_create_dates()
            self._step("setup", self._setup)
            stream_start = self.clock()
            for offset in range(days):
                self._simulate_day(first_day + timedelta(days=offset), orders_per_day)
                if self.commit:
                    commit_chunk(self.env)
        finally:
            self.freezer.stop()
        stream_seconds = self.clock() - stream_start
        analyse_start = self.clock()
        self._analyse(first_day, end_date)
        self.timings["analyse"] += self.clock() - analyse_start
        seconds = self.clock() - start
        summary = self._summary(days, orders_per_day, stream_seconds, seconds)
        if self.commit:
            commit_chunk(self.env)
        _logger.info("Workflow Monitor simulator: %s", summary)
        return summary

    def _at(self, day, hour, minute=0):
        """Move the frozen clock to ``day`` at ``hour``:``minute`` (UTC)."""
        self.now = datetime.combine(day, time(int(hour), int(minute)))
        self.frozen.move_to(self.now)
        return self.now

    def _checkpoint(self):
        """Flush and run pre-commit at the simulated time, so the captured stages carry
        the time of the step, then date the new documents of the step."""
        self.env.flush_all()
        self.env.cr.precommit.run()
        self._stamp_create_dates()
        self.env.flush_all()

    def _stamp_create_dates(self):
        """PostgreSQL's now() is not frozen: the documents created during the step get
        the simulated time as creation date (read by the backorder aging figures)."""
        stamps = getattr(self, "_last_ids", None)
        tables = ("stock_picking", "sale_order", "purchase_order", "account_move")
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT %s",
                SQL(", ").join(
                    SQL("(SELECT COALESCE(max(id), 0) FROM %s)", SQL.identifier(t)) for t in tables
                ),
            )
        )
        current = dict(zip(tables, cr.fetchone(), strict=True))
        if stamps:
            for table in tables:
                if current[table] > stamps[table]:
                    cr.execute(
                        SQL(
                            "UPDATE %s SET create_date = %s WHERE id > %s",
                            SQL.identifier(table),
                            self.now,
                            stamps[table],
                        )
                    )
            for model in ("stock.picking", "sale.order", "purchase.order", "account.move"):
                self.env[model].invalidate_model(["create_date"])
        self._last_ids = current

    def _step(self, name, method, *args):
        """Run one step of the day and its checkpoint, timing both."""
        start = self.clock()
        method(*args)
        self._checkpoint()
        self.timings[name] += self.clock() - start

    def _simulate_day(self, day, orders_per_day):
        self._at(day, 9)
        self._step("receive", self._receive)
        self._at(day, 9, 30)
        self._step("reserve", self._reserve)
        self._at(day, 10)
        self._step("replenish", self._replenish)
        count = max(1, round(orders_per_day * self.rng_orders.uniform(0.8, 1.2)))
        per_batch = [count // 3 + (1 if i < count % 3 else 0) for i in range(3)]
        for hour, batch in zip((10, 11, 12), per_batch, strict=True):
            if batch:
                self._at(day, hour, self.rng_orders.randint(0, 50))
                self._step("sell", self._sell, batch)
        self._at(day, 14)
        self._step("follow_up", self._follow_up_quotations, day)
        self._at(day, 15)
        self._step("dispatch", self._dispatch)
        self._at(day, 16)
        self._step("returns", self._returns, day)
        self._at(day, 17)
        self._step("invoice", self._invoice, day)
        self._at(day, 17, 30)
        self._step("bill", self._bill, day)
        self._at(day, 18)
        self._step("pay", self._pay, day)
        self._at(day, 18, 30)
        self._step("watch", self._watch)
        _logger.info(
            "Workflow Monitor simulator: %s done (%s orders so far)", day, self.counts["orders"]
        )

    # ------------------------------------------------------------
    # MASTER DATA
    # ------------------------------------------------------------

    def _setup(self):
        env = self.env
        if not self.company.account_use_credit_limit:
            self.company.account_use_credit_limit = True
        self.warehouses = self._setup_warehouses()
        self._setup_sla_policies()
        self.vendors = self._setup_partners(
            "Vendor", self.sizes["vendors"], {"supplier_rank": 1, "is_company": True}
        )
        self.customers = self._setup_partners(
            "Customer", self.sizes["customers"], {"customer_rank": 1, "is_company": True}
        )
        # a few customers with a low credit limit: the over-credit orders go to them
        self.low_credit = self.customers[: max(1, len(self.customers) // 6)]
        for index, partner in enumerate(self.low_credit):
            if not partner.credit_limit:
                partner.credit_limit = 1500.0 + 500 * (index % 4)
        self.products, created = self._setup_products()
        # popularity: a few products sell much more (Zipf-like weights)
        self.product_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(self.products))]
        self.customer_weights = [1.0 / (rank + 1) ** 0.5 for rank in range(len(self.customers))]
        self._setup_orderpoints()
        if created:
            # opening stock: the reordering rules buy it, received before the first day
            self._replenish(opening=True)
            self._checkpoint()
            self._at(self.now.date(), 16)
            purchases = env["purchase.order"].search(
                [("partner_id", "in", self.vendors.ids), ("state", "in", ("draft", "sent"))]
            )
            purchases.button_confirm()
            self._receive(everything=True)
        self.counts.clear()

    def _setup_warehouses(self):
        Warehouse = self.env["stock.warehouse"]
        warehouses = Warehouse
        team = self.env.ref("workflow_monitor_base.team_operations", raise_if_not_found=False)
        for index, (name, code, _share, tz, params) in enumerate(
            WAREHOUSES[: self.sizes["warehouses"]]
        ):
            warehouse = Warehouse.search(
                [("code", "=", code), ("company_id", "=", self.company.id)], limit=1
            )
            if not warehouse:
                warehouse = Warehouse.create(
                    {
                        "name": name,
                        "code": code,
                        "company_id": self.company.id,
                        "workflow_tz": tz,
                        "workflow_team_id": team.id if team and index == 0 else False,
                        **params,
                    }
                )
            warehouses |= warehouse
        self.warehouse_shares = [w[2] for w in WAREHOUSES[: len(warehouses)]]
        return warehouses

    def _setup_sla_policies(self):
        """One copy of each shipped ``sla_*_main`` policy per simulated warehouse."""
        data = self.env["ir.model.data"].search(
            [
                ("module", "=", "workflow_monitor_distribution"),
                ("model", "=", "workflow.sla.policy"),
                ("name", "=like", "sla_%_main"),
            ]
        )
        templates = self.env["workflow.sla.policy"].browse(data.mapped("res_id")).exists()
        Policy = self.env["workflow.sla.policy"].with_context(active_test=False)
        existing = {
            (p.warehouse_id.id, p.definition_id.id, p.stage_id.id)
            for p in Policy.search([("warehouse_id", "in", self.warehouses.ids)])
        }
        vals_list = []
        for warehouse in self.warehouses:
            for template in templates:
                key = (warehouse.id, template.definition_id.id, template.stage_id.id)
                if key in existing:
                    continue
                name = template.name.replace("main warehouse", warehouse.name)
                if name == template.name:
                    name = f"{template.name} ({warehouse.name})"
                vals_list.append(
                    template.copy_data({"name": name, "warehouse_id": warehouse.id})[0]
                )
        if vals_list:
            Policy.create(vals_list)

    def _setup_partners(self, kind, count, values):
        Partner = self.env["res.partner"]
        names = [f"{PREFIX} {kind} {index:02d}" for index in range(1, count + 1)]
        existing = Partner.search([("name", "in", names)])
        by_name = {p.name: p for p in existing}
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

    def _setup_products(self):
        Product = self.env["product.product"]
        count = self.sizes["products"]
        codes = [f"{PREFIX}-{index:03d}" for index in range(1, count + 1)]
        existing = {p.default_code: p for p in Product.search([("default_code", "in", codes)])}
        buy = self.env.ref("purchase_stock.route_warehouse0_buy")
        rng = random.Random(1)  # prices do not depend on the stream's seed
        vals_list = []
        for index, code in enumerate(codes):
            if code in existing:
                continue
            cost = round(rng.uniform(4, 120), 2)
            vendor = self.vendors[index % len(self.vendors)]
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
                    "seller_ids": [
                        Command.create(
                            {
                                "partner_id": vendor.id,
                                "price": cost,
                                "delay": 1 + (index * 7) % 4,
                                "min_qty": 1,
                            }
                        )
                    ],
                }
            )
        created = Product.create(vals_list) if vals_list else Product
        for product in created:
            existing[product.default_code] = product
        return Product.browse([existing[code].id for code in codes]), bool(created)

    def _setup_orderpoints(self):
        """Min/max reordering rules per product and warehouse; the two last products are
        scarce (low maximum) so shortages and partial deliveries happen by themselves."""
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        existing = {
            (op.product_id.id, op.warehouse_id.id)
            for op in Orderpoint.search(
                [
                    ("warehouse_id", "in", self.warehouses.ids),
                    ("product_id", "in", self.products.ids),
                ]
            )
        }
        vals_list = []
        total = sum(self.product_weights)
        for warehouse, share in zip(self.warehouses, self.warehouse_shares, strict=True):
            for product, weight in zip(self.products, self.product_weights, strict=True):
                if (product.id, warehouse.id) in existing:
                    continue
                # expected units a day in this warehouse (2.1 lines of 4.6 units)
                daily = max(self.orders_per_day, 5) * 2.1 * 4.6 * share * weight / total
                scarce = product == self.products[-1] or product == self.products[-2]
                minimum = round(max(3, daily * (1 if scarce else 4)))
                vals_list.append(
                    {
                        "product_id": product.id,
                        "warehouse_id": warehouse.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "trigger": "auto",
                        "product_min_qty": minimum,
                        "product_max_qty": round(minimum * (1.5 if scarce else 3)),
                    }
                )
        if vals_list:
            Orderpoint.create(vals_list)
        self.orderpoints = Orderpoint.search(
            [("warehouse_id", "in", self.warehouses.ids), ("product_id", "in", self.products.ids)]
        )

    # ------------------------------------------------------------
    # PROCURE TO PAY
    # ------------------------------------------------------------

    def _sim_purchases(self, domain):
        return self.env["purchase.order"].search(
            [("partner_id", "in", self.vendors.ids), *domain], order="id"
        )

    def _replenish(self, opening=False):
        """The reordering rules create RFQs (Odoo's replenishment); most are confirmed
        at once, some are sent and answered later (or never)."""
        Purchase = self.env["purchase.order"]
        before = set(self._sim_purchases([("state", "in", ("draft", "sent"))]).ids)
        self.orderpoints.invalidate_recordset()
        self.orderpoints._procure_orderpoint_confirm(
            use_new_cursor=False, company_id=self.company, raise_user_error=False
        )
        rfqs = self._sim_purchases([("state", "in", ("draft", "sent"))])
        new = rfqs.filtered(lambda po: po.id not in before)
        if opening:
            return
        self.counts["purchase_orders"] += len(new)
        to_confirm, to_send = Purchase, Purchase
        to_cancel = Purchase
        for order in new:
            draw = self.rng.random()
            if draw < self.shares["rfq_unanswered"]:
                # answered 4-7 days later, or never: the buyer cancels it after 8 days
                to_send |= order
                answered = self.rng.random() < 0.7
                self.rfq_answer[order.id] = (
                    self.now + timedelta(days=self.rng.randint(4, 7) if answered else 8),
                    "confirm" if answered else "cancel",
                )
            elif draw < self.shares["rfq_unanswered"] + 0.2:
                to_send |= order  # answered the next day
                self.rfq_answer[order.id] = (self.now + timedelta(days=1), "confirm")
            else:
                to_confirm |= order
        # answers to RFQs sent on earlier days
        for order in rfqs - new:
            answer_at, action = self.rfq_answer.get(order.id, (self.now, "confirm"))
            if answer_at <= self.now:
                if action == "confirm":
                    to_confirm |= order
                else:
                    to_cancel |= order
        if to_cancel:
            to_cancel.button_cancel()
            self.counts["rfq_cancelled"] += len(to_cancel)
        if to_send:
            to_send.filtered(lambda po: po.state == "draft").print_quotation()
            self.counts["rfq_sent"] += len(to_send)
        if to_confirm:
            to_confirm.button_confirm()
            for order in to_confirm.filtered(lambda po: po.state in ("purchase", "done")):
                self._plan_receipts(order)

    def _plan_receipts(self, order):
        late = self.rng.random() < self.shares["late_supplier"]
        short = self.rng.random() < self.shares["short_receipt"]
        if late:
            self.late_purchases.add(order.id)
        for picking in order.picking_ids:
            if late:
                self.receive_after[picking.id] = picking.scheduled_date + timedelta(
                    days=self.rng.randint(2, 5)
                )
            if short:
                self.short_receipts.add(picking.id)

    def _receive(self, everything=False):
        """Validate the receipts due today (late ones wait); short ones leave a
        backorder, received 1-4 days later."""
        pickings = self.env["stock.picking"].search(
            [
                ("picking_type_id", "in", self.warehouses.in_type_id.ids),
                ("state", "=", "assigned"),
                ("scheduled_date", "<", self.now + timedelta(hours=12)),
            ],
            order="id",
        )
        if everything:  # opening stock: every receipt of the confirmed orders
            pickings = self.env["stock.picking"].search(
                [
                    ("picking_type_id", "in", self.warehouses.in_type_id.ids),
                    ("state", "=", "assigned"),
                ],
                order="id",
            )
        else:
            pickings = pickings.filtered(
                lambda p: self.receive_after.get(p.id, self.now) <= self.now
            )
        if not pickings:
            return
        short = pickings.filtered(lambda p: p.id in self.short_receipts) if not everything else []
        for picking in short:
            moves = picking.move_ids.filtered(lambda m: m.quantity > 1)
            if moves:
                move = moves[0]
                move.quantity = max(1, int(move.quantity * self.rng.uniform(0.4, 0.8)))
        late = pickings.filtered(lambda p: p.scheduled_date + timedelta(days=1) < self.now)
        done, backorders = self._validate(pickings)
        for backorder in backorders:
            self.receive_after[backorder.id] = self.now + timedelta(days=self.rng.randint(1, 4))
        if not everything:
            self.counts["receipts"] += len(done)
            self.counts["partial_receipts"] += len(backorders)
            self.counts["late_receipts"] += len(late & done)

    def _bill(self, day):
        """Vendor bills for what was received (0-3 days after), some mismatched."""
        purchases = self._sim_purchases(
            [("state", "in", ("purchase", "done")), ("invoice_status", "=", "to invoice")]
        )
        purchases = purchases.filtered(lambda po: self.rng.random() < 0.5)
        if not purchases:
            return
        purchases.action_create_invoice()
        bills = purchases.invoice_ids.filtered(
            lambda m: m.state == "draft" and m.move_type == "in_invoice"
        )
        for bill in bills:
            values = {"invoice_date": day}
            if self.rng.random() < self.shares["mismatch"]:
                line = bill.invoice_line_ids.filtered("purchase_line_id")[:1]
                if line:
                    if self.rng.random() < 0.5:
                        change = {
                            "price_unit": round(line.price_unit * self.rng.uniform(1.05, 1.15), 2)
                        }
                    else:
                        change = {"quantity": line.quantity + self.rng.randint(1, 3)}
                    values["invoice_line_ids"] = [Command.update(line.id, change)]
                    self.counts["mismatched"] += 1
                    self.pay_after[bill.id] = None  # on hold until someone looks at it
            bill.write(values)
            if bill.id not in self.pay_after:
                self.pay_after[bill.id] = day + timedelta(days=self.rng.randint(5, 20))
        bills.action_post()
        self.counts["bills"] += len(bills.filtered(lambda m: m.state == "posted"))

    # ------------------------------------------------------------
    # ORDER TO CASH
    # ------------------------------------------------------------

    def _sim_orders(self, domain):
        return self.env["sale.order"].search(
            [("partner_id", "in", self.customers.ids), *domain], order="id"
        )

    def _order_lines(self, budget=None):
        lines = []
        count = self.rng_orders.choices((1, 2, 3, 4), weights=(30, 35, 25, 10))[0]
        products = set()
        while len(products) < count:
            products.add(
                self.rng_orders.choices(range(len(self.products)), self.product_weights)[0]
            )
        for index in sorted(products):
            product = self.products[index]
            qty = self.rng_orders.choices(
                (1, 2, 3, 5, 8, 10, 12), weights=(20, 20, 15, 20, 10, 10, 5)
            )[0]
            if budget:
                qty = max(qty, int(budget / len(products) / max(product.list_price, 1)) + 1)
            lines.append(Command.create({"product_id": product.id, "product_uom_qty": qty}))
        return lines

    def _sell(self, count):
        """Create ``count`` orders in one batch and confirm most of them at once."""
        vals_list, over_credit, quotations = [], [], []
        for index in range(count):
            warehouse = self.rng_orders.choices(self.warehouses, self.warehouse_shares)[0]
            budget = None
            if self.rng_orders.random() < self.shares["over_credit"]:
                partner = self.rng_orders.choice(self.low_credit)
                budget = partner.credit_limit * self.rng_orders.uniform(1.2, 1.6)
                over_credit.append(index)
            else:
                partner = self.rng_orders.choices(self.customers, self.customer_weights)[0]
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "warehouse_id": warehouse.id,
                    "order_line": self._order_lines(budget),
                }
            )
            if budget is None and self.rng_orders.random() < self.shares["quotation"]:
                quotations.append(index)
        orders = self.env["sale.order"].create(vals_list)
        self.counts["orders"] += len(orders)
        quotation_orders = orders.browse([orders[i].id for i in quotations])
        to_confirm = orders - quotation_orders
        sent = quotation_orders.filtered(lambda o: self.rng_orders.random() < 0.6)
        if sent:
            sent.action_quotation_sent()
        for order in quotation_orders:
            draw = self.rng_orders.random()
            outcome = "confirm" if draw < 0.5 else "cancel" if draw < 0.8 else "stale"
            self.quotation_plan[order.id] = (
                self.now.date() + timedelta(days=self.rng_orders.randint(1, 5)),
                outcome,
            )
        self._confirm(to_confirm)
        self.counts["quotations"] += len(quotation_orders)
        self.counts["over_credit"] += len(over_credit)

    def _confirm(self, orders):
        if not orders:
            return
        orders.action_confirm()
        confirmed = orders.filtered(lambda o: o.state == "sale")
        self.counts["confirmed"] += len(confirmed)
        for order in confirmed:
            if self.rng.random() < self.shares["cancel"]:
                self.cancel_orders[order.id] = self.now.date() + timedelta(
                    days=self.rng.randint(0, 2)
                )
                continue
            late = self.rng.random() < self.shares["late_delivery"]
            short = self.rng.random() < self.shares["short_delivery"]
            for picking in order.picking_ids:
                if late:
                    tolerance = picking.picking_type_id.warehouse_id.workflow_late_tolerance_hours
                    self.ship_after[picking.id] = picking.scheduled_date + timedelta(
                        hours=tolerance + 24 * self.rng.randint(1, 3)
                    )
                if short:
                    self.short_pickings.add(picking.id)
            if self.rng.random() < self.shares["return"]:
                self.return_on[order.id] = self.now.date() + timedelta(days=self.rng.randint(3, 10))

    def _follow_up_quotations(self, day):
        """Quotations answered (confirmed or cancelled), cancelled ones reopened, and
        customer cancellations of confirmed, unshipped orders."""
        Order = self.env["sale.order"]
        quotations = self._sim_orders([("state", "in", ("draft", "sent"))])
        to_confirm, to_cancel = Order, Order
        for order in quotations:
            plan_day, outcome = self.quotation_plan.get(order.id, (day, "stale"))
            if plan_day > day:
                continue
            if outcome == "confirm" or order.id in self.reopen:
                to_confirm |= order
            elif outcome == "cancel":
                to_cancel |= order
        if to_cancel:
            # sent quotations open the "send a cancellation e-mail" wizard: skip it
            to_cancel.with_context(disable_cancel_warning=True).action_cancel()
            self.counts["cancelled_quotations"] += len(to_cancel)
            for order in to_cancel:
                del self.quotation_plan[order.id]
                if self.rng.random() < self.shares["reopen"]:
                    self.reopen[order.id] = day + timedelta(days=self.rng.randint(1, 3))
        reopen = Order.browse(
            [oid for oid, when in self.reopen.items() if when <= day and oid not in to_confirm.ids]
        ).filtered(lambda o: o.state == "cancel")
        if reopen:
            reopen.action_draft()
            self.counts["reopened"] += len(reopen)
            for order in reopen:
                self.quotation_plan[order.id] = (day + timedelta(days=1), "confirm")
        self._confirm(to_confirm)
        for order in to_confirm:
            self.reopen.pop(order.id, None)
            self.quotation_plan.pop(order.id, None)
        due = sorted(oid for oid, when in self.cancel_orders.items() if when <= day)
        for order_id in due:
            del self.cancel_orders[order_id]
        cancel = Order.browse(due).filtered(
            lambda o: o.state == "sale"
            and not o.picking_ids.filtered(lambda p: p.state == "done")
            and not o.invoice_ids
        )
        if cancel:
            cancel.with_context(disable_cancel_warning=True).action_cancel()
            self.counts["cancelled_orders"] += len(cancel.filtered(lambda o: o.state == "cancel"))

    def _reserve(self):
        """Reserve the waiting deliveries (what Odoo's scheduler does)."""
        pickings = self.env["stock.picking"].search(
            [
                ("picking_type_id", "in", self.warehouses.out_type_id.ids),
                ("state", "in", ("confirmed", "waiting")),
            ]
        )
        if pickings:
            pickings.action_assign()

    def _dispatch(self):
        """Ship what is ready and due by tomorrow; late ones wait, short ones ship less
        than reserved and leave a backorder (through the backorder wizard)."""
        pickings = self.env["stock.picking"].search(
            [
                ("picking_type_id", "in", self.warehouses.out_type_id.ids),
                ("state", "=", "assigned"),
                ("scheduled_date", "<", self.now + timedelta(days=1)),
            ],
            order="id",
        )
        pickings = pickings.filtered(lambda p: self.ship_after.get(p.id, self.now) <= self.now)
        if not pickings:
            return
        for picking in pickings.filtered(lambda p: p.id in self.short_pickings):
            moves = picking.move_ids.filtered(lambda m: m.quantity >= 2)
            if moves:
                move = self.rng.choice(moves)
                move.quantity = max(1, int(move.quantity * self.rng.uniform(0.3, 0.7)))
        late = pickings.filtered(
            lambda p: p.scheduled_date
            + timedelta(hours=p.picking_type_id.warehouse_id.workflow_late_tolerance_hours)
            < self.now
        )
        done, backorders = self._validate(pickings)
        for backorder in backorders:
            # the rest ships once restocked, or after 1-7 days for a picking error
            self.ship_after[backorder.id] = self.now + timedelta(days=self.rng.randint(1, 7))
        self.counts["deliveries"] += len(done)
        self.counts["partial"] += len(backorders)
        self.counts["late"] += len(late & done)

    def _validate(self, pickings):
        """Validate with the quantities set on the moves (reserved or changed above),
        processing the backorder wizard like a user; return (done, backorders)."""
        moves = pickings.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        moves.filtered(lambda m: m.quantity).picked = True
        ready = pickings.filtered(lambda p: any(m.picked for m in p.move_ids))
        if not ready:
            return pickings.browse(), pickings.browse()
        existing = set(pickings.search([("backorder_id", "in", ready.ids)]).ids)
        result = ready.button_validate()
        if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
            wizard = (
                self.env["stock.backorder.confirmation"]
                .with_context(**result["context"])
                .create({})
            )
            wizard.process()
        done = ready.filtered(lambda p: p.state == "done")
        backorders = pickings.search([("backorder_id", "in", done.ids)]) - pickings.browse(existing)
        return done, backorders

    def _returns(self, day):
        """Customers send part of a delivery back (return wizard); the order's next
        invoice is then a credit note when it was invoiced already."""
        due = sorted(oid for oid, when in self.return_on.items() if when <= day)
        for order_id in due:
            del self.return_on[order_id]
        orders = self.env["sale.order"].browse(due).filtered(lambda o: o.state == "sale")
        Return = self.env["stock.return.picking"]
        returns = self.env["stock.picking"]
        for order in orders:
            delivery = order.picking_ids.filtered(
                lambda p: p.state == "done" and p.picking_type_code == "outgoing"
            )[:1]
            if not delivery:
                continue
            wizard = Return.with_context(
                active_id=delivery.id, active_model="stock.picking"
            ).create({"picking_id": delivery.id})
            line = self.rng.choice(wizard.product_return_moves)
            line.quantity = max(1, int(line.move_id.quantity * self.rng.uniform(0.2, 1.0)))
            returns |= wizard._create_return()
        if returns:
            for move in returns.move_ids:
                move.quantity = move.product_uom_qty
            done, _backorders = self._validate(returns)
            self.counts["returns"] += len(done)

    def _invoice(self, day):
        """Invoice the delivered quantities (0-2 days after shipping): one invoice per
        order, a credit note for returned invoiced goods; a few invoices go out above
        the delivered quantity."""
        orders = self._sim_orders([("state", "=", "sale"), ("invoice_status", "=", "to invoice")])
        orders = orders.filtered(lambda o: self.rng.random() < 0.6)
        if not orders:
            return
        moves = orders.with_context(raise_if_nothing_to_invoice=False)._create_invoices(
            grouped=True, final=True
        )
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        for invoice in invoices:
            if self.rng.random() < self.shares["invoice_mismatch"]:
                line = invoice.invoice_line_ids.filtered("sale_line_ids")[:1]
                if line:
                    invoice.write(
                        {
                            "invoice_line_ids": [
                                Command.update(line.id, {"quantity": line.quantity + 1})
                            ]
                        }
                    )
                    self.counts["invoice_mismatched"] += 1
        moves.action_post()
        posted = moves.filtered(lambda m: m.state == "posted")
        for move in posted:
            if move.move_type == "out_refund":
                self.pay_after[move.id] = day + timedelta(days=self.rng.randint(1, 3))
            elif self.rng.random() < self.shares["unpaid"]:
                self.pay_after[move.id] = None
            else:
                self.pay_after[move.id] = day + timedelta(
                    days=int(self.rng.choices((1, 3, 5, 10, 20), (15, 30, 30, 15, 10))[0])
                )
        self.counts["invoices"] += len(posted & invoices)
        self.counts["credit_notes"] += len(posted - invoices)

    def _pay(self, day):
        """Register the payments due today with the payment wizard (customers pay
        invoices, the company pays bills and refunds)."""
        due = [mid for mid, when in self.pay_after.items() if when is not None and when <= day]
        moves = (
            self.env["account.move"]
            .browse(sorted(due))
            .filtered(lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial"))
        )
        for mid in due:
            del self.pay_after[mid]
        for move_types, counter in (
            (("out_invoice",), "payments"),
            (("in_invoice",), "vendor_payments"),
            (("out_refund",), "refund_payments"),
        ):
            batch = moves.filtered(lambda m, types=move_types: m.move_type in types)
            if not batch:
                continue
            wizard = (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=batch.ids)
                .create({"payment_date": day, "group_payment": True})
            )
            payments = wizard._create_payments()
            self.counts[counter] += len(payments)

    # ------------------------------------------------------------
    # ANALYSIS
    # ------------------------------------------------------------

    def _watch(self):
        """End of the day: the detectors and the SLA sweep run as their scheduled
        actions would, so exceptions are first seen on the day they happen."""
        Detector = self.env["workflow.distribution.detector"]
        for name in Detector.DETECTORS:
            Detector._cron_detect(name)
        self.env["workflow.instance"]._cron_sla_sweep()

    def _analyse(self, first_day, end_date):
        """What the scheduled actions would have done: detectors, SLA and stale
        sweeps, and one KPI snapshot per simulated day (plus today's)."""
        Detector = self.env["workflow.distribution.detector"]
        for name in Detector.DETECTORS:
            Detector._cron_detect(name)
        Instance = self.env["workflow.instance"]
        Instance._cron_sla_sweep()
        Instance._cron_stale_sweep()
        Kpi = self.env["workflow.kpi"]
        day = first_day
        while day <= end_date:
            Kpi._cron_kpi_snapshot(day=day)
            day += timedelta(days=1)
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _summary(self, days, orders_per_day, stream_seconds, seconds):
        exceptions = (
            self.env["workflow.exception"]
            .sudo()
            ._read_group(
                [("state", "not in", ("resolved", "dismissed"))], ["category_id"], ["__count"]
            )
        )
        summary = dict(self.counts)
        summary.update(
            {
                "days": days,
                "orders_per_day": orders_per_day,
                "warehouses": len(self.warehouses),
                "exceptions": {category.code: count for category, count in exceptions},
                "seconds": round(seconds, 1),
                "stream_seconds": round(stream_seconds, 1),
                "step_seconds": {k: round(v, 1) for k, v in sorted(self.timings.items())},
                # the daily stream only: master data is created once
                "orders_per_second": round(self.counts["orders"] / stream_seconds, 2)
                if stream_seconds
                else 0.0,
            }
        )
        for key in (
            "orders",
            "deliveries",
            "partial",
            "late",
            "bills",
            "mismatched",
            "invoices",
            "payments",
            "returns",
            "credit_notes",
        ):
            summary.setdefault(key, 0)
        return summary
