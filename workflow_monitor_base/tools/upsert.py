# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What feeds the exception upsert (``workflow.exception._upsert``) and what it gives back."""

from datetime import datetime
from typing import NamedTuple

from odoo.tools import SQL


class UpsertSource(NamedTuple):
    """What feeds :meth:`WorkflowException._upsert`.

    ``query`` gives the ``SOURCE_COLUMNS``, each (category_id, company_id, dedupe_key)
    at most once; ``ctes`` are top-level CTEs it reads (e.g. the SLA sweep's moved
    instances and their events, ending with a comma); ``outputs`` are values the caller
    wants back from the same statement (each preceded by a comma)."""

    query: SQL
    ctes: SQL = SQL()
    outputs: SQL = SQL()
    source: str | None = None  # the events' source; default: as _log_events would
    now: datetime | None = None  # first/last seen; default: now


class Upserted(NamedTuple):
    created: object  # new exceptions (a workflow.exception recordset)
    became_critical: object  # open ones that a new occurrence made critical
    event_ids: list  # their ``raised`` events
    by_key: dict  # (category_id, company_id, dedupe_key) -> id, when asked for
    outputs: tuple  # the source's outputs
