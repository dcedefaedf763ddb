# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.workflow_monitor_base.tools.severity import SEVERITIES

SUGGESTION_KINDS = [
    ("category", "Category"),
    ("severity", "Severity"),
    ("root_cause", "Root Cause"),
    ("similar", "Similar Incidents"),
    ("summary", "Summary"),
    ("anomaly", "Anomaly"),
]


class WorkflowAiSuggestion(models.Model):
    """Something the AI proposes about an exception, with its confidence and evidence.

    Only category and severity suggestions ever change the exception, and only when a
    person accepts them or, above the configured confidence, automatically (state
    ``applied``; rejecting it puts the previous value back). Everything else is advice.
    """

    _name = "workflow.ai.suggestion"
    _description = "Workflow AI Suggestion"
    _order = "state_rank, create_date desc, id desc"
    _rec_name = "content"

    exception_id = fields.Many2one(
        "workflow.exception", required=True, index=True, ondelete="cascade", readonly=True
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
        related="exception_id.company_id", store=True, index=True, string="Company"
    )
    exception_state = fields.Selection(related="exception_id.state", string="Exception Status")
    exception_severity = fields.Selection(related="exception_id.severity")
    category_id = fields.Many2one(related="exception_id.category_id")
    team_id = fields.Many2one(related="exception_id.team_id")
    is_change = fields.Boolean(compute="_compute_is_change")

    @api.depends("state")
    def _compute_state_rank(self):
        ranks = {"proposed": 0, "applied": 1, "accepted": 2, "rejected": 3}
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
