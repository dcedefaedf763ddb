# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A flow whose document waits for an approval says so (DESIGN section 11): an order
under approval is not an ordinary quotation in the queues."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Instances whose document has a pending approval request: a semi-join the ORM can put
# into any search (list filters, the dashboard's grouped counts).
PENDING_SQL = """
SELECT i.id FROM workflow_instance i
 WHERE EXISTS (SELECT 1 FROM workflow_approval_request r
                WHERE r.state = 'pending' AND r.res_model = i.res_model
                  AND r.res_id = i.res_id)
"""


class WorkflowInstance(models.Model):
    _inherit = "workflow.instance"

    approval_pending = fields.Boolean(
        string="Awaiting Approval",
        compute="_compute_approval_pending",
        search="_search_approval_pending",
        help="The document waits for an approval request to be decided.",
    )

    def _compute_approval_pending(self):
        # One query for the batch. Whether a request is pending is shown to whoever may
        # read the flow, the request itself stays behind its own rules.
        pending = set()
        if self.ids:
            self._flush_approval_requests()
            self.env.cr.execute(SQL("%s AND i.id = ANY(%s)", SQL(PENDING_SQL), self.ids))
            pending = {row[0] for row in self.env.cr.fetchall()}
        for instance in self:
            instance.approval_pending = instance.id in pending

    @api.model
    def _search_approval_pending(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                _(
                    "Awaiting Approval can only be searched as true or false "
                    "(field: approval_pending)."
                )
            )
        self._flush_approval_requests()
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", SQL("(%s)", SQL(PENDING_SQL)))]

    def _flush_approval_requests(self):
        self.env["workflow.approval.request"].flush_model(["state", "res_model", "res_id"])
