# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The HTTP side of the outbox: one signed POST over a pooled keep-alive session.

No Odoo import: the delivery job (``workflow_integration_message_delivery.py``) decides
what to send and what an answer means, in its own thread; this file only sends and
measures, and is the only part of a delivery that runs in the sending threads (it never
touches the ORM, the cursor or the environment).
"""

import http.cookiejar
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import requests
from requests.adapters import HTTPAdapter

from . import signature

USER_AGENT = "Odoo-Workflow-Monitor-Webhooks/1.0"
MAX_ERROR = 2000  # characters of an error text kept
MAX_ANSWER = 500  # characters of a refusing answer kept in the error text

# keep-alive HTTP sessions per process, endpoint and pool size, shared by the sending
# threads: a session's connection pool is thread-safe and holds up to ``pool_size``
# connections, one per request in flight (cookies are refused, so nothing else of a
# session changes while it sends)
_sessions = {}
_sessions_lock = threading.Lock()
# the sending threads of the process: started on demand, kept between batches (starting
# threads for every batch costs more than the batch's own statements)
MAX_SENDERS = 64  # the highest max_in_flight; several integrations share the threads
_pool = {}


class PostResult(NamedTuple):
    """What one POST gave: the HTTP status (None when no answer came), an error text
    (None for a 2xx answer) and the time it took."""

    status: int | None
    error: str | None
    latency_ms: float


def sending_pool():
    """The thread pool that sends webhooks in this process (one per process: a forked
    worker makes its own)."""
    pid = os.getpid()
    found = _pool.get(pid)
    if found is None:
        with _sessions_lock:
            found = _pool.get(pid)
            if found is None:
                found = _pool[pid] = ThreadPoolExecutor(
                    max_workers=MAX_SENDERS, thread_name_prefix="wm-webhook-sender"
                )
    return found


def session(integration_id, url, pool_size=1):
    """The keep-alive session of an endpoint, shared by the threads sending to it, with
    a pool of ``pool_size`` connections (its ``max_in_flight``). Proxy settings of the
    environment (HTTP(S)_PROXY, NO_PROXY) are resolved once for the endpoint instead of
    on every request (requests rescans os.environ for each call otherwise). Cookies set
    by the service are refused: a webhook carries its signature, not a session."""
    key = (os.getpid(), integration_id, url, pool_size)
    found = _sessions.get(key)
    if found is not None:
        return found
    with _sessions_lock:
        found = _sessions.get(key)
        if found is None:
            found = requests.Session()
            found.headers["User-Agent"] = USER_AGENT
            found.proxies = requests.utils.get_environ_proxies(url)
            found.trust_env = False
            found.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
            found.mount("http://", adapter)
            found.mount("https://", adapter)
            _sessions[key] = found
    return found


def post_signed(endpoint, webhook_id, body):
    """POST ``body`` signed for ``webhook_id`` to ``endpoint`` (an object with ``id``,
    ``url``, ``signing_secret``, ``timeout_seconds``, ``max_in_flight`` and
    ``signing_key()``). Safe to call from several threads at once."""
    if not endpoint.url:
        return PostResult(None, "The integration has no endpoint URL.", 0.0)
    headers = signature.sign_headers(
        endpoint.signing_secret, webhook_id, body, key=endpoint.signing_key()
    )
    headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    status, error = None, None
    try:
        response = session(endpoint.id, endpoint.url, endpoint.max_in_flight).post(
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
