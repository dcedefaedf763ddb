# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Context keys that only server code can set.

A client sets ``context`` freely on every JSON-RPC / XML-RPC call, so a key that switches
capture, audit or labelling off (``workflow_capture_disable``, ``workflow_audit_disable``,
``workflow_source``...) must not be honoured when it comes from there. Server code wraps
the value with :func:`server_context`; readers use :func:`context_flag`, which returns the
value only when it carries that wrapper. JSON decoding only ever produces plain ``bool``,
``int``, ``str``, ``list`` and ``dict`` objects, never these subclasses, so no client can
forge one. The wrappers compare and serialise like the plain values they hold (an action
dict that copies the context still serialises to JSON).
"""


class _ServerStr(str):
    """A string value set by server code."""

    __slots__ = ()


class _ServerInt(int):
    """An integer (or boolean) value set by server code: ``True`` becomes ``1``."""

    __slots__ = ()


def server_flag(value):
    """Wrap ``value`` (bool, int or str) so that :func:`context_flag` honours it."""
    if isinstance(value, str):
        return _ServerStr(value)
    if isinstance(value, (bool, int)):
        return _ServerInt(value)
    raise TypeError(f"server context values are bool, int or str, not {type(value).__name__}")


def server_context(**values):
    """``records.with_context(**server_context(workflow_capture_disable=True))``."""
    return {key: server_flag(value) for key, value in values.items()}


def context_flag(env, key, default=None):
    """The value of ``key`` in ``env.context`` when server code set it, else ``default``.

    A bool flag set by server code comes back as ``1``/``0`` (truthy as expected)."""
    value = env.context.get(key)
    if isinstance(value, (_ServerStr, _ServerInt)):
        return str(value) if isinstance(value, str) else int(value)
    return default
