# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import ast
import json
from collections import defaultdict
from typing import NamedTuple

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.models.workflow_event import EVENT_TYPES
from odoo.addons.workflow_monitor_base.tools.severity import SEVERITIES, SEVERITY_RANK

# columns of workflow_event sent in the webhook payload (read in one query per batch)
EVENT_READ_COLUMNS = (
    "id",
    "instance_id",
    "definition_id",
    "res_model",
    "res_id",
    "event_type",
    "stage_from_id",
    "stage_to_id",
    "occurred_at",
    "duration_seconds",
    "source",
    "source_ref",
    "user_id",
    "correlation_id",
    "payload",
    "company_id",
)


class RouteSpec(NamedTuple):
    """An active route, as cached per registry and matched against every logged event."""

    id: int
    integration_id: int
    company_id: int | None
    event_type: str | None
    definition_id: int | None
    stage_id: int | None
    category: str | None
    min_severity: str | None
    model: str | None
    domain: str | None
    field_names: tuple

    @property
    def has_domain(self):
        return bool(self.domain and self.domain.strip() != "[]")

    @property
    def reads_documents(self):
        """Whether the route filters the documents or sends some of their fields."""
        return bool(self.model and (self.has_domain or self.field_names))


class WorkflowIntegrationRoute(models.Model):
    """An outbound subscription: which workflow events are sent to an integration,
    with which fields of the document."""

    _name = "workflow.integration.route"
    _description = "Workflow Integration Route"
    # cached config: _active_route_specs is read for every batch of logged events
    _inherit = ["workflow.config.audit.mixin", "workflow.cached.config.mixin"]
    _order = "integration_id, sequence, id"
    _workflow_audit_fields = (
        "name",
        "active",
        "integration_id",
        "event_type",
        "definition_id",
        "stage_id",
        "category_id",
        "min_severity",
        "model_id",
        "domain",
        "field_ids",
    )

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(
        default=True, help="Unticked automatically when the service answers 410 Gone."
    )
    integration_id = fields.Many2one(
        "workflow.integration", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="integration_id.company_id", store=True)
    event_type = fields.Selection(EVENT_TYPES, help="Only events of this type (empty: every type).")
    definition_id = fields.Many2one(
        "workflow.definition",
        string="Workflow",
        ondelete="cascade",
        help="Only events of this workflow (empty: every workflow).",
    )
    stage_id = fields.Many2one(
        "workflow.stage",
        string="Entering Stage",
        ondelete="cascade",
        domain="[('definition_id', '=?', definition_id)]",
        help="Only stage changes into this stage.",
    )
    category_id = fields.Many2one(
        "workflow.exception.category",
        string="Exception Category",
        ondelete="cascade",
        help="Only exception events of this category.",
    )
    min_severity = fields.Selection(
        SEVERITIES, string="Minimum Severity", help="Only exception events this severe or more."
    )
    model_id = fields.Many2one(
        "ir.model",
        string="Document Model",
        ondelete="cascade",
        help="Only events about documents of this model (needed for a domain or fields).",
    )
    model_name = fields.Char(related="model_id.model", string="Model Name")
    domain = fields.Char(
        default="[]",
        help="Only documents matching this domain (a literal domain on the document model).",
    )
    field_ids = fields.Many2many(
        "ir.model.fields",
        string="Document Fields",
        domain="[('model_id', '=', model_id), ('store', '=', True)]",
        help="Fields of the document added to the payload (under data.record).",
    )
    message_count = fields.Integer(compute="_compute_message_count")

    @api.depends("integration_id")
    def _compute_message_count(self):
        counts = dict(
            self.env["workflow.integration.message"]._read_group(
                [("route_id", "in", self.ids)], ["route_id"], ["__count"]
            )
        )
        for route in self:
            route.message_count = counts.get(route, 0)

    @api.constrains("domain", "model_id", "field_ids", "stage_id", "definition_id", "active")
    def _check_route(self):
        for route in self:
            if route.active and not route.integration_id.url:
                raise ValidationError(
                    _(
                        "%(name)s: the integration %(integration)s has no endpoint to send "
                        "to (field: Endpoint URL of the integration).",
                        name=route.name,
                        integration=route.integration_id.name,
                    )
                )
            if route.domain and route.domain.strip() not in ("", "[]"):
                if not route.model_id:
                    raise ValidationError(
                        _(
                            "%(name)s: a domain needs a document model (field: Document Model).",
                            name=route.name,
                        )
                    )
                try:
                    domain = ast.literal_eval(route.domain)
                    expression.expression(domain, self.env[route.model_id.model].sudo())
                except Exception as error:
                    raise ValidationError(
                        _(
                            "%(name)s: the domain is not valid: %(error)s (field: Domain).",
                            name=route.name,
                            error=error,
                        )
                    ) from error
            if route.field_ids and route.field_ids.model_id != route.model_id:
                raise ValidationError(
                    _(
                        "%(name)s: the fields must belong to the document model (field: "
                        "Document Fields).",
                        name=route.name,
                    )
                )
            if (
                route.stage_id
                and route.definition_id
                and (route.stage_id.definition_id != route.definition_id)
            ):
                raise ValidationError(
                    _(
                        "%(name)s: the stage belongs to another workflow (field: Entering Stage).",
                        name=route.name,
                    )
                )

    # ------------------------------------------------------------
    # MATCHING (called for every batch of logged events: keep it cheap)
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _active_route_specs(self):
        """Active routes of active integrations as ``RouteSpec``s, cached per registry
        (cleared whenever a route or an integration changes)."""
        self.env["workflow.integration"].flush_model(["active", "company_id"])
        self.flush_model()
        self.env.cr.execute(
            """SELECT r.id, r.integration_id, i.company_id, r.event_type, r.definition_id,
                      r.stage_id, c.code, r.min_severity, m.model, r.domain,
                      ARRAY(SELECT f.name FROM ir_model_fields f
                              JOIN ir_model_fields_workflow_integration_route_rel rel
                                ON rel.ir_model_fields_id = f.id
                             WHERE rel.workflow_integration_route_id = r.id
                          ORDER BY f.name)
                 FROM workflow_integration_route r
                 JOIN workflow_integration i ON i.id = r.integration_id
            LEFT JOIN workflow_exception_category c ON c.id = r.category_id
            LEFT JOIN ir_model m ON m.id = r.model_id
                WHERE r.active AND i.active
             ORDER BY r.integration_id, r.sequence, r.id"""
        )
        return tuple(
            RouteSpec(*row[:-1], field_names=tuple(row[-1])) for row in self.env.cr.fetchall()
        )

    @api.model
    def _spec_matches(self, spec, event):
        if spec.company_id and event["company_id"] and event["company_id"] != spec.company_id:
            return False
        if spec.event_type and event["event_type"] != spec.event_type:
            return False
        if spec.definition_id and event["definition_id"] != spec.definition_id:
            return False
        if spec.stage_id and event["stage_to_id"] != spec.stage_id:
            return False
        if spec.model and event["res_model"] != spec.model:
            return False
        if spec.category or spec.min_severity:
            return self._exception_matches(spec, event)
        return True

    @api.model
    def _exception_matches(self, spec, event):
        """Routes on a category or a severity match raised exceptions only."""
        payload = event["payload"] if isinstance(event["payload"], dict) else {}
        if event["event_type"] != "exception" or payload.get("action") != "raised":
            return False
        if spec.category and payload.get("category") != spec.category:
            return False
        if spec.min_severity:
            return SEVERITY_RANK.get(payload.get("severity"), 0) >= SEVERITY_RANK[spec.min_severity]
        return True

    # ------------------------------------------------------------
    # QUEUEING (one read of the events, one query per route reading documents, one INSERT)
    # ------------------------------------------------------------

    @api.model
    def _queue_for_events(self, event_ids):
        """Queue one outbox message per (matching active route, event). One query to read
        the events, one per matching route with a domain or fields, one INSERT."""
        specs = self._active_route_specs()
        Message = self.env["workflow.integration.message"]
        if not specs or not event_ids:
            return Message
        matches = self._match_events(specs, self._read_events(event_ids))
        if not matches:
            return Message
        documents = self._filter_documents(matches)
        codes = self._event_codes(matches)
        vals_list = [
            self._message_vals(spec, event, codes, documents.get(spec))
            for spec, events in matches.items()
            for event in events
        ]
        return Message.sudo()._queue_outbound(vals_list)

    @api.model
    def _read_events(self, event_ids):
        """The logged events as dicts of EVENT_READ_COLUMNS, in id order."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT %s FROM workflow_event WHERE id = ANY(%s) ORDER BY id",
                SQL(", ").join(SQL.identifier(column) for column in EVENT_READ_COLUMNS),
                list(event_ids),
            )
        )
        return [dict(zip(EVENT_READ_COLUMNS, row)) for row in cr.fetchall()]

    @api.model
    def _match_events(self, specs, events):
        """{RouteSpec: [event]} of the routes matching at least one event."""
        matches = defaultdict(list)
        for event in events:
            for spec in specs:
                if self._spec_matches(spec, event):
                    matches[spec].append(event)
        return matches

    @api.model
    def _filter_documents(self, matches):
        """Apply the routes' document domains (dropping the events of other documents
        from ``matches``) and read the fields they send: {RouteSpec: {res_id: values or
        None}}. One query per route that reads documents, never per event."""
        documents = {}
        for spec, spec_events in list(matches.items()):
            if not spec.reads_documents or spec.model not in self.env:
                continue
            ids = list({event["res_id"] for event in spec_events if event["res_id"]})
            # sudo: the route is configured by an administrator; the fields it lists
            # are sent to the integration whoever moved the document
            Model = self.env[spec.model].sudo().with_context(active_test=False)
            domain = [("id", "in", ids)]
            if spec.has_domain:
                domain = expression.AND([domain, ast.literal_eval(spec.domain)])
            records = Model.search(domain)
            fnames = list(spec.field_names)
            data = (
                {row["id"]: row for row in records.read(fnames)}
                if fnames
                else dict.fromkeys(records.ids)
            )
            matches[spec] = [event for event in spec_events if event["res_id"] in data]
            documents[spec] = data
        return documents

    @api.model
    def _event_codes(self, matches):
        """{"definition": {id: code}, "stage": {id: code}} of the matched events."""
        definition_ids, stage_ids = set(), set()
        for spec_events in matches.values():
            for event in spec_events:
                definition_ids.add(event["definition_id"])
                stage_ids.update((event["stage_from_id"], event["stage_to_id"]))
        definitions = (
            self.env["workflow.definition"].sudo().browse([i for i in definition_ids if i])
        )
        stages = self.env["workflow.stage"].sudo().browse([i for i in stage_ids if i])
        return {
            "definition": {definition.id: definition.code for definition in definitions},
            "stage": {stage.id: stage.code for stage in stages},
        }

    @api.model
    def _message_vals(self, spec, event, codes, documents):
        """The outbox message of one event for one route (the webhook body in payload)."""
        occurred_at = event["occurred_at"].isoformat() + "Z"
        body = {
            "type": "workflow.event",
            "timestamp": occurred_at,
            "data": {
                "event_id": event["id"],
                "event_type": event["event_type"],
                "definition": codes["definition"].get(event["definition_id"]),
                "stage_from": codes["stage"].get(event["stage_from_id"]),
                "stage_to": codes["stage"].get(event["stage_to_id"]),
                "res_model": event["res_model"],
                "res_id": event["res_id"],
                "instance_id": event["instance_id"],
                "occurred_at": occurred_at,
                "duration_seconds": event["duration_seconds"],
                "source": event["source"],
                "source_ref": event["source_ref"],
                "user_id": event["user_id"],
                "company_id": event["company_id"],
                "correlation_id": event["correlation_id"],
                "payload": event["payload"],
            },
        }
        if documents and documents.get(event["res_id"]):
            body["data"]["record"] = documents[event["res_id"]]
        return {
            "direction": "out",
            "integration_id": spec.integration_id,
            "route_id": spec.id,
            "event_type": event["event_type"],
            # JSON round trip: dates and tuples of read() become strings/lists
            "payload": json.loads(json.dumps(body, default=str)),
            "correlation_id": event["correlation_id"],
            "res_model": event["res_model"],
            "res_id": event["res_id"],
        }
