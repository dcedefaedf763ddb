# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models


class WorkflowException(models.Model):
    """An extension as a customer module writes one: a stored field with a default and
    a stored computed field on exceptions. The engine's upsert (raise_exceptions, the
    SLA sweep) must fill both as create() would."""

    _inherit = "workflow.exception"

    wm_test_label = fields.Char(default="set by default")
    wm_test_name_length = fields.Integer(compute="_compute_wm_test_name_length", store=True)

    @api.depends("name")
    def _compute_wm_test_name_length(self):
        for exception in self:
            exception.wm_test_name_length = len(exception.name or "")
