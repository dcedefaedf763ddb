# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from odoo.tests import tagged

from odoo.addons.workflow_monitor_ai.tools import classifier
from odoo.addons.workflow_monitor_ai.tools.classifier import LinearTextModel, ModelError

from .common import AiCommon


@tagged("post_install", "-at_install")
class TestClassifier(AiCommon):
    """The classifier itself: quality on a held-out split, calibration, and the JSON
    model reproducing scikit-learn exactly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rows = cls.rows_of(cls.dataset(per_category=80, seed=7))
        train_idx, test_idx = classifier._split([r[1] for r in rows], 0.25, seed=3)
        cls.train_rows = [rows[i] for i in train_idx]
        cls.test_rows = [rows[i] for i in test_idx]
        start = time.perf_counter()
        cls.data, cls.vectorizer, cls.estimators = classifier.train(
            [r[0] for r in cls.train_rows],
            {
                "category": [r[1] for r in cls.train_rows],
                "severity": [r[2] for r in cls.train_rows],
            },
            version=1,
            return_estimators=True,
        )
        cls.train_seconds = time.perf_counter() - start
        cls.raw = json.dumps(cls.data)
        cls.model = LinearTextModel.from_json(cls.raw)

    def _report(self, target, index):
        texts = [r[0] for r in self.test_rows]
        truth = [r[index] for r in self.test_rows]
        predictions = self.model.predict(texts, target)
        labels = [p[0] for p in predictions]
        accuracy = accuracy_score(truth, labels)
        macro_f1 = f1_score(truth, labels, average="macro")
        majority = max(truth.count(label) for label in set(truth)) / len(truth)
        # pylint: disable-next=print-used
        print(  # noqa: T201 - the issue asks for the figures in the test output
            f"\n[workflow_monitor_ai] {target}: held-out n={len(truth)} "
            f"accuracy={accuracy:.3f} macro-F1={macro_f1:.3f} majority-baseline={majority:.3f} "
            f"(trained on {len(self.train_rows)} in {self.train_seconds:.2f} s)"
        )
        return accuracy, macro_f1, majority, predictions, truth

    def test_category_quality_on_held_out_split(self):
        accuracy, macro_f1, majority, _p, _t = self._report("category", 1)
        self.assertLess(majority, 0.25, "six balanced classes")
        self.assertGreaterEqual(accuracy, 0.8)
        self.assertGreaterEqual(accuracy, majority + 0.5, "far above the majority class")
        self.assertGreaterEqual(macro_f1, 0.78)
        # the metrics stored with the model come from its own held-out split
        metrics = self.data["heads"]["category"]["metrics"]
        self.assertGreaterEqual(metrics["accuracy"], 0.75)
        self.assertGreater(metrics["accuracy"], metrics["majority_baseline"] + 0.4)

    def test_severity_quality_on_held_out_split(self):
        accuracy, macro_f1, majority, _p, _t = self._report("severity", 2)
        self.assertGreaterEqual(accuracy, majority + 0.2)
        self.assertGreaterEqual(macro_f1, 0.5)

    def test_calibration_above_threshold(self):
        """Predictions at or above a confidence threshold are right at least that often."""
        _a, _f, _m, predictions, truth = self._report("category", 1)
        for threshold in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9):
            above = [
                (label, t) for (label, conf), t in zip(predictions, truth) if conf >= threshold
            ]
            precision = sum(label == t for label, t in above) / len(above) if above else None
            # pylint: disable-next=print-used
            print(  # noqa: T201
                f"[workflow_monitor_ai] category confidence >= {threshold:.2f}: "
                f"{len(above)}/{len(truth)} predictions, precision "
                f"{precision if precision is None else round(precision, 3)}"
            )
            if threshold <= 0.85:
                self.assertTrue(above, f"some predictions reach {threshold}")
            if above:
                self.assertGreaterEqual(precision, threshold)
        # the stored calibration table keeps the same promise on the model's own split
        metrics = self.data["heads"]["category"]["metrics"]
        for step, count, correct in metrics["calibration"]:
            if count:
                self.assertGreaterEqual(correct / count, step)

    def test_json_round_trip_identical_predictions(self):
        texts = [r[0] for r in self.test_rows] + ["", "unknown words only zzz", "late late late"]
        reloaded = LinearTextModel.from_json(json.loads(json.dumps(json.loads(self.raw))))
        sparse = self.vectorizer.transform(texts)
        np.testing.assert_allclose(reloaded.transform(texts), sparse.toarray(), rtol=0, atol=1e-12)
        for target in ("category", "severity"):
            expected = self.estimators[target].predict_proba(sparse)
            got = reloaded.predict_proba(texts, target)
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
            self.assertEqual(
                [label for label, _c in reloaded.predict(texts, target)],
                list(self.estimators[target].predict(sparse)),
            )

    def test_binary_head_round_trip(self):
        """Two classes: scikit-learn uses a single coefficient row and a sigmoid."""
        rows = self.train_rows
        labels = ["integration" if r[1] == "integration_failure" else "business" for r in rows]
        data, vectorizer, estimators = classifier.train(
            [r[0] for r in rows], {"kind": labels}, return_estimators=True
        )
        model = LinearTextModel.from_json(json.dumps(data))
        texts = [r[0] for r in self.test_rows]
        self.assertEqual(len(data["heads"]["kind"]["coef"]), 1)
        np.testing.assert_allclose(
            model.predict_proba(texts, "kind"),
            estimators["kind"].predict_proba(vectorizer.transform(texts)),
            rtol=0,
            atol=1e-12,
        )

    def test_no_pickle_plain_json(self):
        data = json.loads(self.raw)
        self.assertEqual(data["format"], classifier.FORMAT)
        self.assertEqual(
            set(data["heads"]["category"]),
            {
                "status",
                "message",
                "classes",
                "coef",
                "intercept",
                "multinomial",
                "class_counts",
                "metrics",
            },
        )
        self.assertEqual(len(data["vectorizer"]["idf"]), len(data["vectorizer"]["vocabulary"]))
        self.assertNotIn("pickle", self.raw)

    def test_corrupt_model_errors_are_clear(self):
        broken = json.loads(self.raw)
        broken["heads"]["category"]["coef"] = broken["heads"]["category"]["coef"][:2]
        cases = {
            self.raw[: len(self.raw) // 2]: "not valid JSON",
            "[1, 2]": "not an object",
            json.dumps(dict(json.loads(self.raw), format="pickle")): "unknown model format",
            json.dumps(broken): "do not match",
            json.dumps(
                {k: v for k, v in json.loads(self.raw).items() if k != "vectorizer"}
            ): "misses",
        }
        for raw, message in cases.items():
            with self.assertRaises(ModelError) as caught:
                LinearTextModel.from_json(raw)
            self.assertIn(message, str(caught.exception))

    def test_cold_start_says_so(self):
        rows = self.train_rows[:30]
        data = classifier.train(
            [r[0] for r in rows],
            {"category": [r[1] for r in rows], "severity": [r[2] for r in rows]},
            min_per_class=10,
            min_total=50,
        )
        for target in ("category", "severity"):
            self.assertEqual(data["heads"][target]["status"], "cold_start")
            self.assertIn("cold start", data["heads"][target]["message"])
        model = LinearTextModel.from_json(json.dumps(data))
        with self.assertRaises(classifier.ColdStart):
            model.predict(["late delivery"], "category")
        # rare classes are named and left out, the others are learned
        rows = self.train_rows[:200] + [("odd text", "rare_category", "low")] * 3
        data = classifier.train(
            [r[0] for r in rows], {"category": [r[1] for r in rows]}, min_per_class=10
        )
        self.assertEqual(data["heads"]["category"]["status"], "trained")
        self.assertNotIn("rare_category", data["heads"]["category"]["classes"])
        self.assertIn("rare_category (3)", data["heads"]["category"]["message"])
