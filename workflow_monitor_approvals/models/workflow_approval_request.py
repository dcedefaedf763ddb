import logging
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.models.workflow_dashboard import AGE_BUCKETS

from .workflow_approval_policy import APPROVAL_ACTIONS, APPROVAL_MODELS

_logger = logging.getLogger(__name__)

STATES = [
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
# Transaction-scoped memos (cleared on commit/rollback with the precommit hooks). They
# only avoid logging the same blocked attempt twice in one transaction; enforcement never
# reads them.
MEMO_HELD = "workflow_approval.held"
MEMO_CONTINUATION = "workflow_approval.continuation"
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
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        APPROVAL_MODELS, string="Document Model", required=True, readonly=True, index=True
    )
    res_id = fields.Many2oneReference(
        string="Document ID", model_field="res_model", required=True, readonly=True, index=True
    )
    res_ref = fields.Reference(
        selection=APPROVAL_MODELS, string="Document", compute="_compute_res_ref"
    )
    res_name = fields.Char(string="Document Name", readonly=True)
    requester_id = fields.Many2one("res.users", required=True, readonly=True, index=True)
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
    requested_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
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

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for request in self:
            request.res_ref = (
                f"{request.res_model},{request.res_id}"
                if request.res_model and request.res_id
                else False
            )

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
                request.requester_id != user or request.policy_id.sudo().allow_self_approval
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
            # sudo: the decision is written once the permission check above passed
            request.sudo()._decide(decision, comment, on_behalf)
        return True

    def action_open_decision_wizard(self):
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
        return {
            "type": "ir.actions.act_window",
            "name": _("Delegate"),
            "res_model": "workflow.approval.decision.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_request_ids": self.ids, "default_decision": "delegated"},
        }

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
                "decided_at": fields.Datetime.now(),
                "decided_by_id": self.env.uid,
            }
        )
        pending.sudo()._log_approval_events("cancelled")
        pending.sudo()._resolve_overdue()
        return True

    def action_open_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
        }

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
        if user == self.requester_id and not self.sudo().policy_id.allow_self_approval:
            self._refuse(
                "approval_self",
                _(
                    "%(user)s requested %(name)s and cannot approve their own request.",
                    user=user.name,
                    name=self.name,
                ),
            )
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

    def _refuse(self, signal, message):
        """Log a refused decision (event + security signal) outside this transaction,
        which the UserError rolls back, then raise."""
        request = self.sudo()  # the user may not even read the request they tried
        self._log_outside(
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
        now = fields.Datetime.now()
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
        memo = self.env.cr.precommit.data.setdefault(MEMO_CONTINUATION, set())
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
        if record._approval_is_done():
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
        now = now or fields.Datetime.now()
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
                candidates -= self.requester_id
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
                users -= request.requester_id
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
    # ENFORCEMENT ENGINE
    # ------------------------------------------------------------

    @api.model
    def _gate(self, records, door="action"):
        """Decide which of ``records`` may perform their gated action now.

        For every active policy whose scope and condition match a record: an approved
        request with the record's current ``values_hash`` lets it pass; otherwise a
        request is created (approved at once below the auto-approval amount) or the
        pending one is kept, and the record is held. Independent of context, user and
        sudo. Returns (held records, requests they wait for).
        """
        Policy = self.env["workflow.approval.policy"]
        policies = Policy._policies_for(records._name)
        empty = (records.browse(), self.browse())
        if not policies or not records:
            return empty
        # sudo: conditions read totals, costs and customer credit the user may not see;
        # only the decision (held or not) goes back to the caller.
        records_su = records.sudo()
        triggered = []
        for policy in policies:
            for record in records_su._approval_in_scope(policy):
                info = record._approval_evaluate(policy)
                if info["triggered"]:
                    triggered.append((record, policy, info))
        if not triggered:
            return empty
        hashed = {}
        for record, _policy, _info in triggered:
            if record.id not in hashed:
                hashed[record.id] = record._approval_values()
        Request = self.sudo()
        existing = Request.search(
            [
                ("res_model", "=", records._name),
                ("res_id", "in", list(hashed)),
                ("policy_id", "in", policies.ids),
                ("state", "in", ("pending", "approved")),
            ],
            order="id desc",
        )
        by_key = {}
        for request in existing:
            by_key.setdefault((request.res_id, request.policy_id.id), []).append(request)
        now = fields.Datetime.now()
        held_ids, waiting, outdated, blocked = set(), Request, Request, Request
        to_create = []
        for record, policy, info in triggered:
            values, values_hash = hashed[record.id]
            requests = by_key.get((record.id, policy.id), [])
            if any(r.state == "approved" and r.values_hash == values_hash for r in requests):
                continue
            pending = [r for r in requests if r.state == "pending"]
            same = [r for r in pending if r.values_hash == values_hash]
            if same:
                held_ids.add(record.id)
                waiting |= same[0]
                blocked |= same[0]
                continue
            for request in pending:
                outdated |= request
            auto = bool(policy.auto_approve_below) and info["amount"] < policy.auto_approve_below
            if not auto:
                held_ids.add(record.id)
            to_create.append(
                {
                    "policy_id": policy.id,
                    "res_model": record._name,
                    "res_id": record.id,
                    "res_name": record.display_name,
                    "company_id": record._approval_company().id,
                    "requester_id": record._approval_requester().id,
                    "state": "approved" if auto else "pending",
                    "auto_approved": auto,
                    "decided_at": now if auto else False,
                    "requested_at": now,
                    "amount": info["amount"],
                    "condition_value": info["value"],
                    "values_hash": values_hash,
                    "values_json": values,
                    "context_html": record._approval_context_html(policy, info),
                    "execution_state": "done" if auto else "none",
                }
            )
        if door != "action" and held_ids:
            # a direct write/create of the final state: refused by the caller (UserError),
            # so nothing is created here and the attempt is logged outside the transaction
            held = records.browse(sorted(held_ids))
            self._log_blocked(held, waiting, door, outside=True)
            auto_vals = [v for v in to_create if v["state"] == "approved"]
            if auto_vals:
                Request.create(auto_vals)._log_approval_events("auto_approved")
            return held, waiting
        if outdated:
            outdated._close_activities()
            outdated.write(
                {
                    "state": "cancelled",
                    "decided_at": now,
                    "execution_message": _("The document changed while pending."),
                }
            )
            outdated._log_approval_events("outdated")
            outdated._resolve_overdue()
        created = Request.create(to_create) if to_create else Request
        auto = created.filtered("auto_approved")
        new_pending = created - auto
        auto._log_approval_events("auto_approved")
        for policy in new_pending.policy_id:
            requests = new_pending.filtered(lambda r, p=policy: r.policy_id == p)
            requests._enter_tier(policy.tier_ids[:1], now)
        new_pending._log_approval_events("requested")
        if blocked:
            self._log_blocked(
                records.browse(sorted({r.res_id for r in blocked})), blocked, door, outside=False
            )
        held = records.browse(sorted(held_ids))
        memo = self.env.cr.precommit.data.setdefault(MEMO_HELD, set())
        memo.update((held._name, rid) for rid in held.ids)
        return held, waiting | new_pending

    def _log_blocked(self, held, requests, door, outside):
        """A held attempt on a record that already waits (or a direct write of its final
        state): an ``approval`` event plus an ``approval_bypass`` security signal. Not
        counted twice in one transaction, nor for the engine's own continuation."""
        memo = self.env.cr.precommit.data.get(MEMO_HELD, set())
        continuing = self.env.cr.precommit.data.get(MEMO_CONTINUATION, set())
        events, signals = [], []
        by_record = {}
        for request in requests:
            by_record.setdefault(request.res_id, request)
        for record in held:
            key = (record._name, record.id)
            if door == "action" and (key in memo or key in continuing):
                continue
            request = by_record.get(record.id)
            message = _(
                "%(user)s attempted to %(action)s %(document)s, which waits for approval "
                "%(request)s (door: %(door)s).",
                user=self.env.user.name,
                action=record._approval_action,
                document=record.display_name,
                request=request.name if request else "-",
                door=door,
            )
            events.append(
                {
                    "res_model": record._name,
                    "res_id": record.id,
                    "company_id": record._approval_company().id,
                    "payload": {
                        "action": "blocked",
                        "door": door,
                        "request_id": request.id if request else False,
                        "request": request.name if request else False,
                        "context_keys": sorted(str(k) for k in self.env.context)[:20],
                    },
                }
            )
            # the engine's own continuation and the superuser's scheduled jobs (e.g. the
            # auto-post of a waiting bill) are blocked and logged, but are no bypass attempt
            if key not in continuing and self.env.uid != SUPERUSER_ID:
                signals.append(("approval_bypass", message, record._name, record.id))
        if not events:
            return
        if outside:
            self._log_outside(events, signals)
            return
        self.env["workflow.event"]._log_events(
            [dict(e, event_type="approval", occurred_at=fields.Datetime.now()) for e in events]
        )
        for signal in signals:
            self.env["workflow.event"]._log_security_signal(*signal)

    def _log_outside(self, events, signals):
        """Write events and security signals from a separate cursor: they must survive
        the UserError that refuses the attempt. The user is named in the payload too: if
        the user (or company) row is not committed yet, the row is written without it."""
        uid = self.env.uid
        events = [dict(e, payload=dict(e["payload"], uid=uid)) for e in events]
        for strict in (True, False):
            try:
                with self.env.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["workflow.event"]._log_events(
                        [
                            dict(
                                e,
                                event_type="approval",
                                source="user",
                                user_id=uid if strict else False,
                                company_id=e.get("company_id") if strict else False,
                            )
                            for e in events
                        ]
                    )
                    for signal, message, res_model, res_id in signals:
                        env["workflow.event"]._log_security_signal(
                            signal, message, res_model, res_id
                        )
                return
            except psycopg2.IntegrityError:
                continue
            except Exception:  # noqa: BLE001 - logging must never hide the refusal itself
                _logger.exception("Could not log the refused approval attempt")
                return

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
        now = fields.Datetime.now()
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

    @api.model
    def _notification(self, held, requests):
        names = ", ".join(held.mapped("display_name")[:10])
        request_names = ", ".join(requests.mapped("name")[:10])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Waiting for approval"),
                "message": _(
                    "%(documents)s must be approved first (%(requests)s). The approvers "
                    "were notified; the action runs by itself once approved.",
                    documents=names,
                    requests=request_names or "-",
                ),
                "type": "warning",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
