# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class WorkflowApprovalLineMixin(models.AbstractModel):
    """Lines of a gated document (order lines, moves, invoice lines).

    A change of the watched fields of a line, a new line or a deleted one changes the
    values an approval of the document covers: once the document is done, the change is
    refused unless an approval still covers the new values (see
    ``workflow.approval.mixin._approval_check_locked``). The line model declares which
    field leads to its document and which of its fields the approval covers."""

    _name = "workflow.approval.line.mixin"
    _description = "Line of an Approval-gated Document"

    _approval_document_field = None  # e.g. "order_id"
    _approval_watched_fields = ()  # e.g. ("product_id", "product_uom_qty", "price_unit")

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        documents = lines._approval_documents()
        documents._approval_note_change()
        documents._approval_check_locked(door="line")
        return lines

    def write(self, vals):
        if not self._approval_watched_fields or not set(vals) & set(self._approval_watched_fields):
            return super().write(vals)
        documents = self._approval_documents()
        documents._approval_note_change()
        result = super().write(vals)
        documents._approval_check_locked(door="line")
        return result

    def unlink(self):
        documents = self._approval_documents()
        documents._approval_note_change()
        result = super().unlink()
        documents.exists()._approval_check_locked(door="line")
        return result

    def _approval_documents(self):
        """The gated documents of these lines (empty when the document model has no
        active policy: nothing is read or written then)."""
        Document = self.env[self._fields[self._approval_document_field].comodel_name]
        if not self or not Document._approval_policies():
            return Document
        return self[self._approval_document_field]
