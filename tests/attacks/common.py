# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Shared fixtures of the attack suite (DESIGN.md section 10, "Governance invariants").

Every attack is made the way a hostile internal user would make it: over real JSON-RPC on
loopback, with ``odoorpc`` logged in as the role that would try it, with any ``context``
the client likes. Data is prepared as the superuser with the ORM in ``setUpClass``
(HttpCase shares the test transaction with the server thread, so the server sees it);
the outcome is always read back from the database afterwards, as the superuser, after
``invalidate_all()``, never only from the error.

Helpers:

- ``self.rpc(user)``: an ``odoorpc.ODOO`` client logged in as ``user``.
- ``execute(client, model, method, *args, context=None, **kwargs)``: one ``execute_kw``
  call; ``self.execute`` is the same call with the test environment flushed before
  (the server must see the data the test just wrote) and invalidated after (the test
  must see what the server wrote).
- ``self.assertRefused(callable)``: the call must fail with a refusal (UserError,
  AccessError -- including "Private methods ... cannot be called remotely" --,
  ValidationError, MissingError); returns the ``odoorpc.error.RPCError``.
- ``with self.door(label):`` records a failed assertion instead of stopping, so one
  test reports every door of an attack that is still open; ``self.assertDoorsClosed()``
  fails with the whole list.
"""

import json
from contextlib import contextmanager

import odoorpc

from odoo import Command, fields
from odoo.tests import HttpCase

from odoo.addons.mail.tests.common import mail_new_test_user

REFUSAL_ERRORS = frozenset(
    {
        "odoo.exceptions.UserError",
        "odoo.exceptions.AccessError",
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.MissingError",
    }
)
# a 1x1 transparent PNG: what the portal signature widget posts (base64, no data: prefix)
SIGNATURE_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
    "hwGA60e6kgAAAABJRU5ErkJggg=="
)
SALES = "base.group_user,sales_team.group_sale_salesman"
APPROVER = (
    "base.group_user,sales_team.group_sale_manager,purchase.group_purchase_manager,"
    "account.group_account_manager,stock.group_stock_manager,"
    "workflow_monitor_base.group_workflow_user"
)


def password(user):
    """The known password of a test user (or of a login)."""
    login = user if isinstance(user, str) else user.login
    return f"{login}-Attack-pw-1"


def execute(client, model, method, *args, context=None, **kwargs):
    """One JSON-RPC ``execute_kw`` call, with the client's own context."""
    return client.execute_kw(model, method, list(args), dict(kwargs, context=context or {}))


class AttackCase(HttpCase):
    """Users of every role, two companies, a product, customers, vendors; no active
    approval policy (the demo ones are archived)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        env = cls.env
        env["workflow.approval.policy"].search([]).write({"active": False})
        cls.company = env.company
        cls.company_b = env["res.company"].create({"name": "WM Attack Company B"})
        only_a = [Command.set(cls.company.ids)]

        def user(login, groups, company=cls.company, company_ids=only_a, **vals):
            new = mail_new_test_user(
                env,
                login=login,
                name=login.replace("_", " ").title(),
                groups=groups,
                company_id=company.id,
                company_ids=company_ids,
                notification_type="email" if "group_portal" in groups else "inbox",
                password=password(login),
                **vals,
            )
            return new

        cls.sales = user("wm_atk_sales", SALES)
        cls.sales2 = user("wm_atk_sales2", SALES)
        cls.approver = user("wm_atk_approver", APPROVER)
        cls.substitute = user("wm_atk_substitute", "base.group_user,sales_team.group_sale_manager")
        cls.buyer = user(
            "wm_atk_buyer",
            "base.group_user,purchase.group_purchase_user,account.group_account_invoice",
        )
        cls.stock_user = user("wm_atk_stock", "base.group_user,stock.group_stock_user")
        # an operations user: follows every order (reads them) and the workflows
        cls.wf_user = user(
            "wm_atk_wf_user",
            "base.group_user,sales_team.group_sale_salesman_all_leads,"
            "workflow_monitor_base.group_workflow_user",
        )
        cls.wf_manager = user(
            "wm_atk_wf_manager", "base.group_user,workflow_monitor_base.group_workflow_manager"
        )
        cls.wf_admin = user(
            "wm_atk_wf_admin",
            "base.group_user,base.group_system,workflow_monitor_base.group_workflow_admin",
        )
        cls.portal = user("wm_atk_portal", "base.group_portal")
        cls.user_b = user(
            "wm_atk_user_b",
            "base.group_user,workflow_monitor_base.group_workflow_user",
            company=cls.company_b,
            company_ids=[Command.set(cls.company_b.ids)],
        )

        cls.product = env["product.product"].create(
            {
                "name": "WM Attack Widget",
                "is_storable": True,
                "list_price": 100.0,
                "standard_price": 50.0,
            }
        )
        Partner = env["res.partner"]
        cls.customer = Partner.create({"name": "WM Attack Customer"})
        cls.vendor = Partner.create({"name": "WM Attack Vendor"})
        cls.partner_b = Partner.create(
            {"name": "WM Attack Partner of B", "company_id": cls.company_b.id}
        )
        cls.uom_unit = env.ref("uom.product_uom_unit")
        cls.uom_dozen = env.ref("uom.product_uom_dozen")
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )

    def setUp(self):
        super().setUp()
        self._clients = {}
        self._open_doors = []

    # ------------------------------------------------------------
    # RPC
    # ------------------------------------------------------------

    def rpc(self, user):
        """An odoorpc client logged in as ``user`` (one per user and test)."""
        if user.id not in self._clients:
            self.env.flush_all()
            client = odoorpc.ODOO("127.0.0.1", port=self.http_port(), timeout=120)
            client.login(self.env.cr.dbname, user.login, password(user))
            self._clients[user.id] = client
        return self._clients[user.id]

    def execute(self, client, model, method, *args, context=None, **kwargs):
        self.env.flush_all()
        try:
            return execute(client, model, method, *args, context=context, **kwargs)
        finally:
            self.env.invalidate_all()

    def assertRefused(self, call, *args, **kwargs):
        """``call(*args, **kwargs)`` must be refused by the server with a UserError,
        AccessError (private methods included), ValidationError or MissingError.
        Returns the RPCError (``error.info['data']['message']`` is the message)."""
        try:
            result = call(*args, **kwargs)
        except odoorpc.error.RPCError as error:
            data = (error.info or {}).get("data") or {}
            name = data.get("name")
            self.assertIn(
                name,
                REFUSAL_ERRORS,
                f"refused with {name}, not a refusal: {data.get('message') or error}",
            )
            return error
        finally:
            self.env.invalidate_all()
        self.fail(f"the call was accepted (it returned {json.dumps(result, default=str)[:300]})")

    def call_or_none(self, call, *args, **kwargs):
        """The result of ``call``, or None when the server refused it (any RPC error)."""
        try:
            return call(*args, **kwargs)
        except odoorpc.error.RPCError:
            return None
        finally:
            self.env.invalidate_all()

    @contextmanager
    def door(self, label):
        """Record an open door (a failed assertion) and go on with the attack."""
        try:
            yield
        except AssertionError as error:
            self._open_doors.append(f"{label}: {str(error).splitlines()[0][:400]}")
        finally:
            self.env.invalidate_all()

    def assertDoorsClosed(self):
        self.assertFalse(
            self._open_doors,
            "open doors:\n  - " + "\n  - ".join(self._open_doors),
        )

    # ------------------------------------------------------------
    # DATA
    # ------------------------------------------------------------

    def reread(self, record):
        """``record`` as the superuser, read again from the database."""
        self.env.flush_all()
        self.env.invalidate_all()
        return record.with_env(self.env).sudo()

    def last_event_id(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM workflow_event")
        return self.env.cr.fetchone()[0]

    def events_since(self, event_id, domain=()):
        self.env.flush_all()
        self.env.invalidate_all()
        return (
            self.env["workflow.event"].sudo().search([("id", ">", event_id), *domain], order="id")
        )

    @classmethod
    def make_policy(cls, res_model, threshold=1000.0, condition="amount", approvers=None, **vals):
        approvers = approvers or cls.approver
        return cls.env["workflow.approval.policy"].create(
            dict(
                {
                    "name": f"WM attack {res_model} {condition} {threshold}",
                    "res_model": res_model,
                    "condition": condition,
                    "threshold": threshold,
                    "tier_ids": [
                        Command.create(
                            {
                                "sequence": 1,
                                "approver_type": "user",
                                "user_ids": [Command.set(approvers.ids)],
                                "sla_hours": 24.0,
                            }
                        )
                    ],
                },
                **vals,
            )
        )

    def sale_order(self, qty=20.0, price=100.0, user=None, partner=None, **vals):
        """A quotation created by ``user`` (default: the sales user); 20 x 100 = 2000."""
        env = self.env(user=user or self.sales)
        return (
            env["sale.order"]
            .create(
                dict(
                    {
                        "partner_id": (partner or self.customer).id,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": self.product.id,
                                    "product_uom_qty": qty,
                                    "product_uom": self.uom_unit.id,
                                    "price_unit": price,
                                    "tax_id": [Command.clear()],
                                }
                            )
                        ],
                    },
                    **vals,
                )
            )
            .with_env(self.env)
        )

    def purchase_order(self, qty=20.0, price=100.0, user=None):
        env = self.env(user=user or self.buyer)
        return (
            env["purchase.order"]
            .create(
                {
                    "partner_id": self.vendor.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "product_qty": qty,
                                "price_unit": price,
                                "taxes_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            .with_env(self.env)
        )

    def vendor_bill(self, qty=20.0, price=100.0, user=None, **vals):
        env = self.env(user=user or self.buyer)
        return (
            env["account.move"]
            .create(
                dict(
                    {
                        "move_type": "in_invoice",
                        "partner_id": self.vendor.id,
                        "invoice_date": fields.Date.today(),
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
                    },
                    **vals,
                )
            )
            .with_env(self.env)
        )

    def requests_of(self, record, state=None):
        self.env.flush_all()
        self.env.invalidate_all()
        domain = [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if state:
            domain.append(("state", "=", state))
        return self.env["workflow.approval.request"].sudo().search(domain, order="id")

    def hold(self, record, user, method="action_confirm"):
        """Attempt the gated action with the ORM as ``user``: the document must be held
        (the action returns a dict, a pending request exists). Returns the request."""
        result = getattr(record.with_user(user), method)()
        self.assertIsInstance(result, dict, f"{record.display_name} was not held")
        request = self.requests_of(record, "pending")
        self.assertEqual(len(request), 1, f"one pending request for {record.display_name}")
        return request

    def approve(self, request, user=None):
        """The tier approver approves (ORM); the blocked action continues by itself."""
        request.with_user(user or self.approver).action_approve()
        self.env.flush_all()
        self.env.invalidate_all()

    def quotation_sent(self, qty=20.0, partner=None):
        """A quotation of the sales user, sent to the customer for signature."""
        order = self.sale_order(
            qty=qty, partner=partner, require_signature=True, require_payment=False
        )
        order.write({"state": "sent"})
        order._portal_ensure_token()
        return order

    def portal_accept(self, order, user=None):
        """The customer signs ``order`` on the portal: the JSON-RPC route the signature
        widget posts to (sale/controllers/portal.py ``portal_quote_accept``), as the
        portal ``user`` (None: anonymous with the access token only)."""
        self.env.flush_all()
        if user is None:
            self.authenticate(None, None)
        else:
            self.authenticate(user.login, password(user))
        response = self.url_open(
            f"/my/orders/{order.id}/accept",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "access_token": order.sudo().access_token,
                        "name": "WM Attack Customer",
                        "signature": SIGNATURE_PNG,
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text[:300])
        return response.json()
