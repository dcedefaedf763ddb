# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.models.workflow_dashboard import AGE_BUCKETS
from odoo.addons.workflow_monitor_base.tools import clock

from .workflow_approval_gate import MEMO_CONTINUATION
from .workflow_approval_policy import APPROVAL_ACTIONS

_logger = logging.getLogger(__name__)

STATES = [
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
ACTIVITY_TYPE = "workflow_monitor_approvals.mail_activity_type_approval"
OVERDUE_CATEGORY = "approval_overdue"


class WorkflowApprovalRequest(models.Model):
    """One document waiting for (or having received) the approval one policy asks for.

    Created by the enforcement engine (:meth:`_gate`) when someone attempts a gated
    action; goes through the policy's tiers; the last approval runs the blocked action
    again, which passes because an approved request with the same ``values_hash``
    exists."""

    _name = "workflow.approval.request"
    _description = "Approval Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "workflow.document.link.mixin"]
    _order = "id desc"
    _mail_post_access = "read"  # approvers and requesters discuss without write access

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    policy_id = fields.Many2one(
        "workflow.approval.policy", required=True, readonly=True, index=True, ondelete="restrict"
    )
    action = fields.Selection(related="policy_id.action")
    condition = fields.Selection(related="policy_id.condition")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    res_model = fields.Selection(
        selection="_selection_approval_model",
        string="Document Model",
        required=True,
        readonly=True,
        index=True,
    )
    res_id = fields.Many2oneReference(required=True, readonly=True, index=True)
    res_ref = fields.Reference(selection="_selection_approval_model")
    res_name = fields.Char(string="Document Name", readonly=True)
    requester_id = fields.Many2one("res.users", required=True, readonly=True, index=True)
    author_ids = fields.Many2many(
        "res.users",
        "workflow_approval_request_author_rel",
        "request_id",
        "user_id",
        string="Authors",
        readonly=True,
        help="Who created or changed the submitted values (creator, last writers, "
        "salesperson or invoice user, requester): none of them may approve (four eyes).",
    )
    consumed_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the approved action used this approval. An approval is single use: "
        "doing the action again (after a cancel or a reset to draft) needs a new one.",
    )
    consumed_hash = fields.Char(
        readonly=True,
        copy=False,
        help="Fingerprint of the values the approved action left (e.g. after a "
        "backorder split); later changes of a done document are compared with it.",
    )
    state = fields.Selection(
        STATES, required=True, default="pending", readonly=True, index=True, tracking=True
    )
    tier_id = fields.Many2one(
        "workflow.approval.tier",
        string="Current Tier",
        readonly=True,
        tracking=True,
        ondelete="set null",
    )
    tier_entered_at = fields.Datetime(readonly=True)
    deadline = fields.Datetime(readonly=True, help="When the current tier passes its SLA.")
    escalated = fields.Boolean(readonly=True, help="The current tier passed its SLA.")
    sla_missed = fields.Boolean(readonly=True, help="A tier of this request passed its SLA.")
    tier_approver_ids = fields.Many2many(
        "res.users",
        "workflow_approval_request_tier_user_rel",
        "request_id",
        "user_id",
        string="Tier Approvers",
        readonly=True,
        help="Who may decide at the current tier (resolved when the tier started).",
    )
    approver_ids = fields.Many2many(
        "res.users",
        "workflow_approval_request_approver_rel",
        "request_id",
        "user_id",
        string="Approvers",
        readonly=True,
        help="Tier approvers plus the substitutes of those who delegated.",
    )
    amount = fields.Monetary(readonly=True, help="Document value in company currency.")
    condition_value = fields.Float(readonly=True, help="What the condition measured.")
    values_hash = fields.Char(
        readonly=True,
        help="Fingerprint of the values that were "
        "submitted; an approval is valid for these values only.",
    )
    values_json = fields.Json(string="Submitted Values", readonly=True)
    context_html = fields.Html(string="Context", readonly=True, sanitize=True)
    auto_approved = fields.Boolean(readonly=True)
    requested_at = fields.Datetime(
        required=True, readonly=True, default=lambda self: clock.now(self.env)
    )
    decided_at = fields.Datetime(readonly=True)
    decided_by_id = fields.Many2one("res.users", readonly=True)
    turnaround_hours = fields.Float(compute="_compute_turnaround", store=True, aggregator="avg")
    decision_ids = fields.One2many("workflow.approval.decision", "request_id", readonly=True)
    execution_state = fields.Selection(
        [
            ("none", "Not run"),
            ("done", "Done"),
            ("partial", "Needs the requester"),
            ("failed", "Failed"),
        ],
        default="none",
        readonly=True,
        help="Whether the blocked action ran after the final approval.",
    )
    execution_message = fields.Text(readonly=True)
    can_decide = fields.Boolean(compute="_compute_can_decide")
    is_my_approval = fields.Boolean(compute="_compute_can_decide", search="_search_is_my_approval")
    age_hours = fields.Float(compute="_compute_age_hours", string="Age (h)")
    pending_age = fields.Selection(
        [(key, label) for key, label, _low, _high in AGE_BUCKETS],
        compute="_compute_age_hours",
        search="_search_pending_age",
        help="Age bucket of a pending request (same buckets as the dashboard).",
    )
    is_overdue = fields.Boolean(compute="_compute_age_hours", search="_search_is_overdue")

    def init(self):
        # the gate looks requests up by document; and one pending request per document,
        # policy and submitted values, even when two users confirm at the same moment
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_approval_request_document_idx
                   ON workflow_approval_request (res_model, res_id, policy_id)"""
        )
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS workflow_approval_request_pending_uniq
                   ON workflow_approval_request (res_model, res_id, policy_id, values_hash)
                WHERE state = 'pending'"""
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("requested_at", "decided_at")
    def _compute_turnaround(self):
        for request in self:
            request.turnaround_hours = (
                (request.decided_at - request.requested_at).total_seconds() / 3600.0
                if request.decided_at and request.requested_at
                else 0.0
            )

    def _compute_age_hours(self):
        now = fields.Datetime.now()
        for request in self:
            end = request.decided_at or now
            request.age_hours = (end - request.requested_at).total_seconds() / 3600.0
            request.is_overdue = bool(
                request.state == "pending" and request.deadline and request.deadline < now
            )
            request.pending_age = False
            if request.state == "pending":
                for key, _label, low, high in AGE_BUCKETS:
                    if request.age_hours >= low and (high is None or request.age_hours < high):
                        request.pending_age = key
                        break

    def _search_pending_age(self, operator, value):
        if operator != "=" or value not in {key for key, *_rest in AGE_BUCKETS}:
            raise UserError(_("Unsupported search on Pending Age."))
        _key, _label, low, high = next(b for b in AGE_BUCKETS if b[0] == value)
        return [("state", "=", "pending")] + self.env["workflow.dashboard"]._bucket_domain(
            "requested_at", fields.Datetime.now(), low, high
        )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on Overdue."))
        domain = [("state", "=", "pending"), ("deadline", "<", fields.Datetime.now())]
        return domain if (operator == "=") == value else ["!", "&"] + domain

    @api.depends_context("uid")
    def _compute_can_decide(self):
        live = self._live_approvers()
        user = self.env.user
        for request in self:
            allowed = request.state == "pending" and user in live.get(request.id, user.browse())
            request.is_my_approval = allowed
            request.can_decide = allowed and (
                user not in request.sudo()._four_eyes_authors()
                or request.policy_id.sudo().allow_self_approval
            )

    def _search_is_my_approval(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on My Approvals."))
        domain = [("state", "=", "pending"), ("approver_ids", "in", [self.env.uid])]
        return domain if (operator == "=") == value else ["!", "&"] + domain

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(
                _(
                    "Approval requests are created by the approval engine when someone "
                    "confirms, posts, validates or applies a document."
                )
            )
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence.next_by_code("workflow.approval.request") or "/"
        return super(
            WorkflowApprovalRequest,
            self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True),
        ).create(vals_list)

    _protected_fields = frozenset(
        {
            "state",
            "policy_id",
            "res_model",
            "res_id",
            "requester_id",
            "tier_id",
            "values_hash",
            "values_json",
            "tier_approver_ids",
            "approver_ids",
            "decided_at",
            "decided_by_id",
            "auto_approved",
            "amount",
            "deadline",
            "escalated",
            "execution_state",
            "company_id",
            "author_ids",
            "consumed_at",
            "consumed_hash",
            "condition_value",
            "context_html",
            "requested_at",
        }
    )

    def write(self, vals):
        # Decisions go through action_approve/action_reject, which check the approver and
        # then write as the engine (sudo). Nobody writes these fields directly.
        if not self.env.su and self._protected_fields.intersection(vals):
            raise AccessError(
                _(
                    "Approval requests change only through Approve, Reject or Request Changes "
                    "(fields: %(fields)s).",
                    fields=", ".join(sorted(self._protected_fields & set(vals))),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        if not self.env.su and any(r.state != "cancelled" for r in self):
            raise UserError(_("Only cancelled approval requests can be deleted."))

    # ------------------------------------------------------------
    # ACTIONS (approvers)
    # ------------------------------------------------------------

    def action_approve(self, comment=None):
        return self._decide_each("approved", comment)

    def action_reject(self, reason=None):
        if not reason or not str(reason).strip():
            raise UserError(_("Give the reason of the rejection (field: Reason)."))
        return self._decide_each("rejected", reason)

    def action_request_changes(self, comment=None):
        if not comment or not str(comment).strip():
            raise UserError(_("Say what must change (field: Comment)."))
        return self._decide_each("changes", comment)

    def _decide_each(self, decision, comment):
        """Check the current user may decide each request, then record the decision."""
        for request in self:
            on_behalf = request._check_can_decide()
            if request._is_outdated():
                # sudo: the engine asks again once the approver checks above passed
                request.sudo()._resubmit()
                continue
            # sudo: the decision is written once the permission checks above passed
            request.sudo()._decide(decision, comment, on_behalf)
        return True

    def action_open_decision_wizard(self):
        self._check_decidable()
        decision = self.env.context.get("approval_decision", "rejected")
        return {
            "type": "ir.actions.act_window",
            "name": _("Reject") if decision == "rejected" else _("Request Changes"),
            "res_model": "workflow.approval.decision.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_request_ids": self.ids, "default_decision": decision},
        }

    def action_open_delegate_wizard(self):
        self._check_decidable()
        return {
            "type": "ir.actions.act_window",
            "name": _("Delegate"),
            "res_model": "workflow.approval.decision.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_request_ids": self.ids, "default_decision": "delegated"},
        }

    def _check_decidable(self):
        """The decision wizards open only for requests the user may decide now."""
        self.check_access("read")
        if undecidable := self.filtered(lambda r: not r.is_my_approval):
            raise UserError(
                _(
                    "Nothing waits for your decision on %(name)s.",
                    name=undecidable[0].name,
                )
            )

    def action_delegate(self, user, comment=None):
        """Hand this request to ``user``: they decide on the caller's behalf."""
        user = self.env["res.users"].browse(getattr(user, "id", user))
        for request in self:
            request._check_can_decide()
            if user.share or not user.active:
                raise UserError(_("Delegate to an internal user (field: Delegate to)."))
            # sudo: the delegation is engine data bound to this request
            self.env["workflow.approval.delegation"].sudo().create(
                {
                    "user_id": self.env.uid,
                    "substitute_id": user.id,
                    "request_id": request.id,
                    "date_from": False,
                    "note": comment or False,
                }
            )
            request.sudo()._log_decision("delegated", comment, False)
            request.sudo().message_post(
                body=_(
                    "%(user)s delegated this request to %(substitute)s.",
                    user=self.env.user.name,
                    substitute=user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_cancel(self):
        if not self.env.user.has_group("workflow_monitor_base.group_workflow_manager"):
            raise AccessError(_("Only Workflow Monitor managers cancel approval requests."))
        pending = self.filtered(lambda r: r.state == "pending")
        pending.sudo()._close_activities()
        pending.sudo().write(
            {
                "state": "cancelled",
                "decided_at": clock.now(self.env),
                "decided_by_id": self.env.uid,
            }
        )
        pending.sudo()._log_approval_events("cancelled")
        pending.sudo()._resolve_overdue()
        return True

    # ------------------------------------------------------------
    # DECISIONS
    # ------------------------------------------------------------

    def _check_can_decide(self):
        """Raise unless the current user may decide the current tier; returns the
        approver the user decides on behalf of (a delegation), or an empty recordset."""
        self.ensure_one()
        user = self.env.user
        try:
            self.check_access("read")
        except AccessError:
            self._refuse(
                "approval_unauthorized",
                _(
                    "%(user)s tried to decide approval request %(id)s, which they cannot see.",
                    user=user.name,
                    id=self.id,
                ),
            )
        if self.state != "pending":
            raise UserError(
                _(
                    "%(name)s is already %(state)s.",
                    name=self.name,
                    state=dict(STATES)[self.state].lower(),
                )
            )
        self._check_four_eyes()
        direct = self.sudo().tier_approver_ids
        on_behalf = self.env["res.users"]
        if user not in direct:
            delegators = self._current_delegators(user)
            on_behalf = (delegators & direct)[:1]
            if not on_behalf:
                self._refuse(
                    "approval_unauthorized",
                    _(
                        "%(user)s is not an approver of %(name)s (tier: %(tier)s).",
                        user=user.name,
                        name=self.name,
                        tier=self.sudo().tier_id.name or "-",
                    ),
                )
        return on_behalf

    def _check_four_eyes(self):
        """Raise unless the current user is none of the authors of the submitted values:
        recorded when requested, and the document's current ones (a salesperson changed
        since, a line edited by the approver)."""
        self.ensure_one()
        request = self.sudo()  # sudo: the document is read for its authors only
        if request.policy_id.allow_self_approval:
            return
        record = request._record()
        authors = request._four_eyes_authors()
        if record is not None:
            authors |= record._approval_authors()
        if self.env.user in authors:
            self._refuse(
                "approval_self",
                _(
                    "%(user)s created or changed the values of %(document)s and cannot "
                    "approve %(name)s (four eyes).",
                    user=self.env.user.name,
                    document=request.res_name,
                    name=self.name,
                ),
            )

    def _is_outdated(self):
        """Whether the document changed since the request: its values no longer match."""
        self.ensure_one()
        record = self.sudo()._record()
        return record is not None and record._approval_values()[1] != self.values_hash

    def _resubmit(self):
        """The document changed while pending: ask again for its current values, as its
        requester would by pressing the button again (the gate cancels this request as
        outdated and creates the new one)."""
        self.ensure_one()
        record = self._record()
        requester = record.with_user(self.requester_id).with_company(self.company_id)
        self.env["workflow.approval.gate"]._hold(requester, "resubmit")

    def _refuse(self, signal, message):
        """Log a refused decision (event + security signal) outside this transaction,
        which the UserError rolls back, then raise."""
        request = self.sudo()  # the user may not even read the request they tried
        self.env["workflow.approval.gate"]._log_outside(
            [
                {
                    "res_model": self._name,
                    "res_id": request.id,
                    "company_id": request.company_id.id,
                    "payload": {"action": "refused", "signal": signal, "request": request.name},
                }
            ],
            [(signal, message, self._name, self.id)],
        )
        raise UserError(message)

    def _four_eyes_authors(self):
        """Users who may not approve this request: its requester and the authors of the
        submitted values (recorded when it was requested)."""
        self.ensure_one()
        return self.author_ids | self.requester_id

    @api.model
    def _selection_approval_model(self):
        return self.env["workflow.approval.policy"]._selection_approval_model()

    def _current_delegators(self, user):
        delegations = (
            self.env["workflow.approval.delegation"]
            .sudo()
            .search(
                self.env["workflow.approval.delegation"]._current_domain()
                + [
                    ("substitute_id", "=", user.id),
                    "|",
                    ("request_id", "=", False),
                    ("request_id", "=", self.id),
                ]
            )
        )
        return delegations.user_id

    def _decide(self, decision, comment, on_behalf):
        """Engine side of a decision (self is sudo)."""
        self.ensure_one()
        now = clock.now(self.env)
        if self.deadline and now > self.deadline:
            self.sla_missed = True
        self._log_decision(decision, comment, on_behalf)
        self._close_activities(feedback=comment)
        if decision == "approved":
            next_tier = self.policy_id.tier_ids.filtered(
                lambda t: (t.sequence, t.id) > (self.tier_id.sequence, self.tier_id.id)
            )[:1]
            self._log_approval_events("tier_approved", comment=comment)
            if next_tier:
                self._enter_tier(next_tier, now)
                return
            self.write(
                {
                    "state": "approved",
                    "decided_at": now,
                    "decided_by_id": self.env.uid,
                    "deadline": False,
                }
            )
            self._resolve_overdue()
            self._log_approval_events("approved", comment=comment)
            self._notify_requester(
                _("%(name)s was approved by %(user)s.", name=self.name, user=self.env.user.name),
                comment,
            )
            self._execute()
        else:
            self.write(
                {
                    "state": "rejected" if decision == "rejected" else "cancelled",
                    "decided_at": now,
                    "decided_by_id": self.env.uid,
                    "deadline": False,
                }
            )
            self._resolve_overdue()
            self._log_approval_events(
                "rejected" if decision == "rejected" else "changes_requested", comment=comment
            )
            if decision == "rejected":
                message = _(
                    "%(name)s was rejected by %(user)s.", name=self.name, user=self.env.user.name
                )
            else:
                message = _(
                    "%(user)s asks for changes before approving %(name)s; change "
                    "the document and submit it again.",
                    name=self.name,
                    user=self.env.user.name,
                )
            self._notify_requester(message, comment, activity=True)

    def _log_decision(self, decision, comment, on_behalf):
        self.env["workflow.approval.decision"].sudo().create(
            {
                "request_id": self.id,
                "tier_id": self.tier_id.id,
                "user_id": self.env.uid,
                "on_behalf_of_id": on_behalf.id if on_behalf else False,
                "decision": decision,
                "comment": comment or False,
            }
        )
        if on_behalf:
            self.message_post(
                body=_(
                    "%(user)s decided on behalf of %(approver)s.",
                    user=self.env.user.name,
                    approver=on_behalf.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _notify_requester(self, message, comment=None, activity=False):
        body = Markup("<p>%s</p>") % message
        if comment:
            body += Markup("<p><i>%s</i></p>") % comment
        for request in self:
            request.message_post(
                body=body,
                partner_ids=request.requester_id.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
                message_type="comment",
            )
            record = request._record()
            if record and hasattr(record, "message_post"):
                record.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")
            if activity:
                request.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=request.requester_id.id,
                    summary=message[:200],
                    note=comment or False,
                )

    def _record(self):
        self.ensure_one()
        if self.res_model not in self.env:
            return None
        record = self.env[self.res_model].browse(self.res_id).exists()
        return record or None

    # ------------------------------------------------------------
    # CONTINUATION
    # ------------------------------------------------------------

    def _execute(self):
        """After the final approval, run the blocked action again as the requester. It
        passes the gate because this request is approved for the current values; if
        the document changed since, the gate asks for a new approval instead."""
        self.ensure_one()
        record = self._record()
        if record is None:
            self.write(
                {
                    "execution_state": "failed",
                    "execution_message": _("The document no longer exists."),
                }
            )
            return
        if record._approval_is_done():
            self.write({"execution_state": "done"})
            return
        others = self.search_count(
            [
                ("res_model", "=", self.res_model),
                ("res_id", "=", self.res_id),
                ("state", "=", "pending"),
                ("id", "!=", self.id),
            ]
        )
        if others:
            self.write(
                {
                    "execution_state": "partial",
                    "execution_message": _(
                        "The document still waits for %(count)s other approval(s).", count=others
                    ),
                }
            )
            return
        memo = self.env.cr.cache.setdefault(MEMO_CONTINUATION, set())
        memo.add((self.res_model, self.res_id))
        requester_record = record.with_user(self.requester_id).with_company(self.company_id)
        try:
            with self.env.cr.savepoint():
                requester_record._approval_continue()
        except (UserError, ValidationError, AccessError) as error:
            self.env.invalidate_all()
            message = _(
                "Approved, but %(action)s failed: %(error)s",
                error=error,
                action=dict(APPROVAL_ACTIONS)[self.policy_id.action].lower(),
            )
            self.write({"execution_state": "failed", "execution_message": message})
            self._log_approval_events("execution_failed", comment=str(error))
            self._notify_requester(message, activity=True)
            return
        finally:
            memo.discard((self.res_model, self.res_id))
        if self.consumed_at or record._approval_is_done():
            self.write({"execution_state": "done", "execution_message": False})
            self._log_approval_events("executed")
        else:
            message = _(
                "Approved: finish the %(action)s of %(document)s yourself (it needs "
                "a choice or another approval).",
                document=self.res_name,
                action=dict(APPROVAL_ACTIONS)[self.policy_id.action].lower(),
            )
            self.write({"execution_state": "partial", "execution_message": message})
            self._notify_requester(message, activity=True)

    # ------------------------------------------------------------
    # TIERS, APPROVERS, ACTIVITIES
    # ------------------------------------------------------------

    def _enter_tier(self, tier, now=None):
        now = now or clock.now(self.env)
        for request in self:
            approvers = request._resolve_approvers(tier)
            request.write(
                {
                    "tier_id": tier.id,
                    "tier_entered_at": now,
                    "deadline": now + timedelta(hours=tier.sla_hours) if tier.sla_hours else False,
                    "escalated": False,
                    "tier_approver_ids": [fields.Command.set(approvers.ids)],
                }
            )
        self._sync_activities()

    def _resolve_approvers(self, tier):
        """Users who may decide ``tier`` of this request (never empty)."""
        self.ensure_one()
        users = self.env["res.users"]
        if tier.approver_type == "user":
            users = tier.user_ids
        elif tier.approver_type == "group":
            users = tier.group_id.users
        else:
            users = self._requester_manager()
        company = self.company_id

        def usable(candidates):
            candidates = candidates.filtered(
                lambda u: u.active and not u.share and company in u.company_ids
            )
            if not self.policy_id.allow_self_approval:
                candidates -= self.author_ids | self.requester_id
            return candidates

        for fallback in (
            users,
            tier.user_ids,
            tier.escalate_to_user_id,
            self.env.ref("workflow_monitor_base.group_workflow_manager").users,
        ):
            approvers = usable(fallback)
            if approvers:
                return approvers
        return self.env.ref("base.user_admin")

    def _requester_manager(self):
        requester = self.requester_id
        if "employee_id" in requester._fields and requester.employee_id.parent_id.user_id:
            return requester.employee_id.parent_id.user_id
        record = self._record()
        team = record.team_id if record is not None and "team_id" in record._fields else False
        team = team or (requester.sale_team_id if "sale_team_id" in requester._fields else False)
        if team and team.user_id and team.user_id != requester:
            return team.user_id
        return self.env["res.users"]

    def _live_approvers(self):
        """{request id: users who may decide now} = tier approvers + current substitutes."""
        result = {}
        if not self:
            return result
        requests = self.sudo()
        pending = requests.filtered(lambda r: r.state == "pending")
        delegations = (
            self.env["workflow.approval.delegation"]
            .sudo()
            .search(
                self.env["workflow.approval.delegation"]._current_domain()
                + [
                    ("user_id", "in", pending.tier_approver_ids.ids),
                    "|",
                    ("request_id", "=", False),
                    ("request_id", "in", pending.ids),
                ]
            )
        )
        for request in requests:
            users = request.tier_approver_ids
            for delegation in delegations:
                if delegation.user_id in request.tier_approver_ids and (
                    not delegation.request_id or delegation.request_id == request
                ):
                    users |= delegation.substitute_id
            if not request.policy_id.allow_self_approval:
                users -= request.author_ids | request.requester_id
            result[request.id] = users
        return result

    def _sync_activities(self):
        """Every live approver of a pending request has one Approval activity; nobody
        else has one. Batch: one search, one create."""
        activity_type = self.env.ref(ACTIVITY_TYPE)
        Activity = self.env["mail.activity"].sudo()
        pending = self.filtered(lambda r: r.state == "pending")
        live = pending._live_approvers()
        for request in pending:
            users = live[request.id] | request.tier_approver_ids
            if request.approver_ids != users:
                request.approver_ids = [fields.Command.set(users.ids)]
        existing = Activity.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", pending.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        have = {(a.res_id, a.user_id.id): a for a in existing}
        model_id = self.env["ir.model"]._get_id(self._name)
        to_create = []
        keep = Activity
        for request in pending:
            for user in request.approver_ids:
                activity = have.get((request.id, user.id))
                if activity:
                    keep |= activity
                    continue
                to_create.append(
                    {
                        "res_model_id": model_id,
                        "res_id": request.id,
                        "activity_type_id": activity_type.id,
                        "user_id": user.id,
                        "date_deadline": fields.Date.context_today(
                            self, request.deadline or fields.Datetime.now()
                        ),
                        "summary": _(
                            "Approve %(document)s (%(policy)s)",
                            document=request.res_name,
                            policy=request.policy_id.name,
                        ),
                        "note": request.context_html,
                    }
                )
        (existing - keep).unlink()
        if to_create:
            Activity.with_context(mail_activity_quick_update=True).create(to_create)

    def _close_activities(self, feedback=None):
        activity_type = self.env.ref(ACTIVITY_TYPE)
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )
        mine = activities.filtered(lambda a: a.user_id == self.env.user)
        if mine:
            mine.action_feedback(feedback=feedback or False)
        (activities - mine).exists().unlink()

    # ------------------------------------------------------------
    # ENGINE HELPERS (the gate itself is workflow.approval.gate)
    # ------------------------------------------------------------

    def _is_usable(self, digest):
        """Whether this request lets its document perform the gated action now: approved
        for exactly these values and not used yet (an approval is single use)."""
        self.ensure_one()
        return self.state == "approved" and not self.consumed_at and self.values_hash == digest

    def _cancel_outdated(self, now):
        """Pending requests whose document changed: cancelled, a new one is asked for."""
        if not self:
            return
        self._close_activities()
        self.write(
            {
                "state": "cancelled",
                "decided_at": now,
                "execution_message": _("The document changed while pending."),
            }
        )
        self._log_approval_events("outdated")
        self._resolve_overdue()

    def _log_approval_events(self, action, comment=None):
        if not self:
            return
        self.env["workflow.event"]._log_events(
            [
                {
                    "event_type": "approval",
                    "res_model": request.res_model,
                    "res_id": request.res_id,
                    "company_id": request.company_id.id,
                    "user_id": self.env.uid,
                    "payload": {
                        "action": action,
                        "request_id": request.id,
                        "request": request.name,
                        "policy": request.policy_id.name,
                        "condition": request.policy_id.condition,
                        "tier": request.tier_id.name or False,
                        "amount": request.amount,
                        "value": request.condition_value,
                        "comment": comment or False,
                    },
                }
                for request in self
            ]
        )

    def _resolve_overdue(self):
        exceptions = (
            self.env["workflow.exception"]
            .sudo()
            .search(
                [
                    ("category_id.code", "=", OVERDUE_CATEGORY),
                    ("dedupe_key", "in", [f"approval:{r.id}" for r in self]),
                    ("state", "in", ("new", "assigned", "in_progress")),
                ]
            )
        )
        exceptions._resolve(_("The approval request was decided."), auto=True)

    # ------------------------------------------------------------
    # ESCALATION
    # ------------------------------------------------------------

    @api.model
    def _cron_escalate(self, batch_size=500):
        """Escalate pending tiers past their SLA: the escalation user gets an activity
        and may decide, an ``approval_overdue`` exception is raised. Chunked, idempotent
        (escalated tiers leave the domain) and safe with two workers (SKIP LOCKED)."""
        now = clock.now(self.env)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM workflow_approval_request
                    WHERE state = 'pending' AND NOT COALESCE(escalated, FALSE)
                      AND deadline < %s
                    ORDER BY deadline LIMIT %s FOR NO KEY UPDATE SKIP LOCKED""",
                now,
                batch_size,
            )
        )
        requests = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        requests._escalate(now)
        self._sync_delegations_started()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM workflow_approval_request
                    WHERE state = 'pending' AND deadline < %s""",
                now,
            )
        )
        open_keys = [f"approval:{row[0]}" for row in self.env.cr.fetchall()]
        self.env["workflow.exception"].sudo().resolve_cleared(OVERDUE_CATEGORY, open_keys)
        remaining = self.sudo().search_count(
            [("state", "=", "pending"), ("escalated", "=", False), ("deadline", "<", now)]
        )
        self.env["ir.cron"]._notify_progress(done=len(requests), remaining=remaining)
        return requests

    def _escalate(self, now):
        if not self:
            return
        vals_list = []
        for request in self:
            tier = request.tier_id
            vals = {"escalated": True, "sla_missed": True}
            if tier.escalate_to_user_id:
                vals["tier_approver_ids"] = [fields.Command.link(tier.escalate_to_user_id.id)]
            request.write(vals)
            hours = (now - request.tier_entered_at).total_seconds() / 3600.0
            vals_list.append(
                {
                    "record": request,
                    "category_code": OVERDUE_CATEGORY,
                    "message": _(
                        "%(name)s waits for %(tier)s for %(hours)s h (SLA %(sla)s h)",
                        name=request.name,
                        tier=tier.name or "-",
                        hours=round(hours, 1),
                        sla=tier.sla_hours,
                    ),
                    "dedupe_key": f"approval:{request.id}",
                    "company_id": request.company_id.id,
                    "user_id": tier.escalate_to_user_id.id or False,
                    "description": _(
                        "Document: %(document)s. Approvers: %(approvers)s.",
                        document=request.res_name,
                        approvers=", ".join(request.tier_approver_ids.mapped("name")),
                    ),
                }
            )
            request.message_post(
                body=_(
                    "The tier %(tier)s passed its SLA of %(sla)s h; escalated to %(user)s.",
                    tier=tier.name or "-",
                    sla=tier.sla_hours,
                    user=tier.escalate_to_user_id.name or _("the exception queue"),
                ),
                subtype_xmlid="mail.mt_note",
            )
        self._sync_activities()
        self._log_approval_events("escalated")
        self.env["workflow.exception"].sudo().raise_exceptions(vals_list)

    @api.model
    def _sync_delegations_started(self):
        """Out-of-office periods that start today: their substitutes get the pending
        requests of the absent approvers."""
        Delegation = self.env["workflow.approval.delegation"].sudo()
        today = fields.Date.context_today(self)
        started = Delegation.search(Delegation._current_domain(today) + [("date_from", "=", today)])
        ended = Delegation.search(
            [("active", "=", True), ("date_to", "=", today - timedelta(days=1))]
        )
        users = (started | ended).user_id
        if users:
            self.sudo().search(
                [("state", "=", "pending"), ("tier_approver_ids", "in", users.ids)]
            )._sync_activities()

    # ------------------------------------------------------------
    # DISPLAY
    # ------------------------------------------------------------

    @api.model
    def _context_table(self, rows):
        body = Markup("").join(
            Markup("<tr><th class='pe-3'>%s</th><td>%s</td></tr>") % (label, value)
            for label, value in rows
        )
        return Markup("<table class='table table-sm o_wm_approval_context'>%s</table>") % body
