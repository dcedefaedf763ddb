# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import contextlib
import hashlib
import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round, format_amount

from .workflow_approval_gate import MEMO_CONSUMED, Measure

APPROVAL_STATES = [
    ("none", "No approval"),
    ("pending", "Waiting for approval"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
]
# documents whose gated action runs right now (cursor memo, never reachable by a client)
MEMO_ACTING = "workflow_approval.acting"
MEMO_CREATING = "workflow_approval.creating"  # models whose create() runs right now
MEMO_NEW = "workflow_approval.new"  # documents created in this transaction
DOOR_MODES = ("notify", "filter")


def _make_door(model_name, name, mode, origin):
    """The approval door wrapped around ``origin`` (the registry class's method)."""

    def door(self, *args, **kwargs):
        return self._approval_door(mode, origin, args, kwargs, name)

    door.__name__ = name
    door.__doc__ = origin.__doc__
    door._approval_door = (model_name, name)
    door.origin = origin
    return door


class WorkflowApprovalMixin(models.AbstractModel):
    """Server-side approval gate of a business document.

    A model joins by inheriting this mixin and declaring what its gated action is; the
    mixin then owns every door of that action (as OCA ``base_tier_validation`` does):

    - the buttons listed in ``_approval_doors`` are wrapped by :meth:`_register_hook`:
      ``notify`` doors hold the records that need an approval (the request is created,
      the approvers get an activity, a notification is returned, nothing raises, so the
      request is kept), ``filter`` doors (funnels such as ``account.move._post``) go on
      with the allowed records only;
    - ``create`` and ``write`` of the state field into ``_approval_done_states``, from
      *any* state, are the transition itself: it consumes an unused approval for the
      current values (``consumed_at``) or is refused with a UserError;
    - a change of ``_approval_fingerprint_fields`` (or of lines, through
      ``workflow.approval.line.mixin``) on a done document is refused unless an approval
      covers the new values.

    Conditions dispatch to ``_approval_condition_<code>()``; the engine is
    ``workflow.approval.gate``. Hooks below describe the document.
    """

    _name = "workflow.approval.mixin"
    _description = "Approval-gated Document"

    # What a gated model declares
    _approval_label = None  # how policies name the documents (default: _description)
    _approval_action = "confirm"  # the action its policies gate (confirm/post/validate/apply)
    _approval_state_field = "state"  # None: no state, the door performs the action itself
    _approval_done_states = ()  # states the gated action writes
    _approval_doors = {}  # {method name: "notify" | "filter"}
    _approval_conditions = ("amount", "domain")  # conditions a policy may use here
    _approval_fingerprint_fields = ()  # own fields whose later change needs an approval

    approval_state = fields.Selection(
        APPROVAL_STATES,
        compute="_compute_approval_state",
        search="_search_approval_state",
        help="State of the latest approval request of this document.",
    )
    approval_request_count = fields.Integer(compute="_compute_approval_state")
    approval_can_decide = fields.Boolean(compute="_compute_approval_state")

    # ------------------------------------------------------------
    # REGISTRY HOOK: the doors
    # ------------------------------------------------------------

    def _register_hook(self):
        """Wrap the declared doors of every gated model (as base_automation patches the
        models it watches). Idempotent: a door is wrapped once per registry class."""
        super()._register_hook()
        if self._abstract or not self._approval_doors:
            return
        ModelClass = self.env.registry[self._name]
        for name, mode in self._approval_doors.items():
            if mode not in DOOR_MODES:
                raise ValueError(f"{self._name}._approval_doors[{name!r}]: unknown mode {mode!r}")
            current = getattr(ModelClass, name)
            if getattr(current, "_approval_door", None) == (self._name, name):
                continue
            setattr(ModelClass, name, _make_door(self._name, name, mode, current))

    def _approval_door(self, mode, origin, args, kwargs, name):
        if not self.env.su:
            # a door is reachable over RPC on any id: only those who may change the
            # documents knock (no request, activity or event for the others)
            self.check_access("write")
        allowed, notification = self._approval_check(door=name)
        if not allowed:
            return notification if mode == "notify" else self.browse()
        if mode == "filter" and not self._approval_state_field:
            # no state to write: the funnel itself is the transition
            allowed._approval_pass(door=name)
        with allowed._approval_acting():
            result = origin(allowed, *args, **kwargs)
        if mode == "notify":
            return notification or result
        return result

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
                pending[request.res_id] = pending.get(request.res_id, Request) | request
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
        positive = operator in ("=", "in")
        if "none" in values:
            domain = [("id", "not in", [rid for rid, s in latest.items() if s not in values])]
            return domain if positive else ["!"] + domain
        ids = [rid for rid, state in latest.items() if state in values]
        return [("id", "in" if positive else "not in", ids)]

    # ------------------------------------------------------------
    # CRUD: the state transition and changes of approved values
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # lines created with their document are part of its creation: the create door
        # below decides on the complete document
        creating = self.env.cr.cache.setdefault(MEMO_CREATING, [])
        creating.append(self._name)
        try:
            records = super().create(vals_list)
        finally:
            creating.remove(self._name)
        if self._approval_state_field and records._approval_policies():
            new = self.env.cr.precommit.data.setdefault(MEMO_NEW, set())
            new.update((records._name, rid) for rid in records.ids)
            state = self._approval_state_field
            # created directly in the final state (an import, an RPC create): a transition
            records.filtered(lambda r: r[state] in self._approval_done_states)._approval_pass(
                door="create"
            )
        return records

    def write(self, vals):
        if not self or not self._approval_policies():
            return super().write(vals)
        entering = self._approval_entering(vals)
        # checked before the write, on the values the approval saw; a change of approved
        # values in the same write is checked after it, as any change of a done document
        entering._approval_pass(door="write")
        locked = self.browse()
        if set(vals) & set(self._approval_fingerprint_fields):
            locked = self._approval_locked()
            self._approval_note_change()
        result = super().write(vals)
        if locked:
            locked._approval_check_locked(door="write")
        return result

    def _approval_entering(self, vals):
        """The records of self that ``vals`` moves into a final state."""
        state = self._approval_state_field
        if not state or vals.get(state) not in self._approval_done_states:
            return self.browse()
        return self.filtered(lambda r: r[state] not in self._approval_done_states)

    def _approval_locked(self):
        """The records of self whose approved values are locked: the gated action
        happened (they are in a final state) and is not running right now."""
        state = self._approval_state_field
        if self._name in self.env.cr.cache.get(MEMO_CREATING, ()):
            return self.browse()
        acting = self.env.cr.cache.get(MEMO_ACTING, set())
        records = self.filtered(lambda r: (r._name, r.id) not in acting)
        if not state or not records:
            return self.browse()
        field = self._fields[state]
        settled = self.env.not_to_compute(field, records) if field.compute else records
        locked = settled.filtered(lambda r: r[state] in self._approval_done_states)
        # documents created in this transaction and not validated since are not done in
        # the database (the memo is dropped on every flush: then the database is asked)
        new = self.env.cr.precommit.data.get(MEMO_NEW, set())
        pending = (records - settled).filtered(lambda r: (r._name, r.id) not in new)
        if pending:
            # their state is being recomputed (a reservation, a validation): what counts is
            # the state stored in the database; forcing the recomputation here would cost
            # its queries twice
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE id = ANY(%s) AND %s = ANY(%s)",
                    SQL.identifier(self._table),
                    list(pending.ids),
                    SQL.identifier(state),
                    list(self._approval_done_states),
                )
            )
            locked |= self.browse(row[0] for row in self.env.cr.fetchall())
        return locked

    # ------------------------------------------------------------
    # GATE
    # ------------------------------------------------------------

    def _approval_policies(self):
        return self.env["workflow.approval.policy"]._policy_specs(self._name)

    def _approval_check(self, door="action"):
        """A button: ``(allowed, notification)``, the records that may go on and the
        client notification for the held ones (or None). Never raises."""
        if not self._approval_policies():  # cached: no query, the usual case
            return self, None
        candidates = self._approval_candidates()
        if not candidates:
            return self, None
        Gate = self.env["workflow.approval.gate"]
        held, requests = Gate._hold(candidates, door)
        if not held:
            return self, None
        return self - held, Gate._notification(held, requests)

    def _approval_pass(self, door):
        """The transition happens now: consume the approvals or raise a UserError."""
        if self._approval_policies() and (candidates := self._approval_candidates()):
            self.env["workflow.approval.gate"]._pass(candidates, door)

    def _approval_check_locked(self, door):
        """Approved values of done records changed: refuse unless still approved."""
        records = self._approval_locked()
        if records and self._approval_policies():
            self.env["workflow.approval.gate"]._check_locked(records, door)

    @contextlib.contextmanager
    def _approval_acting(self):
        """While the gated action of self runs, its own writes are not changes of a done
        document; afterwards, the approvals it consumed also cover the values it left
        (e.g. the quantities of a validated transfer after its backorder split)."""
        memo = self.env.cr.cache.setdefault(MEMO_ACTING, set())
        keys = {(self._name, rid) for rid in self.ids} - memo
        memo |= keys
        self.env.cr.precommit.data.get(MEMO_NEW, set()).difference_update(keys)
        try:
            yield
        finally:
            memo -= keys
        consumed = self.env.cr.cache.get(MEMO_CONSUMED, set())
        if consumed and keys:
            requests = (
                self.env["workflow.approval.request"]
                .sudo()
                .browse(sorted(consumed))
                .filtered(lambda r: r.res_model == self._name and r.res_id in self.ids)
            )
            consumed -= set(requests.ids)
            for request in requests:
                record = self.browse(request.res_id).sudo().exists()
                if record:
                    request.consumed_hash = record._approval_values()[1]

    def _approval_note_change(self):
        """The current user changes approved values of self (not the action itself)."""
        acting = self.env.cr.cache.get(MEMO_ACTING, set())
        changed = self.filtered(lambda r: (r._name, r.id) not in acting)
        # sudo: the author log is engine data written on behalf of every user
        self.env["workflow.approval.author"].sudo()._note(changed)

    def _approval_candidates(self):
        """Hook: the records of self the gate concerns (e.g. invoices, not entries)."""
        return self

    # ------------------------------------------------------------
    # POLICY MATCHING (called in sudo by the gate)
    # ------------------------------------------------------------

    def _approval_in_scope(self, policy):
        """The records of self ``policy`` (a PolicySpec) concerns."""
        records = self
        if policy.company_id:
            records = records.filtered(lambda r: r._approval_company().id == policy.company_id)
        if policy.warehouse_id:
            warehouses = records._workflow_warehouse()
            records = records.filtered(lambda r: warehouses[r].id == policy.warehouse_id)
        if policy.partner_ids:
            records = records.filtered(lambda r: r._approval_partner().id in policy.partner_ids)
        if policy.domain and records:
            records = records.filtered_domain(list(policy.domain))
        return records

    def _approval_measure(self, policy):
        """Measure: whether the condition of ``policy`` holds, what it measured and the
        document value in company currency (``_approval_condition_<code>``)."""
        self.ensure_one()
        measure = getattr(self, f"_approval_condition_{policy.condition}")(policy)
        return measure._replace(value=float_round(measure.value, 4))

    def _approval_condition_amount(self, policy):
        amount = self._approval_amount(policy)
        return Measure(amount > policy.threshold, amount, amount)

    def _approval_condition_discount(self, policy):
        value = self._approval_max_discount(policy)
        return Measure(value > policy.threshold, value, self._approval_amount(policy))

    def _approval_condition_credit_limit(self, policy):
        amount = self._approval_amount(policy)
        exposure, limit = self._approval_credit_exposure(amount)
        triggered = bool(limit) and exposure > limit + policy.threshold
        return Measure(triggered, exposure - limit if limit else 0.0, amount)

    def _approval_condition_return(self, policy):
        amount = self._approval_amount(policy)
        return Measure(self._approval_is_return() and amount > policy.threshold, amount, amount)

    def _approval_condition_inventory_adjustment(self, policy):
        return self._approval_condition_amount(policy)

    def _approval_condition_domain(self, policy):
        # the scope already applied the domain
        return Measure(True, 0.0, self._approval_amount(policy))

    def _approval_values(self):
        """(values, hash): the values an approval is valid for, and their fingerprint."""
        self.ensure_one()
        values = self._approval_hash_values()
        digest = hashlib.sha256(
            json.dumps(values, sort_keys=True, default=str).encode()
        ).hexdigest()
        return values, digest

    def _approval_context_html(self, policy, measure):
        self.ensure_one()
        policy = self.env["workflow.approval.policy"].sudo().browse(policy.id)
        company = self._approval_company()
        currency = company.currency_id
        rows = [
            (_("Document"), self.display_name),
            (_("Policy"), policy.name),
            (_("Value"), format_amount(self.env, measure.amount, currency)),
        ]
        if policy.condition in ("discount", "margin"):
            rows.append((_("Measured"), "%s %%" % round(measure.value, 2)))
        elif policy.condition == "credit_limit":
            exposure, limit = self._approval_credit_exposure(measure.amount)
            rows.append((_("Credit exposure"), format_amount(self.env, exposure, currency)))
            rows.append((_("Credit limit"), format_amount(self.env, limit, currency)))
        rows.append((_("Threshold"), policy.threshold))
        rows += self._approval_context_rows(policy, measure)
        if policy.description:
            rows.append((_("Why"), policy.description))
        return self.env["workflow.approval.request"]._context_table(rows)

    # ------------------------------------------------------------
    # HOOKS (override per model)
    # ------------------------------------------------------------

    def _approval_company(self):
        return self.company_id

    def _workflow_warehouse(self):
        """{record: warehouse} (one shape for the suite: the distribution module's SLA
        policies read the same hook); none by default (invoices)."""
        return dict.fromkeys(self, self.env["stock.warehouse"])

    def _approval_partner(self):
        partner = self.partner_id if "partner_id" in self._fields else self.env["res.partner"]
        return partner.commercial_partner_id

    def _approval_responsible(self):
        """Hook: the internal user answerable for the document (salesperson...)."""
        return self.user_id if "user_id" in self._fields else self.env["res.users"]

    def _approval_requester(self):
        user = self.env.user
        if user._is_superuser() or user._is_public() or user.share:
            return self._approval_responsible() or self.env.ref("base.user_admin")
        return user

    def _approval_authors(self):
        """Users who created or changed the values an approval covers: none of them may
        approve it (four eyes). The document's and its lines' creators, the responsible
        user and whoever changed fingerprinted values (``workflow.approval.author``)."""
        self.ensure_one()
        users = self.create_uid | self._approval_responsible()
        for lines in self._approval_author_lines():
            users |= lines.create_uid
        users |= self.env["workflow.approval.author"].sudo()._authors(self).get(self.id, users)
        return users.filtered(lambda u: not u._is_superuser())

    def _approval_author_lines(self):
        """Hook: the line recordsets whose authors count as the document's."""
        return []

    def _approval_amount(self, policy):
        return 0.0

    def _approval_max_discount(self, policy):
        return 0.0

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
        """Hook: everything that changes value, quantity, payee or destination."""
        return {"id": self.id}

    def _approval_context_rows(self, policy, measure):
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
        state = self._approval_state_field
        return bool(state) and self[state] in self._approval_done_states

    # shared by the order-like documents ---------------------------------

    def _approval_category_lines(self, lines, policy):
        """``lines`` restricted to the policy's product category (and its children)."""
        if not policy.category_path:
            return lines
        prefix = policy.category_path
        return lines.filtered(
            lambda line: (line.product_id.categ_id.parent_path or "").startswith(prefix)
        )

    def _approval_line_amount(self, lines, policy, amount_field="price_total"):
        """Sum ``amount_field`` of ``lines`` restricted to the policy's category."""
        return sum(self._approval_category_lines(lines, policy).mapped(amount_field))

    def _approval_order_lines(self):
        return self.order_line.filtered(lambda line: not line.display_type)

    def _approval_order_amount(self, policy):
        """Amount of an order (sale or purchase) in company currency: its total, or the
        total of the policy's product category lines."""
        total = (
            self._approval_line_amount(self._approval_order_lines(), policy)
            if policy.category_path
            else self.amount_total
        )
        return self._approval_to_company_currency(total, self.currency_id, self.date_order)

    def _approval_order_max_discount(self, policy):
        """Largest line discount of an order (sale or purchase), in %."""
        lines = self._approval_category_lines(self._approval_order_lines(), policy)
        return max(lines.mapped("discount") or [0.0])

    def _approval_lines_fingerprint(self, lines, qty_field, uom_field):
        """(product, quantity, unit, price, discount) of each line with a quantity."""
        return sorted(
            (
                line.product_id.id,
                line[qty_field],
                line[uom_field].id,
                line.price_unit,
                line.discount,
            )
            for line in lines
            if line[qty_field]
        )

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
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_approvals.action_workflow_approval_request_document"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        return action

    def _approval_decidable_requests(self):
        self.ensure_one()
        requests = self.env["workflow.approval.request"].search(
            [("res_model", "=", self._name), ("res_id", "=", self.id), ("state", "=", "pending")]
        )
        requests = requests.filtered("can_decide")
        if not requests:
            raise UserError(
                _("Nothing waits for your approval on %(document)s.", document=self.display_name)
            )
        return requests

    def action_approval_approve(self):
        self._approval_decidable_requests().action_approve()
        return True

    def action_approval_reject(self):
        requests = self._approval_decidable_requests()
        return requests.with_context(approval_decision="rejected").action_open_decision_wizard()

    def action_approval_request_changes(self):
        requests = self._approval_decidable_requests()
        return requests.with_context(approval_decision="changes").action_open_decision_wizard()
