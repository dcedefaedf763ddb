# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The engine's clock: the time workflow facts are stamped with.

Events (``occurred_at``), instance moves (``stage_entered_at``), exceptions
(``first_seen``, ``last_seen``, ``resolved_at``), the SLA and stale sweeps, the
detectors and the KPI snapshot day take "now" from :func:`now` instead of
``fields.Datetime.now()``. It is the server time, unless server code runs a step at
another moment (the distribution simulator replays past days)::

    records.with_context(**clock.at(datetime(2025, 3, 3, 10, 0)))

The moment travels in the ``workflow_now`` context key, honoured only when server code
set it (:func:`~.context.server_context`): a ``workflow_now`` sent by a JSON-RPC client
is a plain string and never moves the clock.
"""

from odoo import fields

from .context import context_flag, server_context

NOW_KEY = "workflow_now"


def now(env):
    """The moment to stamp workflow facts with: ``fields.Datetime.now()`` unless server
    code set ``workflow_now`` (see :func:`at`)."""
    value = context_flag(env, NOW_KEY)
    return fields.Datetime.to_datetime(value) if value else fields.Datetime.now()


def at(moment):
    """Context values that make :func:`now` return ``moment`` (a naive UTC datetime)."""
    return server_context(**{NOW_KEY: fields.Datetime.to_string(moment)})
