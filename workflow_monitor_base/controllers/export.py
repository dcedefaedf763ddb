# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Exports of the event log for process-mining tools (DESIGN section 12).

``GET /workflow_monitor/export/ocel?definition=CODE&date_from=YYYY-MM-DD&date_to=YYYY-MM-DD``
answers OCEL 2.0 JSON, ``GET /workflow_monitor/export/xes?...`` XES 1.0 XML (one trace
per instance). Logged-in workflow users only (403 otherwise); the rows are read as the
user, record rules applied, and streamed (``tools/process_export.py``). The dates are
whole days in UTC, both included; they are required when the definition has more than
``workflow_monitor.export_max_events_without_range`` exported events (default 200,000)
and span at most 366 days. Every malformed request is answered 400 with a JSON body
``{"error": ..., "parameter": ...}`` naming the parameter.

OCEL objects are the documents of the instances and the documents declared related to
them (an order's pickings and invoices, with object-to-object relationships); each event
is linked to its instance's document and to the related documents that moved it, the
ones the user may read only (see ``tools/process_export.py``).
"""

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import NamedTuple

from werkzeug.wrappers import Response

from odoo import http
from odoo.http import request

from ..tools import process_export

_logger = logging.getLogger(__name__)

MAX_DAYS = 366
MAX_CODE_LENGTH = 256
MAX_EVENTS_WITHOUT_RANGE = 200_000
MAX_EVENTS_PARAM = "workflow_monitor.export_max_events_without_range"
USER_GROUP = "workflow_monitor_base.group_workflow_user"


class ExportFormat(NamedTuple):
    writer: Callable[[process_export.ExportScope], Iterator[bytes]]
    mimetype: str
    extension: str


FORMATS = {
    "ocel": ExportFormat(process_export.ocel_chunks, "application/json", "jsonocel"),
    "xes": ExportFormat(process_export.xes_chunks, "application/xml", "xes"),
}


class ExportError(Exception):
    """A refused parameter: answered 400 naming it."""

    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class WorkflowMonitorExport(http.Controller):
    @http.route(
        "/workflow_monitor/export/ocel", type="http", auth="user", methods=["GET"], readonly=True
    )
    def workflow_export_ocel(self, **params):
        """OCEL 2.0 JSON of a definition's stage events (see the module docstring)."""
        return self._workflow_export("ocel", params)

    @http.route(
        "/workflow_monitor/export/xes", type="http", auth="user", methods=["GET"], readonly=True
    )
    def workflow_export_xes(self, **params):
        """XES 1.0 XML of a definition's stage events, one trace per instance."""
        return self._workflow_export("xes", params)

    def _workflow_export(self, kind, params):
        env = request.env
        if not env.user.has_group(USER_GROUP):
            return request.make_json_response(
                {"error": "the exports need the Workflow Monitor / User group"}, status=403
            )
        try:
            scope = self._export_scope(params)
        except ExportError as error:
            return request.make_json_response(
                {"error": error.message, "parameter": error.parameter}, status=400
            )
        export_format = FORMATS[kind]
        code = env["workflow.definition"].browse(scope.definition_id).code
        stamp = scope.date_from and f"_{scope.date_from}_{scope.date_to}" or ""
        filename = f"{code}{stamp}.{export_format.extension}"
        _logger.info("Export %s of %s for user %s", kind, filename, scope.uid)
        return Response(
            export_format.writer(scope),
            mimetype=export_format.mimetype,
            direct_passthrough=True,
            headers=[
                ("Content-Disposition", f'attachment; filename="{filename}"'),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )

    def _export_scope(self, params):
        """The checked scope of an export, or ExportError naming the parameter."""
        env = request.env
        code = params.get("definition")
        if not code:
            raise ExportError("definition", "definition is required (a workflow definition code)")
        if len(code) > MAX_CODE_LENGTH or "\x00" in code:
            # PostgreSQL refuses NUL characters: never let one reach a query (500)
            raise ExportError("definition", "definition is not a workflow definition code")
        definition = env["workflow.definition"].search([("code", "=", code)], limit=1)
        if not definition:
            raise ExportError("definition", f"unknown definition {code!r}")
        date_from = _parse_date(params, "date_from")
        date_to = _parse_date(params, "date_to")
        if bool(date_from) != bool(date_to):
            missing = "date_to" if date_from else "date_from"
            raise ExportError(missing, f"{missing} is required with the other date (YYYY-MM-DD)")
        if date_from and date_from > date_to:
            raise ExportError("date_from", "date_from is after date_to")
        if date_from and (date_to - date_from).days + 1 > MAX_DAYS:
            raise ExportError(
                "date_to", f"the range from date_from to date_to exceeds {MAX_DAYS} days"
            )
        scope = process_export.ExportScope(
            dbname=env.cr.dbname,
            uid=env.uid,
            context=dict(env.context),
            definition_id=definition.id,
            date_from=date_from,
            date_to=date_to,
        )
        if not date_from:
            limit = self._max_events_without_range(env)
            if process_export.count_events(env, scope) > limit:
                raise ExportError(
                    "date_from",
                    f"date_from and date_to are required: definition {code!r} has more than "
                    f"{limit} events",
                )
        return scope

    @staticmethod
    def _max_events_without_range(env):
        # sudo: a technical limit, read to refuse a request, nothing is returned
        value = env["ir.config_parameter"].sudo().get_param(MAX_EVENTS_PARAM)
        try:
            return int(value) if value else MAX_EVENTS_WITHOUT_RANGE
        except ValueError:
            return MAX_EVENTS_WITHOUT_RANGE


def _parse_date(params, name):
    value = params.get(name)
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ExportError(name, f"{name} must be a date written YYYY-MM-DD") from None
