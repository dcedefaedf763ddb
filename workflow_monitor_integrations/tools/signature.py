# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Standard Webhooks signatures (https://www.standardwebhooks.com), pure standard library.

This file has no Odoo import: copy it into any Python service that sends webhooks to
Odoo or receives them from it.

Headers of a signed request::

    webhook-id: msg_2b1e7c...            unique per message, kept when a message is replayed
    webhook-timestamp: 1614265330        Unix seconds at sending time
    webhook-signature: v1,<base64>       space-separated list; one v1 entry per secret

The signature is ``base64(HMAC-SHA256(key, f"{id}.{timestamp}.".encode() + body))``
computed over the raw body bytes exactly as sent, where ``key`` is the base64-decoded
part of the secret after ``whsec_``. Receivers must reject timestamps more than 300 s
away from their clock (replay protection) and compare signatures in constant time.

Test vectors (the first one is the example of the Standard Webhooks specification)::

    secret    whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    id        msg_p5jXN8AQM9LWM0D4loKWxJek
    timestamp 1614265330
    body      {"test": 2432232314}
    signature v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=

    secret    whsec_dGVzdC1zZWNyZXQtZm9yLXdvcmtmbG93LW1vbml0b3I=
    id        msg_workflow_monitor_0001
    timestamp 1767225600
    body      {"type":"workflow.event","data":{"event_type":"stage","res_id":42}}
    signature v1,Ph15plm7TVYGq3cuclS3LUcl5pm9rarQTe95yBJmzh4=

Usage::

    headers = sign_headers(secret, "msg_123", body)          # sender
    verify(secret, request_headers, raw_body)                # receiver, raises SignatureError
"""

import base64
import binascii
import hashlib
import hmac
import os
import time

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300  # seconds
MAX_ID_LENGTH = 255  # characters of webhook-id

TEST_VECTORS = (
    {
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "timestamp": 1614265330,
        "body": b'{"test": 2432232314}',
        "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    },
    {
        "secret": "whsec_dGVzdC1zZWNyZXQtZm9yLXdvcmtmbG93LW1vbml0b3I=",
        "id": "msg_workflow_monitor_0001",
        "timestamp": 1767225600,
        "body": b'{"type":"workflow.event","data":{"event_type":"stage","res_id":42}}',
        "signature": "v1,Ph15plm7TVYGq3cuclS3LUcl5pm9rarQTe95yBJmzh4=",
    },
)


class SignatureError(Exception):
    """The request is not authentic (bad or missing signature, headers or timestamp)."""


class TimestampError(SignatureError):
    """The timestamp is missing, malformed or outside the tolerance window."""


def generate_secret(nbytes=32):
    """A new secret ``whsec_<base64 of nbytes random bytes>`` (24 to 64 bytes)."""
    if not 24 <= nbytes <= 64:
        raise ValueError("a signing secret has 24 to 64 random bytes")
    return SECRET_PREFIX + base64.b64encode(os.urandom(nbytes)).decode()


def secret_key(secret):
    """The HMAC key: the base64-decoded bytes after ``whsec_``."""
    if not secret or not secret.startswith(SECRET_PREFIX):
        raise ValueError("the signing secret must look like whsec_<base64>")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the signing secret is not valid base64 after whsec_") from error
    if len(key) < 16:
        raise ValueError("the signing secret is too short (at least 16 bytes)")
    return key


def sign(secret, msg_id, timestamp, body, key=None):
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``; ``body`` is bytes (or str,
    encoded as UTF-8). ``key`` may be given pre-decoded to save work in loops."""
    if isinstance(body, str):
        body = body.encode()
    key = key if key is not None else secret_key(secret)
    to_sign = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(key, to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(secret, msg_id, body, timestamp=None, key=None):
    """The three Standard Webhooks headers for ``body`` (timestamp: now by default)."""
    timestamp = int(time.time() if timestamp is None else timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body, key=key),
    }


def _header(headers, name):
    getter = getattr(headers, "get", None)
    value = getter(name) if getter else None
    if value is None and getter:
        value = getter(name.title()) or getter(name.upper())
    return value


def verify(secret, headers, body, tolerance=DEFAULT_TOLERANCE, now=None):
    """Check the headers of a received request against ``body`` (raw bytes).

    Returns the ``(webhook-id, timestamp)`` pair; raises :class:`TimestampError` or
    :class:`SignatureError`. The timestamp is checked before the signature is computed.
    """
    if isinstance(body, str):
        body = body.encode()
    msg_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not msg_id or not raw_timestamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if len(msg_id) > MAX_ID_LENGTH:
        raise SignatureError(f"webhook-id is too long ({MAX_ID_LENGTH} characters at most)")
    try:
        timestamp = int(raw_timestamp)
    except (TypeError, ValueError) as error:
        raise TimestampError("webhook-timestamp is not a Unix time in seconds") from error
    now = int(time.time() if now is None else now)
    if abs(now - timestamp) > tolerance:
        raise TimestampError(
            f"webhook-timestamp is {now - timestamp:+d} s away from the server clock "
            f"(tolerance {tolerance} s)"
        )
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in signatures.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return msg_id, timestamp
    raise SignatureError("no webhook-signature matches the body")
