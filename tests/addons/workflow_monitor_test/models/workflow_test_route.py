# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class WorkflowTestRoute(models.Model):
    """A document whose records follow one of two flows by their ``kind`` (like pickings:
    deliveries, transfers, returns), or none."""

    _name = "workflow.test.route"
    _description = "Workflow Test Route"
    _inherit = ["workflow.tracked.mixin"]
    _workflow_tracked_fields = ("state",)

    name = fields.Char(required=True)
    kind = fields.Selection([("a", "Flow A"), ("b", "Flow B"), ("none", "No Flow")], default="a")
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent"), ("done", "Done")], default="draft", required=True
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    def _workflow_definition_code(self):
        flows = {"a": "test_route_a", "b": "test_route_b"}
        return {record: flows.get(record.kind) for record in self}

    def _workflow_stage_code_test_route_a(self):
        return {record: record.state for record in self}

    def _workflow_stage_code_test_route_b(self):
        # flow B names its stages its own way, and has no "sent" stage
        names = {"draft": "open", "sent": None, "done": "closed"}
        return {record: names[record.state] for record in self}
