# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models


class WorkflowTestDocument(models.Model):
    """A document with a written stage field (``state``) and a computed stored one
    (``delivery_state``, like a picking's state), tracked by the engine."""

    _name = "workflow.test.document"
    _description = "Workflow Test Document"
    _inherit = ["workflow.tracked.mixin"]
    _workflow_definition = "test_flow"
    _workflow_tracked_fields = ("state", "delivery_state")

    name = fields.Char(required=True)
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed"), ("done", "Done"), ("cancel", "Cancelled")],
        default="draft",
        required=True,
    )
    amount = fields.Float()
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users")
    line_ids = fields.One2many("workflow.test.line", "document_id")
    delivery_state = fields.Selection(
        [("none", "Nothing Delivered"), ("partial", "Partially Delivered"), ("full", "Delivered")],
        compute="_compute_delivery_state",
        store=True,
    )

    @api.depends("line_ids.delivered")
    def _compute_delivery_state(self):
        for document in self:
            delivered = document.line_ids.mapped("delivered")
            if not delivered or not any(delivered):
                document.delivery_state = "none"
            elif all(delivered):
                document.delivery_state = "full"
            else:
                document.delivery_state = "partial"

    def _workflow_stage_code(self):
        codes = {}
        for document in self:
            if document.state == "confirmed" and document.delivery_state == "full":
                codes[document] = "delivered"
            else:
                codes[document] = document.state
        return codes


class WorkflowTestLine(models.Model):
    _name = "workflow.test.line"
    _description = "Workflow Test Line"

    document_id = fields.Many2one("workflow.test.document", required=True, ondelete="cascade")
    delivered = fields.Boolean()
