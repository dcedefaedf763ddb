# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.models.workflow_exception import OPEN_STATES

from ..tools.classifier import ColdStart, ModelError, SimilarityIndex, analyze, exception_text

_logger = logging.getLogger(__name__)

SIMILAR_CORPUS_LIMIT = 2000


class WorkflowException(models.Model):
    _inherit = "workflow.exception"

    ai_suggestion_ids = fields.One2many(
        "workflow.ai.suggestion", "exception_id", string="AI Suggestions", readonly=True
    )
    ai_suggestion_count = fields.Integer(compute="_compute_ai_counts", string="AI Suggestion Count")
    ai_proposed_count = fields.Integer(compute="_compute_ai_counts", string="To Review")
    ai_processed = fields.Boolean(
        copy=False,
        readonly=True,
        help="The AI has looked at this exception (classification and similar incidents).",
    )
    ai_status = fields.Text(compute="_compute_ai_status", string="Classifier Status")
    ai_status_state = fields.Char(compute="_compute_ai_status")

    def init(self):
        result = super().init()
        # the suggestion job reads the open exceptions the AI has not seen yet
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_exception_ai_todo_idx
                   ON workflow_exception (id)
                WHERE ai_processed IS NOT TRUE AND state IN ('new', 'assigned', 'in_progress')"""
        )
        return result

    def _compute_ai_counts(self):
        Suggestion = self.env["workflow.ai.suggestion"]
        total = dict(
            Suggestion._read_group(
                [("exception_id", "in", self.ids)], ["exception_id"], ["__count"]
            )
        )
        proposed = dict(
            Suggestion._read_group(
                [("exception_id", "in", self.ids), ("state", "=", "proposed")],
                ["exception_id"],
                ["__count"],
            )
        )
        for exception in self:
            exception.ai_suggestion_count = total.get(exception, 0)
            exception.ai_proposed_count = proposed.get(exception, 0)

    def _compute_ai_status(self):
        state, message = self.env["workflow.ai.model"]._status()
        for exception in self:
            exception.ai_status = message
            exception.ai_status_state = state

    @api.model_create_multi
    def create(self, vals_list):
        exceptions = super().create(vals_list)
        self._ai_trigger_suggest()
        return exceptions

    def _on_bulk_raised(self):
        result = super()._on_bulk_raised()
        if self:
            self._ai_trigger_suggest()
        return result

    @api.model
    def _ai_trigger_suggest(self):
        """Wake the suggestion job once per transaction (not once per exception)."""
        data = self.env.cr.precommit.data
        if data.get("workflow_monitor_ai.triggered"):
            return
        data["workflow_monitor_ai.triggered"] = True
        cron = self.env.ref("workflow_monitor_ai.ir_cron_ai_suggest", raise_if_not_found=False)
        if cron:
            self.env.cr.precommit.add(lambda: cron.sudo()._trigger())

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_ai_suggestions(self):
        self.ensure_one()
        # the action names the exception: refuse whoever may not read it (RPC reach)
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_ai.action_workflow_ai_suggestion"
        )
        action["domain"] = [("exception_id", "=", self.id)]
        action["context"] = {"default_exception_id": self.id}
        return action

    def action_ai_similar(self):
        self.check_access("read")
        created = self._ai_suggest_similar(replace=True)
        if not created:
            raise UserError(_("No similar resolved incident was found."))
        return True

    def action_ai_root_cause(self):
        self.ensure_one()
        self.check_access("read")
        suggestion = self.env["workflow.ai.root.cause"]._suggest_for_exception(self)
        if not suggestion:
            raise UserError(
                _(
                    "No co-occurring signal stands out around %(name)s: too few exceptions in "
                    "its time window, or nothing they share more than usual.",
                    name=self.display_name,
                )
            )
        return True

    def action_ai_summarize(self):
        self.ensure_one()
        self.check_access("read")
        self._ai_summarize()
        return True

    # ------------------------------------------------------------
    # SUGGESTION JOB
    # ------------------------------------------------------------

    @api.model
    def _cron_ai_suggest(self, batch_size=200):
        """Classify the new open exceptions and find their similar incidents, in chunks.
        Rows are taken with SKIP LOCKED: two workers never process the same exception."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM workflow_exception
                    WHERE ai_processed IS NOT TRUE AND state IN %s
                    ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED""",
                OPEN_STATES,
                batch_size,
            )
        )
        batch = self.browse([row[0] for row in self.env.cr.fetchall()])
        if batch:
            try:
                with self.env.cr.savepoint():
                    batch._ai_suggest()
            except Exception as error:  # noqa: BLE001 - a bug must not block the queue
                _logger.exception("Workflow AI: suggestions failed for %s", batch)
                self.env["workflow.ai.log"]._log(
                    "classification",
                    _("Suggestions failed"),
                    status="error",
                    message=_(
                        "No suggestion for %(count)s exception(s): %(error)s",
                        count=len(batch),
                        error=error,
                    ),
                )
            batch.write({"ai_processed": True})
        remaining = self.search_count([("ai_processed", "=", False), ("state", "in", OPEN_STATES)])
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return len(batch)

    def _ai_suggest(self):
        self._ai_classify()
        self._ai_suggest_similar()

    def _ai_texts(self):
        return [exception_text(e.name, e.description, e.res_model, e.failure_kind) for e in self]

    def _ai_classify(self):
        """Suggest category and severity; apply them above the confidence threshold.
        Cold start or a corrupt model: nothing is suggested (the latter is logged)."""
        if not self:
            return self.env["workflow.ai.suggestion"]
        current, classifier = self._ai_classifier()
        if classifier is None:
            return self.env["workflow.ai.suggestion"]
        settings = self.env["workflow.ai.provider"]._ai_settings()
        threshold = settings["confidence_threshold"]
        texts = self._ai_texts()
        categories = self.env["workflow.exception.category"].sudo().search([])
        by_code = {c.code: c for c in categories}
        vals_list, to_apply = [], []
        for target in ("category", "severity"):
            if target not in classifier.heads:
                continue
            predictions = classifier.predict(texts, target)
            # auto-apply only when the held-out precision above the threshold keeps the
            # promise the threshold makes
            precision = current._precision_above(target, threshold)
            trusted = precision is not None and precision >= threshold
            # outside _(): Odoo's term exporter (babel) cannot read an f-string argument
            shown_precision = f"{precision:.0%}" if precision is not None else "n/a"
            for exception, text, (label, confidence) in zip(self, texts, predictions):
                vals = exception._ai_prediction_vals(target, label, confidence, by_code)
                if not vals:
                    continue
                vals.update(
                    model_version=f"classifier v{current.version}",
                    evidence=_(
                        "Words that weighed most: %(words)s. Held-out precision above "
                        "%(threshold).0f%%: %(precision)s.",
                        words=", ".join(classifier.explain(text, target, label)) or "-",
                        threshold=threshold * 100,
                        precision=shown_precision,
                    ),
                )
                vals_list.append(vals)
                to_apply.append(
                    trusted
                    and confidence >= threshold
                    and not settings["kill_switch"]
                    and exception._ai_may_auto_apply(target)
                )
        # sudo: suggestions are written by the engine only
        suggestions = self.env["workflow.ai.suggestion"].sudo().create(vals_list)
        for suggestion, apply in zip(suggestions, to_apply):
            if apply:
                suggestion.exception_id._ai_auto_apply(suggestion)
        return suggestions

    @api.model
    def _ai_classifier(self):
        """(current workflow.ai.model, its loaded LinearTextModel), the latter None in
        cold start or when the stored model is corrupt (logged, nothing is suggested)."""
        current = self.env["workflow.ai.model"]._get_current()
        if not current:
            return current, None
        try:
            return current, current._load()
        except ColdStart:
            return current, None
        except ModelError as error:
            message = _(
                "The classifier v%(version)s cannot be used: %(error)s. No category or "
                "severity is suggested until it is retrained (Train Now).",
                version=current.version,
                error=error,
            )
            _logger.error("Workflow AI: %s", message)
            self.env["workflow.ai.log"]._log(
                "classification", _("Corrupt classifier model"), status="error", message=message
            )
            return current, None

    def _ai_prediction_vals(self, target, label, confidence, categories_by_code):
        self.ensure_one()
        if target == "category":
            category = categories_by_code.get(label)
            if not category or category == self.category_id:
                return None
            return {
                "exception_id": self.id,
                "kind": "category",
                "proposed_category_id": category.id,
                "previous_category_id": self.category_id.id,
                "confidence": confidence,
                "content": _(
                    "Category: %(new)s (now: %(old)s)",
                    new=category.name,
                    old=self.category_id.name,
                ),
            }
        labels = self._ai_severity_labels()
        if label not in labels or label == self.severity:
            return None
        return {
            "exception_id": self.id,
            "kind": "severity",
            "proposed_severity": label,
            "previous_severity": self.severity,
            "confidence": confidence,
            "content": _(
                "Severity: %(new)s (now: %(old)s)",
                new=labels[label],
                old=labels.get(self.severity, self.severity),
            ),
        }

    def _ai_severity_labels(self):
        """{code: label} of the severities, in the user's language (the selection of
        the ``severity`` field, i.e. the suite's SEVERITIES)."""
        return dict(self._fields["severity"]._description_selection(self.env))

    def _ai_may_auto_apply(self, target):
        """Hook: may the AI change ``target`` of this exception without a person?

        Severity: yes. Category: only when no detector owns the exception, i.e. it was
        created by hand or its category does not auto-resolve; a detector resolves its
        exceptions by category (resolve_cleared), so moving one would orphan it."""
        self.ensure_one()
        if self.state not in OPEN_STATES:
            return False
        if target == "severity":
            return True
        return (self.dedupe_key or "").startswith("manual:") or not self.category_id.auto_resolve

    def _ai_auto_apply(self, suggestion):
        """Apply an above-threshold suggestion as the engine and say so in the chatter."""
        self.ensure_one()
        exception = self.sudo()  # sudo: the engine applies what the threshold allows
        try:
            with self.env.cr.savepoint():
                if suggestion.kind == "category":
                    suggestion._apply_category(exception)
                else:
                    exception.write({"severity": suggestion.proposed_severity})
        except UserError as error:
            _logger.info("Workflow AI: suggestion %s left for review: %s", suggestion.id, error)
            return False
        suggestion.sudo().write({"state": "applied"})
        exception.message_post(
            body=_(
                "The AI set %(what)s (confidence %(confidence).0f%%, %(model)s). Reject the "
                "suggestion to put the previous value back.",
                what=suggestion.content,
                confidence=suggestion.confidence * 100,
                model=suggestion.model_version,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return True

    # ------------------------------------------------------------
    # SIMILAR INCIDENTS
    # ------------------------------------------------------------

    def _ai_similar_map(self, limit=5):
        """{exception: [(resolved exception id, score)]}: nearest resolved exceptions of
        the same company by tf-idf cosine. One query for the whole batch."""
        if not self:
            return {}
        settings = self.env["workflow.ai.provider"]._ai_settings()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id, company_id, name, description, res_model, failure_kind
                     FROM workflow_exception
                    WHERE state = 'resolved' AND company_id = ANY(%s) AND NOT (id = ANY(%s))
                    ORDER BY resolved_at DESC NULLS LAST, id DESC
                    LIMIT %s""",
                list(set(self.company_id.ids)),
                self.ids,
                SIMILAR_CORPUS_LIMIT,
            )
        )
        corpus_by_company = {}
        for exc_id, company_id, name, description, res_model, kind in self.env.cr.fetchall():
            tokens = analyze(exception_text(name, description, res_model, kind))
            corpus_by_company.setdefault(company_id, []).append((exc_id, tokens))
        indexes = {
            company_id: SimilarityIndex(corpus) for company_id, corpus in corpus_by_company.items()
        }
        result = {}
        for exception, text in zip(self, self._ai_texts()):
            index = indexes.get(exception.company_id.id)
            if index:
                result[exception] = index.query(
                    analyze(text), limit=limit, min_score=settings["similar_min_score"]
                )
        return result

    def _ai_suggest_similar(self, replace=False):
        """Propose the nearest resolved incidents; with ``replace``, refresh the proposal
        still waiting for review instead of adding another one."""
        similar = self._ai_similar_map()
        found = self.browse({exc_id for matches in similar.values() for exc_id, _s in matches})
        # sudo: resolutions are shown to people who can read the exception at hand only
        found = found.sudo()
        Suggestion = self.env["workflow.ai.suggestion"].sudo()
        vals_list = []
        for exception, matches in similar.items():
            if not matches:
                continue
            lines = []
            for exc_id, score in matches:
                other = found.browse(exc_id)
                hours = (
                    (other.resolved_at - other.first_seen).total_seconds() / 3600.0
                    if other.resolved_at and other.first_seen
                    else 0.0
                )
                lines.append(
                    _(
                        "- %(name)s [%(category)s] %(score).0f%% similar, "
                        "resolved in %(hours).1f h: %(resolution)s",
                        name=other.name,
                        category=other.category_id.name,
                        score=score * 100,
                        hours=hours,
                        resolution=(other.resolution or "-").strip()[:300],
                    )
                )
            vals_list.append(
                {
                    "exception_id": exception.id,
                    "kind": "similar",
                    "confidence": matches[0][1],
                    "model_version": "tf-idf cosine",
                    "content": _("%(count)s similar resolved incident(s):", count=len(matches))
                    + "\n"
                    + "\n".join(lines),
                    "evidence": _(
                        "Cosine similarity of the tf-idf vectors of the texts, against the "
                        "%(limit)s most recently resolved exceptions of the company.",
                        limit=SIMILAR_CORPUS_LIMIT,
                    ),
                    "related_exception_ids": [(6, 0, [exc_id for exc_id, _s in matches])],
                }
            )
        if replace:
            return Suggestion._refresh_proposed(vals_list)
        return Suggestion.create(vals_list)

    # ------------------------------------------------------------
    # SUMMARY
    # ------------------------------------------------------------

    def _ai_summary_source(self):
        self.ensure_one()
        parts = [
            _("Exception: %(name)s", name=self.name),
            _(
                "Category: %(category)s, severity %(severity)s",
                category=self.category_id.name,
                severity=self.severity,
            ),
            _(
                "Seen %(count)s time(s) between %(first)s and %(last)s; status %(state)s.",
                count=self.occurrence_count,
                first=self.first_seen,
                last=self.last_seen,
                state=self.state,
            ),
        ]
        if self.res_model:
            parts.append(_("Document: %(model)s", model=self.res_model))
        if self.description:
            parts.append(_("Description: %(text)s", text=self.description[:4000]))
        return "\n".join(parts)

    def _ai_summarize(self):
        """Create a summary suggestion: written by the provider when it is enabled (on
        masked text), otherwise by a template from the exception's own data."""
        self.ensure_one()
        source = self._ai_summary_source()
        provider = self.env["workflow.ai.provider"]
        answer = provider._summarize(source, exception=self)
        if answer:
            model_version = provider._ai_settings()["provider_model"]
            content = answer
        else:
            model_version = "template"
            content = _(
                "%(category)s (%(severity)s) on %(document)s, seen %(count)s time(s) since "
                "%(first)s, last %(last)s. %(description)s",
                category=self.category_id.name,
                severity=self._ai_severity_labels().get(self.severity, self.severity),
                document=self.res_model or _("no document"),
                count=self.occurrence_count,
                first=self.first_seen,
                last=self.last_seen,
                description=(self.description or "").strip().split("\n")[0][:300],
            )
        return (
            self.env["workflow.ai.suggestion"]
            .sudo()
            .create(
                {
                    "exception_id": self.id,
                    "kind": "summary",
                    "content": content,
                    "model_version": model_version,
                    "evidence": _(
                        "Written from the exception's message, description and counters."
                    ),
                }
            )
        )
