# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The named users the simulator acts as, created once (``catalogue.USERS``): two
salespeople (who create and confirm the sale orders of their customers), a buyer (who
confirms the purchases), a warehouse user (who validates receipts, deliveries and
returns and counts stock) and two approvers (a sales manager and an operations
manager, who decide the approval requests)."""

from dataclasses import dataclass

from odoo import Command

from .catalogue import USERS


@dataclass(frozen=True)
class People:
    salespeople: object
    buyer: object
    warehouse: object
    approvers: object  # [sales approver, operations approver]

    def bound(self, env):
        return People(
            **{name: getattr(self, name).with_env(env) for name in self.__dataclass_fields__}
        )

    @property
    def sales_approver(self):
        return self.approvers[0]

    @property
    def operations_approver(self):
        return self.approvers[1]


def setup(sim, company):
    """Create (once) or reuse the users of ``catalogue.USERS`` in ``company``."""
    Users = sim.env["res.users"].with_context(active_test=False, no_reset_password=True)
    existing = {u.login: u for u in Users.search([("login", "in", [p.login for p in USERS])])}
    vals_list = []
    for profile in USERS:
        if profile.login in existing:
            continue
        groups = [sim.env.ref(xmlid, raise_if_not_found=False) for xmlid in profile.groups]
        vals_list.append(
            {
                "login": profile.login,
                "name": profile.name,
                "email": f"{profile.login}@sim.example.com",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.set([g.id for g in groups if g])],
                "tz": "Europe/Brussels",
                # Odoo's inbox, not e-mails: nothing leaves the simulated company
                "notification_type": "inbox",
            }
        )
    for user in Users.create(vals_list):
        existing[user.login] = user
    by_role = {}
    for profile in USERS:
        by_role.setdefault(profile.role, Users.browse())
        by_role[profile.role] |= existing[profile.login]
    return People(
        salespeople=by_role["sales"],
        buyer=by_role["buyer"],
        warehouse=by_role["warehouse"],
        approvers=by_role["approver"],
    )
