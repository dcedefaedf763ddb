# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Set-based SQL helpers for the engine's hot paths.

The engine writes events and instances for whole batches at once: one statement per
chunk, whatever the number of records. Values travel as PostgreSQL arrays expanded with
``unnest`` (one parameter per column), which keeps both Python and the server cheap.
Column names and types are never user input: they come from the engine's own constants.
"""

from psycopg2.extras import Json

from odoo.tools import SQL
from odoo.tools.misc import split_every

CHUNK = 5000


def _column(rows, index, pg_type):
    values = [row[index] for row in rows]
    if pg_type == "jsonb":
        values = [None if value is None else Json(value) for value in values]
    return values


def unnest_arrays(columns, rows):
    """``%s::type[], ...``: one array parameter per column of ``rows`` (tuples ordered
    like ``columns``, (name, PostgreSQL type) pairs), for ``unnest(...)``."""
    return SQL(", ").join(
        SQL("%s::" + pg_type + "[]", _column(rows, index, pg_type))
        for index, (_name, pg_type) in enumerate(columns)
    )


def column_names(columns, prefix=None):
    """``a, b, ...`` (or ``prefix.a, prefix.b, ...``) of ``columns``' names."""
    if prefix:
        return SQL(", ").join(SQL.identifier(prefix, name) for name, _type in columns)
    return SQL(", ").join(SQL.identifier(name) for name, _type in columns)


def bulk_insert(cr, table, columns, rows, returning="id", on_conflict=None):
    """Insert ``rows`` (tuples ordered like ``columns``) and return the fetched rows.

    :param columns: sequence of (column name, PostgreSQL type) pairs
    :param on_conflict: optional ``SQL`` fragment appended after the SELECT
    """
    result = []
    names = column_names(columns)
    for chunk in split_every(CHUNK, rows, list):
        arrays = unnest_arrays(columns, chunk)
        query = SQL(
            "INSERT INTO %s (%s) SELECT * FROM unnest(%s) %s RETURNING %s",
            SQL.identifier(table),
            names,
            arrays,
            on_conflict or SQL(),
            SQL(returning),
        )
        cr.execute(query)
        result.extend(cr.fetchall())
    return result


def bulk_update(cr, table, columns, rows, key="id"):
    """Update ``table`` from ``rows``; the first of ``columns`` is the key column."""
    names = [name for name, _type in columns]
    for chunk in split_every(CHUNK, rows, list):
        arrays = unnest_arrays(columns, chunk)
        assignments = SQL(", ").join(
            SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in names[1:]
        )
        cr.execute(
            SQL(
                "UPDATE %s AS t SET %s FROM unnest(%s) AS v(%s) WHERE t.%s = v.%s",
                SQL.identifier(table),
                assignments,
                arrays,
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL.identifier(key),
                SQL.identifier(names[0]),
            )
        )


def drop_indexes(cr, names):
    """Drop the indexes ``names`` if they exist. Odoo keeps an index that a field no
    longer asks for (``index=True`` removed), so a model's ``init()`` drops the ones an
    earlier version created."""
    for name in names:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))


def drop_foreign_keys(model, fnames=None):
    """Keep ``model``'s table free of foreign keys (of the many2one fields ``fnames``,
    default all), for rows the engine writes in bulk: an append-only log that must
    neither be rewritten by the deletion of what it references (``ON DELETE SET NULL``
    would) nor pay one referential check per column and row on every insert.

    Called from the model's ``init()``. Odoo's many2one fields ask for their foreign keys
    in tasks queued by ``_auto_init`` and creates them after the queue has run: a task
    queued after those withdraws the requests, then the constraints of earlier versions
    are dropped with their reflection.
    """
    if hasattr(model.pool, "_post_init_queue"):
        model.pool.post_init(_withdraw_foreign_keys, model, fnames)
    else:
        _withdraw_foreign_keys(model, fnames)


def _withdraw_foreign_keys(model, fnames=None):
    cr = model.env.cr
    columns = [
        name
        for name, field in model._fields.items()
        if field.type == "many2one" and field.store and (fnames is None or name in fnames)
    ]
    requested = getattr(model.pool, "_foreign_keys", None)
    if requested is not None:
        for name in columns:
            requested.pop((model._table, name), None)
    cr.execute(
        """SELECT c.conname FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
            WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND a.attname = ANY(%s)""",
        [model._table, columns],
    )
    names = [row[0] for row in cr.fetchall()]
    for name in names:
        cr.execute(
            SQL(
                "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s",
                SQL.identifier(model._table),
                SQL.identifier(name),
            )
        )
    if names:
        cr.execute("DELETE FROM ir_model_constraint WHERE type = 'f' AND name = ANY(%s)", [names])
