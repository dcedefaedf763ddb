# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import logging
import time

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools.classifier import (
    ColdStart,
    LinearTextModel,
    ModelError,
    exception_text,
    precision_above,
    train,
)
from .workflow_ai_json_model_mixin import json_checksum

_logger = logging.getLogger(__name__)

TARGETS = ("category", "severity")
HEAD_STATES = [("trained", "Trained"), ("cold_start", "Cold Start"), ("missing", "Missing")]
# parsed models by (database, record id, checksum): loading is a dict lookup after the
# first prediction of a worker
_CACHE = {}


class WorkflowAiModel(models.Model):
    """One training run of the exception classifier. The model itself is JSON
    (vocabulary, idf, coefficients, intercepts, classes, metrics) in ``model_json``,
    never a pickle; its sha256 is kept beside it and checked when it is loaded."""

    _name = "workflow.ai.model"
    _inherit = ["workflow.ai.json.model.mixin"]
    _description = "Workflow AI Classifier"
    _order = "version desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    version = fields.Integer(required=True, readonly=True, index=True)
    active = fields.Boolean(default=True, help="Only the newest trained model is used.")
    state = fields.Selection(
        [("trained", "Trained"), ("cold_start", "Cold Start"), ("failed", "Failed")],
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True, help="Why the model cannot classify yet, or the error.")
    trained_at = fields.Datetime(readonly=True)
    duration_seconds = fields.Float(string="Training Time (s)", readonly=True)
    sample_count = fields.Integer(string="Resolved Exceptions", readonly=True)
    vocabulary_size = fields.Integer(readonly=True)
    category_state = fields.Selection(HEAD_STATES, readonly=True)
    category_accuracy = fields.Float(readonly=True, help="On the held-out split.")
    category_macro_f1 = fields.Float(string="Category Macro-F1", readonly=True)
    category_baseline = fields.Float(
        string="Category Majority Baseline",
        readonly=True,
        help="Accuracy of always answering the most frequent class.",
    )
    severity_state = fields.Selection(HEAD_STATES, readonly=True)
    severity_accuracy = fields.Float(readonly=True)
    severity_macro_f1 = fields.Float(string="Severity Macro-F1", readonly=True)
    severity_baseline = fields.Float(string="Severity Majority Baseline", readonly=True)
    metrics_text = fields.Text(string="Metrics", readonly=True)
    model_json = fields.Text(
        string="Model (JSON)",
        prefetch=False,
        groups="workflow_monitor_base.group_workflow_admin",
        help="The persisted model. Never pickle: plain arrays, loaded without scikit-learn.",
    )
    checksum = fields.Char(readonly=True, help="sha256 of the model JSON.")

    _sql_constraints = [
        ("version_unique", "unique(version)", "Two classifier trainings got the same version."),
    ]

    @api.depends("version", "state")
    def _compute_name(self):
        for model in self:
            model.name = _("Exception classifier v%(version)s", version=model.version)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_train_now(self):
        # callable over RPC by any logged-in user: training is CPU-heavy and replaces
        # the model in use, so check the group before anything else
        self._check_may_train()
        model = self.env["workflow.ai.model"]._train()
        return {
            "type": "ir.actions.act_window",
            "res_model": "workflow.ai.model",
            "res_id": model.id,
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------
    # TRAINING
    # ------------------------------------------------------------

    @api.model
    def _cron_train(self):
        """Train a new version, unless another worker is training right now: both would
        take the same version number (unique) and the second would fail."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext('workflow_monitor_ai_train'))"
        )
        if self.env.cr.fetchone()[0]:
            self._train()
        self.env["ir.cron"]._notify_progress(done=1, remaining=0)

    @api.model
    def _check_may_train(self):
        """Administrators and the scheduled job (superuser) only."""
        if not self.env.su and not self.env.user.has_group(
            "workflow_monitor_base.group_workflow_admin"
        ):
            raise AccessError(_("Only Workflow Monitor administrators can train the classifier."))

    @api.model
    def _training_rows(self, limit):
        """(text, category code, severity) of the newest resolved exceptions."""
        Exception_ = self.env["workflow.exception"]
        Exception_.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT e.name, e.description, e.res_model, e.failure_kind, c.code, e.severity
                     FROM workflow_exception e
                     JOIN workflow_exception_category c ON c.id = e.category_id
                    WHERE e.state = 'resolved'
                    ORDER BY e.resolved_at DESC NULLS LAST, e.id DESC
                    LIMIT %s""",
                limit,
            )
        )
        return [
            (exception_text(name, description, res_model, kind), code, severity)
            for name, description, res_model, kind, code, severity in self.env.cr.fetchall()
        ]

    @api.model
    def _train(self, rows=None):
        """Train a new version on resolved exceptions (or on ``rows``: [(text, category,
        severity)]) and make it the active model. Returns the new record."""
        self._check_may_train()
        settings = self.env["workflow.ai.provider"]._ai_settings()
        Model = self.sudo().with_context(active_test=False)  # sudo: admins / the cron only
        if rows is None:
            rows = self._training_rows(settings["max_training_samples"])
        version = (Model.search([], order="version desc", limit=1).version or 0) + 1
        start = time.perf_counter()
        vals = {"version": version, "trained_at": fields.Datetime.now(), "sample_count": len(rows)}
        try:
            data = train(
                [row[0] for row in rows],
                {"category": [row[1] for row in rows], "severity": [row[2] for row in rows]},
                min_per_class=settings["min_per_class"],
                min_total=settings["min_examples"],
                version=version,
            )
        except Exception as error:  # noqa: BLE001 - a failed training must say why
            _logger.exception("Training of the exception classifier failed")
            vals.update(state="failed", message=_("Training failed: %(error)s", error=error))
            model = Model.create(vals)
            self.env["workflow.ai.log"]._log(
                "training", model.name, status="error", message=vals["message"]
            )
            return model
        vals["duration_seconds"] = time.perf_counter() - start
        vals.update(self._trained_vals(data))
        model = Model.create(vals)
        if model.state == "trained":
            model._retire_older()
        self.env["workflow.ai.log"]._log(
            "training",
            model.name,
            status="ok" if model.state == "trained" else "cold_start",
            message=_(
                "%(count)s resolved exceptions, %(seconds).1f s. %(notes)s",
                count=len(rows),
                seconds=vals["duration_seconds"],
                notes=vals["message"] or "",
            ),
        )
        return model

    @api.model
    def _trained_vals(self, data):
        """Values of the record of a finished training (the JSON dict of
        :func:`~..tools.classifier.train`): state, per-target state and held-out
        metrics, notes on the classes left out, and the model JSON when a head trained."""
        vals = {"vocabulary_size": len(data["vectorizer"]["vocabulary"])}
        notes, metrics = [], {}
        for target in TARGETS:
            head = data["heads"].get(target, {})
            vals[f"{target}_state"] = head.get("status", "missing")
            if head.get("message"):
                notes.append(f"{target}: {head['message']}")
            if head.get("status") == "trained":
                vals[f"{target}_accuracy"] = head["metrics"]["accuracy"]
                vals[f"{target}_macro_f1"] = head["metrics"]["macro_f1"]
                vals[f"{target}_baseline"] = head["metrics"]["majority_baseline"]
                metrics[target] = dict(head["metrics"], class_counts=head["class_counts"])
        trained = any(vals[f"{t}_state"] == "trained" for t in TARGETS)
        vals.update(
            state="trained" if trained else "cold_start",
            message="\n".join(notes) or False,
            metrics_text=json.dumps(metrics, indent=1, sort_keys=True) if metrics else False,
            model_json=json.dumps(data, separators=(",", ":")) if trained else False,
        )
        return vals

    def _retire_older(self):
        """The newest trained model (self) replaces the others; the JSON of the last 3
        is kept (to go back to one), the older ones lose it."""
        self.ensure_one()
        older = self.with_context(active_test=False).search(
            [("id", "!=", self.id), ("state", "=", "trained")]
        )
        older.write({"active": False})
        older[3:].write({"model_json": False})

    # ------------------------------------------------------------
    # PREDICTION
    # ------------------------------------------------------------

    @api.model
    def _get_current(self):
        """The model in use: the newest active one, trained or in cold start (a failed
        training leaves the previous model in use)."""
        return self.sudo().search(
            [("state", "!=", "failed")], order="version desc, id desc", limit=1
        )

    @api.model
    def _status(self):
        """(state, message) of the classifier, for the exception form and the briefing."""
        model = self._get_current()
        if not model:
            return "cold_start", _(
                "Cold start: the classifier has not been trained yet; category and severity "
                "are not suggested until enough exceptions are resolved."
            )
        if model.state == "cold_start":
            return "cold_start", _(
                "Cold start (v%(version)s): not enough resolved exceptions to learn from, so "
                "nothing is guessed. %(message)s",
                version=model.version,
                message=model.message or "",
            )
        if model.state == "failed":
            return "failed", model.message
        return "trained", _(
            "Classifier v%(version)s trained on %(count)s resolved exceptions. %(message)s",
            version=model.version,
            count=model.sample_count,
            message=model.message or "",
        )

    def _load(self):
        """Parse the stored JSON (cached per checksum); raise ModelError if corrupt."""
        self.ensure_one()
        if self.state != "trained":
            raise ColdStart(self.message or "cold start")
        key = (self.env.cr.dbname, self.id, self.checksum)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        raw = self.sudo().model_json
        if not raw:
            raise ModelError("the model record has no JSON")
        if json_checksum(raw) != self.checksum:
            raise ModelError("checksum mismatch: the stored model was altered outside Odoo")
        model = LinearTextModel.from_json(raw)
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = model
        return model

    def _head_metrics(self, target):
        self.ensure_one()
        try:
            return json.loads(self.metrics_text or "{}").get(target) or {}
        except ValueError:
            return {}

    def _precision_above(self, target, threshold):
        return precision_above(self._head_metrics(target), threshold)
