# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The inbox: what happens to an inbound webhook once its sender is authenticated.

``_inbound_receive`` stores every request (content type, JSON and schema errors as
``rejected``), answers a repeated ``webhook-id`` as a duplicate without processing it,
commits the request, then ``_process_inbound`` checks its scope, its order
(``stale`` when a newer update of the same key was applied) and runs the handler that
the table of ``workflow_integration_message_handlers.py`` names for its type.
Failed handlers are retried by ``_cron_retry_inbound`` until they become dead letters.
"""

import json
import logging
from datetime import timedelta
from typing import NamedTuple

import psycopg2

from odoo import _, api, fields, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import commit_chunk
from odoo.addons.workflow_monitor_base.tools.errors import UnknownReferenceError

from .workflow_integration_message import MAX_ERROR

_logger = logging.getLogger(__name__)

INBOUND_RETRY_STATES = ("received", "failed")
PG_INT_MAX = 2**31 - 1
RAW_BODY_KEEP = 2000  # characters of a refused body kept for diagnosis
MAX_KEY_LENGTH = 255  # characters of a correlation id or an ordering key


class InboundAnswer(NamedTuple):
    """The HTTP answer to an inbound request: status and JSON body."""

    status: int
    body: dict


class InboundRefusal(NamedTuple):
    """A request refused before its handler: HTTP status, the error stored on the
    message (for the administrator) and the fixed text answered to the sender."""

    status: int
    error: str
    answer: str


def has_nul(value):
    """Whether a parsed JSON value holds a NUL character in a string or a key."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


class WorkflowIntegrationMessage(models.Model):
    _inherit = "workflow.integration.message"

    # ------------------------------------------------------------
    # RECEIVE: store, dedupe, answer
    # ------------------------------------------------------------

    @api.model
    @api.private
    def _inbound_receive(self, integration, webhook_id, mimetype, body, commit=True):
        """Store and process one request of an authenticated sender; returns the
        ``InboundAnswer``. The request is committed before its handler runs, so it is
        kept even if the handler brings the worker down (``commit=False``: a caller
        inside a larger transaction, the simulator, keeps it open)."""
        base_vals = {
            "direction": "in",
            "integration_id": integration.id,
            "webhook_id": webhook_id.replace("\x00", "\ufffd"),
            "last_attempt_at": fields.Datetime.now(),
        }
        envelope, refusal = self._inbound_decode(mimetype, body)
        if refusal:
            return self._inbound_reject(base_vals, refusal, raw_body=body)
        problem = self._inbound_validate(envelope)
        if problem:
            return self._inbound_reject(
                base_vals, InboundRefusal(422, problem, problem), payload=envelope
            )
        message, duplicate = self._inbound_store(base_vals, envelope)
        if message is None:
            return InboundAnswer(
                200,
                {
                    "status": "duplicate",
                    "message_id": duplicate.id,
                    "webhook_id": base_vals["webhook_id"],
                },
            )
        if commit:
            commit_chunk(self.env)
        message._process_inbound()
        return message._inbound_answer()

    @api.model
    def _inbound_decode(self, mimetype, body):
        """(envelope, None) for a JSON body, else (None, InboundRefusal)."""
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            refusal = InboundRefusal(
                415, f"Content type {mimetype!r}.", "content type must be application/json"
            )
            return None, refusal
        try:
            envelope = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            answer = "malformed JSON: the body is not valid UTF-8"
            return None, InboundRefusal(400, "Body is not valid UTF-8.", answer)
        except ValueError as error:
            # the parser's own words stay on the message, for the administrator
            answer = "malformed JSON: the body is not a JSON document"
            return None, InboundRefusal(400, f"Malformed JSON: {error}", answer)
        if has_nul(envelope):
            # PostgreSQL stores no NUL character in text or jsonb: refuse it here, with a
            # clear 400, instead of failing (500, nothing stored) when writing the message
            answer = "NUL characters (\\u0000) are not accepted"
            return None, InboundRefusal(400, "NUL character (\\u0000) in the body.", answer)
        return envelope, None

    @api.model
    def _inbound_reject(self, base_vals, refusal, raw_body=None, payload=None):
        """Store a refused request as ``rejected`` and answer its fixed text."""
        vals = dict(
            base_vals,
            state="rejected",
            last_http_status=refusal.status,
            last_error=refusal.error,
        )
        if payload is not None:
            event_type = payload.get("type") if isinstance(payload, dict) else None
            vals.update(
                payload=payload, event_type=event_type if isinstance(event_type, str) else None
            )
        elif raw_body:
            raw = raw_body[:RAW_BODY_KEEP].decode("utf-8", errors="replace")
            vals["raw_body"] = raw.replace("\x00", "\ufffd")  # PostgreSQL text has no NUL
        message = self.create(vals)
        return InboundAnswer(
            refusal.status,
            {"error": refusal.answer, "message_id": message.id, "webhook_id": message.webhook_id},
        )

    @api.model
    def _inbound_store(self, base_vals, envelope):
        """(message, None) for a new webhook-id, else (None, the first message with this
        id), the repeat being stored as a ``duplicate``."""
        ordering_key, occurred_at = self._inbound_ordering(envelope)
        correlation_id = envelope["data"].get("correlation_id")
        vals = dict(
            base_vals,
            event_type=envelope["type"],
            payload=envelope,
            state="received",
            ordering_key=ordering_key,
            occurred_at=occurred_at,
            correlation_id=str(correlation_id) if correlation_id is not None else False,
        )
        duplicate = self._inbound_duplicate(vals)
        if not duplicate:
            try:
                with self.env.cr.savepoint():
                    message = self.create(vals)
                    message.flush_recordset()
                return message, None
            except psycopg2.IntegrityError:
                # the same webhook-id arrived concurrently and won the unique index
                duplicate = self._inbound_duplicate(vals)
        self.create(dict(vals, state="duplicate", last_http_status=200))
        return None, duplicate

    @api.model
    def _inbound_duplicate(self, vals):
        """The message that already holds this webhook-id, if any."""
        return self.search(
            [
                ("integration_id", "=", vals["integration_id"]),
                ("direction", "=", "in"),
                ("webhook_id", "=", vals["webhook_id"]),
                ("state", "not in", ("duplicate", "rejected")),
            ],
            limit=1,
        )

    def _inbound_answer(self):
        """The answer after processing: 200, 202 (failed, kept and retried) or 422."""
        self.ensure_one()
        answer = {"status": self.state, "message_id": self.id, "webhook_id": self.webhook_id}
        if self.state == "rejected":
            # out of the handler's scope: our own clear message (see _inbound_scope_problem)
            return InboundAnswer(422, dict(answer, error=self.last_error))
        if self.state == "failed" and self.last_http_status == 422:
            # an unknown reference: the hook's text is written for the sender
            return InboundAnswer(422, dict(answer, error=self.last_error, retry=True))
        if self.state == "failed":
            self.last_http_status = 202
            # the handler's error stays on the message, for the administrator
            error = "processing failed: the message is kept and retried"
            return InboundAnswer(202, dict(answer, error=error, retry=True))
        self.last_http_status = 200
        return InboundAnswer(200, answer)

    # ------------------------------------------------------------
    # VERIFY: schema (on arrival) and scope (before each processing)
    # ------------------------------------------------------------

    @api.model
    def _inbound_validate(self, envelope):
        """Schema check of an inbound body: None, or an error message for a 422."""
        problem = self._inbound_envelope_problem(envelope)
        if problem:
            return problem
        spec = self._inbound_types()[envelope["type"]]
        data = envelope["data"]
        missing = [key for key in spec.required if not data.get(key)]
        if missing:
            return _("Missing field(s) in data: %(fields)s.", fields=", ".join(missing))
        return (
            self._inbound_document_problem(data)
            or self._inbound_scalar_problem(envelope, data)
            or (spec.validate and getattr(self, spec.validate)(data))
            or None
        )

    @api.model
    def _inbound_envelope_problem(self, envelope):
        """The envelope: a JSON object of a known type, with a data object and a valid
        occurred_at."""
        if not isinstance(envelope, dict):
            return _("The body must be a JSON object with 'type' and 'data'.")
        kind = envelope.get("type")
        types = self._inbound_types()
        if not isinstance(kind, str) or kind not in types:
            return _(
                "Unknown message type %(type)r (field: type); accepted: %(types)s.",
                type=kind,
                types=", ".join(sorted(types)),
            )
        data = envelope.get("data")
        if not isinstance(data, dict):
            return _("'data' must be a JSON object (field: data).")
        occurred_at = envelope.get("occurred_at", data.get("occurred_at"))
        if occurred_at is not None and self._parse_datetime(occurred_at) is None:
            return _("'occurred_at' must be an ISO 8601 date and time (field: occurred_at).")
        return None

    @api.model
    def _inbound_document_problem(self, data):
        """data.res_model names a model, data.res_id a possible record id."""
        res_model = data.get("res_model")
        if res_model is not None and not isinstance(res_model, str):
            return _("'res_model' must be a model name (field: data.res_model).")
        if res_model and res_model not in self.env:
            return _("Unknown model %(model)r (field: data.res_model).", model=res_model)
        res_id = data.get("res_id")
        if res_id is not None and (
            not isinstance(res_id, int) or isinstance(res_id, bool) or not 0 < res_id <= PG_INT_MAX
        ):
            return _(
                "'res_id' must be a record id, a positive integer up to %(max)s "
                "(field: data.res_id).",
                max=PG_INT_MAX,
            )
        return None

    @api.model
    def _inbound_scalar_problem(self, envelope, data):
        """Keys and labels are short scalars, codes are strings, payload an object."""
        for key, value in (
            ("data.correlation_id", data.get("correlation_id")),
            ("data.key", data.get("key")),
            ("key", envelope.get("key")),
        ):
            scalar = isinstance(value, (str, int)) and not isinstance(value, bool)
            if value is not None and (not scalar or len(str(value)) > MAX_KEY_LENGTH):
                return _(
                    "'%(key)s' must be a string of at most 255 characters (field: %(key)s).",
                    key=key,
                )
        for key in ("definition", "stage_from", "stage_to", "dedupe_key"):
            if data.get(key) is not None and not isinstance(data[key], str):
                return _("'%(key)s' must be a string (field: data.%(key)s).", key=key)
        if data.get("payload") is not None and not isinstance(data["payload"], dict):
            return _("'payload' must be a JSON object (field: data.payload).")
        return None

    @api.model
    def _inbound_scope_problem(self, integration, envelope):
        """None, or why a schema-valid message must not be applied: handlers act only
        on the integration's company and on the models they are written for. The
        message is then rejected (422) with this text."""
        kind = envelope.get("type")
        data = envelope.get("data") or {}
        spec = self._inbound_types()[kind]
        return (
            (spec.scope and getattr(self, spec.scope)(integration, data))
            or self._inbound_model_problem(kind, data)
            or self._inbound_record_problem(integration, data)
            or None
        )

    @api.model
    def _inbound_allowed_models(self, kind):
        """Models whose records a webhook of ``kind`` may name in data.res_model: the
        documents followed by a workflow, and the models its row of the type table
        adds (events and n8n reports may name an exception)."""
        models_ = set(
            self.env["workflow.definition"]
            .sudo()
            .with_context(active_test=False)
            .search([])
            .mapped("res_model")
        )
        models_.update(self._inbound_types()[kind].models)
        return models_

    @api.model
    def _inbound_model_problem(self, kind, data):
        res_model = data.get("res_model")
        if not res_model:
            return None
        allowed = self._inbound_allowed_models(kind)
        if res_model in allowed:
            return None
        return _(
            "%(type)s webhooks do not act on %(model)s records; accepted models: "
            "%(models)s (field: data.res_model).",
            type=kind,
            model=res_model,
            models=", ".join(sorted(allowed)) or "-",
        )

    @api.model
    def _inbound_record_problem(self, integration, data):
        """The named record exists and belongs to the integration's company."""
        res_model = data.get("res_model")
        if not (res_model and data.get("res_id")):
            return None
        # sudo: existence and company of the named record, nothing is returned
        record = self.env[res_model].sudo().browse(data["res_id"]).exists()
        if not record:
            return _(
                "No %(model)s record with id %(id)s (field: data.res_id).",
                model=res_model,
                id=data["res_id"],
            )
        company = record.company_id if "company_id" in record._fields else None
        if company and company != integration.company_id:
            return _(
                "The %(model)s record %(id)s belongs to another company than the "
                "integration %(integration)s (field: data.res_id).",
                model=res_model,
                id=record.id,
                integration=integration.name,
            )
        return None

    # ------------------------------------------------------------
    # ORDER
    # ------------------------------------------------------------

    @api.model
    def _parse_datetime(self, value):
        if not isinstance(value, str):
            return None
        try:
            return fields.Datetime.to_datetime(value.replace("T", " ").rstrip("Z")[:19])
        except ValueError:
            return None

    @api.model
    def _inbound_ordering(self, envelope):
        """(ordering key, occurred_at) of an inbound message, for out-of-order checks:
        the envelope's key, else the one the type table derives from the data."""
        data = envelope.get("data") or {}
        key = envelope.get("key") or data.get("key")
        if not key:
            spec = self._inbound_types().get(envelope.get("type"))
            key = spec.ordering(data) if spec and spec.ordering else None
        occurred_at = self._parse_datetime(envelope.get("occurred_at", data.get("occurred_at")))
        return (str(key)[:250] if key else None), occurred_at

    def _is_stale(self):
        """True when a newer update with the same ordering key was already applied."""
        self.ensure_one()
        if not self.ordering_key or not self.occurred_at:
            return False
        cr = self.env.cr
        # serialise updates of one key so two concurrent requests cannot both apply
        cr.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"wm_inbound:{self.integration_id.id}:{self.ordering_key}"],
        )
        self.flush_model()
        cr.execute(
            """SELECT 1 FROM workflow_integration_message
                WHERE integration_id = %s AND direction = 'in' AND state = 'processed'
                  AND ordering_key = %s AND occurred_at > %s AND id <> %s LIMIT 1""",
            [self.integration_id.id, self.ordering_key, self.occurred_at, self.id],
        )
        return bool(cr.fetchone())

    # ------------------------------------------------------------
    # DISPATCH
    # ------------------------------------------------------------

    @api.private
    def _process_inbound(self):
        """Run the handler of each received message in a savepoint, as the superuser in
        the integration's company: success -> 'processed', out of order -> 'stale',
        outside what the handler is written for -> 'rejected' (422), handler error ->
        'failed' (retried by the health job), never lost. The checks run again on each
        replay, so an edited payload cannot bypass them."""
        for message in self:
            if message.state not in INBOUND_RETRY_STATES:
                continue
            envelope = message.payload or {}
            problem = self._inbound_validate(envelope) or self._inbound_scope_problem(
                message.integration_id, envelope
            )
            if problem:
                message._set_rejected(problem)
            elif message._is_stale():
                message._set_stale()
            else:
                message._run_inbound_handler(envelope)
        return self

    def _run_inbound_handler(self, envelope):
        self.ensure_one()
        handler = self._inbound_types()[envelope["type"]].handler
        # sudo: the sender is authenticated by the signature; the checks above keep
        # the handler on its company's documents of the models it is written for
        handler_self = self.sudo().with_company(self.integration_id.company_id)
        try:
            with self.env.cr.savepoint():
                record = getattr(handler_self, handler)(envelope.get("data") or {})
                self._set_processed(record)
        except UnknownReferenceError as error:
            # nothing of the integration's company has that reference (yet): kept and
            # retried like a failed handler, answered 422 with the hook's clear text
            self._set_unmatched(error)
        except Exception as error:
            _logger.warning("Inbound webhook %s failed: %s", self.webhook_id, error)
            self._set_failed(error)

    def _set_rejected(self, problem):
        self.write(
            {
                "state": "rejected",
                "last_http_status": 422,
                "last_error": str(problem)[:MAX_ERROR],
                "processed_at": fields.Datetime.now(),
            }
        )

    def _set_stale(self):
        self.write({"state": "stale", "processed_at": fields.Datetime.now()})

    def _set_processed(self, record):
        vals = {
            "state": "processed",
            "processed_at": fields.Datetime.now(),
            "attempts": self.attempts + 1,
            "last_error": False,
        }
        if self.last_http_status == 422:
            vals["last_http_status"] = 200  # an unknown reference, applied since
        if record:
            vals.update(res_model=record._name, res_id=record.id)
        self.write(vals)

    def _set_unmatched(self, error):
        """The handler found no document for the message's reference: failed (the
        retry job applies it once the reference exists, replay too), HTTP 422."""
        self.write(
            {
                "state": "failed",
                "attempts": self.attempts + 1,
                "last_attempt_at": fields.Datetime.now(),
                "last_http_status": 422,
                "last_error": str(error.args[0] if error.args else error)[:MAX_ERROR],
            }
        )

    def _set_failed(self, error):
        # kept for the administrator (Integrations > Messages), never sent back
        self.write(
            {
                "state": "failed",
                "attempts": self.attempts + 1,
                "last_attempt_at": fields.Datetime.now(),
                "last_error": f"{type(error).__name__}: {error}"[:MAX_ERROR],
            }
        )

    # ------------------------------------------------------------
    # RETRY
    # ------------------------------------------------------------

    @api.model
    @api.private
    def _cron_retry_inbound(self, batch_size=200):
        """Process again inbound messages whose handler failed (or that a crash left
        'received'); after max_attempts they become dead letters."""
        messages = self._claim_inbound_retries(batch_size)
        exhausted = messages.filtered(lambda m: m.attempts >= m.integration_id.max_attempts)
        exhausted._set_dead_inbound()
        (messages - exhausted)._process_inbound()
        return messages

    @api.model
    def _claim_inbound_retries(self, batch_size):
        """Inbound messages to process again, locked for this worker."""
        cutoff = fields.Datetime.now() - timedelta(minutes=1)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT m.id FROM workflow_integration_message m
                     JOIN workflow_integration i ON i.id = m.integration_id
                    WHERE m.direction = 'in' AND m.state IN %s
                      AND COALESCE(m.last_attempt_at, m.create_date) < %s
                    ORDER BY m.id LIMIT %s FOR UPDATE OF m SKIP LOCKED""",
                INBOUND_RETRY_STATES,
                cutoff,
                batch_size,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _set_dead_inbound(self):
        """Give up these inbound messages: dead letters, one exception per integration."""
        if not self:
            return
        self.write({"state": "dead"})
        self.env["workflow.exception"].sudo().raise_exceptions(
            [
                {
                    "category_code": "integration_failure",
                    "record": message.integration_id,
                    "severity": "high",
                    "dedupe_key": f"integration_inbound_dead:{message.integration_id.id}",
                    "name": _(
                        "Inbound webhooks from %(name)s could not be processed",
                        name=message.integration_id.name,
                    ),
                    "description": message.last_error,
                }
                for message in self
            ]
        )
