# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError


class WorkflowDefinition(models.Model):
    _name = "workflow.definition"
    _inherit = ["workflow.cached.config.mixin"]
    _description = "Workflow Definition"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical key used by the tracked models and the API, e.g. order_to_cash.",
    )
    model_id = fields.Many2one(
        "ir.model",
        string="Root Model",
        required=True,
        ondelete="cascade",
        help="Model of the record the flow follows (its instance belongs to that record).",
    )
    res_model = fields.Char(related="model_id.model", store=True, readonly=True)
    stage_ids = fields.One2many("workflow.stage", "definition_id", string="Stages")
    active = fields.Boolean(default=True)
    description = fields.Text()
    instance_count = fields.Integer(compute="_compute_instance_count")

    _sql_constraints = [
        ("code_unique", "unique(code)", "The code of a workflow definition must be unique."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_instance_count(self):
        counts = dict(
            self.env["workflow.instance"]._read_group(
                [("definition_id", "in", self.ids)], ["definition_id"], ["__count"]
            )
        )
        for definition in self:
            definition.instance_count = counts.get(definition, 0)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_instances(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_instance"
        )
        action["domain"] = [("definition_id", "=", self.id)]
        action["context"] = {"search_default_running": 1}
        return action

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache("code")
    def _get_stage_map(self, code):
        """Return (definition id, {stage code: (stage id, is_final, is_cancel)}) for a code.

        Cached: capture runs on hot paths (order confirmation, picking validation) and
        must not query the definition each time. Any change of a definition or a stage
        clears the cache.
        """
        definition = self.sudo().with_context(active_test=False).search([("code", "=", code)])
        if not definition:
            raise ValidationError(
                _("Unknown workflow definition code '%(code)s' (field: definition).", code=code)
            )
        stages = {
            stage.code: (stage.id, stage.is_final, stage.is_cancel)
            for stage in definition.stage_ids
        }
        return definition.id, stages

    @api.model
    def _resolve_stage(self, definition_code, stage_code, field_name="stage"):
        """Return the stage id of ``stage_code`` in the definition, or raise naming the field."""
        _definition_id, stages = self._get_stage_map(definition_code)
        if stage_code not in stages:
            raise ValidationError(
                _(
                    "Unknown stage code '%(stage)s' for workflow '%(definition)s' "
                    "(field: %(field)s). Known stages: %(known)s.",
                    stage=stage_code,
                    definition=definition_code,
                    field=field_name,
                    known=", ".join(sorted(stages)) or "-",
                )
            )
        return stages[stage_code][0]
