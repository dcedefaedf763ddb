# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import threading

import psycopg2

from odoo.http import request
from odoo.modules import module

from .sql import (
    bulk_insert,
    bulk_update,
    column_names,
    drop_foreign_keys,
    drop_indexes,
    unnest_arrays,
)


def commit_chunk(env):
    """Commit between chunks of a long scheduled action so work is kept and locks are
    released; never inside tests, where the test transaction must stay open."""
    testing = (
        env.registry.in_test_mode()
        or module.current_test
        or getattr(threading.current_thread(), "testing", False)
    )
    if not testing:
        env.cr.commit()


def cron_run_alone(env, name):
    """Start a fresh READ COMMITTED transaction and take the advisory lock ``name`` for it;
    False when another worker holds it (that worker does the job: skip). In READ
    COMMITTED every statement sees what other workers committed, so a job that follows
    another one updates its rows instead of failing on them (REPEATABLE READ raises
    unique or serialization errors). Only when run as a scheduled action (``cron_id`` in
    the context, set by Odoo's cron runner): a direct call (simulator, tests) keeps its
    transaction. A client sets ``context`` freely, so ``cron_id`` alone is not trusted:
    never inside an HTTP request (the callers are private cron methods, closed to RPC,
    and this holds even if a public method calls them one day)."""
    if env.context.get("cron_id") and not request:
        commit_chunk(env)
        cnx = env.cr._cnx
        if cnx.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    env.cr.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [name])
    return env.cr.fetchone()[0]
