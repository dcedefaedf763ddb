# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class WorkflowDocumentLinkMixin(models.AbstractModel):
    """A record about one business document: ``res_model`` and ``res_id`` name it,
    ``res_ref`` shows it as a link, :meth:`action_open_document` opens it.

    Consumers only narrow the fields (``required``, ``index``, a selection of models) and
    may check more before opening (see the integration message)."""

    _name = "workflow.document.link.mixin"
    _description = "Workflow Record Linked to a Document"

    res_model = fields.Char(string="Document Model")
    res_id = fields.Many2oneReference(string="Document ID", model_field="res_model")
    res_ref = fields.Reference(
        selection="_selection_target_model", string="Document", compute="_compute_res_ref"
    )

    @api.model
    def _selection_target_model(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for record in self:
            if record.res_model and record.res_id and record.res_model in self.env:
                record.res_ref = f"{record.res_model},{record.res_id}"
            else:
                record.res_ref = False

    def action_open_document(self):
        """Open the linked document in its form view; the document's own access rules
        decide what the user sees there (reading this record is checked here)."""
        self.ensure_one()
        self.check_access("read")
        if not self.res_model or self.res_model not in self.env or not self.res_id:
            raise UserError(_("%(name)s is not linked to a document.", name=self.display_name))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
        }
