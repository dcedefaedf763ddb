# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, models
from odoo.exceptions import AccessError

from ..simulator import Simulation, SimulationSettings


class WorkflowSimulator(models.AbstractModel):
    """A realistic, reproducible distribution stream through Odoo's real flows.

    Feeds the demo database (``make demo``) and the benchmarks. The simulation itself is
    plain Python in ``workflow_monitor_distribution/simulator/``; this model is its
    entry point.
    """

    _name = "workflow.simulator"
    _description = "Workflow Monitor Distribution Simulator"

    @api.model
    def run(self, **options):
        """Simulate ``days`` days of a distribution company, ending the day before
        ``end_date`` (default: today), then run the detectors, the SLA and stale sweeps
        and store one KPI snapshot per simulated day.

        Options (keyword arguments, all optional; see ``simulator/settings.py``):
        ``days`` (30), ``orders_per_day`` (20), ``seed`` (42), ``commit`` (False: commit
        after each simulated day, for the demo database; ignored in tests),
        ``end_date`` (date or string), the master data sizes ``warehouses`` (3, at most
        3), ``products`` (20), ``customers`` (30), ``vendors`` (6), and the known shares
        (0-1) of the cases the detectors and KPIs must see:

        - ``late_delivery_share`` (0.12): deliveries held 1-3 days past their scheduled
          date and tolerance (``late_delivery``; on-time dispatch KPI).
        - ``short_delivery_share`` (0.10): deliveries shipped short on one line, the rest
          on a backorder shipped 1-7 days later (fill rate, ``backorder_aging``);
          products out of stock add natural partial deliveries and ``stock_shortage``.
        - ``late_supplier_share`` (0.15): receipts arriving 2-5 days after the planned
          date (``supplier_delay``); ``short_receipt_share`` (0.10): receipts short on
          one line.
        - ``rfq_unanswered_share`` (0.10): RFQs sent and answered 4-7 days later, or
          never.
        - ``mismatch_share`` (0.10): vendor bills whose price (+5-15 %) or quantity
          (+1-3) differs from the purchase order or receipt (``invoice_mismatch``);
          ``invoice_mismatch_share`` (0.02): customer invoices above the delivered
          quantity.
        - ``over_credit_share`` (0.04): orders of low-limit customers above their credit
          limit, confirmed anyway (``credit_hold``).
        - ``quotation_share`` (0.10): quotations not confirmed at once (some confirmed
          later, some cancelled, some left to go stale); ``reopen_share`` (0.3): the
          part of the cancelled quotations set back to quotation and confirmed;
          ``cancel_share`` (0.03): confirmed orders cancelled before shipping.
        - ``return_share`` (0.04): deliveries partly returned (a credit note follows
          when the order was invoiced); ``unpaid_share`` (0.10): invoices left unpaid.
        - With Workflow Monitor Approvals installed (``simulator/approvals.py``):
          ``discount_share`` (0.08): orders with a line discount above the SIM discount
          policy's threshold; what the approvers do with the pending requests, one
          outcome per document: ``approval_reject_share`` (0.15),
          ``approval_delegate_share`` (0.15, delegated and decided by the other
          approver), ``approval_escalate_share`` (0.10, left to escalate); together at
          most 1, the rest is approved.

        Reproducible: the order stream (how many orders a day, customers, warehouses,
        products, quantities, quotations) comes from ``random.Random`` seeded with
        ``seed`` alone; the operational decisions (late, short, when to invoice or pay)
        use a second generator of the same seed over Odoo's documents in id order, so
        the same options on copies of the same database give the same run, whatever
        the day it runs.

        Every day runs through the real flows (no state is written directly; chatter
        and tracking messages are not simulated) at the time of each step: receipts
        (09:00), reservations (09:30), reordering (10:00), new orders (10:00-12:00),
        approval decisions and escalation (13:00), quotation follow-up and
        cancellations (14:00), dispatch (15:00), returns (16:00), cycle count (16:30),
        customer invoices (17:00), vendor bills (17:30), payments (18:00), detectors
        and SLA sweep (18:30). It acts as named users (``simulator/users.py``):
        salespeople, a buyer, a warehouse user and two approvers. The documents get
        these dates explicitly (order, commitment, planned, done, invoice and payment
        dates); the engine's clock (``workflow_monitor_base/tools/clock.py``) stamps
        events, instances, exceptions, approval requests and KPI snapshots with them.

        :return: a summary dict, also logged: counts (``orders``, ``confirmed``,
            ``quotations``, ``over_credit``, ``deliveries``, ``partial``, ``late``,
            ``receipts``, ``partial_receipts``, ``late_receipts``, ``purchase_orders``,
            ``bills``, ``mismatched``, ``invoices``, ``invoice_mismatched``,
            ``credit_notes``, ``payments``, ``vendor_payments``, ``returns``,
            cancellations...), ``approvals`` (requests of the SIM policies by outcome,
            with Workflow Monitor Approvals), ``exceptions`` (open ones by category code),
            ``seconds`` (total), ``stream_seconds`` and ``orders_per_second`` (the
            daily stream, master data excluded) and ``step_seconds``.
        """
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only administrators can run the Workflow Monitor simulator."))
        settings = SimulationSettings.from_options(**options)
        return Simulation(self.env, settings).run()
