# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TEST_MODEL, WorkflowMonitorCommon


@tagged("post_install", "-at_install")
class TestWorkflowServerActions(WorkflowMonitorCommon):
    """Our server action states, run by real Automation Rules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = cls.env["ir.model"]._get(TEST_MODEL)

    def make_rule(self, name, filter_domain, action_vals):
        return self.env["base.automation"].create(
            {
                "name": name,
                "model_id": self.model.id,
                "trigger": "on_create_or_write",
                "filter_domain": filter_domain,
                "action_server_ids": [
                    Command.create(dict(action_vals, name=f"{name} action", model_id=self.model.id))
                ],
            }
        )

    def failures(self, source):
        """The automation_failure exceptions about ``source``, read as another
        transaction sees them. They are committed by their own cursor; the test
        transaction works on a REPEATABLE READ snapshot taken before, so it cannot
        see them itself."""
        with db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(
                """SELECT e.name, e.state, e.severity, e.res_model, e.res_id, e.team_id,
                          e.description, e.occurrence_count
                     FROM workflow_exception e
                     JOIN workflow_exception_category c ON c.id = e.category_id
                    WHERE c.code = 'automation_failure' AND e.dedupe_key = %s""",
                [f"{source._name},{source.id}"],
            )
            return cr.dictfetchall()

    def watch_committed_failures(self, *sources):
        """Failures are committed through their own cursor: purge them after the test."""
        keys = [f"{source._name},{source.id}" for source in sources]
        self.purge_committed_exceptions(
            "category_id = %s AND dedupe_key = ANY(%s)",
            [self.env.ref("workflow_monitor_base.category_automation_failure").id, keys],
        )

    def test_rule_raises_exception_with_rendered_message(self):
        rule = self.make_rule(
            "WM big amounts",
            "[('amount', '>', 1000)]",
            {
                "state": "workflow_exception",
                "workflow_category_id": self.category.id,
                "workflow_severity": "high",
                "workflow_message": "Big {{ object.name }}",
            },
        )
        action = rule.action_server_ids
        self.assertEqual(action.state, "workflow_exception")
        big = self.create_doc("Order 77", amount=5000)
        small = self.create_doc("Order 78", amount=10)
        exceptions = self.env["workflow.exception"].search([("category_id", "=", self.category.id)])
        self.assertEqual(len(exceptions), 1)
        self.assertEqual(exceptions.name, "Big Order 77")
        self.assertEqual(exceptions.res_ref, big)
        self.assertEqual(exceptions.severity, "high")
        self.assertEqual(exceptions.team_id, self.team_a)
        self.assertEqual(exceptions.dedupe_key, f"action:{action.id}:{TEST_MODEL},{big.id}")
        self.assertIn(action.name, exceptions.description)
        # the rule fires again on the next save: counted on the same exception
        big.write({"amount": 6000})
        self.assertEqual(exceptions.occurrence_count, 2)
        small.write({"amount": 2000})
        exceptions = self.env["workflow.exception"].search([("category_id", "=", self.category.id)])
        self.assertEqual(len(exceptions), 2)
        self.assertEqual(exceptions.filtered(lambda e: e.res_id == small.id).name, "Big Order 78")

    def test_rule_moves_the_workflow(self):
        rule = self.make_rule(
            "WM ship",
            "[('name', '=like', 'SHIP%')]",
            {
                "state": "workflow_event",
                "workflow_definition_id": self.definition.id,
                "workflow_stage_id": self.stage_done.id,
            },
        )
        action = rule.action_server_ids
        doc = self.create_doc("SHIP-1")
        instance = self.instance_of(doc)
        self.assertEqual(instance.stage_id, self.stage_done)
        self.assertEqual(instance.state, "done")
        events = self.events_of(doc)
        self.assertEqual(len(events), 2)  # created in draft, moved by the rule
        move = events[-1]
        self.assertEqual(move.stage_from_id, self.stage_draft)
        self.assertEqual(move.stage_to_id, self.stage_done)
        self.assertEqual(move.source, "automation_rule")
        self.assertEqual(move.source_ref, f"ir.actions.server,{action.id}")
        self.assertEqual(move.payload, {"action": action.name})
        self.assertEqual(events[0].source, "system")
        other = self.create_doc("OTHER-1")
        self.assertEqual(self.instance_of(other).stage_id, self.stage_draft)

    def test_custom_event_action_run_by_hand(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "WM note",
                "model_id": self.model.id,
                "state": "workflow_event",
                "workflow_definition_id": self.definition.id,
                "workflow_event_note": "checked",
            }
        )
        docs = self.create_doc("H-1") | self.create_doc("H-2")
        action.with_context(active_model=TEST_MODEL, active_ids=docs.ids).run()
        for doc in docs:
            custom = self.events_of(doc, "custom")
            self.assertEqual(len(custom), 1)
            self.assertEqual(custom.source, "server_action")
            self.assertEqual(custom.source_ref, f"ir.actions.server,{action.id}")
            self.assertEqual(custom.payload, {"action": "WM note", "note": "checked"})
            self.assertEqual(custom.definition_id, self.definition)
        self.assertEqual(self.instance_of(docs[0]).stage_id, self.stage_draft)

    def test_action_validation(self):
        with self.assertRaisesRegex(ValidationError, "Exception Category"):
            self.env["ir.actions.server"].create(
                {"name": "WM no category", "model_id": self.model.id, "state": "workflow_exception"}
            )
        with self.assertRaisesRegex(ValidationError, "field: Workflow"):
            self.env["ir.actions.server"].create(
                {
                    "name": "WM wrong model",
                    "model_id": self.env["ir.model"]._get_id("res.partner"),
                    "state": "workflow_event",
                    "workflow_definition_id": self.definition.id,
                    "workflow_stage_id": self.stage_done.id,
                }
            )

    def test_failing_rule_is_recorded_and_survives_the_rollback(self):
        rule = self.make_rule(
            "WM failing rule",
            "[('name', '=', 'FAIL')]",
            {"state": "code", "code": "raise UserError('boom')"},
        )
        self.watch_committed_failures(rule)
        doc = self.create_doc("fine")
        with (
            self.assertRaisesRegex(UserError, "boom"),
            mute_logger("odoo.addons.base_automation"),
            self.env.cr.savepoint(),
        ):
            doc.write({"name": "FAIL"})
        doc.invalidate_recordset()
        self.assertEqual(doc.name, "fine", "the failed change was rolled back")
        failures = self.failures(rule)
        self.assertEqual(len(failures), 1, "the failure was committed by its own cursor")
        failure = failures[0]
        self.assertEqual(failure["state"], "new")
        self.assertEqual(failure["severity"], "high")
        self.assertIn("WM failing rule", failure["name"])
        self.assertIn("boom", failure["name"])
        self.assertEqual((failure["res_model"], failure["res_id"]), (TEST_MODEL, doc.id))
        self.assertEqual(
            failure["team_id"], self.env.ref("workflow_monitor_base.team_technical").id
        )
        self.assertIn(f"{TEST_MODEL},{doc.id}", failure["description"])

        # the same rule failing again is counted on the same open exception
        with (
            self.assertRaisesRegex(UserError, "boom"),
            mute_logger("odoo.addons.base_automation"),
            self.env.cr.savepoint(),
        ):
            doc.write({"name": "FAIL"})
        failures = self.failures(rule)
        self.assertEqual(len(failures), 1)
        self.assertEqual(failures[0]["occurrence_count"], 2)

    def test_failing_workflow_action_is_recorded_once(self):
        rule = self.make_rule(
            "WM broken template",
            "[('amount', '>', 1000)]",
            {
                "state": "workflow_exception",
                "workflow_category_id": self.category.id,
                "workflow_message": "Big {{ object.no_such_field }}",
            },
        )
        action = rule.action_server_ids
        self.watch_committed_failures(rule, action)
        with (
            self.assertRaisesRegex(UserError, "Failed to render"),
            mute_logger("odoo.addons.base_automation", "odoo.addons.mail.models.mail_render_mixin"),
            self.env.cr.savepoint(),
        ):
            self.create_doc("Broken", amount=5000)
        # recorded once, about the rule: Odoo names the actions of a rule after their
        # type, so the rule's name comes first and the action's follows
        failures = self.failures(rule)
        self.assertEqual(len(failures), 1)
        self.assertIn(f"'WM broken template ({action.name})' failed", failures[0]["name"])
        self.assertIn("no_such_field", failures[0]["name"])
        self.assertFalse(self.failures(action), "the same error is not recorded twice")
        self.assertFalse(
            self.env["workflow.exception"].search([("category_id", "=", self.category.id)])
        )
