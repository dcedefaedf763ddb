# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import ast
from typing import NamedTuple

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

APPROVAL_ACTIONS = [
    ("confirm", "Confirm"),
    ("post", "Post"),
    ("validate", "Validate"),
    ("apply", "Apply"),
]
CONDITIONS = [
    ("amount", "Amount above threshold"),
    ("discount", "Line discount above threshold (%)"),
    ("margin", "Margin below threshold (%)"),
    ("credit_limit", "Customer credit limit exceeded"),
    ("return", "Return above threshold"),
    ("inventory_adjustment", "Inventory adjustment above threshold"),
    ("domain", "Matches the domain"),
]


class PolicySpec(NamedTuple):
    """What the gate needs of an active policy, cached per model in every worker (the
    doors read it on every confirm, post and validation: no query per call)."""

    id: int
    name: str
    condition: str
    threshold: float
    auto_approve_below: float
    company_id: int  # 0: every company
    warehouse_id: int  # 0: every warehouse
    partner_ids: frozenset  # commercial entities and the partners named; empty: all
    category_path: str  # parent_path of the product category; "": every product
    domain: tuple


class WorkflowApprovalPolicy(models.Model):
    """When a document needs an approval before its action (confirm, post, validate,
    apply) runs, and who approves it, tier after tier."""

    _name = "workflow.approval.policy"
    _description = "Approval Policy"
    _inherit = ["workflow.config.audit.mixin", "workflow.cached.config.mixin"]
    _order = "res_model, sequence, id"
    _workflow_audit_fields = (
        "name",
        "res_model",
        "condition",
        "threshold",
        "domain",
        "company_id",
        "warehouse_id",
        "partner_ids",
        "product_category_id",
        "auto_approve_below",
        "allow_self_approval",
        "active",
    )

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="Policies are evaluated and listed in this order.")
    res_model = fields.Selection(
        selection="_selection_approval_model", string="Document", required=True
    )
    action = fields.Selection(
        APPROVAL_ACTIONS,
        compute="_compute_action",
        store=True,
        readonly=True,
        help="The action that waits for the approval: confirming orders, posting invoices "
        "and bills, validating transfers, applying inventory adjustments.",
    )
    condition = fields.Selection(CONDITIONS, required=True, default="amount")
    threshold = fields.Float(
        help="Amount: document total in company currency above which approval is needed. "
        "Discount: highest line discount (%) above which approval is needed. "
        "Margin: margin (%) below which approval is needed. "
        "Credit limit: tolerated excess over the customer's credit limit (company currency). "
        "Return and inventory adjustment: value (company currency) above which approval "
        "is needed (0: always). Ignored by the domain condition.",
    )
    domain = fields.Char(
        default="[]",
        help="Only documents matching this domain are concerned. With the 'Matches the "
        "domain' condition, every matching document needs approval.",
    )
    company_id = fields.Many2one(
        "res.company", index=True, help="Empty: the policy applies to every company."
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", help="Only documents of this warehouse (not for invoices and bills)."
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Partners",
        help="Only documents of these customers or vendors (their commercial entity), "
        "e.g. a procurement threshold per vendor.",
    )
    product_category_id = fields.Many2one(
        "product.category",
        help="Amount and discount are measured on the lines of products of this category "
        "(and its children) only, e.g. a procurement threshold per product category.",
    )
    auto_approve_below = fields.Float(
        string="Auto-approve below",
        help="Documents worth less than this (company currency) that meet the condition "
        "are approved at once and logged, without bothering approvers. 0 disables it.",
    )
    tier_ids = fields.One2many("workflow.approval.tier", "policy_id", string="Tiers", copy=True)
    allow_self_approval = fields.Boolean(
        help="Let the requester approve their own request when they are an approver of a "
        "tier. Off by default (four-eyes principle)."
    )
    active = fields.Boolean(default=True)
    description = fields.Text(help="Why this policy exists, shown to approvers.")
    request_ids = fields.One2many("workflow.approval.request", "policy_id", string="Requests")
    request_count = fields.Integer(compute="_compute_request_count")

    # ------------------------------------------------------------
    # COMPUTES / CONSTRAINTS
    # ------------------------------------------------------------

    @api.depends("res_model")
    def _compute_action(self):
        for policy in self:
            model = self.env.get(policy.res_model) if policy.res_model else None
            policy.action = model._approval_action if model is not None else False

    def _compute_request_count(self):
        counts = dict(
            self.env["workflow.approval.request"]._read_group(
                [("policy_id", "in", self.ids)], ["policy_id"], ["__count"]
            )
        )
        for policy in self:
            policy.request_count = counts.get(policy, 0)

    @api.constrains("res_model", "condition")
    def _check_condition(self):
        labels = dict(CONDITIONS)
        models_labels = dict(self._selection_approval_model())
        for policy in self:
            if policy.condition not in self.env[policy.res_model]._approval_conditions:
                raise ValidationError(
                    _(
                        "%(policy)s: the condition '%(condition)s' does not apply to "
                        "%(model)s documents (field: Condition).",
                        policy=policy.name,
                        condition=labels[policy.condition],
                        model=models_labels[policy.res_model],
                    )
                )

    @api.constrains("threshold", "auto_approve_below")
    def _check_amounts(self):
        for policy in self:
            if policy.threshold < 0:
                raise ValidationError(
                    _(
                        "%(policy)s: the threshold cannot be negative (field: Threshold).",
                        policy=policy.name,
                    )
                )
            if policy.auto_approve_below < 0:
                raise ValidationError(
                    _(
                        "%(policy)s: the auto-approval amount cannot be negative "
                        "(field: Auto-approve below).",
                        policy=policy.name,
                    )
                )

    @api.constrains("res_model", "warehouse_id")
    def _check_warehouse(self):
        for policy in self:
            if policy.warehouse_id and policy.res_model == "account.move":
                raise ValidationError(
                    _(
                        "%(policy)s: invoices and bills have no warehouse (field: Warehouse).",
                        policy=policy.name,
                    )
                )

    @api.constrains("tier_ids", "active")
    def _check_tiers(self):
        for policy in self:
            if policy.active and not policy.tier_ids:
                raise ValidationError(
                    _(
                        "%(policy)s: add at least one approval tier (field: Tiers).",
                        policy=policy.name,
                    )
                )

    @api.constrains("domain", "res_model")
    def _check_domain(self):
        for policy in self:
            try:
                domain = policy._parsed_domain()
                self.env[policy.res_model].sudo()._search(domain)
            except (ValueError, SyntaxError, TypeError, KeyError) as error:
                raise ValidationError(
                    _(
                        "%(policy)s: the domain is not valid for %(model)s: %(error)s "
                        "(field: Domain).",
                        policy=policy.name,
                        model=policy.res_model,
                        error=error,
                    )
                ) from error

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_requests(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_approvals.action_workflow_approval_request_all"
        )
        action["domain"] = [("policy_id", "=", self.id)]
        action["context"] = {"search_default_filter_pending": 0}
        return action

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    def _get_approval_model_names(self):
        """The gated models: every model of the registry that inherits
        ``workflow.approval.mixin`` (the one hook through which models join)."""
        Mixin = self.env.registry["workflow.approval.mixin"]
        return sorted(
            name
            for name, model in self.env.registry.items()
            if not model._abstract and name != Mixin._name and issubclass(model, Mixin)
        )

    @api.model
    def _selection_approval_model(self):
        return [
            (name, self.env[name]._approval_label or self.env[name]._description)
            for name in self._get_approval_model_names()
        ]

    def _parsed_domain(self):
        """The domain as a list. Only literals are accepted (never evaluated code)."""
        self.ensure_one()
        if not self.domain or not self.domain.strip():
            return []
        domain = ast.literal_eval(self.domain.strip())
        if not isinstance(domain, (list, tuple)):
            raise ValueError(_("a domain must be a list"))
        return list(domain)

    @api.model
    @tools.ormcache("res_model")
    def _policy_specs(self, res_model):
        """(PolicySpec, ...) of the active policies of ``res_model``, in order."""
        # sudo: policies are configuration read by the enforcement engine for every
        # user; only these figures leave this method.
        policies = self.sudo().search(
            [("res_model", "=", res_model), ("active", "=", True)], order="sequence, id"
        )
        return tuple(
            PolicySpec(
                id=policy.id,
                name=policy.name,
                condition=policy.condition,
                threshold=policy.threshold,
                auto_approve_below=policy.auto_approve_below,
                company_id=policy.company_id.id,
                warehouse_id=policy.warehouse_id.id,
                partner_ids=frozenset(
                    (policy.partner_ids.commercial_partner_id | policy.partner_ids).ids
                ),
                category_path=policy.product_category_id.parent_path or "",
                domain=tuple(policy._parsed_domain()),
            )
            for policy in policies
        )
