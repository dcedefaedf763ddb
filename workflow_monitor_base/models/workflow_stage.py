# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class WorkflowStage(models.Model):
    _name = "workflow.stage"
    _inherit = ["workflow.cached.config.mixin"]
    _description = "Workflow Stage"
    _order = "definition_id, sequence, id"

    definition_id = fields.Many2one(
        "workflow.definition", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical key returned by the tracked model's hook.")
    sequence = fields.Integer(default=10)
    is_final = fields.Boolean(
        string="Final Stage", help="Reaching this stage ends the flow successfully."
    )
    is_cancel = fields.Boolean(
        string="Cancellation Stage", help="Reaching this stage ends the flow as cancelled."
    )
    fold = fields.Boolean(help="Folded in kanban views.")
    description = fields.Text()

    _sql_constraints = [
        (
            "code_definition_unique",
            "unique(definition_id, code)",
            "The code of a stage must be unique within its workflow definition.",
        ),
    ]
