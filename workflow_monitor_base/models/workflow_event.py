# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
from datetime import datetime, timedelta
from typing import NamedTuple

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools import bulk_insert, clock, commit_chunk, drop_foreign_keys, drop_indexes
from ..tools.context import context_flag

EVENT_TYPES = [
    ("stage", "Stage Change"),
    ("sla", "SLA"),
    ("exception", "Exception"),
    ("approval", "Approval"),
    ("integration", "Integration"),
    ("config", "Configuration Change"),
    ("custom", "Custom"),
]
EVENT_SOURCES = [
    ("user", "User"),
    ("automation_rule", "Automation Rule"),
    ("scheduled_action", "Scheduled Action"),
    ("server_action", "Server Action"),
    ("webhook", "Webhook"),
    ("api", "API"),
    ("system", "System"),
]
# Column order of the bulk INSERT (name, PostgreSQL type). Constants, never user input.
EVENT_COLUMNS = (
    ("instance_id", "int4"),
    ("definition_id", "int4"),
    ("res_model", "varchar"),
    ("res_id", "int4"),
    ("event_type", "varchar"),
    ("stage_from_id", "int4"),
    ("stage_to_id", "int4"),
    ("occurred_at", "timestamp"),
    ("duration_seconds", "float8"),
    ("source", "varchar"),
    ("source_ref", "varchar"),
    ("user_id", "int4"),
    ("correlation_id", "varchar"),
    ("payload", "jsonb"),
    ("company_id", "int4"),
    ("related_documents", "jsonb"),
)
# The flows of a batch's documents, running first, then the newest (see _link_instances).
LINK_INSTANCES_SQL = """
SELECT i.res_model, i.res_id, i.id, i.definition_id
  FROM workflow_instance i
  JOIN unnest(%s::varchar[], %s::int[]) AS d(res_model, res_id)
       ON d.res_model = i.res_model AND d.res_id = i.res_id
 ORDER BY i.state = 'running' DESC, i.id DESC
"""
# Keys accepted by log_events besides the columns: codes resolved to ids.
EVENT_CODE_KEYS = {"definition", "stage_from", "stage_to"}


class EventStamp(NamedTuple):
    now: datetime
    source: str
    source_ref: str | None
    correlation_id: str | None


class WorkflowEvent(models.Model):
    """The immutable, narrow audit trail of every workflow.

    No mail.thread, no tracking, no stored computes: rows are inserted in bulk by
    :meth:`log_events` and never change. Only the retention job deletes them.
    """

    _name = "workflow.event"
    _description = "Workflow Event"
    _inherit = ["workflow.document.link.mixin"]
    _order = "occurred_at desc, id desc"
    _log_access = False  # occurred_at and user_id say who and when; keep the table narrow

    instance_id = fields.Many2one("workflow.instance", ondelete="set null")
    definition_id = fields.Many2one("workflow.definition", ondelete="set null")
    res_id = fields.Many2oneReference(index=True)
    event_type = fields.Selection(EVENT_TYPES, required=True, default="custom")
    stage_from_id = fields.Many2one("workflow.stage", string="From Stage", ondelete="set null")
    stage_to_id = fields.Many2one("workflow.stage", string="To Stage", ondelete="set null")
    occurred_at = fields.Datetime(required=True, default=fields.Datetime.now)
    duration_seconds = fields.Float(
        string="Time in Previous Stage (s)",
        aggregator="avg",
        help="Seconds the document spent in the stage it left with this event.",
    )
    duration_hours = fields.Float(
        string="Time in Previous Stage (h)", compute="_compute_duration_hours"
    )
    source = fields.Selection(EVENT_SOURCES, default="user")
    source_ref = fields.Char(help="What produced the event, e.g. base.automation,12.")
    user_id = fields.Many2one("res.users", string="User", ondelete="set null")
    correlation_id = fields.Char(index="btree_not_null")
    payload = fields.Json()
    payload_text = fields.Text(string="Payload (JSON)", compute="_compute_payload_text")
    company_id = fields.Many2one("res.company", ondelete="set null")
    # written by the engine only (log_events empties it for other callers): the exports
    # link the event to these documents when the reader may read them
    related_documents = fields.Json(
        help="Documents whose change moved the flow, e.g. the picking that shipped the "
        'order: [{"model": "stock.picking", "id": 12}].'
    )

    def init(self):
        # The audit trail keeps the ids it was written with: deleting a document, stage,
        # user or company must not rewrite it (ON DELETE SET NULL would), and a foreign
        # key costs one referential check per column on every inserted event (a third
        # of the SLA sweep's statement under EXPLAIN ANALYZE). Readers join or browse and
        # treat an id that no longer exists as empty, as Odoo does for many2one values.
        drop_foreign_keys(self)
        # Single-column indexes of earlier versions that a composite index covers or
        # that select too little (a handful of companies, models or states): every
        # insert paid for them (capture, SLA sweep).
        drop_indexes(
            self.env.cr,
            (
                "workflow_event__instance_id_index",
                "workflow_event__res_model_index",
                "workflow_event__company_id_index",
            ),
        )
        # The dashboard and cycle-time reports aggregate a time window: a covering index
        # keeps those scans index-only even when rows are not stored in time order.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS workflow_event_occurred_cover_idx
                ON workflow_event (occurred_at)
                INCLUDE (event_type, definition_id, stage_to_id, duration_seconds, company_id)
            """
        )
        # The process map and the exports read a definition's stage events of a window:
        # an index-only scan of this partial index (a plain CREATE: init() runs in a
        # transaction, CONCURRENTLY cannot).
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS workflow_event_stage_cover_idx
                ON workflow_event (definition_id, occurred_at)
                INCLUDE (instance_id, stage_from_id, stage_to_id, duration_seconds, id)
                WHERE event_type = 'stage'
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS workflow_event_instance_occurred_idx
                ON workflow_event (instance_id, occurred_at)
                WHERE instance_id IS NOT NULL
            """
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("duration_seconds")
    def _compute_duration_hours(self):
        for event in self:
            event.duration_hours = (event.duration_seconds or 0.0) / 3600.0

    @api.depends("payload")
    def _compute_payload_text(self):
        for event in self:
            event.payload_text = (
                json.dumps(event.payload, indent=2, sort_keys=True, default=str)
                if event.payload
                else False
            )

    @api.depends("event_type", "stage_from_id", "stage_to_id")
    def _compute_display_name(self):
        labels = dict(EVENT_TYPES)
        for event in self:
            if event.event_type == "stage":
                event.display_name = "%s → %s" % (
                    event.stage_from_id.name or "∅",
                    event.stage_to_id.name or "∅",
                )
            else:
                event.display_name = labels.get(event.event_type, event.event_type)

    # ------------------------------------------------------------
    # CRUD: append-only
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        # one bulk INSERT, with the same validation and access check as the API
        return self.log_events(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        # the audit trail is append-only, for every user including the superuser
        raise UserError(
            _(
                "Workflow events are an audit trail and cannot be modified (fields: %(fields)s).",
                fields=", ".join(sorted(vals)),
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            _(
                "Workflow events are an audit trail and cannot be deleted. "
                "Old events are purged by the retention job (Settings > Workflow Monitor)."
            )
        )

    # ------------------------------------------------------------
    # API
    # ------------------------------------------------------------

    @api.model
    def log_events(self, vals_list):
        """Insert events in bulk (one INSERT per 5,000 rows) and return them.

        Accepted keys: the columns of the model plus ``definition``, ``stage_from`` and
        ``stage_to`` given as codes (resolved, unknown codes raise a ValidationError).

        Callable over RPC (integrations, the API): outside engine code (``env.su``
        False) it needs create access on events (workflow users), records the caller as
        ``user_id``, ``api`` as ``source`` and the server time as ``occurred_at``
        whatever the values say, and refuses an instance, a document or a company the
        caller cannot access. Engine code calls :meth:`_log_events`, which writes on
        behalf of whoever moved the document, with full control over these fields.
        """
        if self.env.su:
            return self._log_events(vals_list)
        self.browse().check_access("create")
        for vals in vals_list:
            # the caller's source is replaced, but a wrong one is still an error
            source = vals.get("source")
            if source and (not isinstance(source, str) or source not in dict(EVENT_SOURCES)):
                raise ValidationError(
                    _("Unknown event source '%(value)s' (field: source).", value=source)
                )
        self._check_caller_references(vals_list)
        now = clock.now(self.env)
        # related_documents: which documents moved a flow is the capture's to say
        forced = [
            dict(vals, user_id=self.env.uid, source="api", occurred_at=now, related_documents=None)
            for vals in vals_list
        ]
        events = self._log_events(forced)
        # the bulk INSERT skips the ORM: apply the record rules as create() would
        # (no event in a company the user is not allowed in)
        events.check_access("create")
        return events

    @api.model
    def _check_caller_references(self, vals_list):
        """Refuse, for a caller outside engine code, what points at data they cannot
        access: an instance they cannot read or of a company they do not work in, a
        document they cannot read, a company outside their allowed ones. One query per
        referenced model, whatever the number of events."""
        allowed = set(self.env.companies.ids)
        for vals in vals_list:
            company_id = vals.get("company_id")
            if company_id and company_id not in allowed:
                raise AccessError(
                    _(
                        "You cannot log an event in a company you are not working in "
                        "(field: company_id, value: %(value)s).",
                        value=company_id,
                    )
                )
        instance_ids = {vals["instance_id"] for vals in vals_list if vals.get("instance_id")}
        if instance_ids:
            instances = self.env["workflow.instance"].browse(instance_ids)
            existing = instances.sudo().exists()
            readable = existing.with_env(self.env)._filtered_access("read")
            # sudo: the company of instances the caller may read, for the check only
            refused = (instances - readable) | readable.filtered(
                lambda i: i.sudo().company_id and i.sudo().company_id.id not in allowed
            )
            if refused:
                raise AccessError(
                    _(
                        "You cannot log an event on workflow instance %(id)s: you cannot read "
                        "it or it belongs to a company you are not working in "
                        "(field: instance_id).",
                        id=refused[:1].id,
                    )
                )
        by_model = {}
        for vals in vals_list:
            res_model, res_id = vals.get("res_model"), vals.get("res_id")
            if res_id and not res_model:
                raise ValidationError(
                    _(
                        "A document id needs its model (field: res_model, res_id: %(id)s).",
                        id=res_id,
                    )
                )
            if res_model:
                by_model.setdefault(res_model, set())
                if res_id:
                    by_model[res_model].add(res_id)
        for res_model, ids in by_model.items():
            if res_model not in self.env:
                raise ValidationError(
                    _("Unknown model '%(model)s' (field: res_model).", model=res_model)
                )
            records = self.env[res_model].browse(ids)
            if not records.browse().has_access("read"):
                raise AccessError(
                    _(
                        "You cannot log an event on documents of %(model)s: you cannot read "
                        "them (field: res_model).",
                        model=res_model,
                    )
                )
            missing = records - records.sudo().exists()
            if missing:
                raise UserError(
                    _(
                        "The document %(model)s,%(id)s does not exist (field: res_id).",
                        model=res_model,
                        id=missing[:1].id,
                    )
                )
            if forbidden := records - records._filtered_access("read"):
                raise AccessError(
                    _(
                        "You cannot log an event on %(model)s,%(id)s: you cannot read it "
                        "(field: res_model, res_id).",
                        model=res_model,
                        id=forbidden[:1].id,
                    )
                )

    @api.model
    def _log_events(self, vals_list):
        if not vals_list:
            return self.browse()
        rows = self._link_instances([self._prepare_event_row(vals) for vals in vals_list])
        # Direct INSERT: events are written on behalf of the user who moved a document,
        # whatever their access to workflow.event (the audit trail must be complete).
        ids = [row[0] for row in bulk_insert(self.env.cr, self._table, EVENT_COLUMNS, rows)]
        events = self.browse(ids)
        self._events_logged(events, {row[4] for row in rows})
        return events

    @api.model
    def _link_instances(self, rows):
        """Rows of :meth:`_prepare_event_row` on a document but without an instance get
        the document's flow (instance and definition): an approval, a custom event or an
        API caller's event then shows on that flow's timeline. One query for the batch;
        a document followed by several flows gets its running one, else the newest, within
        the row's definition when it names one."""
        wanted = {(row[2], row[3]) for row in rows if not row[0] and row[2] and row[3]}
        if not wanted:
            return rows
        models_, ids = zip(*wanted, strict=True)
        self.env.cr.execute(LINK_INSTANCES_SQL, [list(models_), list(ids)])
        found = {}
        for res_model, res_id, instance_id, definition_id in self.env.cr.fetchall():
            found.setdefault((res_model, res_id, None), (instance_id, definition_id))
            found.setdefault((res_model, res_id, definition_id), (instance_id, definition_id))
        linked = []
        for row in rows:
            match = not row[0] and found.get((row[2], row[3], row[1]))
            linked.append((*match, *row[2:]) if match else row)
        return linked

    @api.model
    def _events_logged(self, events, event_types):
        """Hook run after ``events`` were inserted, by :meth:`_log_events` or by a
        set-based statement of the engine (the SLA sweep). ``event_types`` is the set of
        their types, so an extension can skip a batch without reading it back. The
        integrations module queues its outbox messages here."""

    @api.model
    def _event_stamp(self, source=None):
        """Who, when and through what the events a set-based statement of the engine
        writes are logged: what :meth:`_prepare_event_row` gives events without values."""
        source = (
            source
            or context_flag(self.env, "workflow_source")
            or ("system" if self.env.uid == SUPERUSER_ID else "user")
        )
        return EventStamp(
            now=clock.now(self.env),
            source=source,
            source_ref=context_flag(self.env, "workflow_source_ref") or None,
            correlation_id=context_flag(self.env, "workflow_correlation_id") or None,
        )

    @api.model
    def _prepare_event_row(self, vals):
        column_names = {name for name, _type in EVENT_COLUMNS}
        unknown = set(vals) - column_names - EVENT_CODE_KEYS
        if unknown:
            raise ValidationError(
                _("Unknown workflow event field(s): %(fields)s.", fields=", ".join(sorted(unknown)))
            )
        vals = dict(vals)
        definitions = self.env["workflow.definition"]
        if vals.get("definition"):
            definition_id, _stages = definitions._get_stage_map(vals.pop("definition"))
            vals.setdefault("definition_id", definition_id)
            code = self.env["workflow.definition"].browse(vals["definition_id"]).sudo().code
            for key in ("stage_from", "stage_to"):
                if vals.get(key):
                    vals[f"{key}_id"] = definitions._resolve_stage(code, vals.pop(key), key)
        elif vals.get("stage_from") or vals.get("stage_to"):
            raise ValidationError(
                _("A stage code needs the workflow definition code (field: definition).")
            )
        vals.pop("definition", None)
        vals.pop("stage_from", None)
        vals.pop("stage_to", None)
        event_type = vals.get("event_type") or "custom"
        if event_type not in dict(EVENT_TYPES):
            raise ValidationError(
                _("Unknown event type '%(value)s' (field: event_type).", value=event_type)
            )
        source = (
            vals.get("source")
            or context_flag(self.env, "workflow_source")
            or ("system" if self.env.uid == SUPERUSER_ID else "user")
        )
        if source not in dict(EVENT_SOURCES):
            raise ValidationError(
                _("Unknown event source '%(value)s' (field: source).", value=source)
            )
        payload = vals.get("payload")
        if payload is not None and not isinstance(payload, (dict, list)):
            raise ValidationError(
                _("The event payload must be a JSON object or list (field: payload).")
            )
        if payload is not None:
            try:
                json.dumps(payload)
            except (TypeError, ValueError) as error:
                raise ValidationError(
                    _(
                        "The event payload is not valid JSON (field: payload): %(error)s",
                        error=error,
                    )
                ) from error
        duration = vals.get("duration_seconds")
        if duration is not None and duration < 0:
            raise ValidationError(_("The duration cannot be negative (field: duration_seconds)."))
        occurred_at = fields.Datetime.to_datetime(vals.get("occurred_at")) or clock.now(self.env)
        return (
            vals.get("instance_id") or None,
            vals.get("definition_id") or None,
            vals.get("res_model") or None,
            vals.get("res_id") or None,
            event_type,
            vals.get("stage_from_id") or None,
            vals.get("stage_to_id") or None,
            occurred_at,
            duration,
            source,
            vals.get("source_ref") or context_flag(self.env, "workflow_source_ref") or None,
            vals.get("user_id", self.env.uid) or None,
            vals.get("correlation_id") or context_flag(self.env, "workflow_correlation_id") or None,
            payload,
            vals.get("company_id") or self.env.company.id,
            self._related_documents_value(vals.get("related_documents")),
        )

    @api.model
    def _related_documents_value(self, documents):
        """``related_documents`` as stored: a list of ``{"model", "id"}`` or None."""
        if not documents:
            return None
        if not isinstance(documents, (list, tuple)) or not all(
            isinstance(doc, dict)
            and isinstance(doc.get("model"), str)
            and isinstance(doc.get("id"), int)
            for doc in documents
        ):
            raise ValidationError(
                _(
                    'The related documents must be a list of {"model": name, "id": number} '
                    "(field: related_documents)."
                )
            )
        return [{"model": doc["model"], "id": doc["id"]} for doc in documents]

    @api.model
    def _log_security_signal(self, signal, message, res_model=None, res_id=None):
        """Count a security signal (bad signature, refused bypass...) and raise a
        ``security_signal`` exception when its rate passes the configured threshold."""
        now = fields.Datetime.now()
        self._log_events(
            [
                {
                    "event_type": "custom",
                    "res_model": res_model,
                    "res_id": res_id,
                    "payload": {"security_signal": signal, "message": message},
                    "occurred_at": now,
                }
            ]
        )
        params = self.env["ir.config_parameter"].sudo()
        threshold = int(params.get_param("workflow_monitor.security_signal_threshold", 10))
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FROM workflow_event
                    WHERE event_type = 'custom' AND occurred_at >= %s
                      AND payload->>'security_signal' = %s""",
                now - timedelta(hours=1),
                signal,
            )
        )
        count = self.env.cr.fetchone()[0]
        if threshold and count >= threshold:
            self.env["workflow.exception"].sudo().raise_exception(
                self.env.company,
                "security_signal",
                _(
                    "%(count)s '%(signal)s' security signals in the last hour "
                    "(threshold %(threshold)s)",
                    count=count,
                    signal=signal,
                    threshold=threshold,
                ),
                dedupe_key=f"signal:{signal}",
                description=message,
            )
        return count

    # ------------------------------------------------------------
    # RETENTION (the only deletion path)
    # ------------------------------------------------------------

    @api.model
    def _cron_retention(self, batch_size=10000, time_budget=60):
        limit_date = self._retention_limit()
        if not limit_date:
            return 0
        deleted, remaining = self._retention_delete(
            self._table, limit_date, batch_size, time_budget
        )
        self.env["ir.cron"]._notify_progress(done=deleted, remaining=remaining)
        self.invalidate_model()
        return deleted

    @api.model
    def _retention_limit(self):
        """The date before which events are purged; None when the setting keeps all."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("workflow_monitor.event_retention_days", 365)
        )
        if days <= 0:
            return None
        return fields.Datetime.now() - timedelta(days=days)

    @api.model
    def _retention_delete(self, table, limit_date, batch_size, time_budget):
        """Delete the rows of ``table`` (the events table or one of its partitions) older
        than ``limit_date`` in chunks, committed per chunk within ``time_budget``
        seconds; return (deleted, remaining)."""
        deleted = 0
        deadline = fields.Datetime.now() + timedelta(seconds=time_budget)
        while True:
            self.env.cr.execute(
                SQL(
                    """DELETE FROM %s WHERE id IN (
                           SELECT id FROM %s WHERE occurred_at < %s
                            LIMIT %s FOR UPDATE SKIP LOCKED)""",
                    SQL.identifier(table),
                    SQL.identifier(table),
                    limit_date,
                    batch_size,
                )
            )
            count = self.env.cr.rowcount
            deleted += count
            if count < batch_size or fields.Datetime.now() > deadline:
                break
            commit_chunk(self.env)
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM %s WHERE occurred_at < %s",
                SQL.identifier(table),
                limit_date,
            )
        )
        return deleted, self.env.cr.fetchone()[0]
