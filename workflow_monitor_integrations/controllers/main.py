# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The webhook and metrics endpoints: authenticate, hand over to the models, answer.

What happens to an authenticated request (storing, duplicates, order, handlers) is the
inbox's work (``models/workflow_integration_message_inbox.py``); the metrics are
written by ``models/workflow_integration_metrics.py``.
"""

import hmac
import logging
import uuid

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from odoo import http
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..tools import metrics, signature

_logger = logging.getLogger(__name__)

HOOK_ROUTE = "/workflow_monitor/hook/<string:inbound_uuid>"
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
        # sudo: the caller is anonymous; it is authenticated below by the HMAC signature
        integration = (
            request.env["workflow.integration"]
            .sudo()
            .with_context(active_test=False)
            .search([("inbound_uuid", "=", inbound_uuid)], limit=1)
        )
        refusal = self._integration_refusal(integration)
        if refusal:
            return refusal
        limit = integration.inbound_max_kb * 1024
        body = self._read_body(limit)
        if body is None:
            return self._refuse(
                integration, "too_large", 413, f"body too large (limit {limit} bytes)"
            )
        headers = request.httprequest.headers
        try:
            signature.verify(integration.signing_secret, headers, body)
        except signature.SignatureError as error:
            reason, answer = self._signature_refusal(headers, error)
            return self._refuse(integration, reason, 401, answer)
        # authenticated from here on: the inbox stores, dedupes and processes
        answer = (
            request.env["workflow.integration.message"]
            .sudo()
            ._inbound_receive(
                integration, headers["webhook-id"], request.httprequest.mimetype, body
            )
        )
        return _json(answer.body, answer.status)

    def _integration_refusal(self, integration):
        """The answer to a request for an unknown, disabled or paused integration."""
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
        return None

    @staticmethod
    def _read_body(limit):
        """The raw body, or None when it is larger than ``limit`` bytes."""
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None and length > limit:
            return None
        # chunked bodies have no Content-Length: werkzeug stops reading past the limit
        httprequest.max_content_length = limit
        try:
            body = httprequest.get_data(cache=True)
        except RequestEntityTooLarge:
            return None
        return body if len(body) <= limit else None

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
        text = request.env["workflow.integration"].sudo()._metrics_text()  # bytes
        return request.make_response(text, headers=[("Content-Type", metrics.CONTENT_TYPE)])
