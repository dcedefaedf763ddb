# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import logging
import math
import time
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import clock, commit_chunk, cron_run_alone

from ..tools.risk import RiskColdStart, RiskModel, RiskModelError, RiskOptions, encode, train
from .workflow_ai_json_model_mixin import json_checksum

_logger = logging.getLogger(__name__)

# features computed here for every instance; the consumer modules add theirs through
# workflow.instance._risk_features (distribution: partner, products, shortages...)
BASE_CATEGORICAL = ("definition", "stage", "node", "weekday", "hour")
BASE_NUMERIC = ("log_hours_in_stage", "log_hours_since_start")
RISK_STATES = [
    ("trained", "Trained"),
    ("refused", "Refused"),
    ("cold_start", "Cold Start"),
    ("failed", "Failed"),
]
_CACHE = {}  # (database, record id, checksum) -> RiskModel

# Stage visits of the newest finished instances, one snapshot each at the middle of the
# visit (a moment of it, known when the instance was open), while the outcome was still
# unknown (before the first missed promise). Label: a promise was missed before the end.
TRAINING_SQL = """
WITH fin AS (
    SELECT id, definition_id, node_ref, started_at, ended_at
      FROM workflow_instance
     WHERE state = 'done' AND ended_at IS NOT NULL AND started_at IS NOT NULL
     ORDER BY ended_at DESC, id DESC
     LIMIT %(limit)s
), missed AS (
    SELECT m.instance_id, min(m.missed_at) AS missed_at FROM (%(missed)s) m GROUP BY 1
), visits AS (
    SELECT e.instance_id, e.stage_to_id AS stage_id, e.occurred_at AS entered_at,
           lead(e.occurred_at) OVER (PARTITION BY e.instance_id
                                     ORDER BY e.occurred_at, e.id) AS left_at
      FROM workflow_event e
     WHERE e.instance_id IN (SELECT id FROM fin) AND e.event_type = 'stage'
       AND e.stage_to_id IS NOT NULL
), snapshots AS (
    SELECT v.*, v.entered_at + (v.left_at - v.entered_at) / 2 AS at FROM visits v
     WHERE v.left_at IS NOT NULL
)
SELECT f.id, d.code, s.code, f.node_ref, v.entered_at, v.at, f.started_at, f.ended_at,
       COALESCE(mi.missed_at < f.ended_at, FALSE) AS label
  FROM snapshots v
  JOIN fin f ON f.id = v.instance_id
  JOIN workflow_stage s ON s.id = v.stage_id AND s.is_final IS NOT TRUE
                       AND s.is_cancel IS NOT TRUE
  JOIN workflow_definition d ON d.id = f.definition_id
  LEFT JOIN missed mi ON mi.instance_id = f.id
 WHERE mi.missed_at IS NULL OR mi.missed_at >= f.ended_at OR v.at < mi.missed_at
 ORDER BY f.ended_at, f.id, v.entered_at
"""
# One chunk of running instances (keyset on id), with their first missed promise.
SCORING_SQL = """
WITH chunk AS (
    SELECT id FROM workflow_instance
     WHERE state = 'running' AND id > %(after)s ORDER BY id LIMIT %(limit)s
), missed AS (
    SELECT m.instance_id, min(m.missed_at) AS missed_at FROM (%(missed)s) m GROUP BY 1
)
SELECT i.id, d.code, s.code, i.node_ref, i.stage_entered_at, i.started_at, mi.missed_at
  FROM chunk c
  JOIN workflow_instance i ON i.id = c.id
  JOIN workflow_definition d ON d.id = i.definition_id
  LEFT JOIN workflow_stage s ON s.id = i.stage_id
  LEFT JOIN missed mi ON mi.instance_id = i.id
 ORDER BY i.id
"""
# Scores of one chunk from the numpy results (NULL: no prediction, the instance already
# missed a promise or no trained model is in use).
UPDATE_SQL = """
UPDATE workflow_instance i
   SET risk_score = v.score, risk_model_version = %(version)s
  FROM unnest(%(ids)s::int4[], %(scores)s::float8[]) AS v(id, score)
 WHERE i.id = v.id
   AND (i.risk_score IS DISTINCT FROM v.score
        OR i.risk_model_version IS DISTINCT FROM %(version)s)
"""


class WorkflowAiRiskModel(models.Model):
    """One training run of the breach-risk model: a calibrated logistic regression on
    snapshots of finished instances, evaluated on the newest ones (time split). The model
    is JSON in ``model_json`` (never a pickle) with its sha256 beside it. A model that
    cannot beat the base rate is *refused*: nothing is scored with it."""

    _name = "workflow.ai.risk.model"
    _inherit = ["workflow.ai.json.model.mixin"]
    _description = "Workflow AI Breach Risk Model"
    _order = "version desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    version = fields.Integer(required=True, readonly=True, index=True)
    active = fields.Boolean(default=True, help="Only the newest training is in use.")
    state = fields.Selection(RISK_STATES, required=True, readonly=True)
    message = fields.Text(readonly=True, help="Why the model is refused, in cold start or failed.")
    trained_at = fields.Datetime(readonly=True)
    duration_seconds = fields.Float(string="Training Time (s)", readonly=True)
    instance_count = fields.Integer(string="Finished Instances", readonly=True)
    sample_count = fields.Integer(string="Snapshots", readonly=True)
    test_count = fields.Integer(string="Held-out Snapshots", readonly=True)
    feature_count = fields.Integer(string="Columns", readonly=True)
    positive_rate = fields.Float(string="Held-out Breach Rate", readonly=True)
    roc_auc = fields.Float(string="ROC AUC", readonly=True, digits=(4, 3))
    brier = fields.Float(string="Brier Score", readonly=True, digits=(5, 4))
    base_brier = fields.Float(
        string="Base-rate Brier Score",
        readonly=True,
        digits=(5, 4),
        help="Brier score of always answering the held-out breach rate p: p x (1 - p).",
    )
    brier_skill = fields.Float(string="Brier Skill", readonly=True, digits=(4, 3))
    reliability_json = fields.Text(string="Reliability (JSON)", readonly=True)
    reliability_html = fields.Html(
        string="Reliability", compute="_compute_reliability_html", sanitize=False
    )
    scored_count = fields.Integer(string="Open Instances Scored", readonly=True)
    model_json = fields.Text(
        string="Model (JSON)",
        prefetch=False,
        groups="workflow_monitor_base.group_workflow_admin",
        help="Encoding, coefficients and calibration as plain arrays, scored with numpy.",
    )
    checksum = fields.Char(readonly=True, help="sha256 of the model JSON.")

    _sql_constraints = [
        ("version_unique", "unique(version)", "Two risk model trainings got the same version."),
    ]

    @api.depends("version")
    def _compute_name(self):
        for model in self:
            model.name = _("Breach risk model v%(version)s", version=model.version)

    def _compute_reliability_html(self):
        head = "".join(
            f"<th class='text-end'>{escape(label)}</th>"
            for label in (_("Bin"), _("Mean predicted"), _("Observed"), _("Count"))
        )
        for model in self:
            try:
                rows = json.loads(model.reliability_json or "[]")
            except ValueError:
                rows = []
            body = "".join(
                f"<tr><td class='text-end'>{low:.1f}-{high:.1f}</td>"
                f"<td class='text-end'>{pred:.3f}</td><td class='text-end'>{obs:.3f}</td>"
                f"<td class='text-end'>{int(count)}</td></tr>"
                for low, high, pred, obs, count in rows
            )
            model.reliability_html = (
                Markup(
                    "<table class='table table-sm o_wm_reliability'><thead><tr>%s</tr></thead>"
                    "<tbody>%s</tbody></table>"
                )
                % (Markup(head), Markup(body))
                if rows
                else False
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_train_now(self):
        # callable over RPC by any logged-in user: training is CPU-heavy and replaces
        # the scores of every open instance, so check the group before anything else
        self._check_may_train()
        model = self.env["workflow.ai.risk.model"]._train_and_score()
        return {
            "type": "ir.actions.act_window",
            "res_model": "workflow.ai.risk.model",
            "res_id": model.id,
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------
    # SCHEDULED ACTIONS
    # ------------------------------------------------------------

    @api.model
    def _cron_train_risk(self, batch_size=2000):
        """Train one new version (unless another worker is training, or one trained a
        version less than half a day ago: a second worker picking the daily job up after
        the first one finished), then score the open instances with it in chunks."""
        if cron_run_alone(self.env, "workflow_monitor_ai_risk_train"):
            since = fields.Datetime.now() - timedelta(hours=12)  # create_date is real time
            if self.search_count([("create_date", ">", since)], limit=1):
                _logger.info("Breach risk: a version was trained less than 12 hours ago")
            else:
                self._train_and_score(batch_size=batch_size)
        self.env["ir.cron"]._notify_progress(done=1, remaining=0)

    @api.model
    def _cron_score_risk(self, batch_size=2000):
        """Score the open instances again with the model in use (time in stage moves)."""
        done = 0
        if cron_run_alone(self.env, "workflow_monitor_ai_risk_score"):
            done = self._score_open(batch_size=batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    @api.model
    def _check_may_train(self):
        """Workflow managers, administrators and the scheduled job (superuser) only."""
        if not self.env.su and not self.env.user.has_group(
            "workflow_monitor_base.group_workflow_manager"
        ):
            raise AccessError(
                _("Only Workflow Monitor managers and administrators can train the risk model.")
            )

    @api.model
    def _train_and_score(self, batch_size=2000):
        model = self._train()
        model._score_open(batch_size=batch_size)
        return model

    # ------------------------------------------------------------
    # TRAINING
    # ------------------------------------------------------------

    @api.model
    def _risk_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        return {
            "threshold": float(params.get_param("workflow_monitor_ai.risk_threshold", 0.6)),
            "max_instances": int(params.get_param("workflow_monitor_ai.risk_max_instances", 20000)),
            "min_instances": int(params.get_param("workflow_monitor_ai.risk_min_instances", 40)),
        }

    @api.model
    def _feature_names(self):
        extra_categorical, extra_numeric = self.env["workflow.instance"]._risk_feature_names()
        return list(BASE_CATEGORICAL) + list(extra_categorical), list(BASE_NUMERIC) + list(
            extra_numeric
        )

    @api.model
    def _training_data(self, limit):
        """(feature dicts, labels, instance ids, end times) of the snapshots of the
        ``limit`` newest finished instances, in one query plus the features hook."""
        Instance = self.env["workflow.instance"]
        Instance.flush_model()
        missed = Instance._risk_missed_sql(SQL("SELECT id FROM fin"))
        self.env.cr.execute(SQL(TRAINING_SQL, limit=limit, missed=missed))
        rows = self.env.cr.fetchall()
        features = _base_features(
            (code, stage, node, entered, at, started)
            for _id, code, stage, node, entered, at, started, _end, _label in rows
        )
        extra = Instance._risk_features([(row[0], row[5]) for row in rows])
        for base, more in zip(features, extra, strict=True):
            base.update(more)
        return (
            features,
            [row[8] for row in rows],
            [row[0] for row in rows],
            [row[7] for row in rows],
        )

    @api.model
    def _train(self, data=None, options=None):
        """Train a new version on finished instances (or on ``data``: (feature dicts,
        labels, groups, order)), make it the model in use and return the record."""
        self._check_may_train()
        settings = self._risk_settings()
        Model = self.sudo().with_context(active_test=False)  # sudo: checked above
        version = (Model.search([], order="version desc", limit=1).version or 0) + 1
        options = options or RiskOptions(min_instances=settings["min_instances"])
        start = time.perf_counter()
        if data is None:
            data = self._training_data(settings["max_instances"])
        rows, labels, groups, order = data
        vals = {"version": version, "trained_at": fields.Datetime.now(), "sample_count": len(rows)}
        categorical, numeric = self._feature_names()
        try:
            result = train(rows, labels, groups, order, categorical, numeric, options, version)
        except RiskColdStart as cold:
            vals.update(state="cold_start", message=str(cold), instance_count=len(set(groups)))
        except Exception as error:  # noqa: BLE001 - a failed training must say why
            _logger.exception("Training of the breach risk model failed")
            vals.update(state="failed", message=_("Training failed: %(error)s", error=error))
        else:
            vals.update(self._trained_vals(result))
        vals["duration_seconds"] = time.perf_counter() - start
        model = Model.create(vals)
        if model.state != "failed":
            model._retire_older()
        self.env["workflow.ai.log"]._log(
            "training",
            model.name,
            status={"trained": "ok", "failed": "error"}.get(model.state, model.state),
            message=model.message or _("%(count)s snapshots.", count=len(rows)),
        )
        return model

    @api.model
    def _trained_vals(self, result):
        metrics = result["metrics"]
        refused = result["status"] == "refused"
        return {
            "state": result["status"],
            "message": _(
                "Refused, the model cannot beat the base rate: %(why)s. Nothing is scored "
                "with it until a later training does better.",
                why=result["message"],
            )
            if refused
            else False,
            "instance_count": metrics["n_instances"],
            "test_count": metrics["n_test"],
            "feature_count": len(result["coef"]),
            "positive_rate": metrics["positive_rate"],
            "roc_auc": metrics["roc_auc"],
            "brier": metrics["brier"],
            "base_brier": metrics["base_brier"],
            "brier_skill": metrics["brier_skill"],
            "reliability_json": json.dumps(metrics["reliability"]),
            "model_json": json.dumps(result, separators=(",", ":")),
        }

    def _retire_older(self):
        """The newest training (self) decides: the others are archived; the JSON of the
        last 3 trained ones is kept, the older ones lose it."""
        self.ensure_one()
        older = self.with_context(active_test=False).search(
            [("id", "!=", self.id), ("state", "!=", "failed")]
        )
        older.write({"active": False})
        older.filtered(lambda m: m.state in ("trained", "refused"))[3:].write({"model_json": False})

    # ------------------------------------------------------------
    # SCORING
    # ------------------------------------------------------------

    @api.model
    def _get_current(self):
        """The newest training that did not fail (a refused or cold-start one included:
        then nothing is scored)."""
        return self.sudo().search([("state", "!=", "failed")], order="version desc", limit=1)

    def _load(self):
        """The scoring model of this trained record (cached per checksum); raise
        RiskModelError if its JSON is missing or altered."""
        self.ensure_one()
        key = (self.env.cr.dbname, self.id, self.checksum)
        if (cached := _CACHE.get(key)) is not None:
            return cached
        raw = self.sudo().model_json
        if not raw or json_checksum(raw) != self.checksum:
            raise RiskModelError("the stored risk model is missing or was altered outside Odoo")
        model = RiskModel.from_json(raw)
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = model
        return model

    @api.model
    def _score_open(self, batch_size=2000):
        """Score every running instance with the model in use, chunk by chunk (one read,
        numpy, one UPDATE each), clear the scores of the others, then refresh the
        ``predicted_breach`` suggestions. Without a trained model in use (refused, cold
        start) every score is cleared. Returns the number of instances scored."""
        current = self._get_current()
        scorer = current._load() if current.state == "trained" else None
        version = current.name if scorer else None
        Instance = self.env["workflow.instance"]
        now, after, scored = clock.now(self.env), 0, 0
        threshold = self._risk_settings()["threshold"]
        evidence = {}
        while True:
            Instance.flush_model()
            missed = Instance._risk_missed_sql(SQL("SELECT id FROM chunk"))
            self.env.cr.execute(SQL(SCORING_SQL, after=after, limit=batch_size, missed=missed))
            rows = self.env.cr.fetchall()
            if not rows:
                break
            after = rows[-1][0]
            scored += self._score_chunk(rows, scorer, version, now, (threshold, evidence))
            if len(rows) < batch_size:
                break
            commit_chunk(self.env)
        self._clear_finished_scores()
        Instance.invalidate_model(["risk_score", "risk_model_version"])
        if current:
            current.sudo().scored_count = scored
        self.env["workflow.ai.suggestion"]._refresh_predicted_breaches(threshold, version, evidence)
        return scored

    @api.model
    def _score_chunk(self, rows, scorer, version, now, explain):
        """Score one chunk of SCORING_SQL rows and write the scores in one UPDATE;
        ``explain`` is (threshold, {instance id: columns}) filled for the scores at or
        above the threshold (the evidence of their suggestions)."""
        open_rows = [row for row in rows if scorer and not (row[6] and row[6] <= now)]
        scores = {}
        if open_rows:
            features = _base_features(
                (code, stage, node, entered, now, started)
                for _id, code, stage, node, entered, started, _missed in open_rows
            )
            extra = self.env["workflow.instance"]._risk_features(
                [(row[0], now) for row in open_rows]
            )
            for base, more in zip(features, extra, strict=True):
                base.update(more)
            probabilities = scorer.predict_proba(features)
            threshold, evidence = explain
            # stored at the field's precision, as the ORM would: a domain on risk_score
            # is rounded to it too, so "at least this risky" always holds the instance
            # shown, and the threshold is decided on the score users see
            places = self.env["workflow.instance"]._fields["risk_score"].get_digits(self.env)[1]
            for row, feature, probability in zip(open_rows, features, probabilities, strict=True):
                score = scores[row[0]] = round(float(probability), places)
                if score >= threshold:
                    evidence[row[0]] = _explain(scorer, feature)
        ids = [row[0] for row in rows]
        self.env.cr.execute(
            SQL(
                UPDATE_SQL,
                version=version if scores else None,
                ids=ids,
                scores=[scores.get(i) for i in ids],
            )
        )
        return len(scores)

    @api.model
    def _clear_finished_scores(self):
        self.env.cr.execute(
            """UPDATE workflow_instance SET risk_score = NULL, risk_model_version = NULL
                WHERE state != 'running' AND risk_score IS NOT NULL"""
        )


def _explain(scorer, features, top=3):
    """The columns that pushed a snapshot's score up most, for the suggestion."""
    contributions = encode([features], scorer.encoding)[0] * scorer.coef
    columns = scorer.encoding["columns"] + scorer.encoding["numeric"]
    best = sorted(range(len(columns)), key=lambda i: -contributions[i])[:top]
    return [columns[i] for i in best if contributions[i] > 0]


def _base_features(rows):
    """Feature dicts of ``(definition code, stage code, node, stage entered at, moment,
    started at)``: what every instance has, whatever its module."""
    result = []
    for code, stage, node, entered, at, started in rows:
        in_stage = max((at - entered).total_seconds(), 0.0) / 3600.0 if entered else 0.0
        since_start = max((at - started).total_seconds(), 0.0) / 3600.0 if started else 0.0
        result.append(
            {
                "definition": code,
                "stage": f"{code}.{stage}" if stage else None,
                "node": node or None,
                "weekday": str(entered.weekday()) if entered else None,
                "hour": f"{code}.{entered.hour:02d}" if entered else None,
                "log_hours_in_stage": math.log1p(in_stage),
                "log_hours_since_start": math.log1p(since_start),
            }
        )
    return result
