# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import contextlib
import logging
import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import clock, drop_foreign_keys, drop_indexes
from ..tools.severity import (
    DEFAULT_RESPONSE_HOURS,
    SEVERITIES,
    SEVERITY_COLORS,
    SEVERITY_RANK,
)

_logger = logging.getLogger(__name__)

OPEN_STATES = ("new", "assigned", "in_progress")
ADMIN_GROUP = "workflow_monitor_base.group_workflow_admin"
SECURITY_SIGNAL = "security_signal"  # closed by administrators only
# Fields the engine fills (routing, dedupe, occurrences, resolution): outside engine code
# (env.su False) nobody sets them by hand, on create or write; the user actions set the
# resolution fields themselves. The category is chosen at creation only.
PROTECTED_FIELDS = (
    "team_id",
    "company_id",
    "resolved_by_id",
    "resolved_at",
    "first_seen",
    "last_seen",
    "occurrence_count",
    "dedupe_key",
    "escalation_level",
    "cause_exception_id",  # causal chains (workflow_exception_cause.py)
    "impact_amount",
)
# What an exception is about: chosen at creation, never moved to another document or flow
# afterwards (a problem re-pointed elsewhere would vanish from the document it is about).
# The category changes through _move_to_category only.
LINK_FIELDS = ("category_id", "res_model", "res_id", "instance_id", "node_ref")


class WorkflowException(models.Model):
    """An owned, deduplicated, aging work item: a problem someone must act on."""

    _name = "workflow.exception"
    _description = "Workflow Exception"
    # a work item people discuss, about one document
    _inherit = ["mail.thread", "mail.activity.mixin", "workflow.document.link.mixin"]
    _order = "severity_rank desc, last_seen desc, id desc"

    name = fields.Char(required=True, tracking=True)
    description = fields.Text()
    category_id = fields.Many2one(
        "workflow.exception.category", required=True, tracking=True, ondelete="restrict"
    )
    severity = fields.Selection(SEVERITIES, required=True, default="medium", tracking=True)
    severity_rank = fields.Integer(compute="_compute_severity_rank", store=True)
    state = fields.Selection(
        [
            ("new", "New"),
            ("assigned", "Assigned"),
            ("in_progress", "In Progress"),
            ("resolved", "Resolved"),
            ("dismissed", "Dismissed"),
        ],
        default="new",
        required=True,
        tracking=True,
        group_expand="_expand_states",
    )
    team_id = fields.Many2one("workflow.team", index="btree_not_null", tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        index="btree_not_null",
        tracking=True,
        domain=[("share", "=", False)],
    )
    res_id = fields.Many2oneReference(index=True)
    instance_id = fields.Many2one("workflow.instance", index="btree_not_null", ondelete="set null")
    node_ref = fields.Char(
        string="Node", index="btree_not_null", help="Where it happens, e.g. stock.warehouse,3."
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    dedupe_key = fields.Char(
        required=True,
        help="Identifies the problem: while an exception with the same category and key "
        "is open, new occurrences are counted on it instead of creating another one.",
    )
    occurrence_count = fields.Integer(default=1, required=True)
    first_seen = fields.Datetime(required=True, default=fields.Datetime.now)
    last_seen = fields.Datetime(required=True, default=fields.Datetime.now)
    failure_kind = fields.Selection(
        [("transient", "Transient"), ("structural", "Structural")], default="structural"
    )
    response_deadline = fields.Datetime(tracking=True)
    escalation_level = fields.Integer(default=0, tracking=True)
    resolution = fields.Text()
    resolved_at = fields.Datetime()
    resolved_by_id = fields.Many2one("res.users", string="Resolved By")
    age_hours = fields.Float(compute="_compute_age_hours", string="Age (h)")
    is_overdue = fields.Boolean(compute="_compute_age_hours", search="_search_is_overdue")
    playbook = fields.Html(related="category_id.playbook")
    color = fields.Integer(compute="_compute_color")

    def init(self):
        # The engine inserts exceptions in bulk (SLA sweep, detectors): no referential
        # check per row for what the engine itself fills (one check per column and row
        # was a fifth of the sweep's statement under EXPLAIN ANALYZE). The ORM keeps what
        # the constraints did: a category with exceptions cannot be deleted
        # (workflow.exception.category), a deleted team's exceptions lose their team
        # (workflow.team.unlink), a deleted cause's impacts lose their cause
        # (workflow_exception_cause.py); the id of a gone user, instance or company stays and
        # reads as empty, as Odoo reads a many2one whose record is gone. The owner and
        # the resolver, set by people, keep their constraints.
        drop_foreign_keys(
            self,
            (
                "create_uid",
                "write_uid",
                "instance_id",
                "team_id",
                "category_id",
                "company_id",
                "cause_exception_id",
            ),
        )
        # Single-column indexes of earlier versions that a composite index covers or
        # that select too little (a handful of companies, models or states): every
        # insert paid for them (capture, SLA sweep).
        drop_indexes(
            self.env.cr,
            (
                "workflow_exception__category_id_index",
                "workflow_exception__state_index",
                "workflow_exception__res_model_index",
                "workflow_exception__company_id_index",
            ),
        )
        # At most one open exception per (category, company, dedupe key): the upserts
        # of raise_exceptions and of the SLA sweep rely on it, and it holds even under
        # concurrent raisers. Per company: a problem of one company never merges into
        # (nor reveals) an exception of another. Earlier versions indexed (category,
        # key) only: recreate an index of another definition.
        cr = self.env.cr
        cr.execute("SELECT pg_get_indexdef(to_regclass('workflow_exception_open_dedupe_uniq'))")
        definition = cr.fetchone()[0]
        if definition and "(category_id, company_id, dedupe_key)" not in definition:
            cr.execute("DROP INDEX workflow_exception_open_dedupe_uniq")
        cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS workflow_exception_open_dedupe_uniq
                   ON workflow_exception (category_id, company_id, dedupe_key)
                WHERE state IN ('new', 'assigned', 'in_progress')"""
        )
        # Open queue by category, severity and age (dashboard, aging), index-only.
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_exception_open_cover_idx
                   ON workflow_exception (category_id, severity, first_seen)
                   INCLUDE (company_id, response_deadline)
                WHERE state IN ('new', 'assigned', 'in_progress')"""
        )

    # ------------------------------------------------------------
    # COMPUTES / CONSTRAINTS
    # ------------------------------------------------------------

    def _expand_states(self, states, domain):
        """Show every state as a kanban column, even empty ones."""
        return [key for key, _label in self._fields["state"].selection]

    @api.depends("severity")
    def _compute_severity_rank(self):
        for exception in self:
            exception.severity_rank = SEVERITY_RANK.get(exception.severity, 0)

    @api.depends("severity")
    def _compute_color(self):
        for exception in self:
            exception.color = SEVERITY_COLORS.get(exception.severity, 0)

    def _compute_age_hours(self):
        now = fields.Datetime.now()
        for exception in self:
            end = exception.resolved_at or now
            exception.age_hours = (
                (end - exception.first_seen).total_seconds() / 3600.0
                if exception.first_seen
                else 0.0
            )
            exception.is_overdue = bool(
                exception.state in OPEN_STATES
                and exception.response_deadline
                and exception.response_deadline < now
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on Overdue."))
        domain = [("state", "in", OPEN_STATES), ("response_deadline", "<", fields.Datetime.now())]
        return domain if (operator == "=") == value else ["!", "&"] + domain

    @api.constrains("response_deadline", "first_seen")
    def _check_deadline(self):
        if bad := self.filtered(
            lambda e: e.response_deadline and e.first_seen and e.response_deadline < e.first_seen
        ):
            raise ValidationError(
                _(
                    "%(name)s: the response deadline is before the first occurrence "
                    "(field: Response Deadline).",
                    name=bad[0].display_name,
                )
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Category = self.env["workflow.exception.category"]
        # one query for the categories of the whole batch (the SLA sweep raises thousands)
        categories = {
            category.id: category
            for category in Category.browse(
                {vals["category_id"] for vals in vals_list if vals.get("category_id")}
            ).exists()
        }
        if not self.env.su:
            self._check_user_create(vals_list, categories)
        for vals in vals_list:
            category = categories.get(vals.get("category_id"), Category)
            if category:
                vals.setdefault("severity", category.default_severity)
                vals.setdefault("team_id", category.team_id.id)
                vals.setdefault("failure_kind", category.failure_kind)
            vals.setdefault("dedupe_key", f"manual:{uuid.uuid4().hex}")
            if vals.get("user_id") and vals.get("state", "new") == "new":
                vals["state"] = "assigned"
            if not vals.get("response_deadline"):
                vals["response_deadline"] = self._response_deadline(
                    category, vals.get("severity") or "medium", vals.get("first_seen")
                )
        exceptions = super(
            WorkflowException,
            self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True),
        ).create(vals_list)
        exceptions._log_exception_events("raised")
        return exceptions.with_env(self.env)

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
            if "state" in vals:
                return self._write_state_as_user(vals)
        if vals.get("user_id") and "state" not in vals:
            new = self.filtered(lambda e: e.state == "new")
            result = super().write(vals)
            if new:
                super(WorkflowException, new).write({"state": "assigned"})
            return result
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self._check_close_allowed()
            if open_system := self.filtered(
                lambda e: e.state in OPEN_STATES and e.category_id.is_system
            ):
                raise AccessError(
                    _(
                        "%(name)s is an open alert of the engine (category %(category)s): "
                        "resolve or dismiss it with a reason instead of deleting it.",
                        name=open_system[0].display_name,
                        category=open_system[0].category_id.display_name,
                    )
                )
        return super().unlink()

    # ------------------------------------------------------------
    # USER CHECKS (outside engine code)
    # ------------------------------------------------------------

    def _check_user_create(self, vals_list, categories):
        """Refuse what only the engine sets: exceptions of system categories, and the
        protected fields other than the values the engine itself would give."""
        for vals in vals_list:
            category = categories.get(vals.get("category_id"))
            if category and category.is_system:
                raise AccessError(
                    _(
                        "Exceptions of the category %(category)s are raised by the engine "
                        "only (field: category_id).",
                        category=category.display_name,
                    )
                )
            engine_values = {
                "team_id": category.team_id.id if category else False,
                "company_id": self.env.company.id,
                "occurrence_count": 1,
                "escalation_level": 0,
            }
            for fname in PROTECTED_FIELDS:
                if fname not in vals:
                    continue
                value = vals[fname]
                if fname in engine_values:
                    allowed = value == engine_values[fname] or (fname == "company_id" and not value)
                else:
                    allowed = not value
                if not allowed:
                    raise AccessError(
                        _(
                            "The field %(field)s of an exception is set by the engine, not by "
                            "hand (field: %(fname)s).",
                            field=self._fields[fname].string,
                            fname=fname,
                        )
                    )
            if vals.get("state", "new") not in ("new", "assigned"):
                raise UserError(
                    _(
                        "A new exception starts open; resolve or dismiss it afterwards "
                        "(field: state)."
                    )
                )

    def _check_user_write(self, vals):
        """Refuse a change of a protected field, or of what the exception is about (its
        category, document, flow and node) once created."""
        for fname in (*PROTECTED_FIELDS, *LINK_FIELDS):
            if fname not in vals:
                continue
            field = self._fields[fname]
            for exception in self:
                new = field.convert_to_record(
                    field.convert_to_cache(vals[fname], exception), exception
                )
                if new != exception[fname]:
                    raise AccessError(
                        _(
                            "%(name)s: the field %(field)s is set by the engine, not by hand "
                            "(field: %(fname)s).",
                            name=exception.display_name,
                            field=field.string,
                            fname=fname,
                        )
                    )

    def _write_state_as_user(self, vals):
        """A write of ``state`` (the kanban drags it) goes through the checks of the
        actions: resolving and dismissing need a resolution (and an administrator for a
        security signal), reopening needs no other open exception of the same problem."""
        target = vals["state"]
        rest = {key: value for key, value in vals.items() if key != "state"}
        if target in ("resolved", "dismissed"):
            if rest:
                self.write(rest)
            to_close = self.filtered(lambda e: e.state != target)
            if target == "resolved":
                to_close.action_resolve()
            else:
                to_close.action_dismiss()
            return True
        self.check_access("write")
        closed = self.filtered(lambda e: e.state not in OPEN_STATES)
        closed._check_reopen()
        # sudo: the resolution fields are the engine's; write access was checked above
        result = super(WorkflowException, self.sudo()).write(vals)
        if closed:
            super(WorkflowException, closed.sudo()).write(
                {"resolved_at": False, "resolved_by_id": False}
            )
        return result

    def _check_close_allowed(self):
        """Only administrators dismiss, resolve or delete a security signal."""
        if self.env.su or self.env.user.has_group(ADMIN_GROUP):
            return
        if signals := self.filtered(lambda e: e.category_id.code == SECURITY_SIGNAL):
            raise AccessError(
                _(
                    "%(name)s is a security signal: only Workflow Monitor administrators "
                    "dismiss or resolve it.",
                    name=signals[0].display_name,
                )
            )

    def _check_reopen(self):
        """Refuse to reopen an exception while another open one tracks its problem."""
        for exception in self:
            # the partial unique index would refuse the reopening anyway
            if exception._has_open_twin(exception.category_id):
                raise UserError(
                    _(
                        "%(name)s cannot be reopened: another open exception tracks the same "
                        "problem.",
                        name=exception.display_name,
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_assign_to_me(self):
        self.write({"user_id": self.env.uid})

    def action_start(self):
        self._check_open()
        self.write({"state": "in_progress", "user_id": self.user_id.id or self.env.uid})

    def action_resolve(self):
        if missing := self.filtered(lambda e: not (e.resolution or "").strip()):
            raise UserError(
                _(
                    "Describe what was done before resolving %(name)s (field: Resolution).",
                    name=missing[0].display_name,
                )
            )
        self._check_close_allowed()
        self.check_access("write")
        # sudo: resolved_at / resolved_by_id are the engine's fields; access is checked
        self.sudo()._resolve(False)

    def action_dismiss(self):
        if missing := self.filtered(lambda e: not (e.resolution or "").strip()):
            raise UserError(
                _(
                    "Say why %(name)s is dismissed (field: Resolution).",
                    name=missing[0].display_name,
                )
            )
        self._check_open()
        self._check_close_allowed()
        self.check_access("write")
        # sudo: resolved_at / resolved_by_id are the engine's fields; access is checked
        self.sudo().write(
            {
                "state": "dismissed",
                "resolved_at": fields.Datetime.now(),
                "resolved_by_id": self.env.uid,
            }
        )
        self._log_exception_events("dismissed")

    def action_reopen(self):
        closed = self.filtered(lambda e: e.state not in OPEN_STATES)
        closed._check_reopen()
        closed.check_access("write")
        # sudo: the resolution fields are the engine's; access is checked above
        closed.sudo().write({"state": "assigned", "resolved_at": False, "resolved_by_id": False})
        closed.filtered(lambda e: not e.user_id).sudo().write({"state": "new"})

    def action_escalate(self):
        self._check_open()
        self.check_access("write")
        self._escalate()

    def _move_to_category(self, category, proposed_by_engine=False):
        """Move ``self`` to ``category`` (a person's decision, or an engine proposal a
        person reviews: an AI suggestion) the one way it may happen. Outside engine code:
        with write access on the exceptions, never out of a security signal but by an
        administrator, and into or out of a system category only when the engine
        proposed the move (``proposed_by_engine``, Python only: this method is private).
        Never while an open exception of that category and company already tracks the
        same problem. The team follows when it was the old category's."""
        for exception in self.filtered(lambda e: e.category_id != category):
            if not self.env.su:
                exception.check_access("write")
                if exception.category_id.code == SECURITY_SIGNAL and not self.env.user.has_group(
                    ADMIN_GROUP
                ):
                    raise AccessError(
                        _(
                            "%(name)s is a security signal: only Workflow Monitor "
                            "administrators move it to another category (field: Category).",
                            name=exception.display_name,
                        )
                    )
                if not proposed_by_engine and (
                    category.is_system or exception.category_id.is_system
                ):
                    raise AccessError(
                        _(
                            "%(name)s: exceptions of system categories are raised and "
                            "routed by the engine only (field: Category).",
                            name=exception.display_name,
                        )
                    )
            if exception.state in OPEN_STATES and exception._has_open_twin(category):
                raise UserError(
                    _(
                        "%(name)s cannot move to %(category)s: an open exception of that "
                        "category already tracks the same problem (field: Category).",
                        name=exception.display_name,
                        category=category.display_name,
                    )
                )
            vals = {"category_id": category.id}
            if exception.team_id == exception.category_id.team_id and category.team_id:
                vals["team_id"] = category.team_id.id
            # sudo: category and team are the engine's fields; access is checked above
            exception.sudo().write(vals)

    def _has_open_twin(self, category):
        """Whether another open exception of ``category`` tracks the same problem (same
        company and dedupe key) as this one."""
        self.ensure_one()
        # sudo: the duplicate is looked for whatever the caller may read
        return bool(
            self.sudo().search_count(
                [
                    ("id", "!=", self.id),
                    ("category_id", "=", category.id),
                    ("company_id", "=", self.company_id.id),
                    ("dedupe_key", "=", self.dedupe_key),
                    ("state", "in", OPEN_STATES),
                ],
                limit=1,
            )
        )

    def _check_open(self):
        if closed := self.filtered(lambda e: e.state not in OPEN_STATES):
            raise UserError(
                _("%(name)s is already closed; reopen it first.", name=closed[0].display_name)
            )

    # ------------------------------------------------------------
    # ENGINE (raising: workflow_exception_raise.py)
    # ------------------------------------------------------------

    def _resolve(self, resolution, auto=False):
        """Close open exceptions of ``self`` as resolved (batch, one write)."""
        todo = self.filtered(lambda e: e.state in OPEN_STATES)
        if not todo:
            return
        vals = {
            "state": "resolved",
            "resolved_at": clock.now(self.env),
            "resolved_by_id": self.env.uid,
        }
        if resolution:
            without = todo.filtered(lambda e: not e.resolution)
            (todo - without).write(vals)
            without.write(dict(vals, resolution=resolution))
        else:
            todo.write(vals)
        todo._log_exception_events("auto_resolved" if auto else "resolved")

    def _escalate(self):
        """Raise the escalation level, hand over to the escalation team, give a new
        response deadline and ask the (new) team leader to act."""
        todo = self.filtered(lambda e: e.state in OPEN_STATES)
        for exception in todo:
            team = exception.team_id.escalation_team_id or exception.team_id
            # sudo: level and team are the engine's fields (callers checked access)
            exception.sudo().write(
                {
                    "escalation_level": exception.escalation_level + 1,
                    "team_id": team.id,
                    "response_deadline": self._response_deadline(
                        exception.category_id, exception.severity, fields.Datetime.now()
                    ),
                }
            )
            exception.message_post(
                body=_(
                    "Escalated to level %(level)s (team %(team)s): the response deadline passed.",
                    level=exception.escalation_level,
                    team=team.name or "-",
                ),
                subtype_xmlid="mail.mt_note",
            )
            exception._schedule_leader_activity(
                _("Escalated exception (level %(level)s)", level=exception.escalation_level)
            )
        todo._log_exception_events("escalated")

    def _notify_team_leader(self):
        """Ask the team leader to look at these exceptions (used by the shipped
        'critical exception' Automation Rule)."""
        for exception in self:
            exception._schedule_leader_activity(
                _("Critical exception: %(name)s", name=exception.name)
            )

    def _schedule_leader_activity(self, summary):
        self.ensure_one()
        leader = self.team_id.leader_id or self.category_id.team_id.leader_id
        if not leader:
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=self.description or self.name,
            user_id=leader.id,
        )

    @api.model
    def _response_deadline(self, category, severity, start=None):
        start = fields.Datetime.to_datetime(start) or fields.Datetime.now()
        hours = category.response_hours if category else 0.0
        return start + timedelta(hours=hours or self._default_response_hours(severity))

    @api.model
    def _default_response_hours(self, severity):
        """Response time of a severity when the category has none (Settings)."""
        return float(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(f"workflow_monitor.response_hours_{severity}")
            or DEFAULT_RESPONSE_HOURS.get(severity, 24.0)
        )

    def _log_exception_events(self, action):
        self.env["workflow.event"]._log_events(
            [
                {
                    "instance_id": exception.instance_id.id,
                    "res_model": exception.res_model or None,
                    "res_id": exception.res_id or None,
                    "event_type": "exception",
                    "company_id": exception.company_id.id,
                    "payload": {
                        "action": action,
                        "exception_id": exception.id,
                        "category": exception.category_id.code,
                        "severity": exception.severity,
                    },
                }
                for exception in self
            ]
        )

    @api.model
    def _record_automation_failure(self, source, records, error):
        """Store a failing automation (rule or server action) as an ``automation_failure``
        exception in its own transaction, so it survives the rollback of the failed one.
        Never raises: a failure to record must not hide the original error."""
        if getattr(error, "_workflow_recorded", False):
            return
        with contextlib.suppress(AttributeError):  # some exceptions refuse attributes
            error._workflow_recorded = True
        record = records[:1] if records else None
        name = source.display_name
        rule = source.base_automation_id if source._name == "ir.actions.server" else None
        if rule:
            # Odoo names actions of a rule after their type: the rule's name says more
            source, name = rule, f"{rule.name} ({source.display_name})"
        message = _(
            "%(what)s '%(name)s' failed: %(error)s",
            what=source._description,
            name=name,
            error=error,
        )
        try:
            with self.env.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["workflow.exception"].raise_exception(
                    None,
                    "automation_failure",
                    message[:250],
                    dedupe_key=f"{source._name},{source.id}",
                    res_model=record._name if record else source._name,
                    res_id=record.id if record else source.id,
                    company_id=self.env.company.id,
                    description=_(
                        "%(error)s\nRecords: %(records)s",
                        error=repr(error),
                        records=", ".join(f"{r._name},{r.id}" for r in records[:20])
                        if records
                        else "-",
                    ),
                )
        except Exception:  # noqa: BLE001
            _logger.exception("Could not record the automation failure of %s", source)
