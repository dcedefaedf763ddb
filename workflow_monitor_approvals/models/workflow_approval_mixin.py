import hashlib
import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round, format_amount

APPROVAL_STATES = [
    ("none", "No approval"),
    ("pending", "Waiting for approval"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
]


class WorkflowApprovalMixin(models.AbstractModel):
    """Server-side approval gate of a business document.

    A model inherits it, sets the class attributes below and calls
    :meth:`_approval_check` at the start of every door that performs its action
    (confirm, post, validate, apply), plus :meth:`_approval_guard_state` in ``create``
    and ``write`` for direct writes of the final state. Hooks describe the document:
    company, warehouse, partner, amount, the values an approval is valid for, and how
    to continue the action after the final approval.
    """

    _name = "workflow.approval.mixin"
    _description = "Approval-gated Document"
    _approval_action = "confirm"
    _approval_target_states = ()  # states written by the gated action
    _approval_open_states = ()  # states from which the action may start

    approval_state = fields.Selection(
        APPROVAL_STATES,
        compute="_compute_approval_state",
        search="_search_approval_state",
        help="State of the latest approval request of this document.",
    )
    approval_request_count = fields.Integer(compute="_compute_approval_state")
    approval_can_decide = fields.Boolean(compute="_compute_approval_state")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends_context("uid")
    def _compute_approval_state(self):
        # sudo: only the state and the count of the requests are shown on the document
        Request = self.env["workflow.approval.request"].sudo()
        requests = (
            Request.search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("state", "!=", "cancelled"),
                ],
                order="id desc",
            )
            if self.ids
            else Request
        )
        latest, counts, pending = {}, {}, {}
        for request in requests:
            counts[request.res_id] = counts.get(request.res_id, 0) + 1
            if request.state == "pending":
                pending.setdefault(request.res_id, Request)
                pending[request.res_id] |= request
            if request.res_id not in latest or (
                request.state == "pending" and latest[request.res_id].state != "pending"
            ):
                latest[request.res_id] = request
        waiting = Request.browse([r.id for rs in pending.values() for r in rs])
        live = waiting._live_approvers()
        user = self.env.user
        for record in self:
            request = latest.get(record.id)
            record.approval_state = request.state if request else "none"
            record.approval_request_count = counts.get(record.id, 0)
            record.approval_can_decide = any(
                user in live.get(r.id, user.browse()) for r in pending.get(record.id, Request)
            )

    def _search_approval_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Unsupported search on Approval."))
        values = [value] if isinstance(value, str) else list(value or [])
        # sudo: the ids of the documents with such requests, nothing else
        requests = (
            self.env["workflow.approval.request"]
            .sudo()
            .search_read(
                [
                    ("res_model", "=", self._name),
                    ("state", "in", ("pending", "approved", "rejected")),
                ],
                ["res_id", "state"],
                order="id desc",
            )
        )
        latest = {}
        for row in requests:
            current = latest.get(row["res_id"])
            if current is None or (row["state"] == "pending" and current != "pending"):
                latest[row["res_id"]] = row["state"]
        wanted_none = "none" in values
        ids = [rid for rid, state in latest.items() if state in values]
        positive = operator in ("=", "in")
        if wanted_none:
            domain = [("id", "not in", [rid for rid, s in latest.items() if s not in values])]
            return domain if positive else ["!"] + domain
        return [("id", "in" if positive else "not in", ids)]

    # ------------------------------------------------------------
    # GATE
    # ------------------------------------------------------------

    def _approval_check(self, door="action"):
        """Run the gate on ``self``. Returns ``(allowed, notification)``: the records
        that may go on, and the client notification for the held ones (or None)."""
        candidates = self._approval_candidates(door)
        if not candidates:
            return self, None
        Request = self.env["workflow.approval.request"]
        held, requests = Request._gate(candidates, door=door)
        if not held:
            return self, None
        if door != "action":
            raise UserError(
                _(
                    "%(documents)s must be approved before they can be set to this state "
                    "(%(requests)s). Use the %(action)s button: it asks for the approval.",
                    documents=", ".join(held.mapped("display_name")[:10]),
                    requests=", ".join(requests.mapped("name")[:10]) or _("no request yet"),
                    action=self._approval_action,
                )
            )
        return self - held, Request._notification(held, requests)

    def _approval_guard_state(self, vals, door="write"):
        """Direct writes (or creates) of the state the gated action sets."""
        if vals.get("state") in self._approval_target_states:
            if door == "create":
                # created directly in the final state: the gate treats them as if they
                # were being moved there (open state check does not apply)
                self._approval_check(door=door)
            else:
                self.filtered(lambda r: r.state in self._approval_open_states)._approval_check(
                    door=door
                )

    def _approval_candidates(self, door="action"):
        """Hook: the records of self the gate concerns (e.g. invoices, not entries)."""
        return self

    # ------------------------------------------------------------
    # POLICY MATCHING (called in sudo by the gate)
    # ------------------------------------------------------------

    def _approval_in_scope(self, policy):
        records = self
        if policy.company_id:
            records = records.filtered(lambda r: r._approval_company() == policy.company_id)
        if policy.warehouse_id:
            records = records.filtered(lambda r: r._approval_warehouse() == policy.warehouse_id)
        if policy.partner_ids:
            partners = policy.partner_ids.commercial_partner_id | policy.partner_ids
            records = records.filtered(lambda r: r._approval_partner() in partners)
        domain = policy._parsed_domain()
        if domain and records:
            records = records.filtered_domain(domain)
        return records

    def _approval_evaluate(self, policy):
        """{triggered, value, amount}: whether the condition of ``policy`` holds, what
        it measured, and the document value in company currency."""
        self.ensure_one()
        amount = self._approval_amount(policy)
        condition = policy.condition
        value, triggered = amount, False
        if condition == "amount":
            triggered = amount > policy.threshold
        elif condition == "discount":
            value = self._approval_max_discount(policy)
            triggered = value > policy.threshold
        elif condition == "margin":
            # None from the default hook: only sale orders have a margin
            value = self._approval_margin_percent(policy)  # pylint: disable=assignment-from-none
            triggered = value is not None and value < policy.threshold
            value = value or 0.0
        elif condition == "credit_limit":
            exposure, limit = self._approval_credit_exposure(amount)
            value = exposure - limit if limit else 0.0
            triggered = bool(limit) and exposure > limit + policy.threshold
        elif condition == "return":
            triggered = self._approval_is_return() and amount > policy.threshold
        elif condition == "inventory_adjustment":
            triggered = amount > policy.threshold
        elif condition == "domain":
            triggered = True  # the scope already applied the domain
        return {"triggered": triggered, "value": float_round(value, 4), "amount": amount}

    def _approval_values(self):
        """(values, hash): the values an approval is valid for, and their fingerprint."""
        self.ensure_one()
        values = self._approval_hash_values()
        digest = hashlib.sha256(
            json.dumps(values, sort_keys=True, default=str).encode()
        ).hexdigest()
        return values, digest

    def _approval_context_html(self, policy, info):
        self.ensure_one()
        company = self._approval_company()
        currency = company.currency_id
        rows = [
            (_("Document"), self.display_name),
            (_("Policy"), policy.name),
            (_("Value"), format_amount(self.env, info["amount"], currency)),
        ]
        if policy.condition in ("discount", "margin"):
            rows.append((_("Measured"), "%s %%" % round(info["value"], 2)))
        elif policy.condition == "credit_limit":
            exposure, limit = self._approval_credit_exposure(info["amount"])
            rows.append((_("Credit exposure"), format_amount(self.env, exposure, currency)))
            rows.append((_("Credit limit"), format_amount(self.env, limit, currency)))
        rows.append((_("Threshold"), policy.threshold))
        rows += self._approval_context_rows(policy, info)
        if policy.description:
            rows.append((_("Why"), policy.description))
        return self.env["workflow.approval.request"]._context_table(rows)

    # ------------------------------------------------------------
    # HOOKS (override per model)
    # ------------------------------------------------------------

    def _approval_company(self):
        return self.company_id

    def _approval_warehouse(self):
        return self.env["stock.warehouse"]

    def _approval_partner(self):
        partner = self.partner_id if "partner_id" in self._fields else self.env["res.partner"]
        return partner.commercial_partner_id

    def _approval_requester(self):
        user = self.env.user
        if user._is_superuser() or user._is_public() or user.share:
            responsible = self.user_id if "user_id" in self._fields else user.browse()
            return responsible or self.env.ref("base.user_admin")
        return user

    def _approval_amount(self, policy):
        return 0.0

    def _approval_max_discount(self, policy):
        return 0.0

    def _approval_margin_percent(self, policy):
        """Hook: margin of the document in % of its untaxed amount; None when unknown."""
        return None

    def _approval_credit_exposure(self, amount):
        """(exposure, limit) in company currency; limit 0 means no limit applies."""
        company = self._approval_company()
        if not company.account_use_credit_limit:
            return 0.0, 0.0
        partner = self._approval_partner().with_company(company)
        # credit figures are computed, not stored: never trust a value cached earlier in
        # the transaction (another order of the batch may just have been confirmed)
        partner.invalidate_recordset(["credit", "credit_to_invoice"])
        limit = partner.credit_limit
        if not limit:
            return 0.0, 0.0
        return partner.credit + partner.credit_to_invoice + amount, limit

    def _approval_is_return(self):
        return False

    def _approval_hash_values(self):
        return {"id": self.id}

    def _approval_context_rows(self, policy, info):
        """Hook: more (label, value) rows for the approver, e.g. customer history."""
        partner = self._approval_partner()
        if not partner:
            return []
        rows = [(_("Partner"), partner.display_name)]
        company = self._approval_company()
        if "credit" in partner._fields:
            rows.append(
                (
                    _("Receivable"),
                    format_amount(
                        self.env, partner.with_company(company).credit, company.currency_id
                    ),
                )
            )
        return rows

    def _approval_continue(self):
        """Hook: run the gated action again (after the final approval)."""
        raise NotImplementedError

    def _approval_is_done(self):
        """Hook: whether the gated action has happened."""
        return bool(self._approval_target_states) and self.state in self._approval_target_states

    def _approval_line_amount(self, lines, policy, amount_field="price_total"):
        """Sum ``amount_field`` of ``lines`` in company currency, restricted to the
        policy's product category when it has one."""
        return sum(self._approval_category_lines(lines, policy).mapped(amount_field))

    def _approval_category_lines(self, lines, policy):
        """``lines`` restricted to the policy's product category (and its children)."""
        if not policy.product_category_id:
            return lines
        return lines.filtered(
            lambda line: line.product_id.categ_id.parent_path
            and line.product_id.categ_id.parent_path.startswith(
                policy.product_category_id.parent_path
            )
        )

    def _approval_order_amount(self, policy):
        """Amount of an order (sale or purchase) in company currency: its total, or the
        total of the policy's product category lines."""
        lines = self.order_line.filtered(lambda line: not line.display_type)
        total = (
            self._approval_line_amount(lines, policy)
            if policy.product_category_id
            else self.amount_total
        )
        return self._approval_to_company_currency(total, self.currency_id, self.date_order)

    def _approval_order_hash_values(self, qty_field):
        """The values an approval of an order (sale or purchase) is valid for."""
        return {
            "amount_total": self.amount_total,
            "currency": self.currency_id.id,
            "partner": self.partner_id.id,
            "lines": sorted(
                (line.product_id.id, line[qty_field], line.price_unit, line.discount)
                for line in self.order_line
                if not line.display_type
            ),
        }

    def _approval_order_max_discount(self, policy):
        """Largest line discount of an order (sale or purchase), in %."""
        lines = self.order_line.filtered(lambda line: not line.display_type)
        return max(self._approval_category_lines(lines, policy).mapped("discount") or [0.0])

    def _approval_to_company_currency(self, amount, currency, date=None):
        company = self._approval_company()
        if not currency or currency == company.currency_id:
            return amount
        return currency._convert(
            amount, company.currency_id, company, date or fields.Date.context_today(self)
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_approval_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_approvals.action_workflow_approval_request_document"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        return action

    def _approval_pending_requests(self):
        self.ensure_one()
        return self.env["workflow.approval.request"].search(
            [("res_model", "=", self._name), ("res_id", "=", self.id), ("state", "=", "pending")]
        )

    def action_approval_approve(self):
        requests = self._approval_pending_requests().filtered("can_decide")
        if not requests:
            raise UserError(
                _("Nothing waits for your approval on %(document)s.", document=self.display_name)
            )
        requests.action_approve()
        return True

    def action_approval_reject(self):
        requests = self._approval_pending_requests().filtered("can_decide")
        if not requests:
            raise UserError(
                _("Nothing waits for your approval on %(document)s.", document=self.display_name)
            )
        return requests.with_context(approval_decision="rejected").action_open_decision_wizard()

    def action_approval_request_changes(self):
        requests = self._approval_pending_requests().filtered("can_decide")
        if not requests:
            raise UserError(
                _("Nothing waits for your approval on %(document)s.", document=self.display_name)
            )
        return requests.with_context(approval_decision="changes").action_open_decision_wizard()
