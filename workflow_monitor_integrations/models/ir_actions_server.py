# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class IrActionsServer(models.Model):
    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[("workflow_webhook", "Send Reliable Webhook")],
        ondelete={"workflow_webhook": "cascade"},
    )
    workflow_integration_id = fields.Many2one(
        "workflow.integration",
        string="Integration",
        ondelete="restrict",
        help="The signed webhook goes through this integration's outbox: delivered after "
        "commit, retried, replayable (unlike Odoo's fire-and-forget webhook action).",
    )
    workflow_webhook_field_ids = fields.Many2many(
        "ir.model.fields",
        "ir_act_server_workflow_webhook_field_rel",
        "action_id",
        "field_id",
        string="Fields to Send",
        domain="[('model_id', '=', model_id)]",
        help="Fields of the record sent in data.record (empty: only model and id).",
    )

    @api.constrains("state", "workflow_integration_id")
    def _check_workflow_webhook(self):
        for action in self:
            if action.state == "workflow_webhook" and not action.workflow_integration_id:
                raise ValidationError(
                    _(
                        "%(name)s: choose the integration to send to (field: Integration).",
                        name=action.name,
                    )
                )

    def _run_action_workflow_webhook_multi(self, eval_context=None):
        records = self._workflow_records(eval_context or {})
        if not records:
            return False
        with self._workflow_guard(records):
            fnames = self.workflow_webhook_field_ids.mapped("name")
            values = {row["id"]: row for row in records.read(fnames)} if fnames else {}
            now = fields.Datetime.now().isoformat() + "Z"
            vals_list = []
            for record in records:
                body = {
                    "type": "record.webhook",
                    "timestamp": now,
                    "data": {
                        "action": self.name,
                        "action_id": self.id,
                        "model": record._name,
                        "id": record.id,
                        "record": values.get(record.id) or {"id": record.id},
                    },
                }
                vals_list.append(
                    {
                        "integration_id": self.workflow_integration_id.id,
                        "event_type": "server_action",
                        # JSON round trip: dates and many2one tuples become strings/lists
                        "payload": json.loads(json.dumps(body, default=str)),
                        "res_model": record._name,
                        "res_id": record.id,
                    }
                )
            # sudo: the action was configured by an administrator; the outbox is internal
            self.env["workflow.integration.message"].sudo()._queue_outbound(vals_list)
        return False
