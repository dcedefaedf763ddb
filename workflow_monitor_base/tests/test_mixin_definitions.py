# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import tagged

from .common import WorkflowMonitorCommon
from .test_mixin import TestTrackedMixin

ROUTE_MODEL = "workflow.test.route"


@tagged("post_install", "-at_install")
class TestTrackedMixinDefinitions(WorkflowMonitorCommon):
    """One model, several flows: each record follows the definition
    ``_workflow_definition_code`` gives it, with that flow's
    ``_workflow_stage_code_<definition>``."""

    def _instances(self, records):
        return self.env["workflow.instance"].search(
            [("res_model", "=", ROUTE_MODEL), ("res_id", "in", records.ids)]
        )

    def test_each_record_follows_its_own_definition(self):
        Route = self.env[ROUTE_MODEL]
        a, b, none = Route.create(
            [
                {"name": "R-A", "kind": "a"},
                {"name": "R-B", "kind": "b"},
                {"name": "R-0", "kind": "none"},
            ]
        )
        self.run_deferred()
        instances = self._instances(a | b | none)
        self.assertEqual(
            {(i.res_id, i.definition_id.code, i.stage_id.code) for i in instances},
            {(a.id, "test_route_a", "draft"), (b.id, "test_route_b", "open")},
            "a record of no flow has no instance",
        )
        (a | b | none).invalidate_recordset(["workflow_instance_id"])
        self.assertEqual(a.workflow_instance_id.definition_id.code, "test_route_a")
        self.assertEqual(b.workflow_instance_id.definition_id.code, "test_route_b")
        self.assertFalse(none.workflow_instance_id)

        # one write, two flows: each moves through its own stage names; flow B has no
        # stage for "sent", so nothing is logged for it
        (a | b | none).write({"state": "sent"})
        self.run_deferred()
        self.assertEqual(a.workflow_instance_id.stage_id.code, "sent")
        self.assertEqual(b.workflow_instance_id.stage_id.code, "open")
        (a | b | none).write({"state": "done"})
        self.run_deferred()
        (a | b).invalidate_recordset(["workflow_instance_id"])
        self.assertEqual(
            [(i.stage_id.code, i.state) for i in (a | b).workflow_instance_id],
            [("done", "done"), ("closed", "done")],
        )
        events = self.env["workflow.event"].search(
            [("res_model", "=", ROUTE_MODEL), ("res_id", "in", (a | b | none).ids)], order="id"
        )
        self.assertEqual(
            [(e.res_id, e.definition_id.code, e.stage_to_id.code) for e in events],
            [
                (a.id, "test_route_a", "draft"),
                (b.id, "test_route_b", "open"),
                (a.id, "test_route_a", "sent"),
                (a.id, "test_route_a", "done"),
                (b.id, "test_route_b", "closed"),
            ],
        )

    def test_two_flows_cost_the_statements_of_one(self):
        """Records of two flows written together are applied by the same statements as
        records of one flow, whatever their number: one capture statement."""
        Route = self.env[ROUTE_MODEL]

        def precommit_statements(kinds, count):
            routes = Route.create(
                [{"name": f"R-{i}", "kind": kinds[i % len(kinds)]} for i in range(count)]
            )
            self.run_deferred()
            routes.write({"state": "done"})
            self.env.flush_all()
            statements = TestTrackedMixin._statements(self, self.env.cr.precommit.run)
            self.assertEqual(
                set(self._instances(routes).mapped("stage_id.code")),
                {{"a": "done", "b": "closed"}[kind] for kind in kinds},
            )
            return statements

        precommit_statements("a", 5)  # warm-up
        one_flow = precommit_statements("a", 10)
        two_flows_small = precommit_statements("ab", 10)
        two_flows_large = precommit_statements("ab", 200)
        self.assertEqual(len(two_flows_small), len(one_flow))
        self.assertEqual(len(two_flows_large), len(one_flow))
        captures = [s for s in two_flows_large if "insert into workflow_event" in s]
        self.assertEqual(len(captures), 1, two_flows_large)
