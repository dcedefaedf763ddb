# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Inbound message types and their handlers, declared in one table.

To accept a new type, add one row to ``_inbound_types()`` (in an extending module:
override it and add to ``super()``'s dict) and write its handler method::

    "parcel.lost": InboundType(
        handler="_inbound_parcel_lost",
        required=("tracking_ref",),
        ordering=lambda data: f"parcel:{data['tracking_ref']}",
    ),

    @api.private
    def _inbound_parcel_lost(self, data):
        return self._log_integration_event({"parcel_lost": data["tracking_ref"]}, data)

A handler runs on the message, as the superuser in the integration's company, inside a
savepoint, after the inbox checks (``workflow_integration_message_inbox.py``); it gets
``data`` and returns the record the message is linked to (or None).
"""

from collections.abc import Callable
from typing import NamedTuple

from odoo import _, api, fields, models

from odoo.addons.workflow_monitor_base.tools.context import server_context
from odoo.addons.workflow_monitor_base.tools.severity import SEVERITY_CODES

# event types a webhook may log: the others are written by the engine only (SLA,
# exceptions, approvals, configuration audit)
INBOUND_EVENT_TYPES = ("stage", "integration", "custom")
N8N_FAILED_STATUSES = ("error", "failed", "crashed", "canceled", "cancelled")
MAX_TRACKING_REF = 255  # characters of a carrier's tracking reference
MAX_CARRIER_STATUS = 200  # characters of a carrier's status code


class InboundType(NamedTuple):
    """One accepted inbound message type.

    - ``handler``: method name; gets ``data``, returns the linked record or None.
    - ``required``: keys ``data`` must hold (non-empty), else 422.
    - ``ordering``: ``data`` -> ordering key when the envelope names none (updates of
      one key apply in ``occurred_at`` order; older ones are stored as stale).
    - ``validate``: method name of a schema check of ``data`` (problem text or None),
      run when the request arrives (422, stored as rejected).
    - ``scope``: method name of a check ``(integration, data)`` of what the handler may
      act on (problem text or None), run before each processing (422, rejected).
    - ``models``: models ``data.res_model`` may name besides the workflow documents.
    """

    handler: str
    required: tuple = ()
    ordering: Callable | None = None
    validate: str | None = None
    scope: str | None = None
    models: tuple = ()


def _document_ordering(data):
    if data.get("res_model") and data.get("res_id"):
        return f"{data['res_model']},{data['res_id']}:{data.get('definition') or ''}"
    return None


class WorkflowIntegrationMessage(models.Model):
    _inherit = "workflow.integration.message"

    @api.model
    def _inbound_types(self):
        """{message type: InboundType}: the one table of accepted inbound messages."""
        return {
            "workflow.event": InboundType(
                handler="_inbound_workflow_event",
                ordering=_document_ordering,
                validate="_inbound_validate_event",
                scope="_inbound_scope_event",
                models=("workflow.exception",),
            ),
            "workflow.exception": InboundType(
                handler="_inbound_workflow_exception",
                required=("category", "message"),
                validate="_inbound_validate_exception",
                scope="_inbound_scope_exception",
            ),
            "n8n.execution": InboundType(
                handler="_inbound_n8n_execution",
                required=("execution_id", "status"),
                ordering=lambda data: f"n8n:{data.get('execution_id')}",
                models=("workflow.exception",),
            ),
            "carrier.status": InboundType(
                handler="_inbound_carrier_status",
                required=("tracking_ref", "status"),
                ordering=lambda data: f"carrier:{data.get('tracking_ref')}",
                validate="_inbound_validate_carrier",
            ),
        }

    # ------------------------------------------------------------
    # workflow.event
    # ------------------------------------------------------------

    @api.model
    def _inbound_validate_event(self, data):
        event_types = dict(self.env["workflow.event"]._fields["event_type"].selection)
        if data.get("event_type", "custom") not in event_types:
            return _(
                "Unknown event type %(value)r (field: data.event_type).",
                value=data.get("event_type"),
            )
        return None

    @api.model
    def _inbound_scope_event(self, integration, data):
        event_type = data.get("event_type") or "custom"
        if event_type not in INBOUND_EVENT_TYPES:
            return _(
                "Events of type %(type)r are written by Odoo only; webhooks may log "
                "%(types)s (field: data.event_type).",
                type=event_type,
                types=", ".join(INBOUND_EVENT_TYPES),
            )
        res_model = data.get("res_model")
        if data.get("definition") and res_model:
            definition = (
                self.env["workflow.definition"]
                .sudo()
                .search([("code", "=", data["definition"])], limit=1)
            )
            if definition and definition.res_model != res_model:
                return _(
                    "The workflow %(code)s follows %(wf_model)s records, not %(model)s "
                    "(field: data.definition).",
                    code=definition.code,
                    wf_model=definition.res_model,
                    model=res_model,
                )
        return None

    @api.private
    def _inbound_workflow_event(self, data):
        """A stage move of the named document's workflow, or a free event."""
        record = self._inbound_record(data)
        if data.get("definition") and data.get("stage_to") and record:
            Instance = self.env["workflow.instance"].with_context(**self._inbound_context(data))
            Instance._move(
                data["definition"],
                {record: data["stage_to"]},
                source="webhook",
                payload=dict(data.get("payload") or {}, webhook_id=self.webhook_id),
            )
            return record
        vals = {
            key: data[key]
            for key in ("res_model", "res_id", "definition", "stage_from", "stage_to")
            if data.get(key)
        }
        vals["event_type"] = data.get("event_type") or "custom"
        events = self._log_webhook_events(data, vals, data.get("payload") or {})
        return record or events[:1]

    # ------------------------------------------------------------
    # workflow.exception
    # ------------------------------------------------------------

    @api.model
    def _inbound_validate_exception(self, data):
        category = (
            self.env["workflow.exception.category"]
            .sudo()
            .search([("code", "=", data["category"])], limit=1)
        )
        if not category:
            return _(
                "Unknown exception category %(code)r (field: data.category).",
                code=data["category"],
            )
        if data.get("severity") and data["severity"] not in SEVERITY_CODES:
            return _("Unknown severity %(value)r (field: data.severity).", value=data["severity"])
        return None

    @api.model
    def _inbound_scope_exception(self, integration, data):
        if data.get("category") in self._inbound_refused_categories():
            return _(
                "The category %(code)r is raised by Odoo only (field: data.category).",
                code=data["category"],
            )
        return None

    @api.model
    def _inbound_refused_categories(self):
        """Codes of the exception categories a webhook may not raise: those the engine
        raises (system categories, DESIGN.md section 10: shipped by the modules, their
        flag and code closed to users), except ``integration_failure``, which is what
        outside services report."""
        # sudo: the flag of every category, whatever the integration's user may read
        Category = self.env["workflow.exception.category"].sudo().with_context(active_test=False)
        codes = set(Category.search([("is_system", "=", True)]).mapped("code"))
        codes.discard("integration_failure")
        return codes

    @api.private
    def _inbound_workflow_exception(self, data):
        record = self._inbound_record(data)
        integration = self.integration_id
        # the key is namespaced by the integration: a webhook counts again its own
        # exceptions, never merges into one raised by Odoo or another integration
        key = data.get("dedupe_key") or f"{data['category']}:{data['message']}"
        return self.env["workflow.exception"].raise_exception(
            record if record is not None else integration,
            data["category"],
            str(data["message"]),
            severity=data.get("severity") or None,
            dedupe_key=f"webhook:{integration.id}:{key}"[:250],
            description=data.get("description") or None,
            company_id=integration.company_id.id,
        )

    # ------------------------------------------------------------
    # n8n.execution, carrier.status
    # ------------------------------------------------------------

    @api.private
    def _inbound_n8n_execution(self, data):
        """A failed n8n execution becomes an ``integration_failure`` exception linked by
        its execution id; any other status is logged as an integration event."""
        status = str(data["status"]).lower()
        execution_id = str(data["execution_id"])
        self.external_execution_id = execution_id
        workflow = data.get("workflow_name") or data.get("workflow_id") or "?"
        if status not in N8N_FAILED_STATUSES:
            return self._log_integration_event(
                {"n8n_execution": execution_id, "status": status, "workflow": workflow}, data
            )
        lines = [
            _("n8n workflow: %(name)s (id %(id)s)", name=workflow, id=data.get("workflow_id")),
            _("Execution: %(id)s", id=execution_id),
        ]
        if data.get("node"):
            lines.append(_("Failed node: %(node)s", node=data["node"]))
        if data.get("error"):
            lines.append(_("Error: %(error)s", error=data["error"]))
        if data.get("url"):
            lines.append(_("Execution URL: %(url)s", url=data["url"]))
        return self.env["workflow.exception"].raise_exception(
            self.integration_id,
            "integration_failure",
            _("n8n execution %(id)s of %(name)s failed", id=execution_id, name=workflow),
            severity=data.get("severity") or None,
            dedupe_key=f"n8n_execution:{self.integration_id.id}:{execution_id}",
            description="\n".join(lines),
            company_id=self.integration_id.company_id.id,
        )

    @api.model
    def _inbound_validate_carrier(self, data):
        for key, limit in (("tracking_ref", MAX_TRACKING_REF), ("status", MAX_CARRIER_STATUS)):
            value = data[key]
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                return _("'%(key)s' must be a string (field: data.%(key)s).", key=key)
            if len(str(value).strip()) > limit or not str(value).strip():
                return _(
                    "'%(key)s' must be a non-empty string of at most %(limit)s characters "
                    "(field: data.%(key)s).",
                    key=key,
                    limit=limit,
                )
        for key in ("location", "description", "reason"):
            if data.get(key) is not None and not isinstance(data[key], str):
                return _("'%(key)s' must be a string (field: data.%(key)s).", key=key)
        return None

    @api.private
    def _inbound_carrier_status(self, data):
        """A carrier's tracking update, applied by the module that follows shipments
        (``workflow.instance._workflow_carrier_update``: the distribution module moves
        the delivery flow of the picking with that tracking reference, in the
        integration's company); without one, logged as an ``integration`` event.
        An unknown reference raises ``UnknownReferenceError``: the inbox answers 422
        and keeps the message, retried until the reference exists."""
        Instance = self.env["workflow.instance"].with_context(**self._inbound_context(data))
        record = Instance._workflow_carrier_update(
            self.integration_id.company_id,
            str(data["tracking_ref"]).strip(),
            str(data["status"]).strip().lower(),
            self.occurred_at or None,
            dict(data, webhook_id=self.webhook_id),
        )
        if record is not None:
            return record
        return self._log_integration_event(
            {
                "carrier_status": data["status"],
                "tracking_ref": data["tracking_ref"],
                "location": data.get("location"),
                "description": data.get("description"),
            },
            data,
        )

    # ------------------------------------------------------------
    # HELPERS OF THE HANDLERS
    # ------------------------------------------------------------

    def _inbound_record(self, data):
        """The document named by data.res_model / data.res_id, if it exists."""
        if data.get("res_model") and data.get("res_id"):
            record = self.env[data["res_model"]].browse(data["res_id"]).exists()
            return record or None
        return None

    def _inbound_context(self, data):
        """Labels of the events a webhook logs, as server flags (a client context can
        neither forge nor drop them)."""
        return server_context(
            workflow_source="webhook",
            workflow_source_ref=f"workflow.integration,{self.integration_id.id}",
            workflow_correlation_id=str(data.get("correlation_id") or self.webhook_id),
        )

    def _log_webhook_events(self, data, vals, payload):
        """Log one event labelled as coming from this webhook (source, reference,
        correlation, time, the integration's company)."""
        ctx = self._inbound_context(data)
        vals = dict(
            vals,
            source="webhook",
            source_ref=str(ctx["workflow_source_ref"]),
            correlation_id=str(ctx["workflow_correlation_id"]),
            occurred_at=self.occurred_at or fields.Datetime.now(),
            company_id=self.integration_id.company_id.id,
            payload=dict(payload, webhook_id=self.webhook_id),
        )
        return self.env["workflow.event"].with_context(**ctx)._log_events([vals])

    def _log_integration_event(self, payload, data):
        """An ``integration`` event about the named document (if any)."""
        record = self._inbound_record(data)
        events = self._log_webhook_events(
            data,
            {
                "event_type": "integration",
                "res_model": record._name if record else None,
                "res_id": record.id if record else None,
            },
            payload,
        )
        return record or events[:1]
