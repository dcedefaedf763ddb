# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users, warmup
from odoo.tools import mute_logger

from odoo.addons.workflow_monitor_ai.models.workflow_ai_model import _CACHE
from odoo.addons.workflow_monitor_base.tests.common import apply_deferred

from .common import AiCommon

LATE_TEXT = (
    "Carrier DHL missed the pickup of WH/OUT/00042",
    "Scheduled 2025-03-02, still waiting at WH Paris. Carrier DHL tracking shows no scan.",
)


@tagged("post_install", "-at_install")
class TestSuggestions(AiCommon):
    """The classifier inside Odoo: the trained model record, suggestions, automatic
    application above the threshold only, review, cold start and corrupt models."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = cls.env["workflow.ai.model"]._train(rows=cls.rows_of(cls.dataset()))

    def new_exception(self, name=LATE_TEXT[0], description=LATE_TEXT[1], category=None, **vals):
        self.counter = getattr(self, "counter", 0) + 1
        return self.env["workflow.exception"].create(
            dict(
                {
                    "dedupe_key": f"manual:ai-test-{self.counter}",
                    "name": name,
                    "description": description,
                    "category_id": (category or self.inbox).id,
                    "severity": "low",
                    "res_model": "stock.picking",
                },
                **vals,
            )
        )

    def suggestions(self, exception, kind):
        return exception.ai_suggestion_ids.filtered(lambda s: s.kind == kind)

    def test_model_record_and_fast_load(self):
        model = self.model
        self.assertEqual(model.state, "trained")
        self.assertEqual(model.category_state, "trained")
        self.assertGreater(model.category_accuracy, model.category_baseline + 0.5)
        data = json.loads(model.model_json)
        self.assertEqual(data["version"], model.version)
        self.assertEqual(sorted(data["heads"]["category"]["classes"]), sorted(self.categories))
        self.assertEqual(self.env["workflow.ai.model"]._get_current(), model)
        start = time.perf_counter()
        model._load()
        first = time.perf_counter() - start
        start = time.perf_counter()
        model._load()
        cached = time.perf_counter() - start
        # pylint: disable-next=print-used
        print(  # noqa: T201
            f"\n[workflow_monitor_ai] model load: {first * 1000:.1f} ms, "
            f"cached {cached * 1e6:.0f} µs"
        )
        self.assertLess(first, 1.0)
        self.assertLess(cached, first)

    def test_auto_apply_above_threshold_and_reject_reverts(self):
        self.set_ai(confidence_threshold=0.6)
        exception = self.new_exception()
        self.assertFalse(exception.ai_processed)
        self.env["workflow.exception"]._cron_ai_suggest()
        self.assertTrue(exception.ai_processed)
        suggestion = self.suggestions(exception, "category")
        self.assertEqual(len(suggestion), 1)
        self.assertEqual(suggestion.state, "applied")
        self.assertGreaterEqual(suggestion.confidence, 0.6)
        self.assertEqual(exception.category_id, self.categories["late_delivery"])
        self.assertEqual(suggestion.previous_category_id, self.inbox)
        self.assertIn("carrier", suggestion.evidence.lower())
        self.assertIn("The AI set", exception.message_ids[:1].body)
        # a person disagrees: the previous category comes back
        suggestion.with_user(self.workflow_user).action_reject()
        self.assertEqual(suggestion.state, "rejected")
        self.assertEqual(suggestion.reviewer_id, self.workflow_user)
        self.assertEqual(exception.category_id, self.inbox)

    def test_below_threshold_is_proposed_then_accepted(self):
        self.set_ai(confidence_threshold=0.99)
        exception = self.new_exception()
        self.env["workflow.exception"]._cron_ai_suggest()
        suggestion = self.suggestions(exception, "category")
        self.assertEqual(suggestion.state, "proposed")
        self.assertEqual(exception.category_id, self.inbox, "nothing changes without a person")
        suggestion.with_user(self.workflow_user).action_accept()
        self.assertEqual(suggestion.state, "accepted")
        self.assertTrue(suggestion.reviewed_at)
        self.assertEqual(exception.category_id, self.categories["late_delivery"])
        with self.assertRaises(UserError):
            suggestion.with_user(self.workflow_user).action_accept()

    def test_severity_suggestion(self):
        self.set_ai(kill_switch=True)
        exception = self.new_exception(
            name="Webhook to Shopify failed with HTTP 503 - blocked",
            description="Outbound message dead after 7 attempts. Retries exhausted.",
        )
        exception._ai_classify()
        severity = self.suggestions(exception, "severity")
        self.assertEqual(severity.proposed_severity, "critical")
        self.assertEqual(severity.previous_severity, "low")
        severity.with_user(self.workflow_user).action_accept()
        self.assertEqual(exception.severity, "critical")

    def test_detector_owned_category_never_moves_by_itself(self):
        """A detector resolves its exceptions by category: the AI only proposes."""
        self.set_ai(confidence_threshold=0.6)
        self.assertTrue(self.category.auto_resolve)
        exception = self.env["workflow.exception"].raise_exception(
            None, self.category.code, LATE_TEXT[0], description=LATE_TEXT[1], dedupe_key="det:1"
        )
        exception._ai_classify()
        suggestion = self.suggestions(exception, "category")
        self.assertEqual(suggestion.state, "proposed")
        self.assertEqual(exception.category_id, self.category)

    def test_kill_switch_stops_automatic_changes(self):
        self.set_ai(confidence_threshold=0.6, kill_switch=True)
        exception = self.new_exception()
        exception._ai_classify()
        self.assertEqual(self.suggestions(exception, "category").state, "proposed")
        self.assertEqual(exception.category_id, self.inbox)

    def test_cold_start_says_so_and_guesses_nothing(self):
        self.set_ai(min_examples=100000)
        model = self.env["workflow.ai.model"]._train(
            rows=self.rows_of(self.dataset(per_category=5))
        )
        self.assertEqual(model.state, "cold_start")
        self.assertIn("cold start", model.message)
        self.assertFalse(model.sudo().model_json)
        exception = self.new_exception()
        self.assertFalse(exception._ai_classify())
        self.assertEqual(exception.ai_status_state, "cold_start")
        self.assertIn("Cold start", exception.ai_status)
        log = self.env["workflow.ai.log"].search([("kind", "=", "training")], limit=1)
        self.assertEqual(log.status, "cold_start")

    def test_corrupt_model_logs_clear_error_and_suggests_nothing(self):
        self.model.sudo().model_json = self.model.sudo().model_json[:-200]
        exception = self.new_exception()
        with self.assertLogs("odoo.addons.workflow_monitor_ai", level="ERROR") as logs:
            self.assertFalse(exception._ai_classify())
        self.assertIn("cannot be used", logs.output[0])
        self.assertFalse(self.suggestions(exception, "category"))
        log = self.env["workflow.ai.log"].search([("kind", "=", "classification")], limit=1)
        self.assertEqual(log.status, "error")
        self.assertIn("not valid JSON", log.message)

    def test_model_altered_outside_odoo_is_refused(self):
        model = self.model
        self.env.cr.execute(
            "UPDATE workflow_ai_model "
            "SET model_json = replace(model_json, '\"coef\":[[', '\"coef\":[[1.0,') "
            "WHERE id = %s",
            [model.id],
        )
        model.invalidate_recordset()
        _CACHE.clear()  # a worker that has not loaded it yet
        exception = self.new_exception()
        with mute_logger("odoo.addons.workflow_monitor_ai.models.workflow_exception"):
            self.assertFalse(exception._ai_classify())
        log = self.env["workflow.ai.log"].search([("kind", "=", "classification")], limit=1)
        self.assertIn("checksum mismatch", log.message)

    def test_access_rights(self):
        exception = self.new_exception()
        Suggestion = self.env["workflow.ai.suggestion"]
        with self.assertRaises(AccessError):
            Suggestion.with_user(self.workflow_manager).create(
                {"exception_id": exception.id, "kind": "summary", "content": "x"}
            )
        self.set_ai(confidence_threshold=0.99)
        exception._ai_classify()
        suggestion = self.suggestions(exception, "category")
        with self.assertRaises(AccessError):
            suggestion.with_user(self.workflow_manager).unlink()
        with self.assertRaises(AccessError):
            suggestion.with_user(self.workflow_user).write({"state": "accepted"})
        # a user outside the exception's team cannot review it
        other = self.new_exception(team_id=self.team_other.id)
        other._ai_classify()
        with self.assertRaises(AccessError):
            self.suggestions(other, "category").with_user(self.workflow_user).action_accept()
        # the log and the model are for managers
        with self.assertRaises(AccessError):
            self.env["workflow.ai.log"].with_user(self.workflow_user).search([])
        self.assertTrue(self.env["workflow.ai.model"].with_user(self.workflow_manager).search([]))
        with self.assertRaises(AccessError):
            self.model.with_user(self.workflow_manager).model_json  # noqa: B018
        with self.assertRaises(AccessError):
            self.env["workflow.ai.model"].with_user(self.workflow_manager)._train(rows=[])
        with self.assertRaises(AccessError):
            self.env["workflow.ai.model"].with_user(self.workflow_manager).action_train_now()
        # company rule: company B users do not see suggestions of company A
        self.assertFalse(
            Suggestion.with_user(self.workflow_user_b).search([("id", "=", suggestion.id)])
        )

    def test_exception_form_view_loads(self):
        exception = self.new_exception()
        exception._ai_classify()
        view = self.env["workflow.exception"].get_views([(False, "form")])["views"]["form"]
        self.assertIn("ai_suggestion_ids", view["arch"])
        self.assertIn("action_view_ai_suggestions", view["arch"])
        action = exception.action_view_ai_suggestions()
        self.assertEqual(action["domain"], [("exception_id", "=", exception.id)])
        self.assertGreaterEqual(exception.ai_suggestion_count, 1)

    def test_settings(self):
        Settings = self.env["res.config.settings"]
        with self.assertRaises(ValidationError):
            Settings.create({"workflow_ai_confidence_threshold": 0.3})
        with self.assertRaises(ValidationError):
            Settings.create({"workflow_ai_provider_url": "ftp://example.com"})
        Settings.create({"workflow_ai_confidence_threshold": 0.9}).execute()
        settings = self.env["workflow.ai.provider"]._ai_settings()
        self.assertEqual(settings["confidence_threshold"], 0.9)
        self.assertFalse(settings["provider_enabled"], "the provider is off by default")
        self.assertFalse(settings["kill_switch"])

    def test_suggestion_job_without_description(self):
        """An exception with a bare title is classified and marked as seen."""
        exception = self.new_exception(description=None)
        self.env["workflow.exception"]._cron_ai_suggest()
        self.assertTrue(exception.ai_processed)


@tagged("post_install", "-at_install")
class TestSuggestionJobQueries(AiCommon):
    """The suggestion job is set based: its query count does not grow with the batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["workflow.ai.model"]._train(rows=cls.rows_of(cls.dataset()))
        # proposals only (no per-record write); set once here, as setting a parameter
        # clears the ormcaches the counts rely on
        cls.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor_ai.confidence_threshold", "1.0"
        )

    @users("__system__")  # the job runs as OdooBot, like its Scheduled Action
    @warmup
    def test_suggestion_job_is_set_based(self):
        """Classifying and matching a batch costs the same queries for 10 or 40."""
        self._new_batch(10)
        small = self._suggestion_job_queries(10)
        self._new_batch(40)
        with self.assertQueryCount(__system__=small):
            large = self._suggestion_job_queries(40)
        if self.warm:  # the warm-up run fills the ormcaches: its first count is colder
            self.assertEqual(large, small, f"suggestion job queries: 10 -> {small}, 40 -> {large}")

    def _new_batch(self, size):
        """``size`` new exceptions the job has not seen, and only those."""
        Exception_ = self.env["workflow.exception"]
        Exception_.search([("ai_processed", "=", False)]).write({"ai_processed": True})
        for i in range(size):
            self.env["workflow.exception"].create(
                {
                    "dedupe_key": f"manual:ai-queries-{size}-{i}",
                    "name": f"Product Office Chair out of stock, {i} orders waiting",
                    "description": LATE_TEXT[1],
                    "category_id": self.inbox.id,
                    "severity": "low",
                    "res_model": "stock.picking",
                }
            )
        # as their commit would: flush them and wake the job (a pre-commit hook)
        apply_deferred(self.env)
        self.env.invalidate_all()

    def _suggestion_job_queries(self, size):
        """Queries of one suggestion job run, which must see ``size`` exceptions."""
        before = self.env.cr.sql_log_count
        self.assertEqual(self.env["workflow.exception"]._cron_ai_suggest(batch_size=500), size)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before
