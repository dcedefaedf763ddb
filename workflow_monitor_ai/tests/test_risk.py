# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The breach-risk model on synthetic snapshots (the simulated distribution data set is
in tests/test_risk_prediction.py at the repository root): training, refusal, the JSON
round trip, scoring of open instances, predicted-breach suggestions and rights."""

import json
import random

import numpy as np
import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.workflow_monitor_ai.tools import risk
from odoo.addons.workflow_monitor_base.tests.common import WorkflowMonitorCommon, apply_deferred


def synthetic(n=1000, seed=5, noise=False):
    """(rows, labels, groups, order) of snapshots whose breach depends on the stage,
    the node and the time in stage, as the model sees them (or random labels)."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _i in range(n):
        stage = rng.choice(("draft", "confirmed", "delivered"))
        node = rng.choice(("stock.warehouse,1", "stock.warehouse,2"))
        hours = rng.expovariate(1 / 12)
        p = 0.02 + 0.7 * (stage == "confirmed") + 0.2 * node.endswith("2") + min(hours, 48) / 640
        rows.append(
            {
                "definition": "test_flow",
                "stage": f"test_flow.{stage}",
                "node": node,
                "weekday": str(rng.randint(0, 6)),
                "hour": f"test_flow.{rng.randint(8, 17):02d}",
                "log_hours_in_stage": float(np.log1p(hours)),
                "log_hours_since_start": float(np.log1p(hours + rng.uniform(0, 24))),
            }
        )
        labels.append(rng.random() < (0.35 if noise else p))
    return rows, labels, list(range(n)), list(range(n))


@tagged("post_install", "-at_install")
class TestRiskModel(WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Risk = cls.env["workflow.ai.risk.model"]
        cls.sales_user = (
            mail_new_test_user(
                cls.env,
                login="wm_risk_sales",
                groups="base.group_user,sales_team.group_sale_salesman",
            )
            if cls.env.ref("sales_team.group_sale_salesman", raise_if_not_found=False)
            else None
        )
        cls.env["ir.config_parameter"].sudo().set_param("workflow_monitor_ai.risk_threshold", 0.6)

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _open_docs(self, count=6):
        """Running instances of the test flow: half in draft, half confirmed."""
        docs = self.env["workflow.test.document"]
        for index in range(count):
            docs |= self.create_doc(f"Risk doc {index}")
        self.write_doc(docs[: count // 2], {"state": "confirmed"})
        return docs, self.env["workflow.instance"].search(
            [("res_model", "=", docs._name), ("res_id", "in", docs.ids)]
        )

    def _report(self, model):
        # pylint: disable-next=print-used
        print(  # noqa: T201 - the figures belong in the test output
            f"\n[workflow_monitor_ai] risk {model.name}: state={model.state} "
            f"AUC={model.roc_auc:.3f} Brier={model.brier:.4f} base-rate Brier="
            f"{model.base_brier:.4f} (n_test={model.test_count})"
        )

    # ------------------------------------------------------------
    # the model
    # ------------------------------------------------------------

    def test_learnable_data_is_trained_and_calibrated(self):
        model = self.Risk._train(data=synthetic())
        self._report(model)
        self.assertEqual(model.state, "trained", model.message)
        self.assertGreaterEqual(model.roc_auc, 0.75)
        self.assertLessEqual(model.brier, 0.8 * model.base_brier)
        reliability = json.loads(model.reliability_json)
        self.assertEqual(sum(row[4] for row in reliability), model.test_count)
        for _low, _high, predicted, observed, count in reliability:
            if count >= 30:  # calibrated: well-filled bins observe what they predict
                self.assertAlmostEqual(predicted, observed, delta=0.2)
        self.assertIn("<table", model.reliability_html)
        data = json.loads(model.sudo().model_json)
        for key in ("encoding", "coef", "intercept", "calibration", "metrics"):
            self.assertIn(key, data)
        self.assertEqual(data["calibration"]["method"], "platt")

    def test_random_labels_are_refused_and_score_nothing(self):
        docs, instances = self._open_docs()
        trained = self.Risk._train(data=synthetic())
        trained._score_open()
        self.assertTrue(all(instances.mapped("risk_model_version")))
        refused = self.Risk._train(data=synthetic(noise=True))
        self._report(refused)
        self.assertEqual(refused.state, "refused")
        self.assertIn("cannot beat the base rate", refused.message)
        self.assertFalse(trained.active, "the newest training decides")
        self.assertEqual(self.Risk._score_open(), 0)
        instances.invalidate_recordset()
        self.assertFalse(any(instances.mapped("risk_model_version")))
        self.assertFalse(any(instances.mapped("risk_score")))
        self.assertFalse(
            self.env["workflow.ai.suggestion"].search(
                [("instance_id", "in", instances.ids), ("state", "=", "proposed")]
            ),
            "the suggestions of the previous model are withdrawn",
        )
        risk_section = self.env["workflow.dashboard"].get_dashboard_data({})["risk"]
        self.assertEqual(risk_section["state"], "refused")
        self.assertIn("cannot beat the base rate", risk_section["message"])
        self.assertEqual(risk_section["items"], [])

    def test_too_little_data_is_a_cold_start(self):
        rows, labels, groups, order = synthetic(n=20)
        model = self.Risk._train(data=(rows, labels, groups, order))
        self.assertEqual(model.state, "cold_start")
        self.assertIn("cold start", model.message)
        self.assertFalse(model.sudo().model_json)

    def test_json_round_trip_gives_identical_scores(self):
        model = self.Risk._train(data=synthetic())
        rows = synthetic(n=200, seed=11)[0]
        data = json.loads(model.sudo().model_json)
        direct = risk.RiskModel(data).predict_proba(rows)
        loaded = model._load().predict_proba(rows)
        again = risk.RiskModel.from_json(json.dumps(json.loads(json.dumps(data))))
        np.testing.assert_array_equal(direct, loaded)
        np.testing.assert_array_equal(direct, again.predict_proba(rows))
        # the same probabilities scikit-learn gives for the same coefficients
        from sklearn.linear_model import LogisticRegression

        encoded = risk.encode(rows, data["encoding"])
        reference = LogisticRegression()
        reference.classes_ = np.array([0, 1])
        reference.coef_ = np.array([data["coef"]]) * data["calibration"]["a"]
        reference.intercept_ = np.array(
            [data["intercept"] * data["calibration"]["a"] + data["calibration"]["b"]]
        )
        np.testing.assert_allclose(reference.predict_proba(encoded)[:, 1], direct, rtol=1e-9)

    def test_altered_json_is_not_loaded(self):
        model = self.Risk._train(data=synthetic())
        self.env.cr.execute(
            "UPDATE workflow_ai_risk_model SET model_json = replace(model_json, '\"coef\":[', "
            "'\"coef\":[9,') WHERE id = %s",
            [model.id],
        )
        model.invalidate_recordset()
        with self.assertRaises(risk.RiskModelError):
            model._load()
        with self.assertRaises(risk.RiskModelError):
            risk.RiskModel.from_json('{"format": "pickle"}')

    # ------------------------------------------------------------
    # scoring and suggestions
    # ------------------------------------------------------------

    def test_scoring_and_predicted_breach_suggestions(self):
        docs, instances = self._open_docs()
        model = self.Risk._train(data=synthetic())
        scored = self.Risk._score_open()
        self.assertGreaterEqual(scored, len(instances))
        instances.invalidate_recordset()
        confirmed = instances.filtered(lambda i: i.stage_id == self.stage_confirmed)
        draft = instances - confirmed
        self.assertTrue(confirmed and draft)
        self.assertGreater(min(confirmed.mapped("risk_score")), max(draft.mapped("risk_score")))
        self.assertEqual(set(instances.mapped("risk_model_version")), {model.name})
        Suggestion = self.env["workflow.ai.suggestion"]
        # a threshold between the two groups: the confirmed ones get a suggestion
        threshold = (min(confirmed.mapped("risk_score")) + max(draft.mapped("risk_score"))) / 2
        self.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor_ai.risk_threshold", threshold
        )
        self.Risk._score_open()
        self.Risk._score_open()  # idempotent: still one per instance
        proposed = Suggestion.search(
            [("instance_id", "in", instances.ids), ("state", "=", "proposed")]
        )
        self.assertEqual(proposed.instance_id, confirmed)
        self.assertEqual(set(proposed.mapped("kind")), {"predicted_breach"})
        self.assertEqual(len(proposed), len(confirmed))
        self.assertTrue(all(s.company_id == s.instance_id.company_id for s in proposed))
        # the score drops below the threshold: withdrawn
        self.env["ir.config_parameter"].sudo().set_param("workflow_monitor_ai.risk_threshold", 0.99)
        self.Risk._score_open()
        self.assertEqual(set(proposed.mapped("state")), {"withdrawn"})
        # finished instances lose their score
        self.write_doc(docs, {"state": "done"})
        self.Risk._score_open()
        instances.invalidate_recordset()
        self.assertFalse(any(instances.mapped("risk_score")))

    def test_dashboard_lists_the_riskiest_in_one_query(self):
        _docs, instances = self._open_docs()
        # the flows of demo documents (other modules' demo data) are not this test's
        self.env.cr.execute(
            "UPDATE workflow_instance SET state = 'done' WHERE state = 'running' AND id != ALL(%s)",
            [instances.ids],
        )
        self.env["workflow.instance"].invalidate_model()
        self.Risk._train(data=synthetic())
        self.Risk._score_open()
        Dashboard = self.env["workflow.dashboard"].with_user(self.workflow_user)
        filters = Dashboard._dashboard_filters({})
        Dashboard._dashboard_risk(filters)  # warm the caches
        with self.assertQueryCount(1):
            section = Dashboard._dashboard_risk(filters)
        self.assertEqual(section["state"], "trained")
        risks = [item["risk"] for item in section["items"]]
        self.assertEqual(risks, sorted(risks, reverse=True))
        self.assertEqual({item["id"] for item in section["items"]}, set(instances.ids))
        # the drill-down domain counts the same instances
        listed = (
            self.env["workflow.instance"].with_user(self.workflow_user).search(section["domain"])
        )
        self.assertEqual(set(listed.ids), set(instances.ids))
        # each score's "at least this risky" list (the badge's drill-down, whose value
        # Odoo rounds to the field's digits) holds its instance: scores are stored at
        # the field's precision, not finer
        for item in section["items"]:
            at_least = listed.search(section["domain"] + [("risk_score", ">=", item["risk"])])
            self.assertIn(item["id"], at_least.ids, item)
        self.env.cr.execute(
            "SELECT risk_score FROM workflow_instance WHERE id = ANY(%s)", [instances.ids]
        )
        stored = [row[0] for row in self.env.cr.fetchall()]
        self.assertEqual(stored, [round(score, 2) for score in stored])

    # ------------------------------------------------------------
    # rights
    # ------------------------------------------------------------

    def _rpc(self, user, model, method, *args):
        records = self.env[model].with_user(user)
        function = get_public_method(records, method)
        return function(records.browse(*args) if args else records)

    def test_only_managers_train(self):
        for user in filter(None, (self.workflow_user, self.plain_user, self.sales_user)):
            with self.assertRaises(AccessError, msg=user.login):
                self._rpc(user, "workflow.ai.risk.model", "action_train_now")
        action = (
            self.env["workflow.ai.risk.model"].with_user(self.workflow_manager).action_train_now()
        )
        self.assertEqual(action["res_model"], "workflow.ai.risk.model")

    def test_model_json_is_admin_only_and_scores_read_only(self):
        model = self.Risk._train(data=synthetic())
        with self.assertRaises(AccessError):
            model.with_user(self.workflow_manager).read(["model_json"])
        self.assertTrue(model.with_user(self.workflow_manager).read(["roc_auc"])[0]["roc_auc"])
        self.assertTrue(model.with_user(self.workflow_admin).read(["model_json"])[0]["model_json"])
        for user in filter(None, (self.plain_user, self.sales_user, self.workflow_user)):
            with self.assertRaises(AccessError, msg=user.login):
                model.with_user(user).read(["model_json"])
        _docs, instances = self._open_docs(2)
        for user in filter(
            None, (self.sales_user, self.workflow_user, self.workflow_manager, self.workflow_admin)
        ):
            with self.assertRaises(AccessError, msg=user.login):
                instances.with_user(user).write({"risk_score": 0.0})

    def test_suggestion_review_rights(self):
        _docs, instances = self._open_docs(2)
        Suggestion = self.env["workflow.ai.suggestion"]
        suggestions = Suggestion.create(
            [
                {"instance_id": instance.id, "kind": "predicted_breach", "content": "Risk"}
                for instance in instances
            ]
        )
        with self.assertRaises(AccessError):
            suggestions[0].with_user(self.plain_user).action_accept()
        with self.assertRaises(AccessError):
            suggestions[0].with_user(self.workflow_user_b).action_accept()
        suggestions[0].with_user(self.workflow_user).action_accept()
        suggestions[1].with_user(self.workflow_user).action_reject()
        self.assertEqual(suggestions.mapped("state"), ["accepted", "rejected"])
        self.assertEqual(suggestions.reviewer_id, self.workflow_user)
        with self.assertRaises(UserError):
            suggestions[0].with_user(self.workflow_user).action_accept()
        # the document did not move
        self.assertEqual(instances.mapped("state"), ["running", "running"])
        with self.assertRaises(psycopg2.errors.CheckViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                Suggestion.create({"kind": "predicted_breach", "content": "Nothing"})


@tagged("post_install", "-at_install")
class TestRiskTour(HttpCase):
    def test_dashboard_riskiest_instances_tour(self):
        Document = self.env["workflow.test.document"]
        draft = Document.create({"name": "Risk tour draft"})
        confirmed = Document.create({"name": "Risk tour confirmed"})
        apply_deferred(self.env)
        confirmed.write({"state": "confirmed"})
        apply_deferred(self.env)
        Risk = self.env["workflow.ai.risk.model"]
        Risk._train(data=synthetic())
        Risk._score_open()
        instances = self.env["workflow.instance"].search(
            [("res_model", "=", Document._name), ("res_id", "in", (draft | confirmed).ids)]
        )
        self.assertEqual(len(instances), 2)
        self.assertTrue(all(instances.mapped("risk_score")))
        self.start_tour("/odoo/workflow-monitor", "workflow_monitor_ai_risk_tour", login="admin")
