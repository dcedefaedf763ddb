# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The HTTP side of the outbox: one signed POST over a keep-alive session.

No Odoo import: the delivery job (``workflow_integration_message_delivery.py``) decides
what to send and what an answer means; this file only sends and measures.
"""

import threading
import time
from typing import NamedTuple

import requests

from . import signature

USER_AGENT = "Odoo-Workflow-Monitor-Webhooks/1.0"
MAX_ERROR = 2000  # characters of an error text kept
MAX_ANSWER = 500  # characters of a refusing answer kept in the error text

# keep-alive HTTP sessions per cron thread and endpoint
_sessions = threading.local()


class PostResult(NamedTuple):
    """What one POST gave: the HTTP status (None when no answer came), an error text
    (None for a 2xx answer) and the time it took."""

    status: int | None
    error: str | None
    latency_ms: float


def session(integration_id, url):
    """A keep-alive session per cron thread and endpoint. Proxy settings of the
    environment (HTTP(S)_PROXY, NO_PROXY) are resolved once for the endpoint instead of
    on every request (requests rescans os.environ for each call otherwise)."""
    cache = getattr(_sessions, "by_integration", None)
    if cache is None:
        cache = _sessions.by_integration = {}
    found = cache.get((integration_id, url))
    if found is None:
        found = cache[(integration_id, url)] = requests.Session()
        found.headers["User-Agent"] = USER_AGENT
        found.proxies = requests.utils.get_environ_proxies(url)
        found.trust_env = False
    return found


def post_signed(endpoint, webhook_id, body):
    """POST ``body`` signed for ``webhook_id`` to ``endpoint`` (an object with ``id``,
    ``url``, ``signing_secret``, ``timeout_seconds`` and ``signing_key()``)."""
    if not endpoint.url:
        return PostResult(None, "The integration has no endpoint URL.", 0.0)
    headers = signature.sign_headers(
        endpoint.signing_secret, webhook_id, body, key=endpoint.signing_key()
    )
    headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    status, error = None, None
    try:
        response = session(endpoint.id, endpoint.url).post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=endpoint.timeout_seconds,
            allow_redirects=False,
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {response.text[:MAX_ANSWER]}"
    except requests.Timeout:
        error = f"Timeout: no answer within {endpoint.timeout_seconds} s"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    return PostResult(status, error, (time.perf_counter() - start) * 1000.0)
