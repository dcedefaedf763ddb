# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Monthly range partitions of an append-only table (PostgreSQL declarative partitioning).

``convert_to_monthly`` turns an ordinary table into one partitioned by month on a
timestamp column, in the caller's transaction: the table is renamed, a partitioned table
of the same columns, defaults, constraints and comments takes its name, with a primary
key of (``id``, key column) (PostgreSQL requires the partition key in every unique
index; the sequence keeps ``id`` unique), one partition per month of the data plus the
months ahead and a default partition for anything outside; the rows are copied, the
indexes of the old table are built again on the partitioned one (each partition gets
its own), the ``id`` sequence is handed over and the old table is dropped.

``ensure_months`` creates the partitions of coming months (rows already in the default
partition for such a month move into it); ``drop_months_before`` drops the months that
end before a date. Partition names are ``<table>_YYYY_MM`` and ``<table>_default``.
Table and column names come from the engine (a model's ``_table``), never from a user.
"""

import re
from datetime import datetime

from odoo.tools import SQL

MAX_MONTHS_BACK = 240  # older rows of a conversion go to the default partition
LIKE_OPTIONS = "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS INCLUDING STORAGE"


def month_start(value):
    return datetime(value.year, value.month, 1)


def add_months(month, count):
    index = month.year * 12 + month.month - 1 + count
    return datetime(index // 12, index % 12 + 1, 1)


def partition_name(table, month):
    return f"{table}_{month:%Y_%m}"


def default_name(table):
    return f"{table}_default"


def is_partitioned(cr, table):
    cr.execute(
        "SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)",
        [table],
    )
    row = cr.fetchone()
    return bool(row and row[0])


def referencing_foreign_keys(cr, table):
    """[(table, constraint)] of the foreign keys pointing to ``table``: a foreign key to
    a partitioned table needs a unique key of its own columns, which ``id`` alone is not."""
    cr.execute(
        """SELECT conrelid::regclass::text, conname FROM pg_constraint
            WHERE confrelid = to_regclass(%s) AND contype = 'f' ORDER BY 1, 2""",
        [table],
    )
    return cr.fetchall()


def unique_indexes_without(cr, table, column):
    """Names of the unique indexes (primary key aside) of ``table`` that do not contain
    ``column``: PostgreSQL refuses them on a table partitioned on that column."""
    cr.execute(
        """SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (
                  SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid = i.indrelid AND a.attname = %s
                     AND a.attnum = ANY(i.indkey))
            ORDER BY 1""",
        [table, column],
    )
    return [row[0] for row in cr.fetchall()]


def monthly_partitions(cr, table):
    """{month start: partition name} of the monthly partitions of ``table``."""
    cr.execute(
        """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s)""",
        [table],
    )
    pattern = re.compile(re.escape(table) + r"_(\d{4})_(\d{2})")
    months = {}
    for (name,) in cr.fetchall():
        if match := pattern.fullmatch(name):
            months[datetime(int(match[1]), int(match[2]), 1)] = name
    return months


def convert_to_monthly(cr, table, key, now, months_ahead, months_back=MAX_MONTHS_BACK):
    """Partition ``table`` by month on ``key`` (see the module docstring) and return
    (rows copied, partitions created). The caller checked that the table is ordinary,
    that no foreign key points to it and that no unique index would be refused."""
    old = f"{table}_unpartitioned"
    cr.execute(SQL("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", SQL.identifier(table)))
    indexes = _index_definitions(cr, table)
    first, last = _data_months(cr, table, key, now, months_ahead, months_back)
    cr.execute(
        "SELECT obj_description(to_regclass(%s), 'pg_class'), "
        "pg_get_serial_sequence(%s, 'id')::regclass::text",
        [table, table],
    )
    comment, sequence = cr.fetchone()
    # reports over the table (SQL views: workflow.stage.duration) would follow the rename
    # to the old table and block its drop: dropped now, created again on the new one
    views = _dependent_views(cr, table)
    for name, _definition in views:
        cr.execute(SQL("DROP VIEW %s", SQL.identifier(name)))
    for name, _definition in indexes:
        cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
    cr.execute(SQL("ALTER TABLE %s RENAME TO %s", SQL.identifier(table), SQL.identifier(old)))
    cr.execute(
        SQL(
            "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
            SQL.identifier(old),
            SQL.identifier(f"{table}_pkey"),
            SQL.identifier(f"{old}_pkey"),
        )
    )
    cr.execute(
        SQL(
            "CREATE TABLE %s (LIKE %s " + LIKE_OPTIONS + ") PARTITION BY RANGE (%s)",
            SQL.identifier(table),
            SQL.identifier(old),
            SQL.identifier(key),
        )
    )
    if comment:
        cr.execute(SQL("COMMENT ON TABLE %s IS %s", SQL.identifier(table), comment))
    cr.execute(
        SQL(
            "ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY (id, %s)",
            SQL.identifier(table),
            SQL.identifier(f"{table}_pkey"),
            SQL.identifier(key),
        )
    )
    month, created = first, 0
    while month <= last:
        _create_partition(cr, table, month)
        month, created = add_months(month, 1), created + 1
    cr.execute(
        SQL(
            "CREATE TABLE %s PARTITION OF %s DEFAULT",
            SQL.identifier(default_name(table)),
            SQL.identifier(table),
        )
    )
    cr.execute(SQL("INSERT INTO %s SELECT * FROM %s", SQL.identifier(table), SQL.identifier(old)))
    rows = cr.rowcount
    for _name, definition in indexes:
        cr.execute(SQL(definition))
    for name, definition in views:
        cr.execute(SQL("CREATE VIEW %s AS " + definition, SQL.identifier(name)))
    if sequence:
        cr.execute(
            SQL(
                "ALTER SEQUENCE %s OWNED BY %s",
                SQL.identifier(*sequence.split(".")),
                SQL.identifier(table, "id"),
            )
        )
    cr.execute(SQL("DROP TABLE %s", SQL.identifier(old)))
    cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return rows, created + 1


def ensure_months(cr, table, key, first, last):
    """Create the monthly partitions from ``first`` to ``last`` (month starts) that do
    not exist; rows of such a month already in the default partition move into it.
    Return the names created."""
    existing = monthly_partitions(cr, table)
    created = []
    month = month_start(first)
    while month <= last:
        if month not in existing:
            _create_partition(cr, table, month, key)
            created.append(partition_name(table, month))
        month = add_months(month, 1)
    return created


def drop_months_before(cr, table, limit):
    """Drop the monthly partitions whose every row is older than ``limit``; return
    (names dropped, rows they held)."""
    dropped, rows = [], 0
    for month, name in sorted(monthly_partitions(cr, table).items()):
        if add_months(month, 1) > limit:
            break
        cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(name)))
        rows += cr.fetchone()[0]
        cr.execute(SQL("DROP TABLE %s", SQL.identifier(name)))
        dropped.append(name)
    return dropped, rows


def _dependent_views(cr, table):
    """[(name, SELECT statement)] of the views reading ``table``, as PostgreSQL's catalog
    writes them (``pg_get_viewdef``)."""
    cr.execute(
        """SELECT DISTINCT v.relname, pg_get_viewdef(v.oid)
             FROM pg_depend d
             JOIN pg_rewrite r ON r.oid = d.objid
             JOIN pg_class v ON v.oid = r.ev_class AND v.relkind = 'v'
            WHERE d.refobjid = to_regclass(%s) AND v.oid <> d.refobjid
            ORDER BY 1""",
        [table],
    )
    return cr.fetchall()


def _index_definitions(cr, table):
    """[(name, CREATE INDEX statement)] of the indexes of ``table`` but its primary key,
    as PostgreSQL's catalog writes them (``pg_get_indexdef``)."""
    cr.execute(
        """SELECT c.relname, pg_get_indexdef(i.indexrelid)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary ORDER BY 1""",
        [table],
    )
    return cr.fetchall()


def _data_months(cr, table, key, now, months_ahead, months_back):
    """The first and last month to create: from the oldest row (at most
    ``months_back`` months back) to ``months_ahead`` months after ``now``."""
    cr.execute(SQL("SELECT min(%s) FROM %s", SQL.identifier(key), SQL.identifier(table)))
    oldest = cr.fetchone()[0]
    current = month_start(now)
    first = month_start(oldest) if oldest and oldest < current else current
    first = max(first, add_months(current, -months_back))
    return first, add_months(current, months_ahead)


def _create_partition(cr, table, month, key=None):
    """Create the partition of ``month``. Without ``key`` (a conversion, the table is
    locked) as ``PARTITION OF``; with it, on a live table, as a table of its own that is
    then attached (``ATTACH PARTITION`` takes a lock that lets reads and inserts of the
    table go on, where ``CREATE TABLE ... PARTITION OF`` blocks them), after the rows of
    that month already in the default partition were moved into it (a partition cannot
    be added while the default one holds rows of its range)."""
    name, start, end = partition_name(table, month), month, add_months(month, 1)
    if not key:
        cr.execute(
            SQL(
                "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%s) TO (%s)",
                SQL.identifier(name),
                SQL.identifier(table),
                start,
                end,
            )
        )
        return
    cr.execute(
        SQL(
            "CREATE TABLE %s (LIKE %s " + LIKE_OPTIONS + ")",
            SQL.identifier(name),
            SQL.identifier(table),
        )
    )
    cr.execute(
        SQL(
            """WITH moved AS (DELETE FROM %s WHERE %s >= %s AND %s < %s RETURNING *)
               INSERT INTO %s SELECT * FROM moved""",
            SQL.identifier(default_name(table)),
            SQL.identifier(key),
            start,
            SQL.identifier(key),
            end,
            SQL.identifier(name),
        )
    )
    cr.execute(
        SQL(
            "ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%s) TO (%s)",
            SQL.identifier(table),
            SQL.identifier(name),
            start,
            end,
        )
    )


def _existing_tables_with_partitioned(original):
    """Wrap ``odoo.tools.sql.existing_tables`` to count partitioned tables as existing.

    Odoo 18 sees only ordinary tables, views and materialized views (relkind r, v, m):
    for a partitioned table its ``_auto_init`` would run ``CREATE TABLE`` over it on
    every module update, and ``Registry.check_tables_exist`` would log the model as
    having no table. The wrapper asks PostgreSQL only about the names the original did
    not find, and adds those that are partitioned tables."""

    def existing_tables(cr, tablenames):
        found = original(cr, tablenames)
        missing = set(tablenames) - set(found)
        if not missing:
            return found
        cr.execute(
            SQL(
                """SELECT c.relname FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relname IN %s AND c.relkind = 'p'
                      AND n.nspname = current_schema""",
                tuple(missing),
            )
        )
        return found + [row[0] for row in cr.fetchall()]

    existing_tables.workflow_monitor_original = original
    return existing_tables


def install_odoo_patch():
    """Let Odoo's schema code see partitioned tables (idempotent; at module import)."""
    from odoo.tools import sql as odoo_sql

    if not hasattr(odoo_sql.existing_tables, "workflow_monitor_original"):
        odoo_sql.existing_tables = _existing_tables_with_partitioned(odoo_sql.existing_tables)
