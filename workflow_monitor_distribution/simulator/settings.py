# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The options of one simulator run, validated at once (``workflow.simulator.run``
keyword arguments)."""

import dataclasses
from dataclasses import dataclass, field
from datetime import date

from odoo import _, fields
from odoo.exceptions import UserError

from .catalogue import PRODUCT_WORDS, WAREHOUSES

APPROVAL_OUTCOME_SHARES = (
    "approval_reject_share",
    "approval_delegate_share",
    "approval_escalate_share",
)


@dataclass(frozen=True)
class Shares:
    """Known shares (0-1) of the cases the detectors and KPIs must see; the names are
    the keyword arguments of ``run()``."""

    late_delivery_share: float = 0.12
    short_delivery_share: float = 0.10
    late_supplier_share: float = 0.15
    short_receipt_share: float = 0.10
    mismatch_share: float = 0.10
    invoice_mismatch_share: float = 0.02
    over_credit_share: float = 0.04
    quotation_share: float = 0.10
    cancel_share: float = 0.03
    reopen_share: float = 0.3
    return_share: float = 0.04
    unpaid_share: float = 0.10
    rfq_unanswered_share: float = 0.10
    # carriers: deliveries the carrier fails to deliver the first time (delivered one or
    # two days later); network: the days on which each warehouse but the first is
    # resupplied from the first (inter-warehouse transfers), transfers received late;
    # replenishment: needs of a reordering rule the buyer misses for 3-5 days, RFQs of
    # the rules the buyer orders a second time by hand (cancelled 1-3 days later)
    failed_delivery_share: float = 0.05
    transfer_share: float = 0.5
    late_transfer_share: float = 0.2
    missed_replenishment_share: float = 0.05
    duplicate_replenishment_share: float = 0.05
    # approvals (used when Workflow Monitor Approvals is installed): sale orders with a
    # line discount above the discount policy's threshold, and what the approvers do
    # with the requests (the rest is approved)
    discount_share: float = 0.08
    approval_reject_share: float = 0.15
    approval_delegate_share: float = 0.15
    approval_escalate_share: float = 0.10


@dataclass(frozen=True)
class Sizes:
    """How much master data to create (or reuse), within what the catalogue holds."""

    warehouses: int = 3
    products: int = 20
    customers: int = 30
    vendors: int = 6

    def clamped(self):
        return Sizes(
            warehouses=max(1, min(self.warehouses, len(WAREHOUSES))),
            products=max(2, min(self.products, len(PRODUCT_WORDS))),
            customers=max(3, self.customers),
            vendors=max(1, self.vendors),
        )


@dataclass(frozen=True)
class SimulationSettings:
    days: int = 30
    orders_per_day: int = 20
    seed: int = 42
    commit: bool = False
    end_date: date | None = None  # the day after the last simulated day (default: today)
    shares: Shares = field(default_factory=Shares)
    sizes: Sizes = field(default_factory=Sizes)

    @classmethod
    def from_options(cls, **options):
        """Settings from the keyword arguments of ``run()``; UserError naming the option
        when one is unknown or out of range."""
        groups = {"shares": {}, "sizes": {}, "run": {}}
        names = {
            "shares": {f.name for f in dataclasses.fields(Shares)},
            "sizes": {f.name for f in dataclasses.fields(Sizes)},
            "run": {"days", "orders_per_day", "seed", "commit", "end_date"},
        }
        for key, value in options.items():
            group = next((g for g, keys in names.items() if key in keys), None)
            if group is None:
                raise UserError(_("Unknown simulator option: %(name)s.", name=key))
            groups[group][key] = value
        run = groups["run"]
        if "end_date" in run:
            run["end_date"] = _to_date(run["end_date"])
        settings = cls(**run, shares=Shares(**groups["shares"]), sizes=Sizes(**groups["sizes"]))
        settings._check()
        return dataclasses.replace(settings, sizes=settings.sizes.clamped())

    def _check(self):
        for name, share in dataclasses.asdict(self.shares).items():
            if not isinstance(share, (int, float)) or not 0 <= share <= 1:
                raise UserError(
                    _("%(name)s must be between 0 and 1, not %(share)s.", name=name, share=share)
                )
        outcomes = APPROVAL_OUTCOME_SHARES
        if sum(getattr(self.shares, name) for name in outcomes) > 1:
            raise UserError(
                _(
                    "%(names)s must add up to 1 at most (the rest of the requests is approved).",
                    names=", ".join(outcomes),
                )
            )
        for name in ("days", "orders_per_day"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise UserError(
                    _("%(name)s must be at least 1, not %(value)s.", name=name, value=value)
                )
        for name, value in dataclasses.asdict(self.sizes).items():
            if not isinstance(value, int):
                raise UserError(
                    _("%(name)s must be a number, not %(value)s.", name=name, value=value)
                )


def _to_date(value):
    try:
        return fields.Date.to_date(value) or None
    except (TypeError, ValueError) as error:
        raise UserError(
            _("end_date must be a date (YYYY-MM-DD), not %(value)s.", value=value)
        ) from error
