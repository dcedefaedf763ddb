# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.workflow_monitor_base.tools.severity import SEVERITIES

SUGGESTION_KINDS = [
    ("category", "Category"),
    ("severity", "Severity"),
    ("root_cause", "Root Cause"),
    ("similar", "Similar Incidents"),
    ("summary", "Summary"),
    ("anomaly", "Anomaly"),
    ("predicted_breach", "Predicted Breach"),
]


class WorkflowAiSuggestion(models.Model):
    """Something the AI proposes about an exception, with its confidence and evidence.

    Only category and severity suggestions ever change the exception, and only when a
    person accepts them or, above the configured confidence, automatically (state
    ``applied``; rejecting it puts the previous value back). Everything else is advice.

    A ``predicted_breach`` suggestion is about an open instance (``instance_id``, no
    exception): the risk model predicts it will miss its SLA or promised date. A person
    accepts (acknowledges) or rejects it; neither acts on the document. At most one waits
    per instance, and it is withdrawn when the score falls below the threshold.
    """

    _name = "workflow.ai.suggestion"
    _description = "Workflow AI Suggestion"
    _order = "state_rank, create_date desc, id desc"
    _rec_name = "content"

    exception_id = fields.Many2one(
        "workflow.exception", index="btree_not_null", ondelete="cascade", readonly=True
    )
    instance_id = fields.Many2one(
        "workflow.instance",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        help="The open instance a predicted breach is about.",
    )
    kind = fields.Selection(SUGGESTION_KINDS, required=True, readonly=True, index=True)
    content = fields.Text(required=True, readonly=True)
    evidence = fields.Text(readonly=True, help="Why the AI suggests this: words, figures, counts.")
    confidence = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Between 0 and 1. Category and severity are applied automatically only above "
        "the confidence threshold of the settings.",
    )
    model_version = fields.Char(readonly=True, help="Model or method that produced it.")
    state = fields.Selection(
        [
            ("proposed", "Proposed"),
            ("accepted", "Accepted"),
            ("rejected", "Rejected"),
            ("applied", "Applied Automatically"),
            ("withdrawn", "Withdrawn"),
        ],
        required=True,
        default="proposed",
        readonly=True,
        index=True,
    )
    state_rank = fields.Integer(compute="_compute_state_rank", store=True)
    reviewer_id = fields.Many2one("res.users", string="Reviewed By", readonly=True)
    reviewed_at = fields.Datetime(readonly=True)
    proposed_category_id = fields.Many2one(
        "workflow.exception.category", readonly=True, ondelete="cascade"
    )
    previous_category_id = fields.Many2one(
        "workflow.exception.category", readonly=True, ondelete="set null"
    )
    proposed_severity = fields.Selection(SEVERITIES, readonly=True)
    previous_severity = fields.Selection(SEVERITIES, readonly=True)
    related_exception_ids = fields.Many2many(
        "workflow.exception",
        "workflow_ai_suggestion_related_rel",
        "suggestion_id",
        "exception_id",
        string="Related Exceptions",
        readonly=True,
        help="The similar resolved incidents, or the exceptions of the burst.",
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        index=True,
        string="Company",
    )
    instance_risk = fields.Float(related="instance_id.risk_score", string="Current Risk")
    exception_state = fields.Selection(related="exception_id.state", string="Exception Status")
    exception_severity = fields.Selection(related="exception_id.severity")
    category_id = fields.Many2one(related="exception_id.category_id")
    team_id = fields.Many2one(related="exception_id.team_id")
    is_change = fields.Boolean(compute="_compute_is_change")

    _sql_constraints = [
        (
            "exception_or_instance",
            "CHECK (exception_id IS NOT NULL OR instance_id IS NOT NULL)",
            "An AI suggestion is about an exception or an instance.",
        ),
    ]

    def init(self):
        # one predicted breach waits for review per instance (the refresh upserts it)
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS workflow_ai_suggestion_breach_open_uniq
                   ON workflow_ai_suggestion (instance_id)
                WHERE kind = 'predicted_breach' AND state = 'proposed'"""
        )

    @api.depends("exception_id.company_id", "instance_id.company_id")
    def _compute_company_id(self):
        for suggestion in self:
            suggestion.company_id = (
                suggestion.exception_id.company_id or suggestion.instance_id.company_id
            )

    @api.depends("state")
    def _compute_state_rank(self):
        ranks = {"proposed": 0, "applied": 1, "accepted": 2, "rejected": 3, "withdrawn": 4}
        for suggestion in self:
            suggestion.state_rank = ranks.get(suggestion.state, 9)

    @api.depends("kind")
    def _compute_is_change(self):
        for suggestion in self:
            suggestion.is_change = suggestion.kind in ("category", "severity")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_accept(self):
        """A person agrees: category/severity are applied to the exception with the
        reviewer's own rights; a summary is posted as a note; other kinds are recorded."""
        self._check_reviewable(("proposed",))
        for suggestion in self:
            exception = suggestion.exception_id.with_env(self.env)
            if suggestion.kind == "category":
                suggestion._apply_category(exception)
            elif suggestion.kind == "severity":
                exception.write({"severity": suggestion.proposed_severity})
            elif suggestion.kind == "summary":
                exception.message_post(
                    body=_("Summary (AI, reviewed): %(text)s", text=suggestion.content),
                    subtype_xmlid="mail.mt_note",
                )
        self._mark("accepted")
        return True

    def action_reject(self):
        """A person disagrees. An automatically applied category/severity goes back to
        its previous value, unless someone changed it since."""
        self._check_reviewable(("proposed", "applied"))
        for suggestion in self.filtered(lambda s: s.state == "applied"):
            exception = suggestion.exception_id.with_env(self.env)
            if (
                suggestion.kind == "category"
                and suggestion.previous_category_id
                and exception.category_id == suggestion.proposed_category_id
            ):
                suggestion._apply_category(exception, suggestion.previous_category_id)
            elif (
                suggestion.kind == "severity"
                and suggestion.previous_severity
                and exception.severity == suggestion.proposed_severity
            ):
                exception.write({"severity": suggestion.previous_severity})
        self._mark("rejected")
        return True

    def action_open_instance(self):
        self.ensure_one()
        self.check_access("read")
        self.instance_id.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "workflow.instance",
            "res_id": self.instance_id.id,
            "views": [(False, "form")],
        }

    def action_open_exception(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "workflow.exception",
            "res_id": self.exception_id.id,
            "views": [(False, "form")],
        }

    @api.model
    def _refresh_proposed(self, vals_list):
        """Create suggestions, or update the one of the same exception and kind that
        still waits for review (the AI replaces its own unreviewed advice, it never
        deletes anything)."""
        keys = {(vals["exception_id"], vals["kind"]) for vals in vals_list}
        existing = {
            (s.exception_id.id, s.kind): s
            for s in self.search(
                [
                    ("exception_id", "in", [key[0] for key in keys]),
                    ("kind", "in", [key[1] for key in keys]),
                    ("state", "=", "proposed"),
                ],
                order="id desc",
            )
        }
        result, to_create = self.browse(), []
        for vals in vals_list:
            suggestion = existing.get((vals["exception_id"], vals["kind"]))
            if suggestion:
                suggestion.write(vals)
                result |= suggestion
            else:
                to_create.append(vals)
        return result | self.create(to_create)

    @api.model
    def _refresh_predicted_breaches(self, threshold, version, evidence=None):
        """Propose a ``predicted_breach`` for each running instance whose risk is at or
        above ``threshold`` (update the waiting one: at most one per instance), and
        withdraw the waiting ones whose instance fell below it, finished or lost its
        score. Set-based: one read of the candidates, one of the waiting suggestions,
        then batch writes."""
        Instance = self.env["workflow.instance"].sudo()  # sudo: the engine, all companies
        evidence = evidence or {}
        risky = (
            Instance.search_read(
                [("state", "=", "running"), ("risk_score", ">=", threshold)],
                ["name", "risk_score", "company_id"],
            )
            if version
            else []
        )
        Suggestion = self.sudo()
        waiting = Suggestion.search([("kind", "=", "predicted_breach"), ("state", "=", "proposed")])
        by_instance = {s.instance_id.id: s for s in waiting}
        risky_ids = {row["id"] for row in risky}
        withdrawn = waiting.filtered(lambda s: s.instance_id.id not in risky_ids)
        withdrawn.write({"state": "withdrawn", "reviewed_at": fields.Datetime.now()})
        to_create = []
        for row in risky:
            vals = self._breach_vals(row, version, evidence.get(row["id"]))
            if suggestion := by_instance.get(row["id"]):
                if (
                    suggestion.confidence != vals["confidence"]
                    or suggestion.model_version != version
                ):
                    suggestion.write(vals)
            else:
                to_create.append(dict(vals, instance_id=row["id"], kind="predicted_breach"))
        return Suggestion.create(to_create)

    @api.model
    def _breach_vals(self, row, version, columns):
        vals = {
            "content": _(
                "Predicted breach: %(risk)s %% risk that %(name)s misses its SLA or promised "
                "date. Review it; nothing is done to the document.",
                risk=round(100 * row["risk_score"]),
                name=row["name"],
            ),
            "confidence": row["risk_score"],
            "model_version": version,
        }
        if columns:
            vals["evidence"] = _("Main factors: %(factors)s", factors=", ".join(columns))
        return vals

    def _check_reviewable(self, states):
        if wrong := self.filtered(lambda s: s.state not in states):
            raise UserError(
                _(
                    "This suggestion was already reviewed (%(state)s); only %(allowed)s ones "
                    "can be (field: Status).",
                    state=dict(self._fields["state"].selection)[wrong[0].state],
                    allowed=", ".join(states),
                )
            )
        # whoever may change the exception may review what the AI says about it
        self.exception_id.check_access("write")
        if self.instance_id:
            # a predicted breach is reviewed by the workflow users who see the instance
            # (instances are read-only for everyone: the review changes nothing on it)
            if not self.env.user.has_group("workflow_monitor_base.group_workflow_user"):
                raise AccessError(_("Only Workflow Monitor users can review predicted breaches."))
            self.check_access("read")
            self.instance_id.check_access("read")

    def _mark(self, state):
        # sudo: suggestions are read-only for people; the review was checked above
        self.sudo().write(
            {"state": state, "reviewer_id": self.env.uid, "reviewed_at": fields.Datetime.now()}
        )

    def _apply_category(self, exception, category=None):
        """Move ``exception`` to ``category`` (default: the proposed one) the engine's one
        way (``workflow.exception._move_to_category``): with the reviewer's write access
        (the engine's when it applies above the threshold), never next to an open
        exception of that category tracking the same problem; the team follows when it
        was the old category's."""
        category = category or self.proposed_category_id
        if not category or exception.category_id == category:
            return
        # an AI suggestion (and putting its previous value back) is an engine proposal
        exception._move_to_category(category, proposed_by_engine=True)
