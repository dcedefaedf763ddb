# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import clock


class WorkflowApprovalAuthor(models.Model):
    """Who changed the values an approval of a gated document covers.

    Written by the approval mixins on every change of fingerprinted fields (lines
    included) of a document whose model has an active policy, read by the four-eyes check:
    nobody approves values they created or changed. ``write_uid`` cannot tell: Odoo sets it
    on whoever triggers the recomputation of a stored field, reading included."""

    _name = "workflow.approval.author"
    _description = "Approval Author"
    _log_access = False  # changed_at says when; one narrow row per document and user
    _order = "changed_at desc, id desc"

    res_model = fields.Char(string="Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Document ID", model_field="res_model", required=True, readonly=True
    )
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    changed_at = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [
        (
            "document_user_uniq",
            "UNIQUE (res_model, res_id, user_id)",
            "One row per document and author.",
        )
    ]

    @api.model
    def _note(self, records):
        """The current user changed approved values of ``records`` (one statement)."""
        user = self.env.user
        if not records or user._is_superuser():
            return
        self.env.cr.execute(
            SQL(
                """INSERT INTO workflow_approval_author (res_model, res_id, user_id, changed_at)
                   SELECT %s, unnest(%s::int[]), %s, %s
                   ON CONFLICT (res_model, res_id, user_id)
                   DO UPDATE SET changed_at = EXCLUDED.changed_at""",
                records._name,
                list(records.ids),
                user.id,
                clock.now(self.env),
            )
        )

    @api.model
    def _authors(self, records):
        """{record id: users who changed its approved values}."""
        if not records:
            return {}
        self.env.cr.execute(
            SQL(
                """SELECT res_id, array_agg(user_id) FROM workflow_approval_author
                    WHERE res_model = %s AND res_id = ANY(%s) GROUP BY res_id""",
                records._name,
                list(records.ids),
            )
        )
        Users = self.env["res.users"]
        return {res_id: Users.browse(user_ids) for res_id, user_ids in self.env.cr.fetchall()}
