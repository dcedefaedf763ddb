# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""TF-IDF + linear classifier: training with scikit-learn, prediction with numpy only.

The trained model is stored as plain JSON (vocabulary, idf, coefficients, intercepts,
classes, version, metrics), never pickled: loading it cannot execute code, and the
prediction below reproduces scikit-learn's ``TfidfVectorizer`` + ``LogisticRegression``
exactly (same tokens, same tf-idf, same l2 norm, same linear scores, same softmax), so
it needs no scikit-learn object at run time.

scikit-learn is imported only while training (:func:`train`, the training Scheduled Action),
by :class:`TrainingOptions` and :func:`_metrics`; prediction never imports it.
"""

import json
import math
import random
import re
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

FORMAT = "workflow_monitor_ai.tfidf_linear"
FORMAT_VERSION = 1
TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # scikit-learn's default
NGRAM_RANGE = (1, 2)
CALIBRATION_STEPS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


class ModelError(ValueError):
    """The stored model cannot be used (corrupt JSON, wrong shapes, unknown format)."""


class ColdStart(Exception):
    """Not enough labelled examples to learn from; carries the explanation."""


# ------------------------------------------------------------
# Text of an exception
# ------------------------------------------------------------


def exception_text(name, description=None, res_model=None, failure_kind=None, extra=None):
    """The text the classifier reads: message, description and context as tokens.

    Context values become single tokens (``model_sale_order``, ``kind_transient``) so
    they weigh like words without colliding with them.
    """
    parts = [name or "", description or ""]
    if res_model:
        parts.append("model_" + re.sub(r"\W+", "_", res_model))
    if failure_kind:
        parts.append("kind_" + failure_kind)
    for value in extra or ():
        if value:
            parts.append(str(value))
    return "\n".join(parts)


# ------------------------------------------------------------
# Tokenizer and tf-idf (identical to scikit-learn's)
# ------------------------------------------------------------


def analyze(text, token_pattern=TOKEN_PATTERN, ngram_range=NGRAM_RANGE, lowercase=True):
    """Tokens of ``text`` as scikit-learn's word analyzer makes them (no stop words,
    no accent stripping): lowercase, regex tokens, then word n-grams."""
    if lowercase:
        text = text.lower()
    tokens = re.findall(token_pattern, text)
    min_n, max_n = ngram_range
    if max_n == 1:
        return tokens
    original = tokens
    tokens = list(original) if min_n == 1 else []
    start = max(min_n, 2)
    count = len(original)
    for n in range(start, min(max_n + 1, count + 1)):
        for i in range(count - n + 1):
            tokens.append(" ".join(original[i : i + n]))
    return tokens


def fit_idf(token_lists):
    """Smoothed idf (scikit-learn's formula) of a corpus: {term: idf}."""
    df = Counter()
    for tokens in token_lists:
        df.update(set(tokens))
    n = len(token_lists)
    return {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}


def tfidf_dict(tokens, idf, sublinear_tf=True):
    """l2-normalised tf-idf of one token list as {term: weight} (terms without idf dropped)."""
    weights = {}
    for term, count in Counter(tokens).items():
        term_idf = idf.get(term)
        if term_idf is None:
            continue
        tf = 1.0 + math.log(count) if sublinear_tf else float(count)
        weights[term] = tf * term_idf
    norm = math.sqrt(sum(w * w for w in weights.values()))
    if norm:
        weights = {term: w / norm for term, w in weights.items()}
    return weights


class SimilarityIndex:
    """Tf-idf vectors of a corpus [(key, tokens)] with an inverted index, for repeated
    nearest-neighbour queries (idf fitted once on the corpus)."""

    def __init__(self, corpus):
        self.idf = fit_idf([tokens for _key, tokens in corpus])
        self.keys = [key for key, _tokens in corpus]
        self.postings = {}
        for position, (_key, tokens) in enumerate(corpus):
            for term, weight in tfidf_dict(tokens, self.idf).items():
                self.postings.setdefault(term, []).append((position, weight))

    def __bool__(self):
        return bool(self.keys)

    def query(self, tokens, limit=5, min_score=0.2):
        """[(key, cosine)] best first; terms unknown to the corpus are ignored."""
        scores = {}
        for term, weight in tfidf_dict(tokens, self.idf).items():
            for position, doc_weight in self.postings.get(term, ()):
                scores[position] = scores.get(position, 0.0) + weight * doc_weight
        ranked = sorted(
            ((self.keys[p], s) for p, s in scores.items() if s >= min_score),
            key=lambda item: (-item[1], item[0]),
        )
        return ranked[:limit]


# ------------------------------------------------------------
# Prediction from JSON (numpy only)
# ------------------------------------------------------------


def _softmax(scores):
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


class LinearTextModel:
    """A loaded model: vectorizer parameters and one linear head per target."""

    def __init__(self, data):
        self.data = data
        vectorizer = data["vectorizer"]
        self.vocabulary = vectorizer["vocabulary"]
        self.idf = np.asarray(vectorizer["idf"], dtype=np.float64)
        self.token_pattern = vectorizer.get("token_pattern", TOKEN_PATTERN)
        self.ngram_range = tuple(vectorizer.get("ngram_range", NGRAM_RANGE))
        self.lowercase = vectorizer.get("lowercase", True)
        self.sublinear_tf = vectorizer.get("sublinear_tf", True)
        self.version = data.get("version")
        self.heads = {}
        for target, head in (data.get("heads") or {}).items():
            if head.get("status") != "trained":
                continue
            self.heads[target] = {
                "classes": list(head["classes"]),
                "coef": np.asarray(head["coef"], dtype=np.float64),
                "intercept": np.asarray(head["intercept"], dtype=np.float64),
                "multinomial": bool(head.get("multinomial", True)),
            }

    @classmethod
    def from_json(cls, text):
        """Parse and validate stored JSON; raise :class:`ModelError` saying what is wrong."""
        try:
            data = json.loads(text) if isinstance(text, str | bytes) else text
        except (TypeError, ValueError) as error:
            raise ModelError(f"the model is not valid JSON ({error})") from error
        if not isinstance(data, dict):
            raise ModelError("the model JSON is not an object")
        if data.get("format") != FORMAT:
            raise ModelError(f"unknown model format {data.get('format')!r} (expected {FORMAT})")
        if data.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"unsupported model format version {data.get('format_version')!r}")
        try:
            model = cls(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ModelError(f"the model JSON misses or mangles a part: {error!r}") from error
        model._validate()
        return model

    def _validate(self):
        size = len(self.vocabulary)
        if not isinstance(self.vocabulary, dict) or self.idf.shape != (size,):
            raise ModelError("vocabulary and idf have different sizes")
        indexes = self.vocabulary.values()
        if size and (min(indexes) < 0 or max(indexes) >= size or len(set(indexes)) != size):
            raise ModelError("the vocabulary indexes are not 0..n-1")
        if not np.all(np.isfinite(self.idf)):
            raise ModelError("the idf contains non-finite numbers")
        for target, head in self.heads.items():
            n_classes = len(head["classes"])
            rows = 1 if n_classes == 2 and not head["multinomial"] else n_classes
            if n_classes < 2 or head["coef"].shape != (rows, size):
                raise ModelError(
                    f"head {target}: coefficients of shape {head['coef'].shape} do not match "
                    f"{n_classes} classes x {size} terms"
                )
            if head["intercept"].shape != (rows,):
                raise ModelError(f"head {target}: wrong number of intercepts")
            if not (np.all(np.isfinite(head["coef"])) and np.all(np.isfinite(head["intercept"]))):
                raise ModelError(f"head {target}: non-finite coefficients")

    def transform(self, texts):
        """Dense l2-normalised tf-idf matrix (n_texts x n_terms), like the vectorizer."""
        matrix = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float64)
        for row, text in enumerate(texts):
            counts = Counter(
                self.vocabulary[token]
                for token in analyze(text, self.token_pattern, self.ngram_range, self.lowercase)
                if token in self.vocabulary
            )
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if self.sublinear_tf:
                tf = np.log(tf) + 1.0
            values = tf * self.idf[columns]
            norm = np.sqrt(np.dot(values, values))
            if norm:
                values /= norm
            matrix[row, columns] = values
        return matrix

    def predict_proba(self, texts, target):
        """Class probabilities (n_texts x n_classes) of head ``target``."""
        head = self.heads.get(target)
        if head is None:
            raise ColdStart(f"no trained model for {target}")
        features = self.transform(texts)
        scores = features @ head["coef"].T + head["intercept"]
        if head["coef"].shape[0] == 1:  # binary, one-vs-rest: sigmoid like scikit-learn
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        return _softmax(scores)

    def explain(self, text, target, label, top=5):
        """The terms of ``text`` that pushed most towards ``label``."""
        head = self.heads.get(target)
        if head is None or label not in head["classes"]:
            return []
        row = self.transform([text])[0]
        coef = head["coef"]
        index = head["classes"].index(label)
        weights = coef[0] * (1 if index == 1 else -1) if coef.shape[0] == 1 else coef[index]
        contributions = row * weights
        if getattr(self, "_terms", None) is None:
            self._terms = {i: t for t, i in self.vocabulary.items()}
        terms = self._terms
        best = [i for i in np.argsort(-contributions)[:top] if contributions[i] > 0]
        return [terms[i] for i in best]

    def predict(self, texts, target):
        """[(label, confidence)] for each text."""
        proba = self.predict_proba(texts, target)
        classes = self.heads[target]["classes"]
        best = proba.argmax(axis=1)
        return [(classes[i], float(proba[row, i])) for row, i in enumerate(best)]


# ------------------------------------------------------------
# Training (scikit-learn)
# ------------------------------------------------------------


def _split(labels, test_size, seed):
    """Stratified split of indexes: about ``test_size`` of every class held out."""
    rng = random.Random(seed)
    by_class = {}
    for index, label in enumerate(labels):
        by_class.setdefault(label, []).append(index)
    train, test = [], []
    for label in sorted(by_class):
        indexes = by_class[label]
        rng.shuffle(indexes)
        n_test = max(1, int(round(len(indexes) * test_size)))
        test.extend(indexes[:n_test])
        train.extend(indexes[n_test:])
    return sorted(train), sorted(test)


def usable_classes(labels, min_per_class, min_total):
    """Return (classes kept, message) or raise :class:`ColdStart` explaining why not."""
    counts = Counter(labels)
    kept = sorted(label for label, count in counts.items() if count >= min_per_class)
    rare = sorted((label, count) for label, count in counts.items() if count < min_per_class)
    total = sum(counts[label] for label in kept)
    rare_text = ", ".join(f"{label} ({count})" for label, count in rare)
    if len(kept) < 2 or total < min_total:
        raise ColdStart(
            f"cold start: {len(labels)} labelled example(s), {total} in classes with at "
            f"least {min_per_class} examples (need {min_total} in at least 2 such classes)"
            + (f"; too few examples for: {rare_text}" if rare else "")
        )
    message = f"not learned yet (fewer than {min_per_class} examples): {rare_text}" if rare else ""
    return kept, message


def _metrics(y_true, y_pred, confidences, classes):
    from sklearn.metrics import accuracy_score, f1_score

    majority = Counter(y_true).most_common(1)[0][1] / len(y_true)
    calibration = []
    for step in CALIBRATION_STEPS:
        above = [t == p for t, p, c in zip(y_true, y_pred, confidences) if c >= step]
        calibration.append([step, len(above), sum(above)])
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro")),
        "majority_baseline": float(majority),
        "n_test": len(y_true),
        "calibration": calibration,
    }


def precision_above(metrics, threshold):
    """Held-out precision of predictions whose confidence is at least ``threshold``,
    from the calibration table (its nearest step not above the threshold); None when
    no held-out prediction reached it."""
    rows = [row for row in (metrics or {}).get("calibration", []) if row[0] <= threshold + 1e-9]
    if not rows:
        return None
    _step, count, correct = rows[-1]
    return correct / count if count else None


def train(*args, **kwargs):
    """See :func:`_train`; scipy's deprecation chatter from the solver is silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _train(*args, **kwargs)


@dataclass(frozen=True)
class TrainingOptions:
    """How :func:`_train` learns: class minimums, held-out split and vocabulary size."""

    min_per_class: int = 10
    min_total: int = 50
    test_size: float = 0.2
    seed: int = 42
    max_features: int = 20000

    def vectorizer(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            lowercase=True,
            token_pattern=TOKEN_PATTERN,
            ngram_range=NGRAM_RANGE,
            sublinear_tf=True,
            max_features=self.max_features,
            dtype=np.float64,
        )

    @staticmethod
    def classifier():
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")


def _train(
    texts,
    labels_by_target,
    min_per_class=10,
    min_total=50,
    test_size=0.2,
    seed=42,
    version=None,
    max_features=20000,
    return_estimators=False,
):
    """Fit one vectorizer and one logistic regression per target and return the JSON
    dict of the model. Each target is evaluated on a stratified held-out split
    (accuracy, macro-F1, majority baseline, calibration table) and then refitted on
    all its examples. A target without enough examples gets ``status: cold_start``
    and a message instead of a head. With ``return_estimators`` also return the fitted
    scikit-learn objects ``(vectorizer, {target: classifier})`` (tests compare them)."""
    options = TrainingOptions(min_per_class, min_total, test_size, seed, max_features)
    final_vectorizer = options.vectorizer()
    if texts:
        final_vectorizer.fit(texts)
    heads, estimators = {}, {}
    for target, labels in labels_by_target.items():
        try:
            if not texts:
                raise ColdStart("cold start: no labelled example yet")
            kept, note = usable_classes(labels, min_per_class, min_total)
        except ColdStart as cold:
            heads[target] = {"status": "cold_start", "message": str(cold)}
            continue
        heads[target], estimators[target] = _train_head(
            texts, labels, kept, note, final_vectorizer, options
        )
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": version,
        "n_samples": len(texts),
        "vectorizer": _vectorizer_json(final_vectorizer if texts else None),
        "heads": heads,
    }
    return (data, final_vectorizer, estimators) if return_estimators else data


def _train_head(texts, labels, kept, note, final_vectorizer, options):
    """(head JSON, fitted classifier) of one target on its examples of the ``kept``
    classes: metrics from a held-out evaluation, coefficients from a final fit on all
    of them with the shared vectorizer."""
    indexes = [i for i, label in enumerate(labels) if label in kept]
    target_texts = [texts[i] for i in indexes]
    target_labels = [labels[i] for i in indexes]
    metrics = _evaluate_held_out(target_texts, target_labels, kept, options)
    final = options.classifier().fit(final_vectorizer.transform(target_texts), target_labels)
    head = {
        "status": "trained",
        "message": note,
        "classes": [str(c) for c in final.classes_],
        "coef": final.coef_.tolist(),
        "intercept": final.intercept_.tolist(),
        "multinomial": final.coef_.shape[0] > 1,
        "class_counts": dict(Counter(target_labels)),
        "metrics": metrics,
    }
    return head, final


def _evaluate_held_out(texts, labels, classes, options):
    """Metrics of a model fitted on a stratified train split and scored on the rest,
    with its own vectorizer: nothing of the test split leaks into the training."""
    train_idx, test_idx = _split(labels, options.test_size, options.seed)
    vectorizer = options.vectorizer()
    x_train = vectorizer.fit_transform([texts[i] for i in train_idx])
    model = options.classifier().fit(x_train, [labels[i] for i in train_idx])
    proba = model.predict_proba(vectorizer.transform([texts[i] for i in test_idx]))
    y_pred = [model.classes_[i] for i in proba.argmax(axis=1)]
    return _metrics([labels[i] for i in test_idx], y_pred, proba.max(axis=1).tolist(), classes)


def _vectorizer_json(vectorizer):
    """The stored vectorizer parameters; ``vectorizer`` None (no text yet) stores an
    empty vocabulary."""
    return {
        "vocabulary": (
            {term: int(index) for term, index in vectorizer.vocabulary_.items()}
            if vectorizer is not None
            else {}
        ),
        "idf": vectorizer.idf_.tolist() if vectorizer is not None else [],
        "token_pattern": TOKEN_PATTERN,
        "ngram_range": list(NGRAM_RANGE),
        "lowercase": True,
        "sublinear_tf": True,
        "norm": "l2",
    }
