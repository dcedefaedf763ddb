# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user


class ApprovalCommon(TransactionCase):
    """Users (salesperson, approvers, escalation user, workflow manager), a second
    company, products with a cost, customers and vendors, and helpers that create
    documents through Odoo's real flows and approval policies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # start from a clean configuration: other policies (demo) must not interfere
        cls.env["workflow.approval.policy"].search([]).write({"active": False})
        # Refused attempts are logged from a separate, committed cursor, and their signals
        # add up over the whole run: this transaction must not raise (and lock) the
        # security_signal exception that those commits may already have raised, or the
        # next committed signal fails on it (the signal mechanism is the base's, tested
        # there).
        cls.env["ir.config_parameter"].set_param(
            "workflow_monitor.security_signal_threshold", "1000000"
        )
        cls.company = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "WM Approvals Company B"})
        both = [Command.set((cls.company | cls.company_b).ids)]
        only_a = [Command.set(cls.company.ids)]

        def user(login, groups, company_ids=None, company=cls.company):
            company_ids = company_ids or only_a
            return mail_new_test_user(
                cls.env,
                login=login,
                name=login.replace("_", " ").title(),
                groups=groups,
                company_id=company.id,
                company_ids=company_ids,
                notification_type="inbox",
            )

        sales = "base.group_user,sales_team.group_sale_salesman,stock.group_stock_user"
        cls.salesperson = user("wm_sales", sales)
        cls.approver = user(
            "wm_approver",
            "base.group_user,sales_team.group_sale_manager,purchase.group_purchase_manager,"
            "stock.group_stock_manager,account.group_account_manager,"
            "workflow_monitor_base.group_workflow_user",
        )
        cls.approver2 = user(
            "wm_approver2",
            "base.group_user,sales_team.group_sale_manager,workflow_monitor_base.group_workflow_user",
        )
        cls.escalation_user = user("wm_escalation", "base.group_user,sales_team.group_sale_manager")
        cls.substitute = user("wm_substitute", "base.group_user,sales_team.group_sale_manager")
        cls.buyer = user(
            "wm_buyer",
            "base.group_user,purchase.group_purchase_user,account.group_account_invoice",
        )
        cls.wf_manager = user(
            "wm_wf_manager",
            "base.group_user,sales_team.group_sale_manager,"
            "workflow_monitor_base.group_workflow_manager",
            both,
        )
        cls.user_b = user(
            "wm_user_b",
            "base.group_user,sales_team.group_sale_manager,workflow_monitor_base.group_workflow_user",
            [Command.set(cls.company_b.ids)],
            cls.company_b,
        )

        cls.category = cls.env["product.category"].create({"name": "WM Approvals Goods"})
        cls.category_special = cls.env["product.category"].create(
            {"name": "WM Special", "parent_id": cls.category.id}
        )
        Product = cls.env["product.product"]
        cls.product = Product.create(
            {
                "name": "WM Widget",
                "is_storable": True,
                "list_price": 100.0,
                "standard_price": 50.0,
                "categ_id": cls.category.id,
            }
        )
        cls.product_special = Product.create(
            {
                "name": "WM Special Widget",
                "is_storable": True,
                "list_price": 100.0,
                "standard_price": 50.0,
                "categ_id": cls.category_special.id,
            }
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "WM Customer"})
        cls.customer2 = Partner.create({"name": "WM Other Customer"})
        cls.vendor = Partner.create({"name": "WM Vendor"})
        cls.vendor2 = Partner.create({"name": "WM Other Vendor"})
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def policy(
        self, res_model="sale.order", condition="amount", threshold=1000.0, tiers=None, **vals
    ):
        tiers = tiers or [{"user_ids": self.approver}]
        tier_cmds = []
        for index, tier in enumerate(tiers):
            tier = dict(tier)
            users = tier.pop("user_ids", None)
            tier.setdefault("approver_type", "user")
            tier.setdefault("sequence", index + 1)
            tier.setdefault("sla_hours", 24.0)
            if users:
                tier["user_ids"] = [Command.set(users.ids)]
            tier_cmds.append(Command.create(tier))
        return self.env["workflow.approval.policy"].create(
            dict(
                {
                    "name": f"WM {res_model} {condition} {threshold}",
                    "res_model": res_model,
                    "condition": condition,
                    "threshold": threshold,
                    "tier_ids": tier_cmds,
                },
                **vals,
            )
        )

    def sale_order(self, qty=1.0, price=100.0, discount=0.0, user=None, partner=None, **vals):
        env = self.env(user=user or self.salesperson)
        return env["sale.order"].create(
            dict(
                {
                    "partner_id": (partner or self.customer).id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": qty,
                                "price_unit": price,
                                "discount": discount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                },
                **vals,
            )
        )

    def purchase_order(self, qty=1.0, price=100.0, vendor=None, product=None, user=None):
        env = self.env(user=user or self.buyer)
        return env["purchase.order"].create(
            {
                "partner_id": (vendor or self.vendor).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": (product or self.product).id,
                            "product_qty": qty,
                            "price_unit": price,
                            "taxes_id": [Command.clear()],
                        }
                    )
                ],
            }
        )

    def vendor_bill(self, price=100.0, qty=1.0, user=None, move_type="in_invoice"):
        env = self.env(user=user or self.buyer)
        return env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": self.vendor.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": qty,
                            "price_unit": price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )

    def requests_of(self, record, state=None):
        domain = [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if state:
            domain.append(("state", "=", state))
        return self.env["workflow.approval.request"].sudo().search(domain, order="id")

    def approval_events(self, record, action=None):
        events = (
            self.env["workflow.event"]
            .sudo()
            .search(
                [
                    ("res_model", "=", record._name),
                    ("res_id", "=", record.id),
                    ("event_type", "=", "approval"),
                ],
                order="id",
            )
        )
        if action:
            events = events.filtered(lambda e: e.payload.get("action") == action)
        return events

    def signal_count(self, record, signal="approval_bypass"):
        self.env["workflow.event"].flush_model()
        self.env.cr.execute(
            """SELECT count(*) FROM workflow_event WHERE event_type = 'custom'
                AND res_model = %s AND res_id = %s AND payload->>'security_signal' = %s""",
            (record._name, record.id, signal),
        )
        return self.env.cr.fetchone()[0]

    def committed_events(self, record):
        """Events written from a separate cursor (refused attempts), read the same way."""
        with db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(
                """SELECT event_type, payload FROM workflow_event
                    WHERE res_model = %s AND res_id = %s ORDER BY id""",
                (record._name, record.id),
            )
            return cr.fetchall()

    def purge_committed(self, res_model, res_ids):
        """Delete, through a separate connection, the events committed for these
        documents by refused attempts (and a security_signal exception they raised)."""

        def purge():
            with db_connect(self.env.cr.dbname).cursor() as cr:
                cr.execute(
                    "DELETE FROM workflow_event WHERE res_model = %s AND res_id = ANY(%s)",
                    (res_model, list(res_ids)),
                )

        self.addCleanup(purge)
