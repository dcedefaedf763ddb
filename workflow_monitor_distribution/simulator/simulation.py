# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The driver of a run: the simulated clock, the steps of a day and their order."""

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import perf_counter

from odoo import fields

from odoo.addons.workflow_monitor_base.tools import clock, commit_chunk

from . import (
    accounting,
    analysis,
    approvals,
    carrier,
    dispatch,
    master_data,
    purchases,
    replenishment,
    sales,
    summary,
    transfers,
)

_logger = logging.getLogger(__name__)

# Chatter and tracking messages are not simulated: they do not feed Workflow Monitor,
# which captures stages itself, and cost half of the time.
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "mail_auto_subscribe_no_notify": True,
}
# the day's schedule (UTC): hour, minute, step name, function(simulation)
MORNING = (
    (8, 30, "carrier", carrier.track),
    (9, 0, "receive", purchases.receive),
    (9, 15, "receive_transfers", transfers.receive),
    (9, 30, "reserve", dispatch.reserve),
    (9, 45, "request_transfers", transfers.request),
    (10, 0, "replenish", purchases.replenish),
)
SALES_HOURS = (10, 11, 12)  # new orders, in three batches at a random minute
AFTERNOON = (
    (13, 0, "approve", approvals.decide),  # with Workflow Monitor Approvals only
    (14, 0, "follow_up", sales.follow_up),
    (15, 0, "dispatch", dispatch.dispatch),
    (15, 30, "ship_transfers", transfers.ship),
    (16, 0, "returns", dispatch.returns),
    (16, 30, "count", approvals.cycle_count),  # idem
    (17, 0, "invoice", accounting.invoice),
    (17, 30, "bill", purchases.bill),
    (18, 0, "pay", accounting.pay),
    (18, 30, "watch", analysis.watch),
)


@dataclass
class Plans:
    """What was decided for each document (by id) when it appeared."""

    ship_after: dict = field(default_factory=dict)  # outgoing picking -> datetime
    short_pickings: set = field(default_factory=set)  # outgoing pickings shipped short
    receive_after: dict = field(default_factory=dict)  # incoming picking -> datetime
    short_receipts: set = field(default_factory=set)
    late_purchases: set = field(default_factory=set)  # purchase orders received late
    rfq_answer: dict = field(default_factory=dict)  # RFQ -> RfqAnswer
    quotation_plan: dict = field(default_factory=dict)  # quotation -> QuotationPlan
    reopen: dict = field(default_factory=dict)  # cancelled quotation -> date to reopen
    cancel_orders: dict = field(default_factory=dict)  # confirmed order -> cancellation date
    pay_after: dict = field(default_factory=dict)  # invoice/bill -> date (None: never)
    return_on: dict = field(default_factory=dict)  # sale order -> date of the return
    approval_outcome: dict = field(default_factory=dict)  # (model, id) -> approvals outcome
    carrier_updates: list = field(default_factory=list)  # carrier.Update, sent when due
    transfer_receive_after: dict = field(default_factory=dict)  # receipt from transit -> dt
    late_transfers: set = field(default_factory=set)  # shipments received late
    missed_until: dict = field(default_factory=dict)  # orderpoint -> date the buyer acts


class Simulation:
    """State of one run: settings, random generators, the simulated time, the master
    data, the plans and the counters. The step functions of the other files take it
    as their only argument.

    Every step runs in an environment whose engine clock (``clock.at``) is the step's
    time, so events, instances, exceptions and KPI snapshots follow the simulated days;
    the business documents get the simulated dates explicitly (see the step files).
    """

    def __init__(self, env, settings):
        self.settings = settings
        self.shares = settings.shares
        self.base_env = env(context=dict(env.context, **QUIET))
        self.env = self.base_env
        # the order stream (how many orders, who, what) has its own generator, so it
        # does not depend on how many documents Odoo's flows created on the way
        self.rng_orders = random.Random(f"{settings.seed}-orders")
        self.rng = random.Random(settings.seed)
        # the carrier and the network (transfers, replenishment faults) draw from their
        # own generators: their draws do not move the other shares' ones
        self.rng_carrier = random.Random(f"{settings.seed}-carrier")
        self.rng_network = random.Random(f"{settings.seed}-network")
        self.counts = Counter()
        self.timings = Counter()  # step -> seconds
        self.plans = Plans()
        self.master = None  # master_data.MasterData, once set up
        self.now = None

    @property
    def today(self):
        return self.now.date()

    def at(self, day, hour, minute=0):
        """Move the simulated time to ``day`` at ``hour``:``minute`` (UTC)."""
        self.now = datetime.combine(day, time(int(hour), int(minute)))
        self._use(self.base_env(context=dict(self.base_env.context, **clock.at(self.now))))
        return self.now

    def _use(self, env):
        self.env = env
        if self.master:
            self.master = self.master.bound(env)

    def checkpoint(self):
        """Flush and run pre-commit, so the captured stages carry the step's time."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def step(self, name, function, *args):
        """Run one step of the day and its checkpoint, timing both."""
        start = perf_counter()
        function(self, *args)
        self.checkpoint()
        self.timings[name] += perf_counter() - start

    def run(self):
        start = perf_counter()
        days = self.settings.days
        end_date = self.settings.end_date or fields.Date.context_today(self.env["res.users"])
        first_day = end_date - timedelta(days=days)
        self.checkpoint()  # the caller's pending capture keeps the caller's time
        self.at(first_day - timedelta(days=1), 8)
        with replenishment.scheduler_off(self.env):
            self.step("setup", master_data.setup)
        stream_start = perf_counter()
        for offset in range(days):
            self.simulate_day(first_day + timedelta(days=offset))
            if self.settings.commit:
                commit_chunk(self.env)
            _logger.info(
                "Workflow Monitor simulator: day %s/%s (%s) done, %s orders so far, %.0f s",
                offset + 1,
                days,
                first_day + timedelta(days=offset),
                self.counts["orders"],
                perf_counter() - start,
            )
        stream_seconds = perf_counter() - stream_start
        # the scheduled actions after the stream run at the server's time
        self._use(self.base_env)
        analyse_start = perf_counter()
        analysis.analyse(self, first_day, end_date)
        self.timings["analyse"] += perf_counter() - analyse_start
        result = summary.build(self, stream_seconds, perf_counter() - start)
        if self.settings.commit:
            commit_chunk(self.env)
        _logger.info("Workflow Monitor simulator: %s", result)
        _logger.info("Workflow Monitor simulator summary:\n%s", summary.table(result))
        return result

    def simulate_day(self, day):
        with replenishment.scheduler_off(self.env):
            self._simulate_day(day)

    def _simulate_day(self, day):
        for hour, minute, name, function in MORNING:
            self.at(day, hour, minute)
            self.step(name, function)
        count = max(1, round(self.settings.orders_per_day * self.rng_orders.uniform(0.8, 1.2)))
        per_batch = [count // 3 + (1 if i < count % 3 else 0) for i in range(3)]
        for hour, batch in zip(SALES_HOURS, per_batch, strict=True):
            if batch:
                self.at(day, hour, self.rng_orders.randint(0, 50))
                self.step("sell", sales.sell, batch)
        for hour, minute, name, function in AFTERNOON:
            self.at(day, hour, minute)
            self.step(name, function)
