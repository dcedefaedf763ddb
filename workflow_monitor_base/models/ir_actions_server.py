# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.context import server_context
from ..tools.severity import SEVERITIES

_logger = logging.getLogger(__name__)


class IrActionsServer(models.Model):
    _name = "ir.actions.server"
    _inherit = ["ir.actions.server", "workflow.config.audit.mixin"]
    _workflow_audit_fields = (
        "name",
        "state",
        "code",
        "model_id",
        "active",
        "workflow_definition_id",
        "workflow_stage_id",
        "workflow_category_id",
        "workflow_severity",
        "workflow_message",
    )

    state = fields.Selection(
        selection_add=[
            ("workflow_event", "Log Workflow Event"),
            ("workflow_exception", "Raise Workflow Exception"),
        ],
        ondelete={"workflow_event": "cascade", "workflow_exception": "cascade"},
    )
    workflow_definition_id = fields.Many2one(
        "workflow.definition",
        string="Workflow",
        ondelete="restrict",
        help="The workflow whose instance of the record moves (empty: log a custom event only).",
    )
    workflow_stage_id = fields.Many2one(
        "workflow.stage",
        string="Move to Stage",
        ondelete="restrict",
        domain="[('definition_id', '=', workflow_definition_id)]",
    )
    workflow_event_note = fields.Char(
        string="Event Note", help="Stored in the event payload (custom events)."
    )
    workflow_category_id = fields.Many2one(
        "workflow.exception.category", string="Exception Category", ondelete="restrict"
    )
    workflow_severity = fields.Selection(
        SEVERITIES, string="Severity", help="Empty: the category's default severity."
    )
    workflow_message = fields.Char(
        string="Message",
        help="Title of the exception; placeholders such as {{ object.name }} are rendered "
        "on the record.",
    )

    @api.constrains("state", "workflow_category_id", "workflow_stage_id", "workflow_definition_id")
    def _check_workflow_fields(self):
        for action in self:
            if action.state == "workflow_exception" and not action.workflow_category_id:
                raise ValidationError(
                    _(
                        "%(name)s: choose the exception category (field: Exception Category).",
                        name=action.name,
                    )
                )
            if (
                action.state == "workflow_event"
                and action.workflow_stage_id
                and (action.workflow_stage_id.definition_id != action.workflow_definition_id)
            ):
                raise ValidationError(
                    _(
                        "%(name)s: the stage does not belong to the chosen workflow "
                        "(field: Move to Stage).",
                        name=action.name,
                    )
                )
            if (
                action.state == "workflow_event"
                and action.workflow_definition_id
                and (action.workflow_definition_id.res_model != action.model_id.model)
            ):
                raise ValidationError(
                    _(
                        "%(name)s: the workflow follows %(wf_model)s, not %(model)s "
                        "(field: Workflow).",
                        name=action.name,
                        wf_model=action.workflow_definition_id.res_model,
                        model=action.model_id.model,
                    )
                )

    # ------------------------------------------------------------
    # RUNNERS
    # ------------------------------------------------------------

    def _workflow_records(self, eval_context):
        records = eval_context.get("records") or eval_context.get("record")
        if not records:
            model = self.env[self.model_id.model]
            ctx = self.env.context
            ids = ctx.get("active_ids") or ([ctx["active_id"]] if ctx.get("active_id") else [])
            records = model.browse(ids) if ctx.get("active_model") == model._name else model
        return records

    def _workflow_source(self):
        return (
            "automation_rule"
            if self.env.context.get("__action_done") is not None
            else "server_action"
        )

    def _run_action_workflow_event_multi(self, eval_context=None):
        records = self._workflow_records(eval_context or {})
        if not records:
            return False
        source = self._workflow_source()
        ctx = server_context(
            workflow_source=source, workflow_source_ref=f"ir.actions.server,{self.id}"
        )
        with self._workflow_guard(records):
            env = eval_context["env"] if eval_context and "env" in eval_context else self.env
            if self.workflow_stage_id:
                env["workflow.instance"].sudo().with_context(**ctx)._move(
                    self.workflow_definition_id.code,
                    {record: self.workflow_stage_id.code for record in records},
                    source=source,
                    payload={"action": self.name},
                )
            else:
                env["workflow.event"].with_context(**ctx)._log_events(
                    [
                        {
                            "res_model": record._name,
                            "res_id": record.id,
                            "definition_id": self.workflow_definition_id.id or None,
                            "event_type": "custom",
                            "source": source,
                            "source_ref": ctx["workflow_source_ref"],
                            "company_id": record.company_id.id
                            if "company_id" in record._fields and record.company_id
                            else None,
                            "payload": {
                                "action": self.name,
                                "note": self.workflow_event_note or None,
                            },
                        }
                        for record in records
                    ]
                )
        return False

    def _run_action_workflow_exception_multi(self, eval_context=None):
        records = self._workflow_records(eval_context or {})
        if not records:
            return False
        with self._workflow_guard(records):
            messages = self._workflow_render_messages(records)
            self.env["workflow.exception"].sudo().raise_exceptions(
                [
                    {
                        "record": record,
                        "category_id": self.workflow_category_id.id,
                        "severity": self.workflow_severity or None,
                        "name": messages[record.id],
                        "dedupe_key": f"action:{self.id}:{record._name},{record.id}",
                        "description": _("Raised by the server action %(name)s.", name=self.name),
                    }
                    for record in records
                ]
            )
        return False

    def _workflow_render_messages(self, records):
        template = self.workflow_message or self.name
        if "{{" not in template:
            return {record.id: template for record in records}
        # Rendered like mail templates (inline_template engine); the message is written by
        # an administrator (server actions need base.group_system), never by end users.
        return self.env["mail.render.mixin"]._render_template(
            template, records._name, records.ids, engine="inline_template"
        )

    def _workflow_guard(self, records):
        return _WorkflowActionGuard(self, records)


class _WorkflowActionGuard:
    """Record a failure of one of our server actions as an ``automation_failure``
    exception, through a separate cursor so it survives the rollback, then re-raise."""

    def __init__(self, action, records):
        self.action = action
        self.records = records

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            self.action.env["workflow.exception"]._record_automation_failure(
                self.action, self.records, exc
            )
        return False
