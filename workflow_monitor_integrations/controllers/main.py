import hmac
import json
import logging
import uuid

import psycopg2
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from odoo import fields, http
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..tools import metrics, signature

_logger = logging.getLogger(__name__)

HOOK_ROUTE = "/workflow_monitor/hook/<string:inbound_uuid>"
RAW_BODY_KEEP = 2000  # characters of a refused body kept for diagnosis
# the largest body any integration may accept (Inbound Size Limit: at most 10240 KB)
INBOUND_MAX_BYTES = 10240 * 1024
PAUSED_RETRY_AFTER = 300  # seconds, in the Retry-After header of a paused integration
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# fixed answers to refused signatures (the reason is counted, nothing else is said)
SIGNATURE_ERRORS = {
    "missing_signature": (
        "invalid signature: missing webhook-id, webhook-timestamp or webhook-signature header"
    ),
    "bad_timestamp": (
        f"invalid signature: webhook-timestamp missing, malformed or outside the tolerance "
        f"of {signature.DEFAULT_TOLERANCE} s"
    ),
    "bad_signature": "invalid signature: no webhook-signature matches the body",
}
SIGNATURE_ID_TOO_LONG = (
    f"invalid signature: webhook-id is too long ({signature.MAX_ID_LENGTH} characters at most)"
)


def _json(data, status, headers=None):
    return request.make_json_response(data, headers=headers, status=status)


def _has_nul(value):
    """Whether a parsed JSON value holds a NUL character in a string or a key."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _reference():
    """A reference given in an answer, written in the server log and on the record."""
    return "ref_" + uuid.uuid4().hex[:20]


class WorkflowMonitorWebhooks(http.Controller):
    # ------------------------------------------------------------
    # INBOUND WEBHOOKS
    # ------------------------------------------------------------

    @http.route(
        HOOK_ROUTE,
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # Odoo refuses a bigger body before dispatch (and before parsing it as a form)
        max_content_length=INBOUND_MAX_BYTES,
    )
    def workflow_hook(self, inbound_uuid, **_kwargs):
        """Receive a signed webhook. Order of checks: integration (404; 503 when
        paused), size (413), signature and timestamp (401) on the raw bytes: these
        refusals are counted per integration, reason and hour, never stored one by one.
        Then, the sender being authenticated, every request is stored: content type
        (415), JSON (400, also for NUL characters, which PostgreSQL cannot store),
        schema (422), scope (422: the integration's company, the models the handler is
        written for); then duplicates (200, not reprocessed), out-of-order (stored as
        stale) and processing. Answers carry fixed messages and a reference (the message
        id, or a reference written in the server log), never an internal error text."""
        try:
            return self._workflow_hook(inbound_uuid)
        except (HTTPException, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            raise  # Odoo answers the first, retries the request on the others
        except Exception:
            reference = _reference()
            _logger.exception("Inbound webhook failed, reference %s", reference)
            request.env.cr.rollback()
            return _json({"error": "internal error", "reference": reference}, 500)

    def _workflow_hook(self, inbound_uuid):
        httprequest = request.httprequest
        # sudo: the caller is anonymous; it is authenticated below by the HMAC signature
        Integration = request.env["workflow.integration"].sudo().with_context(active_test=False)
        Message = request.env["workflow.integration.message"].sudo()
        integration = Integration.search([("inbound_uuid", "=", inbound_uuid)], limit=1)
        if not integration:
            return self._refuse(None, "unknown_key", 404, "unknown integration")
        if not integration.active or not integration.inbound_enabled:
            # answered as an unknown key: the sender learns nothing
            return self._refuse(integration, "disabled", 404, "unknown integration")
        if integration.paused:
            return self._refuse(
                integration,
                "paused",
                503,
                "integration paused: send again later",
                headers=[("Retry-After", str(PAUSED_RETRY_AFTER))],
            )

        limit = integration.inbound_max_kb * 1024
        too_large = f"body too large (limit {limit} bytes)"
        length = httprequest.content_length
        if length is not None and length > limit:
            return self._refuse(integration, "too_large", 413, too_large)
        # chunked bodies have no Content-Length: werkzeug stops reading past the limit
        httprequest.max_content_length = limit
        try:
            body = httprequest.get_data(cache=True)
        except RequestEntityTooLarge:
            body = None
        if body is None or len(body) > limit:
            return self._refuse(integration, "too_large", 413, too_large)

        headers = httprequest.headers
        try:
            signature.verify(integration.signing_secret, headers, body)
        except signature.SignatureError as error:
            reason, answer = self._signature_refusal(headers, error)
            return self._refuse(integration, reason, 401, answer)

        # authenticated from here on: every request is stored
        webhook_id = headers["webhook-id"].replace("\x00", "\ufffd")
        base_vals = {
            "direction": "in",
            "integration_id": integration.id,
            "webhook_id": webhook_id,
            "last_attempt_at": fields.Datetime.now(),
        }
        mimetype = httprequest.mimetype
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            message = self._store_rejected(base_vals, 415, f"Content type {mimetype!r}.", body)
            return self._rejected(message, "content type must be application/json")
        try:
            envelope = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            message = self._store_rejected(base_vals, 400, "Body is not valid UTF-8.", body)
            return self._rejected(message, "malformed JSON: the body is not valid UTF-8")
        except ValueError as error:
            # the parser's own words stay on the message, for the administrator
            message = self._store_rejected(base_vals, 400, f"Malformed JSON: {error}", body)
            return self._rejected(message, "malformed JSON: the body is not a JSON document")
        if _has_nul(envelope):
            # PostgreSQL stores no NUL character in text or jsonb: refuse it here, with a
            # clear 400, instead of failing (500, nothing stored) when writing the message
            message = self._store_rejected(
                base_vals, 400, "NUL character (\\u0000) in the body.", body
            )
            return self._rejected(message, "NUL characters (\\u0000) are not accepted")
        problem = Message._inbound_validate(envelope)
        if problem:
            message = self._store_rejected(base_vals, 422, problem, payload=envelope)
            return self._rejected(message, problem)

        ordering_key, occurred_at = Message._inbound_ordering(envelope)
        correlation_id = (envelope.get("data") or {}).get("correlation_id")
        vals = dict(
            base_vals,
            event_type=envelope["type"],
            payload=envelope,
            state="received",
            ordering_key=ordering_key,
            occurred_at=occurred_at,
            correlation_id=str(correlation_id) if correlation_id is not None else False,
        )
        duplicate_domain = [
            ("integration_id", "=", integration.id),
            ("direction", "=", "in"),
            ("webhook_id", "=", webhook_id),
            ("state", "not in", ("duplicate", "rejected")),
        ]
        duplicate = Message.search(duplicate_domain, limit=1)
        message = None
        if not duplicate:
            try:
                with request.env.cr.savepoint():
                    message = Message.create(vals)
                    message.flush_recordset()
            except psycopg2.IntegrityError:
                # the same webhook-id arrived concurrently and won the unique index
                duplicate = Message.search(duplicate_domain, limit=1)
        if duplicate or message is None:
            Message.create(dict(vals, state="duplicate", last_http_status=200))
            return _json(
                {"status": "duplicate", "message_id": duplicate.id, "webhook_id": webhook_id},
                200,
            )
        # keep the request even if the handler crashes the worker: commit it first
        if not request.env.registry.in_test_mode():
            request.env.cr.commit()
        message._process_inbound()
        answer = {"status": message.state, "message_id": message.id, "webhook_id": webhook_id}
        if message.state == "rejected":
            # out of the handler's scope: our own clear message (see _inbound_scope_problem)
            return _json(dict(answer, error=message.last_error), 422)
        if message.state == "failed":
            message.last_http_status = 202
            # the handler's error stays on the message, for the administrator
            error = "processing failed: the message is kept and retried"
            return _json(dict(answer, error=error, retry=True), 202)
        message.last_http_status = 200
        return _json(answer, 200)

    @staticmethod
    def _signature_refusal(headers, error):
        """(reason counted, fixed answer) of a refused signature."""
        if not all(headers.get(name) for name in SIGNATURE_HEADERS):
            reason = "missing_signature"
        elif len(headers["webhook-id"]) > signature.MAX_ID_LENGTH:
            return "missing_signature", SIGNATURE_ID_TOO_LONG
        elif isinstance(error, signature.TimestampError):
            reason = "bad_timestamp"
        else:
            reason = "bad_signature"
        return reason, SIGNATURE_ERRORS[reason]

    def _refuse(self, integration, reason, status, error, headers=None):
        """Answer a request whose sender is not authenticated: count it (bounded, see
        workflow.integration.refusal) and answer a fixed message with a reference."""
        reference = _reference()
        remote_addr = request.httprequest.remote_addr
        _logger.info(
            "Inbound webhook refused (%s, HTTP %s) for integration %s from %s, reference %s",
            reason,
            status,
            integration.id if integration else "?",
            remote_addr,
            reference,
        )
        request.env["workflow.integration.refusal"].sudo()._count_refusal(
            integration.id if integration else None, reason, status, reference, remote_addr
        )
        return _json({"error": error, "reference": reference}, status, headers=headers)

    @staticmethod
    def _rejected(message, error):
        """Answer a request of an authenticated sender that was stored as rejected."""
        return _json(
            {"error": error, "message_id": message.id, "webhook_id": message.webhook_id},
            message.last_http_status,
        )

    @http.route(
        HOOK_ROUTE,
        type="http",
        auth="none",
        methods=["GET", "PUT", "PATCH", "DELETE", "OPTIONS"],
        csrf=False,
        save_session=False,
    )
    def workflow_hook_other_methods(self, inbound_uuid, **_kwargs):
        return request.make_json_response(
            {"error": "method not allowed: POST a signed JSON body"},
            status=405,
            headers=[("Allow", "POST")],
        )

    def _store_rejected(self, base_vals, status, error, body=None, payload=None):
        vals = dict(base_vals, state="rejected", last_http_status=status, last_error=error)
        if payload is not None:
            vals["payload"] = payload
            vals["event_type"] = payload.get("type") if isinstance(payload, dict) else None
            if not isinstance(vals["event_type"], (str, type(None))):
                vals["event_type"] = None
        elif body:
            raw = body[:RAW_BODY_KEEP].decode("utf-8", errors="replace")
            vals["raw_body"] = raw.replace("\x00", "\ufffd")  # PostgreSQL text has no NUL
        return request.env["workflow.integration.message"].sudo().create(vals)

    # ------------------------------------------------------------
    # PROMETHEUS METRICS
    # ------------------------------------------------------------

    @http.route(
        "/workflow_monitor/metrics",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def workflow_metrics(self, **_kwargs):
        # sudo: reading the admin-only token to compare it, nothing is returned
        token = (
            request.env["ir.config_parameter"].sudo().get_param("workflow_monitor.metrics_token")
            or ""
        )
        given = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, credentials = given.partition(" ")
        if (
            not token
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(credentials.strip().encode(), token.encode())
        ):
            return request.make_response(
                "unauthorized\n",
                headers=[("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
                status=401,
            )
        # sudo: the figures are counts, nothing of a record is sent
        text = request.env["workflow.integration"].sudo()._metrics_text()
        return request.make_response(text, headers=[("Content-Type", metrics.CONTENT_TYPE)])
