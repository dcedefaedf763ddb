# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Breach risk: a calibrated logistic regression on snapshot features of instances.

Training (scikit-learn, imported only there) gives a plain JSON dict: the feature
vocabulary (one-hot columns of the categorical features, mean and scale of the numeric
ones), the coefficients and intercept, the Platt calibration (slope and intercept of a
sigmoid over the linear score) and the held-out metrics of that same model. Scoring
(:class:`RiskModel`) reads that JSON with numpy only: loading it cannot execute code.

Evaluation follows time: the rows of the oldest instances fit the regression, the next
ones fit the calibration, the newest ones are held out and measured (ROC AUC, Brier score,
the Brier score of always answering the held-out base rate, a reliability table). A model
that does not beat the base rate is *refused*: :func:`train` says so in ``status`` and
``message``, and the caller must not score with it.
"""

import json
import math
import warnings
from dataclasses import dataclass

import numpy as np

FORMAT = "workflow_monitor_ai.risk_logistic"
FORMAT_VERSION = 1
RELIABILITY_BINS = 10


class RiskModelError(ValueError):
    """The stored risk model cannot be used (corrupt JSON, wrong shapes, unknown format)."""


@dataclass(frozen=True)
class RiskOptions:
    """How :func:`train` learns and when it refuses the result."""

    test_share: float = 0.2  # newest instances held out
    calibration_share: float = 0.2  # of the rest (the newest of it) for the calibration
    min_instances: int = 40  # finished instances needed at all
    min_positives: int = 5  # in each of the fit, calibration and held-out parts
    min_value_count: int = 3  # a categorical value seen fewer times gets no column
    regularization: float = 1.0  # LogisticRegression C
    min_auc: float = 0.55  # held-out ROC AUC to reach (0.5: a coin)
    min_brier_skill: float = 0.01  # 1 - Brier / base-rate Brier to reach


# ------------------------------------------------------------
# Features
# ------------------------------------------------------------


def fit_encoding(rows, categorical, numeric, min_value_count=3):
    """The encoding of feature dicts ``rows``: one-hot columns ``name=value`` for the
    categorical features seen at least ``min_value_count`` times, then one column per
    numeric feature standardised with its mean and scale (missing values: the mean)."""
    columns = []
    for name in categorical:
        counts = {}
        for row in rows:
            value = row.get(name)
            if value is not None and value is not False:
                counts[str(value)] = counts.get(str(value), 0) + 1
        columns.extend(
            f"{name}={value}" for value in sorted(counts) if counts[value] >= min_value_count
        )
    means, scales = [], []
    for name in numeric:
        values = np.array([_number(row.get(name)) for row in rows], dtype=np.float64)
        known = values[~np.isnan(values)]
        mean = float(known.mean()) if known.size else 0.0
        scale = float(known.std()) if known.size else 0.0
        means.append(mean)
        scales.append(scale if scale > 1e-12 else 1.0)
    return {
        "categorical": list(categorical),
        "numeric": list(numeric),
        "columns": columns,
        "means": means,
        "scales": scales,
    }


def _number(value):
    if value is None or value is False:
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def encode(rows, encoding):
    """The design matrix (n_rows x n_columns) of feature dicts ``rows``."""
    index = {column: i for i, column in enumerate(encoding["columns"])}
    n_cat = len(encoding["columns"])
    numeric = encoding["numeric"]
    matrix = np.zeros((len(rows), n_cat + len(numeric)), dtype=np.float64)
    means = np.asarray(encoding["means"], dtype=np.float64)
    scales = np.asarray(encoding["scales"], dtype=np.float64)
    for r, row in enumerate(rows):
        for name in encoding["categorical"]:
            value = row.get(name)
            if value is None or value is False:
                continue
            column = index.get(f"{name}={value}")
            if column is not None:
                matrix[r, column] = 1.0
        if numeric:
            values = np.array([_number(row.get(name)) for name in numeric], dtype=np.float64)
            values = np.where(np.isnan(values), means, values)
            matrix[r, n_cat:] = (values - means) / scales
    return matrix


# ------------------------------------------------------------
# Scoring from JSON (numpy only)
# ------------------------------------------------------------


def _sigmoid(values):
    return 1.0 / (1.0 + np.exp(-np.clip(values, -500, 500)))


class RiskModel:
    """A loaded risk model: encoding, linear coefficients and Platt calibration."""

    def __init__(self, data):
        self.data = data
        self.encoding = data["encoding"]
        self.coef = np.asarray(data["coef"], dtype=np.float64)
        self.intercept = float(data["intercept"])
        self.platt_a = float(data["calibration"]["a"])
        self.platt_b = float(data["calibration"]["b"])
        self.version = data.get("version")

    @classmethod
    def from_json(cls, text):
        """Parse and validate stored JSON; raise :class:`RiskModelError` saying what is wrong."""
        try:
            data = json.loads(text) if isinstance(text, str | bytes) else text
        except (TypeError, ValueError) as error:
            raise RiskModelError(f"the risk model is not valid JSON ({error})") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RiskModelError(f"unknown risk model format (expected {FORMAT})")
        if data.get("format_version") != FORMAT_VERSION:
            raise RiskModelError(f"unsupported format version {data.get('format_version')!r}")
        try:
            model = cls(data)
        except (KeyError, TypeError, ValueError) as error:
            raise RiskModelError(
                f"the risk model JSON misses or mangles a part: {error!r}"
            ) from error
        width = len(model.encoding["columns"]) + len(model.encoding["numeric"])
        if model.coef.shape != (width,):
            raise RiskModelError(f"{model.coef.shape[0]} coefficients for {width} columns")
        if len(model.encoding["means"]) != len(model.encoding["numeric"]) or len(
            model.encoding["scales"]
        ) != len(model.encoding["numeric"]):
            raise RiskModelError("numeric means and scales do not match the numeric features")
        if not (np.all(np.isfinite(model.coef)) and math.isfinite(model.intercept)):
            raise RiskModelError("non-finite coefficients")
        return model

    def linear_score(self, rows):
        return encode(rows, self.encoding) @ self.coef + self.intercept

    def predict_proba(self, rows):
        """Calibrated probability of a breach of each feature dict of ``rows``."""
        if not rows:
            return np.zeros(0, dtype=np.float64)
        return _sigmoid(self.platt_a * self.linear_score(rows) + self.platt_b)


# ------------------------------------------------------------
# Metrics
# ------------------------------------------------------------


def reliability_table(y_true, y_prob, bins=RELIABILITY_BINS):
    """[[low, high, mean predicted, observed rate, count]] of the non-empty bins."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        mask = (y_prob >= low) & ((y_prob < high) if b < bins - 1 else (y_prob <= high))
        count = int(mask.sum())
        if count:
            table.append([low, high, float(y_prob[mask].mean()), float(y_true[mask].mean()), count])
    return table


def evaluate(y_true, y_prob):
    """Held-out metrics: ROC AUC, Brier score, base-rate Brier, reliability table."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y_true = np.asarray(y_true, dtype=np.int64)
    rate = float(y_true.mean())
    base_brier = rate * (1.0 - rate)
    brier = float(brier_score_loss(y_true, y_prob))
    auc = float(roc_auc_score(y_true, y_prob)) if 0 < y_true.sum() < len(y_true) else 0.5
    return {
        "n_test": int(len(y_true)),
        "positive_rate": rate,
        "roc_auc": auc,
        "brier": brier,
        "base_brier": base_brier,
        "brier_skill": (1.0 - brier / base_brier) if base_brier else 0.0,
        "reliability": reliability_table(y_true, y_prob),
    }


# ------------------------------------------------------------
# Training (scikit-learn)
# ------------------------------------------------------------


class RiskColdStart(Exception):
    """Too few finished instances (or breaches) to learn from; carries the explanation."""


def time_split(groups, order, options):
    """Row indexes (fit, calibration, test) by time: ``groups`` (one instance per row)
    sorted by ``order`` (its end), the newest instances held out whole."""
    ends = {}
    for group, when in zip(groups, order, strict=True):
        ends[group] = max(ends.get(group, when), when)
    ranked = sorted(ends, key=lambda g: (ends[g], g))
    n = len(ranked)
    n_test = max(1, int(round(n * options.test_share)))
    n_cal = max(1, int(round((n - n_test) * options.calibration_share)))
    part = {}
    for position, group in enumerate(ranked):
        part[group] = 2 if position >= n - n_test else 1 if position >= n - n_test - n_cal else 0
    split = ([], [], [])
    for index, group in enumerate(groups):
        split[part[group]].append(index)
    return split, n


def train(rows, labels, groups, order, categorical, numeric, options=None, version=None):
    """Fit, calibrate and evaluate a risk model on feature dicts ``rows`` with 0/1
    ``labels``; ``groups`` (instance of each row) and ``order`` (its end time, any
    comparable) drive the time split. Returns the JSON dict of the model with
    ``status`` ``trained`` or ``refused`` (it does not beat the base rate) and a
    ``message``; raises :class:`RiskColdStart` when there is too little to learn from."""
    options = options or RiskOptions()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _train(rows, labels, groups, order, categorical, numeric, options, version)


def _check_enough(labels, split, n_instances, options):
    if n_instances < options.min_instances:
        raise RiskColdStart(
            f"cold start: {n_instances} finished instance(s), at least "
            f"{options.min_instances} needed"
        )
    for name, indexes in zip(("fit", "calibration", "held-out"), split, strict=True):
        positives = int(sum(labels[i] for i in indexes))
        negatives = len(indexes) - positives
        if min(positives, negatives) < options.min_positives:
            raise RiskColdStart(
                f"cold start: the {name} part has {positives} breach(es) and {negatives} "
                f"on-time row(s); at least {options.min_positives} of each needed"
            )


def _train(rows, labels, groups, order, categorical, numeric, options, version):
    from sklearn.linear_model import LogisticRegression

    labels = [int(bool(label)) for label in labels]
    split, n_instances = time_split(groups, order, options) if rows else (([], [], []), 0)
    _check_enough(labels, split, n_instances, options)
    fit_idx, cal_idx, test_idx = split
    fit_rows = [rows[i] for i in fit_idx]
    encoding = fit_encoding(fit_rows, categorical, numeric, options.min_value_count)
    y = np.asarray(labels, dtype=np.int64)
    regression = LogisticRegression(C=options.regularization, max_iter=2000)
    regression.fit(encode(fit_rows, encoding), y[fit_idx])
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": version,
        "encoding": encoding,
        "coef": regression.coef_[0].tolist(),
        "intercept": float(regression.intercept_[0]),
        "calibration": {"method": "platt", "a": 1.0, "b": 0.0},
    }
    scores = RiskModel(data).linear_score([rows[i] for i in cal_idx])
    platt = LogisticRegression(C=1e6, max_iter=2000).fit(scores.reshape(-1, 1), y[cal_idx])
    data["calibration"] = {
        "method": "platt",
        "a": float(platt.coef_[0][0]),
        "b": float(platt.intercept_[0]),
    }
    proba = RiskModel(data).predict_proba([rows[i] for i in test_idx])
    metrics = evaluate(y[test_idx], proba)
    metrics.update(
        n_fit=len(fit_idx),
        n_calibration=len(cal_idx),
        n_instances=n_instances,
        train_positive_rate=float(y[fit_idx].mean()),
    )
    data["metrics"] = metrics
    data["status"], data["message"] = _verdict(metrics, options)
    return data


def _verdict(metrics, options):
    """("trained" | "refused", why) of held-out ``metrics``."""
    if metrics["roc_auc"] < options.min_auc:
        return "refused", (
            f"cannot beat the base rate: held-out ROC AUC {metrics['roc_auc']:.3f} is below "
            f"{options.min_auc:.2f}"
        )
    if metrics["brier_skill"] < options.min_brier_skill:
        return "refused", (
            f"cannot beat the base rate: held-out Brier score {metrics['brier']:.4f} is not "
            f"below the base-rate Brier score {metrics['base_brier']:.4f} "
            f"(skill {metrics['brier_skill']:.3f}, {options.min_brier_skill:.2f} needed)"
        )
    return "trained", ""
