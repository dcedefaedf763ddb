# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, tagged

from .common import TEST_MODEL, WorkflowMonitorCommon, apply_deferred


@tagged("post_install", "-at_install")
class TestExceptionCause(WorkflowMonitorCommon):
    """Causal chains in the engine: the upsert carries the cause and the revenue at risk,
    a cause and its impacts are of one company, users never set them, and the
    drill-downs and the dashboard's Causes panel count the same impacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["workflow.exception"]
        Doc = cls.env[TEST_MODEL]
        cls.doc, cls.doc_2, cls.doc_3 = (
            Doc.create({"name": name}) for name in ("Cause doc", "Impacted 1", "Impacted 2")
        )
        apply_deferred(cls.env)
        cls.cause = cls.Exception.raise_exception(
            cls.doc, "wm_test_category", "Late receipt", dedupe_key="cause"
        )

    def impact(self, doc, amount, cause=None, **vals):
        return self.Exception.raise_exceptions(
            [
                dict(
                    vals,
                    record=doc,
                    category_code="wm_test_category",
                    name=f"{doc.name} waits",
                    dedupe_key=f"impact:cause:{doc.id}",
                    cause_exception_id=(cause or self.cause).id,
                    impact_amount=amount,
                )
            ]
        )

    def test_upsert_carries_cause_and_latest_amount(self):
        impact = self.impact(self.doc_2, 50.0)
        self.assertEqual(impact.cause_exception_id, self.cause)
        self.assertEqual(impact.impact_amount, 50.0)
        self.assertEqual(impact.impact_currency_id, self.company_a.currency_id)
        self.assertEqual(self.cause.impact_exception_ids, impact)
        self.assertEqual(self.cause.impact_count, 1)
        # raised again: the same exception, one more occurrence, the latest amount
        again = self.impact(self.doc_2, 70.0)
        self.assertEqual(again, impact)
        self.assertEqual((impact.occurrence_count, impact.impact_amount), (2, 70.0))
        # an occurrence without cause or amount keeps both
        self.Exception.raise_exceptions(
            [
                {
                    "record": self.doc_2,
                    "category_code": "wm_test_category",
                    "name": "again",
                    "dedupe_key": f"impact:cause:{self.doc_2.id}",
                }
            ]
        )
        self.assertEqual((impact.cause_exception_id, impact.impact_amount), (self.cause, 70.0))
        # the form shows both sides
        with Form(self.cause) as form:
            self.assertEqual(len(form.impact_exception_ids), 1)
        with Form(impact) as form:
            self.assertEqual(form.cause_exception_id, self.cause)

    def test_cause_of_another_company_is_refused(self):
        cause_b = self.Exception.raise_exception(
            self.doc,
            "wm_test_category",
            "B cause",
            dedupe_key="cause-b",
            company_id=self.company_b.id,
        )
        with self.assertRaises(ValidationError):
            self.impact(self.doc_2, 10.0, cause=cause_b)
        impact = self.impact(self.doc_2, 10.0)
        with self.assertRaises(ValidationError):
            impact.sudo().cause_exception_id = cause_b
        with self.assertRaises(ValidationError):
            impact.sudo().cause_exception_id = impact

    def test_deleted_cause_leaves_impacts_without_cause(self):
        impact = self.impact(self.doc_2, 50.0)
        self.cause.sudo().unlink()
        self.assertFalse(impact.cause_exception_id)
        self.env.cr.execute(
            "SELECT cause_exception_id FROM workflow_exception WHERE id = %s", [impact.id]
        )
        self.assertIsNone(self.env.cr.fetchone()[0])
        self.assertEqual(impact.impact_amount, 50.0)

    def test_users_never_set_cause_or_amount(self):
        manager_env = self.env(user=self.workflow_manager)
        Exception_ = self.Exception.with_env(manager_env)
        with self.assertRaises(AccessError):
            Exception_.raise_exceptions(
                [
                    {
                        "record": self.doc_2.with_env(manager_env),
                        "category_code": "wm_test_category",
                        "name": "by hand",
                        "cause_exception_id": self.cause.id,
                    }
                ]
            )
        with self.assertRaises(AccessError):
            Exception_.create(
                {
                    "name": "by hand",
                    "category_id": self.category.id,
                    "impact_amount": 1000.0,
                }
            )
        impact = self.impact(self.doc_2, 50.0)
        with self.assertRaises(AccessError):
            impact.with_env(manager_env).write({"impact_amount": 1.0})
        with self.assertRaises(AccessError):
            impact.with_env(manager_env).write({"cause_exception_id": False})
        self.assertEqual((impact.cause_exception_id, impact.impact_amount), (self.cause, 50.0))

    def test_drill_downs_and_dashboard_agree(self):
        self.impact(self.doc_2, 50.0)
        self.impact(self.doc_3, 25.5)
        # a resolved impact is not counted
        self.impact(self.create_doc("Served"), 99.0)._resolve("served")
        Dashboard = self.env["workflow.dashboard"].with_user(self.workflow_manager)
        rows = {row["cause_id"]: row for row in Dashboard.get_dashboard_data({})["causes"]["rows"]}
        row = rows[self.cause.id]
        self.assertEqual((row["documents"], row["impacts"], row["amount"]), (2, 2, 75.5))
        self.assertEqual(row["name"], "Late receipt")
        self.assertEqual(row["category"], self.category.name)
        cause = self.cause.with_user(self.workflow_manager)
        Exception_ = self.Exception.with_user(self.workflow_manager)
        self.assertEqual(Exception_.search(row["cause_domain"]), cause)
        self.assertEqual(Exception_.search_count(row["impact_domain"]), row["impacts"])
        self.assertEqual(Exception_.search_count(cause.action_view_impacts()["domain"]), 2)
        action = cause.action_view_impacted_documents()
        self.assertEqual(action["res_model"], self.doc._name)
        docs = self.env[self.doc._name].search(action["domain"])
        self.assertEqual(docs, self.doc_2 | self.doc_3)
        self.assertEqual(len(docs), row["documents"])
        # a user of another company reads neither the cause nor its impacts
        with self.assertRaises(AccessError):
            self.cause.with_user(self.workflow_user_b).action_view_impacted_documents()
        rows_b = (
            self.env["workflow.dashboard"]
            .with_user(self.workflow_user_b)
            .get_dashboard_data({})["causes"]["rows"]
        )
        self.assertNotIn(self.cause.id, [r["cause_id"] for r in rows_b])
        # once the cause is resolved, it leaves the panel
        self.cause._resolve("received")
        rows = Dashboard.get_dashboard_data({})["causes"]["rows"]
        self.assertNotIn(self.cause.id, [r["cause_id"] for r in rows])


@tagged("post_install", "-at_install")
class TestCausesPanelTour(HttpCase):
    """The dashboard's Causes panel in the browser: each number opens its records."""

    def _fill(self):
        env = self.env
        docs = env[TEST_MODEL].create([{"name": f"TOUR/{i}"} for i in range(4)])
        apply_deferred(env)
        Exception_ = env["workflow.exception"]
        cause = Exception_.raise_exception(docs[0], "stale_record", "WM Tour Cause")
        Exception_.raise_exceptions(
            [
                {
                    "record": doc,
                    "category_code": "stale_record",
                    "name": f"{doc.name} waits for the tour cause",
                    "dedupe_key": f"impact:tour:{doc.id}",
                    "cause_exception_id": cause.id,
                    "impact_amount": 10.0 * index,
                }
                for index, doc in enumerate(docs[1:], start=1)
            ]
        )
        return cause

    def test_causes_impacts_tour(self):
        self._fill()
        self.start_tour(
            "/odoo/workflow-monitor", "workflow_monitor_causes_impacts_tour", login="admin"
        )

    def test_causes_documents_tour(self):
        self._fill()
        self.start_tour(
            "/odoo/workflow-monitor", "workflow_monitor_causes_documents_tour", login="admin"
        )
