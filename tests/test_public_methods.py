# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Every public method of the Workflow Monitor suite, with who may call it over RPC.

Any method without a leading underscore and not decorated ``@api.private`` is callable
over JSON-RPC by any logged-in user, whatever their access to the model
(``odoo/service/model.py`` ``get_public_method``). This test finds at run time, from the
registry, every such method that a class of a ``workflow_monitor_*`` module defines (the
function's ``__module__``; the approval doors wrapped at registry setup count), on every
model: the suite's own and the standard ones it extends (sale.order, stock.quant,
ir.cron...). ``METHODS`` says who may call each one; a method without a row, or a row
without a method, fails ``test_every_public_method_has_a_row``.

``test_public_methods_refused_outside_their_groups`` then calls every row through the
RPC dispatch (``get_public_method`` then ``odoo.api.call_kw``, with an empty context as a
client sends it) on a real sample record, as users outside the allowed groups, inside a
savepoint that is rolled back. The call must raise AccessError, UserError,
ValidationError or MissingError, and must have changed nothing. A call that returns
normally is a finding, whatever it returned (a notification, a window action): the
product must refuse it.

Who calls (the users below, ``ROLE_GROUPS``):

- always ``portal``, unless the model's access rights let portal users do it;
- the strongest user outside the row's groups: among the users without them, the one
  with the most access rights on the model (ties: ``RANK`` order), so that a refusal
  comes from the method and not from the user's lack of any right;
- ``other_company`` (every suite and business group, but only in company B) whenever it
  may not read the sample: holding the groups is not enough to act on a record one may
  not read;
- the extra callers of ``EXTRA_CALLERS``.

Abstract mixins (``MIXINS``) have no table: their methods are rows of the models that
inherit them, checked by ``test_mixin_methods_are_rows_of_their_models``.
"""

import logging

import psycopg2

from odoo import Command, api
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.service.model import get_public_method
from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

_logger = logging.getLogger(__name__)

SUITE_PREFIX = "odoo.addons.workflow_monitor_"
TEST_ADDON = "workflow_monitor_test"  # tests/addons: test fixtures, not the product
REFUSED = (AccessError, MissingError, UserError, ValidationError)

WF_USER = "workflow_monitor_base.group_workflow_user"
WF_MANAGER = "workflow_monitor_base.group_workflow_manager"
WF_ADMIN = "workflow_monitor_base.group_workflow_admin"
SYSTEM = "base.group_system"
SALESMAN = "sales_team.group_sale_salesman"
PURCHASE_USER = "purchase.group_purchase_user"
STOCK_USER = "stock.group_stock_user"
INVOICING = "account.group_account_invoice"

# Who may call, besides groups (a group xml id, or a tuple of them):
# ORM method (create/write/unlink) the suite overrides: the model's access rights and
# record rules decide (test_access_matrix.py checks them on the suite's models); the
# override must not act before they refuse. Called as users the rights refuse.
ACL = "access rights of the operation"
# Acts only on what the caller may read (navigation, opening a wizard): refused to users
# who may not read the record.
READERS = "whoever may read the record"
# Its own check refuses whoever is not an approver of a pending request of the record
# (there is no approver group): called as users who read the record but approve nothing.
APPROVERS = "approvers of a pending request"
# Refused to every user, administrators included (audit trail, engine-only creation).
NOBODY = "nobody"

# fmt: off
METHODS = {
    # --- account.move (gated: post) ----------------------------------------------------
    ("account.move", "action_post"): INVOICING,  # approval door (notify)
    ("account.move", "action_approval_approve"): APPROVERS,
    ("account.move", "action_approval_reject"): APPROVERS,
    ("account.move", "action_approval_request_changes"): APPROVERS,
    ("account.move", "action_view_approval_requests"): READERS,
    ("account.move", "action_view_workflow_instance"): READERS,
    ("account.move", "create"): ACL,
    ("account.move", "write"): ACL,
    ("account.move", "unlink"): ACL,
    ("account.move.line", "create"): ACL,
    ("account.move.line", "write"): ACL,
    ("account.move.line", "unlink"): ACL,
    # --- configuration audited as config events ----------------------------------------
    ("base.automation", "create"): ACL,
    ("base.automation", "write"): ACL,
    ("base.automation", "unlink"): ACL,
    ("ir.actions.server", "create"): ACL,
    ("ir.actions.server", "write"): ACL,
    ("ir.actions.server", "unlink"): ACL,
    ("ir.config_parameter", "create"): ACL,
    ("ir.config_parameter", "write"): ACL,
    ("ir.config_parameter", "unlink"): ACL,
    ("ir.cron", "create"): ACL,
    ("ir.cron", "write"): ACL,  # plus workflow_deactivated_at for the scheduler only
    ("ir.cron", "unlink"): ACL,
    ("resource.calendar", "create"): ACL,  # SLA deadlines follow the calendar
    ("resource.calendar", "write"): ACL,
    ("resource.calendar", "unlink"): ACL,
    ("resource.calendar.attendance", "create"): ACL,
    ("resource.calendar.attendance", "write"): ACL,
    ("resource.calendar.attendance", "unlink"): ACL,
    ("resource.calendar.leaves", "create"): ACL,
    ("resource.calendar.leaves", "write"): ACL,
    ("resource.calendar.leaves", "unlink"): ACL,
    ("stock.warehouse.orderpoint", "create"): ACL,  # no workflow_need_since
    ("stock.warehouse.orderpoint", "write"): ACL,  # workflow_need_since: the detector only
    ("stock.warehouse", "create"): ACL,
    ("stock.warehouse", "write"): ACL,  # warehouse thresholds are config events
    ("stock.warehouse", "unlink"): ACL,
    ("res.config.settings", "action_workflow_generate_metrics_token"): SYSTEM,
    ("res.config.settings", "get_values"): SYSTEM,  # reads the KPI targets (sudo)
    ("res.config.settings", "set_values"): SYSTEM,  # writes the KPI targets (sudo)
    ("res.config.settings", "action_workflow_partition_events"): WF_ADMIN,
    # --- purchase.order (gated: confirm) -----------------------------------------------
    ("purchase.order", "button_confirm"): PURCHASE_USER,  # approval door (notify)
    ("purchase.order", "button_approve"): PURCHASE_USER,  # approval door; public in Odoo
    ("purchase.order", "action_approval_approve"): APPROVERS,
    ("purchase.order", "action_approval_reject"): APPROVERS,
    ("purchase.order", "action_approval_request_changes"): APPROVERS,
    ("purchase.order", "action_view_approval_requests"): READERS,
    ("purchase.order", "action_view_workflow_instance"): READERS,
    ("purchase.order", "create"): ACL,
    ("purchase.order", "write"): ACL,
    ("purchase.order", "unlink"): ACL,
    ("purchase.order.line", "create"): ACL,
    ("purchase.order.line", "write"): ACL,
    ("purchase.order.line", "unlink"): ACL,
    # --- sale.order (gated: confirm) ---------------------------------------------------
    ("sale.order", "action_confirm"): SALESMAN,  # approval door (notify)
    ("sale.order", "action_approval_approve"): APPROVERS,
    ("sale.order", "action_approval_reject"): APPROVERS,
    ("sale.order", "action_approval_request_changes"): APPROVERS,
    ("sale.order", "action_view_approval_requests"): READERS,
    ("sale.order", "action_view_workflow_instance"): READERS,
    ("sale.order", "create"): ACL,
    ("sale.order", "write"): ACL,
    ("sale.order", "unlink"): ACL,
    ("sale.order.line", "create"): ACL,
    ("sale.order.line", "write"): ACL,
    ("sale.order.line", "unlink"): ACL,
    # --- stock (gated: validate, apply) ------------------------------------------------
    ("stock.picking", "button_validate"): STOCK_USER,  # approval door (notify)
    ("stock.picking", "action_approval_approve"): APPROVERS,
    ("stock.picking", "action_approval_reject"): APPROVERS,
    ("stock.picking", "action_approval_request_changes"): APPROVERS,
    ("stock.picking", "action_view_approval_requests"): READERS,
    ("stock.picking", "action_view_workflow_instance"): READERS,
    ("stock.picking", "create"): ACL,
    ("stock.picking", "write"): ACL,
    ("stock.picking", "unlink"): ACL,
    ("stock.move", "create"): ACL,
    ("stock.move", "write"): ACL,
    ("stock.move", "unlink"): ACL,
    ("stock.move.line", "create"): ACL,
    ("stock.move.line", "write"): ACL,
    ("stock.move.line", "unlink"): ACL,
    ("stock.quant", "action_apply_inventory"): STOCK_USER,  # approval door (notify)
    ("stock.quant", "action_approval_approve"): APPROVERS,
    ("stock.quant", "action_approval_reject"): APPROVERS,
    ("stock.quant", "action_approval_request_changes"): APPROVERS,
    ("stock.quant", "action_view_approval_requests"): READERS,
    ("stock.quant", "create"): ACL,
    ("stock.quant", "write"): ACL,
    ("stock.scrap", "action_validate"): STOCK_USER,  # approval door (notify)
    ("stock.scrap", "do_scrap"): STOCK_USER,  # approval door (notify)
    ("stock.scrap", "action_approval_approve"): APPROVERS,
    ("stock.scrap", "action_approval_reject"): APPROVERS,
    ("stock.scrap", "action_approval_request_changes"): APPROVERS,
    ("stock.scrap", "action_view_approval_requests"): READERS,
    ("stock.scrap", "create"): ACL,
    ("stock.scrap", "write"): ACL,
    # --- workflow_monitor_base ---------------------------------------------------------
    ("workflow.dashboard", "get_dashboard_data"): WF_USER,
    ("workflow.definition", "action_view_instances"): WF_USER,
    ("workflow.definition", "get_process_map"): WF_USER,  # its own group check
    ("workflow.definition", "get_process_screen"): WF_USER,  # its own group check
    ("workflow.definition", "action_process_instances"): WF_USER,  # its own group check
    ("workflow.definition", "create"): ACL,
    ("workflow.definition", "write"): ACL,
    ("workflow.definition", "unlink"): ACL,
    ("workflow.stage", "create"): ACL,
    ("workflow.stage", "write"): ACL,
    ("workflow.stage", "unlink"): ACL,
    ("workflow.instance", "action_open_document"): WF_USER,
    ("workflow.instance", "action_view_events"): WF_USER,
    ("workflow.instance", "action_view_exceptions"): WF_USER,
    ("workflow.event", "action_open_document"): WF_USER,  # read access on the event
    ("workflow.event", "action_partition_by_month"): WF_ADMIN,  # converts the table
    ("workflow.event", "create"): ACL,  # = log_events, with the forced audit fields
    ("workflow.event", "log_events"): WF_USER,  # the integrations' API: create access
    ("workflow.event", "write"): NOBODY,  # append-only audit trail
    ("workflow.sla.policy", "create"): ACL,
    ("workflow.sla.policy", "write"): ACL,
    ("workflow.sla.policy", "unlink"): ACL,
    ("workflow.exception", "action_assign_to_me"): WF_USER,  # write access on it
    ("workflow.exception", "action_start"): WF_USER,
    ("workflow.exception", "action_resolve"): WF_USER,
    ("workflow.exception", "action_dismiss"): WF_USER,  # security signals: admins only
    ("workflow.exception", "action_reopen"): WF_USER,
    ("workflow.exception", "action_escalate"): WF_USER,
    ("workflow.exception", "action_open_document"): WF_USER,
    ("workflow.exception", "action_view_impacts"): WF_USER,  # read access on the cause
    ("workflow.exception", "action_view_impacted_documents"): WF_USER,
    ("workflow.exception", "create"): ACL,  # no system category, no engine fields
    ("workflow.exception", "write"): ACL,  # no engine fields
    ("workflow.exception", "unlink"): ACL,
    ("workflow.exception.category", "action_view_exceptions"): WF_USER,
    ("workflow.exception.category", "create"): ACL,
    ("workflow.exception.category", "write"): ACL,
    ("workflow.exception.category", "unlink"): ACL,
    ("workflow.team", "action_view_exceptions"): WF_USER,
    ("workflow.team", "unlink"): ACL,  # clears its exceptions' team first
    ("workflow.kpi", "action_snapshot_now"): WF_MANAGER,  # writes values in SQL
    ("workflow.kpi", "action_view_values"): WF_USER,
    ("workflow.kpi", "create"): ACL,
    ("workflow.kpi", "write"): ACL,
    ("workflow.kpi", "unlink"): ACL,
    # --- workflow_monitor_distribution -------------------------------------------------
    # creates warehouses, products, orders and changes company settings: Settings admins
    ("workflow.simulator", "run"): SYSTEM,
    # --- workflow_monitor_approvals ----------------------------------------------------
    ("workflow.approval.policy", "action_view_requests"): READERS,
    ("workflow.approval.policy", "create"): ACL,
    ("workflow.approval.policy", "write"): ACL,
    ("workflow.approval.policy", "unlink"): ACL,
    ("workflow.approval.tier", "create"): ACL,
    ("workflow.approval.tier", "write"): ACL,
    ("workflow.approval.tier", "unlink"): ACL,
    ("workflow.approval.request", "action_approve"): APPROVERS,
    ("workflow.approval.request", "action_reject"): APPROVERS,
    ("workflow.approval.request", "action_request_changes"): APPROVERS,
    ("workflow.approval.request", "action_delegate"): APPROVERS,
    ("workflow.approval.request", "action_open_decision_wizard"): APPROVERS,
    ("workflow.approval.request", "action_open_delegate_wizard"): APPROVERS,
    ("workflow.approval.request", "action_open_document"): READERS,
    ("workflow.approval.request", "action_cancel"): WF_MANAGER,
    ("workflow.approval.request", "create"): NOBODY,  # the approval engine only (sudo)
    ("workflow.approval.request", "write"): ACL,  # decision fields: nobody
    ("workflow.approval.decision", "write"): NOBODY,  # audit log of decisions
    ("workflow.approval.delegation", "create"): ACL,  # own delegations only
    ("workflow.approval.delegation", "write"): ACL,  # own delegations only
    # the wizard decides through action_reject/_request_changes/_delegate
    ("workflow.approval.decision.wizard", "action_confirm"): APPROVERS,
    # --- workflow_monitor_integrations -------------------------------------------------
    ("workflow.integration", "action_pause"): WF_ADMIN,
    ("workflow.integration", "action_resume"): WF_ADMIN,
    ("workflow.integration", "action_rotate_secret"): WF_ADMIN,
    ("workflow.integration", "action_send_test"): WF_ADMIN,
    ("workflow.integration", "action_refresh_health"): WF_MANAGER,  # derived figures only
    ("workflow.integration", "action_view_messages"): WF_MANAGER,
    ("workflow.integration", "action_view_routes"): WF_MANAGER,
    ("workflow.integration", "action_view_refusals"): WF_MANAGER,
    ("workflow.integration", "create"): ACL,
    ("workflow.integration", "write"): ACL,
    ("workflow.integration", "unlink"): ACL,
    ("workflow.integration.route", "create"): ACL,
    ("workflow.integration.route", "write"): ACL,
    ("workflow.integration.route", "unlink"): ACL,
    ("workflow.integration.message", "action_replay"): WF_ADMIN,
    ("workflow.integration.message", "action_open_document"): WF_MANAGER,
    ("workflow.integration.message", "create"): ACL,
    # --- workflow_monitor_ai -----------------------------------------------------------
    ("workflow.exception", "action_ai_similar"): WF_USER,  # read access on the exception
    ("workflow.exception", "action_ai_root_cause"): WF_USER,
    ("workflow.exception", "action_ai_summarize"): WF_USER,  # may call the provider
    ("workflow.exception", "action_view_ai_suggestions"): WF_USER,
    ("workflow.ai.suggestion", "action_accept"): WF_USER,  # and write access on the exception
    ("workflow.ai.suggestion", "action_reject"): WF_USER,  # and write access on the exception
    ("workflow.ai.suggestion", "action_open_exception"): WF_USER,
    ("workflow.ai.suggestion", "action_open_instance"): WF_USER,  # and read on the instance
    ("workflow.ai.model", "action_train_now"): WF_ADMIN,  # CPU-heavy, replaces the model
    ("workflow.ai.model", "create"): ACL,
    ("workflow.ai.model", "write"): ACL,
    # CPU-heavy, replaces every open instance's breach risk
    ("workflow.ai.risk.model", "action_train_now"): WF_MANAGER,
    ("workflow.ai.risk.model", "create"): ACL,
    ("workflow.ai.risk.model", "write"): ACL,
}
# fmt: on

# Abstract mixins: no table, no record; their public methods are rows of the models that
# inherit them (checked by test_mixin_methods_are_rows_of_their_models).
MIXINS = {
    "workflow.tracked.mixin",
    "workflow.cached.config.mixin",
    "workflow.document.link.mixin",
    "workflow.config.audit.mixin",
    "workflow.approval.mixin",
    "workflow.approval.line.mixin",
    "workflow.ai.json.model.mixin",
}

ROLE_GROUPS = {
    "portal": "base.group_portal",
    "employee": "base.group_user",
    "approver": "base.group_user",  # named on the tier of every sample policy
    "wf_user": f"base.group_user,{WF_USER}",
    "wf_manager": f"base.group_user,{WF_MANAGER}",
    "wf_admin": f"base.group_user,{WF_ADMIN}",
    "system": f"base.group_user,{SYSTEM}",  # Settings admin, no Workflow Monitor group
    "ops_user": (
        "base.group_user,sales_team.group_sale_salesman_all_leads,purchase.group_purchase_user,"
        "stock.group_stock_user,account.group_account_invoice"
    ),
    "ops_manager": (
        "base.group_user,sales_team.group_sale_manager,purchase.group_purchase_manager,"
        "stock.group_stock_manager,account.group_account_manager"
    ),
    # every group above, but allowed in company B only (the samples are in company A)
    "other_company": (
        f"base.group_user,{WF_ADMIN},{SYSTEM},sales_team.group_sale_manager,"
        "purchase.group_purchase_manager,stock.group_stock_manager,account.group_account_manager"
    ),
}
# strongest first: breaks ties between outsiders with as many rights on the model
# (other_company is called apart, when it may not read the sample)
RANK = (
    "wf_admin",
    "ops_manager",
    "system",
    "wf_manager",
    "ops_user",
    "wf_user",
    "approver",
    "employee",
)
# Callers beyond the computed ones.
EXTRA_CALLERS = {
    # holds the inventory, sales, purchase and accounting administrator groups
    ("workflow.simulator", "run"): ("ops_manager",),
    # creates a delegation for somebody else (the sample belongs to the employee);
    # workflow managers may, by design
    ("workflow.approval.delegation", "create"): ("ops_manager", "wf_user"),
    # the substitute reads the delegation made to them, without changing it
    ("workflow.approval.delegation", "write"): ("wf_user",),
}
# Sample used by a row when it is not the model's own.
RECORDS = {
    ("workflow.exception", "action_reopen"): "workflow.exception:closed",
    # the doors are knocked at on documents that wait for nothing yet: the first knock
    # is what creates the request and notifies the approvers
    ("sale.order", "action_confirm"): "sale.order:door",
    ("purchase.order", "button_confirm"): "purchase.order:door",
    ("purchase.order", "button_approve"): "purchase.order:door",
    ("account.move", "action_post"): "account.move:door",
    ("stock.picking", "button_validate"): "stock.picking:door",
    ("stock.quant", "action_apply_inventory"): "stock.quant:door",
    ("stock.scrap", "action_validate"): "stock.scrap:door",
    ("stock.scrap", "do_scrap"): "stock.scrap:door",
}
# Harmless changes used by the write rows.
WRITE_VALS = {
    "account.move": {"ref": "WM PM"},
    "account.move.line": {"name": "WM PM"},
    "base.automation": {"name": "WM PM renamed"},
    "ir.actions.server": {"name": "WM PM renamed"},
    "ir.config_parameter": {"value": "2"},
    "ir.cron": {"priority": 7},
    "purchase.order": {"partner_ref": "WM PM"},
    "purchase.order.line": {"name": "WM PM"},
    "resource.calendar": {"name": "WM PM renamed"},
    "resource.calendar.attendance": {"name": "WM PM renamed"},
    "resource.calendar.leaves": {"name": "WM PM renamed"},
    "sale.order": {"client_order_ref": "WM PM"},
    "sale.order.line": {"name": "WM PM"},
    "stock.move": {"description_picking": "WM PM"},
    "stock.move.line": {"lot_name": "WM PM"},
    "stock.picking": {"origin": "WM PM"},
    "stock.quant": {"inventory_quantity": 80.0},
    "stock.scrap": {"origin": "WM PM"},
    "stock.warehouse": {"name": "WM PM renamed"},
    "stock.warehouse.orderpoint": {"product_min_qty": 2.0},
    "workflow.definition": {"name": "WM PM renamed"},
    "workflow.stage": {"name": "WM PM renamed"},
    "workflow.event": {"source_ref": "forged"},
    "workflow.sla.policy": {"target_hours": 5.0},
    "workflow.exception": {"description": "WM PM note"},
    "workflow.exception.category": {"name": "WM PM renamed"},
    "workflow.kpi": {"target": 42.0},
    "workflow.approval.policy": {"name": "WM PM renamed"},
    "workflow.approval.tier": {"sla_hours": 48.0},
    "workflow.approval.request": {"res_name": "WM PM renamed"},
    "workflow.approval.decision": {"comment": "WM PM forged"},
    "workflow.approval.delegation": {"note": "WM PM note"},
    "workflow.integration": {"name": "WM PM renamed"},
    "workflow.integration.route": {"name": "WM PM renamed"},
    "workflow.ai.model": {"active": False},
    "workflow.ai.risk.model": {"active": False},
}
# Parent fields that copy_data() leaves out of the values of a line.
PARENT_FIELDS = {
    "account.move.line": ("move_id",),
    "purchase.order.line": ("order_id",),
    "sale.order.line": ("order_id",),
    "stock.move": ("picking_id",),
    "stock.move.line": ("move_id", "picking_id"),
    "resource.calendar.attendance": ("calendar_id",),
}
# Tables whose rows a refused call must not have added or removed.
WATCHED_TABLES = (
    "workflow_approval_request",
    "workflow_approval_decision",
    "workflow_approval_delegation",
    "workflow_event",
    "workflow_exception",
    "workflow_kpi_value",
    "workflow_ai_suggestion",
    "workflow_ai_model",
    "workflow_ai_risk_model",
    "workflow_integration_message",
    "mail_message",
    "mail_activity",
    "sale_order",
    "purchase_order",
    "account_move",
    "stock_picking",
    "stock_move",
    "stock_warehouse",
    "ir_config_parameter",
)


class _Undo(Exception):
    """Raised to roll a savepoint back after a call."""


def suite_public_methods(env):
    """{(model, method): {defining module}} of the methods a suite module defines that
    ``get_public_method`` accepts, on every model of the registry but the test addon's."""
    found = {}
    for name in env.registry:
        Model = env[name]
        if Model._original_module == TEST_ADDON:
            continue
        for cls in type(Model).__mro__:
            for attr, value in vars(cls).items():
                if attr.startswith("_"):
                    continue
                function = getattr(value, "__func__", value)
                if not callable(function):
                    continue
                module = getattr(function, "__module__", None) or ""
                if not module.startswith(SUITE_PREFIX) or module.startswith(
                    f"odoo.addons.{TEST_ADDON}"
                ):
                    continue
                try:
                    get_public_method(Model, attr)
                except (AccessError, AttributeError):
                    continue  # private (@api.private somewhere in the MRO)
                found.setdefault((name, attr), set()).add(module.split(".")[2])
    return found


@tagged("post_install", "-at_install")
class TestPublicMethods(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        env = cls.env
        cls.company_a = env.company
        cls.company_b = env["res.company"].create({"name": "WM Public Methods Company B"})
        cls.users = {
            role: mail_new_test_user(
                env,
                login=f"wm_pm_{role}",
                name=f"WM PM {role}",
                groups=groups,
                company_id=(cls.company_b if role == "other_company" else cls.company_a).id,
                company_ids=[
                    Command.set((cls.company_b if role == "other_company" else cls.company_a).ids)
                ],
                notification_type="email" if role == "portal" else "inbox",
            )
            for role, groups in ROLE_GROUPS.items()
        }
        cls.samples = {}
        cls._business_samples()
        cls._workflow_samples()
        cls._approval_samples()
        # apply the stage captures the samples noted (a commit would): they must not be
        # written during the first call
        env["workflow.tracked.mixin"]._workflow_flush_deferred()
        env.flush_all()

    # ------------------------------------------------------------
    # samples (created by the superuser, as the engine or an administrator would)
    # ------------------------------------------------------------

    @classmethod
    def _business_samples(cls):
        env, s = cls.env, cls.samples
        # other policies (demo data) must not decide for the samples
        env["workflow.approval.policy"].search([]).write({"active": False})
        doc_model = env["ir.model"]._get_id("workflow.test.document")
        cls.partner = env["res.partner"].create({"name": "WM PM Partner"})
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company_a.id)], limit=1
        )
        s["stock.warehouse"] = cls.warehouse
        # the gated documents twice: "model" waits for its approval (a pending request),
        # "model:door" waits for nothing yet
        for suffix in ("", ":door"):
            product = env["product.product"].create(
                {"name": f"WM PM Widget{suffix}", "is_storable": True, "list_price": 100.0,
                 "standard_price": 50.0}
            )  # fmt: skip
            stock = cls.warehouse.lot_stock_id
            env["stock.quant"]._update_available_quantity(product, stock, 100.0)
            order = cls._sale_order(product)
            purchase = cls._purchase_order(product)
            bill = cls._bill(product)
            picking = cls._picking(product)
            quant = env["stock.quant"]._gather(product, stock)
            quant.with_context(inventory_mode=True).inventory_quantity = 90.0
            scrap = env["stock.scrap"].create(
                {"product_id": product.id, "scrap_qty": 1.0, "location_id": stock.id}
            )
            for record in (order, purchase, bill, picking, quant, scrap):
                s[f"{record._name}{suffix}"] = record
        s["stock.warehouse.orderpoint"] = env["stock.warehouse.orderpoint"].create(
            {"product_id": product.id, "warehouse_id": cls.warehouse.id,
             "location_id": cls.warehouse.lot_stock_id.id, "product_min_qty": 1.0,
             "product_max_qty": 5.0}
        )  # fmt: skip
        s["sale.order.line"] = s["sale.order"].order_line
        s["purchase.order.line"] = s["purchase.order"].order_line
        s["account.move.line"] = s["account.move"].invoice_line_ids
        s["stock.move"] = s["stock.picking"].move_ids
        s["stock.move.line"] = s["stock.picking"].move_line_ids
        s["base.automation"] = env["base.automation"].create(
            {"name": "WM PM rule", "model_id": doc_model, "trigger": "on_create_or_write",
             "active": False}
        )  # fmt: skip
        s["ir.actions.server"] = env["ir.actions.server"].create(
            {"name": "WM PM action", "model_id": doc_model, "state": "code", "code": "pass"}
        )
        s["ir.cron"] = env["ir.cron"].create(
            {"name": "WM PM cron", "model_id": doc_model, "state": "code", "code": "pass",
             "interval_number": 1, "interval_type": "days", "active": False}
        )  # fmt: skip
        s["ir.config_parameter"] = env["ir.config_parameter"].create(
            {"key": "workflow_monitor.test_public_methods", "value": "1"}
        )
        calendar = env["resource.calendar"].create(
            {"name": "WM PM calendar", "company_id": cls.company_a.id}
        )
        s["resource.calendar"] = calendar
        s["resource.calendar.attendance"] = calendar.attendance_ids[:1]
        s["resource.calendar.leaves"] = env["resource.calendar.leaves"].create(
            {"name": "WM PM leave", "calendar_id": calendar.id, "company_id": cls.company_a.id,
             "date_from": "2030-01-01 08:00:00", "date_to": "2030-01-01 17:00:00"}
        )  # fmt: skip
        s["res.config.settings"] = env["res.config.settings"].create({})

    @classmethod
    def _sale_order(cls, product):
        return cls.env["sale.order"].create(
            {
                "partner_id": cls.partner.id,
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "product_uom_qty": 1.0, "price_unit": 100.0,
                         "tax_id": [Command.clear()]}
                    )
                ],
            }
        )  # fmt: skip

    @classmethod
    def _purchase_order(cls, product):
        return cls.env["purchase.order"].create(
            {
                "partner_id": cls.partner.id,
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "product_qty": 1.0, "price_unit": 50.0,
                         "taxes_id": [Command.clear()]}
                    )
                ],
            }
        )  # fmt: skip

    @classmethod
    def _bill(cls, product):
        return cls.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": cls.partner.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": product.id, "quantity": 1.0, "price_unit": 50.0,
                         "tax_ids": [Command.clear()]}
                    )
                ],
            }
        )  # fmt: skip

    @classmethod
    def _picking(cls, product):
        """A confirmed, reserved delivery of ``product``."""
        stock = cls.warehouse.lot_stock_id
        customers = cls.env.ref("stock.stock_location_customers")
        picking = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.warehouse.out_type_id.id,
                "location_id": stock.id,
                "location_dest_id": customers.id,
                "partner_id": cls.partner.id,
                "move_ids": [
                    Command.create(
                        {"name": product.name, "product_id": product.id, "product_uom_qty": 1.0,
                         "product_uom": product.uom_id.id, "location_id": stock.id,
                         "location_dest_id": customers.id}
                    )
                ],
            }
        )  # fmt: skip
        picking.action_confirm()
        picking.action_assign()
        return picking

    @classmethod
    def _workflow_samples(cls):
        env, s, company = cls.env, cls.samples, cls.company_a
        cls.doc = env["workflow.test.document"].create({"name": "WM PM doc"})
        definition = env["workflow.definition"].create(
            {"name": "WM PM flow", "code": "wm_pm_flow",
             "model_id": env["ir.model"]._get_id("workflow.test.line")}
        )  # fmt: skip
        s["workflow.definition"] = definition
        s["workflow.stage"] = env["workflow.stage"].create(
            {"definition_id": definition.id, "name": "WM PM", "code": "wm_pm"}
        )
        s["workflow.instance"] = env["workflow.instance"].create(
            {"name": "WM PM", "definition_id": definition.id, "res_model": cls.doc._name,
             "res_id": cls.doc.id, "company_id": company.id}
        )  # fmt: skip
        s["workflow.event"] = env["workflow.event"].create(
            {"event_type": "custom", "res_model": cls.doc._name, "res_id": cls.doc.id,
             "company_id": company.id, "payload": {"wm_pm": 1}}
        )  # fmt: skip
        s["workflow.sla.policy"] = env["workflow.sla.policy"].create(
            {"name": "WM PM", "company_id": company.id, "target_hours": 4.0,
             "definition_id": env.ref("workflow_monitor_test.definition_test_flow").id,
             "stage_id": env.ref("workflow_monitor_test.stage_confirmed").id}
        )  # fmt: skip
        # no team: any workflow user of the company may work the exceptions (team rule)
        category = env["workflow.exception.category"].create(
            {"code": "wm_pm", "name": "WM PM", "team_id": False}
        )
        s["workflow.exception.category"] = category
        s["workflow.team"] = env["workflow.team"].create(
            {"name": "WM PM team", "company_id": company.id}
        )
        exception_vals = {
            "category_id": category.id,
            "res_model": cls.doc._name,
            "res_id": cls.doc.id,
            "company_id": company.id,
            "severity": "medium",
            "resolution": "Fixed by hand",
        }
        s["workflow.exception"] = env["workflow.exception"].create(
            dict(exception_vals, name="WM PM open", dedupe_key="wm-pm-open")
        )
        closed = env["workflow.exception"].create(
            dict(exception_vals, name="WM PM closed", dedupe_key="wm-pm-closed")
        )
        closed.action_resolve()
        s["workflow.exception:closed"] = closed
        s["workflow.kpi"] = env["workflow.kpi"].create(
            {"code": "wm_pm_kpi", "name": "WM PM", "provider": "open_exceptions"}
        )
        integration = env["workflow.integration"].create(
            {"name": "WM PM", "kind": "other", "company_id": company.id,
             "url": "http://127.0.0.1:9/wm-pm"}  # discard port: never delivered to
        )  # fmt: skip
        s["workflow.integration"] = integration
        s["workflow.integration.route"] = env["workflow.integration.route"].create(
            {"name": "WM PM", "integration_id": integration.id}
        )
        s["workflow.integration.message"] = env["workflow.integration.message"].create(
            {"integration_id": integration.id, "direction": "in", "state": "failed",
             "webhook_id": "wm-pm-1", "event_type": "custom", "payload": {"wm_pm": 1}}
        )  # fmt: skip
        s["workflow.ai.suggestion"] = env["workflow.ai.suggestion"].create(
            {"exception_id": s["workflow.exception"].id, "kind": "severity",
             "proposed_severity": "high", "previous_severity": "medium",
             "content": "Severity: High (now: Medium)", "confidence": 0.9}
        )  # fmt: skip
        s["workflow.ai.model"] = env["workflow.ai.model"].create(
            {"version": 990001, "state": "cold_start", "active": False}
        )
        s["workflow.ai.risk.model"] = env["workflow.ai.risk.model"].create(
            {"version": 990001, "state": "cold_start", "active": False}
        )

    @classmethod
    def _approval_samples(cls):
        """One policy per gated model, matching its sample only, approved by the
        ``approver``; the administrator then knocks at each door, which leaves a pending
        request on every gated sample."""
        env, s = cls.env, cls.samples
        approver = cls.users["approver"]
        doors = {
            "sale.order": "action_confirm",
            "purchase.order": "button_confirm",
            "account.move": "action_post",
            "stock.picking": "button_validate",
            "stock.quant": "action_apply_inventory",
            "stock.scrap": "action_validate",
        }
        policies = env["workflow.approval.policy"]
        for model in doors:
            policies |= policies.create(
                {
                    "name": f"WM PM {model}",
                    "res_model": model,
                    "condition": "domain",
                    "domain": repr([("id", "in", (s[model] | s[f"{model}:door"]).ids)]),
                    "company_id": cls.company_a.id,
                    "tier_ids": [
                        Command.create(
                            {"approver_type": "user", "sequence": 1, "sla_hours": 24.0,
                             "user_ids": [Command.set(approver.ids)]}
                        )
                    ],
                }
            )  # fmt: skip
        s["workflow.approval.policy"] = policies[:1]
        s["workflow.approval.tier"] = policies[:1].tier_ids
        admin = env.ref("base.user_admin")
        Request = env["workflow.approval.request"]
        for model, door in doors.items():
            getattr(s[model].with_user(admin), door)()
            request = Request.search(
                [("res_model", "=", model), ("res_id", "=", s[model].id), ("state", "=", "pending")]
            )
            assert len(request) == 1, f"{model}.{door} left no pending request"
            s[f"workflow.approval.request:{model}"] = request
        request = s["workflow.approval.request:sale.order"]
        s["workflow.approval.request"] = request
        s["workflow.approval.decision"] = env["workflow.approval.decision"].create(
            {"request_id": request.id, "user_id": approver.id, "decision": "approved"}
        )
        s["workflow.approval.delegation"] = env["workflow.approval.delegation"].create(
            {"user_id": cls.users["employee"].id, "substitute_id": cls.users["wf_user"].id,
             "date_from": "2030-01-01", "date_to": "2030-01-02"}
        )  # fmt: skip
        # a wizard belongs to the approver who opened it
        s["workflow.approval.decision.wizard"] = env(user=approver, su=True)[
            "workflow.approval.decision.wizard"
        ].create(
            {"request_ids": [Command.set(request.ids)], "decision": "rejected",
             "comment": "Too expensive"}
        ).with_env(env)  # fmt: skip

    # ------------------------------------------------------------
    # how each row is called
    # ------------------------------------------------------------

    def _record(self, key):
        model, method = key
        if key in RECORDS:
            return self.samples[RECORDS[key]]
        if method == "create" or self.env[model]._abstract:
            return None
        return self.samples[model]

    def _create_vals(self, model):
        sample = self.samples[model]
        vals = sample.copy_data()[0]
        for fname in PARENT_FIELDS.get(model, ()):
            vals[fname] = sample[fname].id
        return vals

    def _args(self, key):
        """(args, kwargs) of a realistic call of the row."""
        model, method = key
        users = self.users
        if method == "create":
            vals = self._create_vals(model)
            if model == "workflow.approval.delegation":
                vals.update(date_from="2031-01-01", date_to="2031-01-02")
            return [[vals]], {}
        if method == "write":
            kwargs = {"context": {"inventory_mode": True}} if model == "stock.quant" else {}
            return [dict(WRITE_VALS[model])], kwargs
        special = {
            ("workflow.approval.request", "action_approve"): ([], {"comment": "Fine"}),
            ("workflow.approval.request", "action_reject"): (["Too expensive"], {}),
            ("workflow.approval.request", "action_request_changes"): (["Lower it"], {}),
            ("workflow.approval.request", "action_delegate"): (
                [users["wf_manager"].id, "Please decide"],
                {},
            ),
            ("workflow.event", "log_events"): (
                [
                    [
                        {
                            "event_type": "custom",
                            "res_model": self.doc._name,
                            "res_id": self.doc.id,
                            "company_id": self.company_a.id,
                            "payload": {"wm_pm": "rpc"},
                        }
                    ]
                ],
                {},
            ),
            ("workflow.dashboard", "get_dashboard_data"): ([{}], {}),
            ("workflow.definition", "get_process_map"): (["wm_pm_flow", {}], {}),
            ("workflow.definition", "get_process_screen"): (["wm_pm_flow", {}], {}),
            ("workflow.definition", "action_process_instances"): (
                ["wm_pm_flow", {}, "node", "wm_pm"],
                {},
            ),
            ("workflow.simulator", "run"): (
                [],
                {
                    "days": 1,
                    "orders_per_day": 1,
                    "warehouses": 2,
                    "products": 2,
                    "customers": 2,
                    "vendors": 1,
                },
            ),
        }
        return special.get(key, ([], {}))

    def _may(self, role, model, record, operation):
        """Whether ``role`` holds the access right (and rules) for ``operation``."""
        Model = self.env[model].with_user(self.users[role])
        if Model._abstract:
            return False
        target = record.with_user(self.users[role]) if record and operation != "create" else Model
        try:
            return target.browse(target.ids).has_access(operation)
        except (AccessError, ValueError):
            return False

    def _strength(self, role, model, record):
        return sum(
            self._may(role, model, record, op) for op in ("read", "write", "create", "unlink")
        )

    def _strongest(self, roles, model, record):
        roles = [r for r in RANK if r in roles]
        if not roles:
            return None
        return max(roles, key=lambda r: (self._strength(r, model, record), -RANK.index(r)))

    def _callers(self, key, record):
        model, method = key
        allowed = METHODS[key]
        callers = []
        if allowed == ACL:
            refused = [r for r in (*RANK, "portal") if not self._may(r, model, record, method)]
            callers += [r for r in refused if r == "portal"]
            callers.append(self._strongest(set(refused), model, record))
        elif allowed == READERS:
            callers.append("portal")
            blind = {r for r in RANK if not self._may(r, model, record, "read")}
            callers.append(self._strongest(blind, model, record))
        elif allowed == APPROVERS:
            callers.append("portal")
            readers = {r for r in RANK if r != "approver" and self._may(r, model, record, "read")}
            callers.append(self._strongest(readers, model, record))
        elif allowed == NOBODY:
            callers += ["portal", "wf_admin"]
        else:
            groups = (allowed,) if isinstance(allowed, str) else allowed
            outside = {r for r in RANK if not any(self.users[r].has_group(g) for g in groups)}
            callers += ["portal", self._strongest(outside, model, record)]
        callers += EXTRA_CALLERS.get(key, ())
        if record is not None and not self._may("other_company", model, record, "read"):
            callers.append("other_company")
        return [r for i, r in enumerate(callers) if r and r not in callers[:i]]

    # ------------------------------------------------------------
    # the call, and what it changed
    # ------------------------------------------------------------

    def _snapshot(self, record):
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            " UNION ALL ".join(
                f"SELECT '{t}', count(*), coalesce(max(id), 0) FROM {t}" for t in WATCHED_TABLES
            )
        )
        rows = {table: (count, top) for table, count, top in cr.fetchall()}
        if record is not None and not record._abstract:
            columns = [
                fname
                for fname in ("write_date", "state")
                if fname in record._fields and record._fields[fname].store
            ]
            cr.execute(
                f"SELECT {', '.join(['id', *columns])} FROM {record._table} "  # noqa: S608
                "WHERE id = ANY(%s) ORDER BY id",
                [record.ids],
            )
            rows["record"] = cr.fetchall()
        return rows

    @staticmethod
    def _diff(before, after):
        changes = []
        for key, old in before.items():
            new = after.get(key)
            if new == old:
                continue
            if key == "record":
                changes.append(f"the record {old} -> {new}")
            else:
                changes.append(f"{key} {old[0]}->{new[0]} rows")
        return ", ".join(changes) or "nothing"

    def _rpc(self, user, key, record, args, kwargs):
        """Call the row as ``user`` the way JSON-RPC ``call_kw`` does."""
        model, method = key
        Model = self.env(user=user, context={}, su=False)[model]
        function = get_public_method(Model, method)  # AccessError for private methods
        if getattr(function, "_api", None):
            call_args = list(args)
        else:
            call_args = [record.ids if record is not None else [], *args]
        result = api.call_kw(Model, method, call_args, dict(kwargs))
        Model.env.flush_all()
        return result

    def _attempt(self, role, key, record):
        """None when the call as ``role`` is refused and changed nothing, else the
        finding."""
        args, kwargs = self._args(key)
        before = self._snapshot(record)
        # a real request starts with an empty cache: nothing read by the superuser here
        self.env.invalidate_all()
        outcome, inside = None, None
        try:
            with self.env.cr.savepoint():
                try:
                    result = self._rpc(self.users[role], key, record, args, kwargs)
                    outcome = f"returned {result!r:.200}"
                except REFUSED as error:
                    outcome = None
                    _logger.debug("%s.%s as %s refused: %r", *key, role, error)
                except psycopg2.Error as error:
                    outcome = f"broke the transaction: {type(error).__name__}: {error}"
                    raise _Undo from None
                except Exception as error:  # noqa: BLE001 - any other failure is a finding
                    outcome = f"raised {type(error).__name__}: {error}"
                inside = self._snapshot(record)
                raise _Undo
        except _Undo:
            pass
        finally:
            self.env.invalidate_all()
        after = self._snapshot(record)
        if outcome is None and after == before:
            return None  # what a refused call did before raising is rolled back with it
        # a call that was not refused may have cached rows that the rollback removed
        self.env.registry.clear_cache()
        label = f"{key[0]}.{key[1]} as {role}"
        if outcome is None:
            return f"{label}: refused, but changed {self._diff(before, after)}"
        changed = self._diff(before, inside) if inside is not None else "unknown"
        return f"{label}: NOT refused, {outcome}; it changed: {changed}"

    # ------------------------------------------------------------
    # tests
    # ------------------------------------------------------------

    def test_every_public_method_has_a_row(self):
        found = suite_public_methods(self.env)
        concrete = {key for key in found if key[0] not in MIXINS}
        missing = sorted(concrete - set(METHODS))
        extra = sorted(set(METHODS) - concrete)
        self.assertEqual(missing, [], "public methods without a row in METHODS")
        self.assertEqual(extra, [], "rows of METHODS whose method is not public (any more)")
        for key, allowed in METHODS.items():
            if allowed == ACL:
                self.assertIn(key[1], ("create", "write", "unlink"), key)
            elif allowed not in (READERS, APPROVERS, NOBODY):
                for group in (allowed,) if isinstance(allowed, str) else allowed:
                    self.assertTrue(self.env.ref(group, raise_if_not_found=False), group)
        per_module = {}
        for key in concrete:
            for module in found[key]:
                per_module[module] = per_module.get(module, 0) + 1
        _logger.info("public methods defined per suite module: %s", sorted(per_module.items()))

    def test_mixin_methods_are_rows_of_their_models(self):
        found = suite_public_methods(self.env)
        for mixin in MIXINS:
            Mixin = self.env.registry[mixin]
            self.assertTrue(Mixin._abstract, mixin)
            heirs = {
                name
                for name, cls in self.env.registry.items()
                if name != mixin
                and not cls._abstract
                and issubclass(cls, Mixin)
                and cls._original_module != TEST_ADDON
            }
            for _mixin, method in [k for k in found if k[0] == mixin]:
                rows = {m for m in heirs if (m, method) in METHODS}
                self.assertTrue(
                    rows or not heirs, f"{mixin}.{method}: no row on a model inheriting it"
                )

    def test_public_methods_refused_outside_their_groups(self):
        """Every row, called over the RPC dispatch as users outside its groups, is
        refused and changes nothing."""
        found = suite_public_methods(self.env)
        for request_model in ("sale.order", "stock.quant", "account.move"):
            self.assertTrue(self.samples[f"workflow.approval.request:{request_model}"])
        findings = []
        for key in sorted(METHODS):
            if key not in found:
                continue  # reported by test_every_public_method_has_a_row
            record = self._record(key)
            with self.subTest(model=key[0], method=key[1]):
                for role in self._callers(key, record):
                    problem = self._attempt(role, key, record)
                    if problem:
                        findings.append(problem)
        if findings:
            self.fail(f"{len(findings)} call(s) not refused:\n" + "\n".join(findings))
