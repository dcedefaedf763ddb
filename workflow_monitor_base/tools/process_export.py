# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Streaming writers of the event log for process-mining tools: OCEL 2.0 JSON and
XES 1.0 XML (DESIGN section 12).

The rows are read as the requesting user (record rules of ``workflow.instance`` and
``workflow.event`` apply, never sudo) through a PostgreSQL server-side cursor
(``DECLARE ... CURSOR``, ``FETCH`` by chunks), and every row is formatted by PostgreSQL
itself (``json_build_object``, ``xmlelement``: escaping is PostgreSQL's), so memory
stays flat whatever the number of events. The writers are generators of ``bytes``: the
controller hands them to a werkzeug response and they run after the request's own
cursor is gone, on a cursor of their own.

What is exported: the ``stage`` events of one definition whose instance the user may
read, in ``[date_from, date_to]`` (whole days, UTC). An event's type is the code of the
stage it reached. OCEL objects are the documents of the instances (``res_model:res_id``)
and the documents related to them (an order's pickings and invoices: the declarations
of ``_workflow_related_documents``, ``tools/process_relations.py``), with object-to-object
relationships from the instance's document to each related one. Each event is linked to
its instance's document (qualifier ``_workflow_object_qualifier``, default ``case``) and
to the related documents that moved it (``workflow.event.related_documents``, recorded by
the capture), by the qualifier of their relation; a document the user may not read
(record rules, another company) is neither an object nor linked.
"""

import contextlib
import json
import uuid
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from xml.sax.saxutils import quoteattr

from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL

from . import process_relations

CHUNK_ROWS = 5000
OCEL_TIME = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
XES_TIME = 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"'
# initial value of the objects' static attributes (OCEL 2.0 convention)
OCEL_EPOCH = "1970-01-01T00:00:00Z"
XES_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>
<global scope="event"><string key="concept:name" value="__INVALID__"/>\
<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>
<classifier name="Activity" keys="concept:name"/>
"""


class ExportScope(NamedTuple):
    """What one export reads: a definition, a range of days (None: every event) and
    the user it is read as."""

    dbname: str
    uid: int
    context: dict
    definition_id: int
    date_from: date | None
    date_to: date | None


# ------------------------------------------------------------
# QUERIES (as the user: record rules apply)
# ------------------------------------------------------------


def event_domain(env, scope):
    """Domain of the exported events: the definition's stage changes, of instances the
    user may read, within the range of days."""
    instances = env["workflow.instance"]._search([("definition_id", "=", scope.definition_id)])
    domain = [
        ("definition_id", "=", scope.definition_id),
        ("event_type", "=", "stage"),
        ("stage_to_id", "!=", False),
        ("instance_id", "in", instances),
    ]
    if scope.date_from:
        start = datetime.combine(scope.date_from, time.min)
        end = datetime.combine(scope.date_to + timedelta(days=1), time.min)
        domain += [("occurred_at", ">=", start), ("occurred_at", "<", end)]
    return domain


def count_events(env, scope):
    return env["workflow.event"].search_count(event_domain(env, scope))


def _event_query(env, scope, order_columns=()):
    """The events' Query with the joins the rows need, ordered by ``order_columns``
    (columns of the events); returns (query, aliases)."""
    query = env["workflow.event"]._search(event_domain(env, scope))
    table = query.table
    stage = query.join(table, "stage_to_id", "workflow_stage", "id", "stage")
    instance = query.join(table, "instance_id", "workflow_instance", "id", "instance")
    user = query.left_join(table, "user_id", "res_users", "id", "user")
    query.order = (
        SQL(", ").join(SQL.identifier(table, column) for column in order_columns)
        if order_columns
        else None
    )
    return query, {"event": table, "stage": stage, "instance": instance, "user": user}


def _resource(aliases):
    return SQL(
        "COALESCE(%s, %s::text, '')",
        SQL.identifier(aliases["user"], "login"),
        SQL.identifier(aliases["event"], "user_id"),
    )


def _document(alias):
    return SQL(
        "%s || ':' || %s", SQL.identifier(alias, "res_model"), SQL.identifier(alias, "res_id")
    )


def _fetch_chunks(cr, query):
    """Rows of ``query`` by chunks of CHUNK_ROWS through a server-side cursor."""
    name = SQL.identifier(f"wm_export_{uuid.uuid4().hex}")
    cr.execute(SQL("DECLARE %s NO SCROLL CURSOR FOR %s", name, query))
    try:
        while True:
            cr.execute(SQL("FETCH FORWARD %s FROM %s", CHUNK_ROWS, name))
            rows = cr.fetchall()
            if not rows:
                return
            yield rows
    finally:
        cr.execute(SQL("CLOSE %s", name))


@contextlib.contextmanager
def _scope_env(scope):
    """An environment of the scope's user on a cursor of its own (the request's cursor
    is closed when the response is streamed); read only, rolled back."""
    with contextlib.closing(Registry(scope.dbname).cursor()) as cr:
        yield api.Environment(cr, scope.uid, scope.context)


# ------------------------------------------------------------
# OCEL 2.0 JSON
# ------------------------------------------------------------


def ocel_chunks(scope):
    """OCEL 2.0 JSON, as a generator of bytes."""
    with _scope_env(scope) as env:
        definition = env["workflow.definition"].browse(scope.definition_id)
        event_types = [
            {"name": code, "attributes": [{"name": "resource", "type": "string"}]}
            for code in definition.stage_ids.sorted(lambda s: (s.sequence, s.id)).mapped("code")
        ]
        root_model = definition.res_model
        objects_sql = _ocel_objects_sql(env, scope, root_model)
        env.cr.execute(SQL("SELECT DISTINCT type FROM (%s) o ORDER BY type", objects_sql))
        object_types = [
            {"name": row[0], "attributes": [{"name": "name", "type": "string"}]}
            for row in env.cr.fetchall()
        ]
        head = {"objectTypes": object_types, "eventTypes": event_types}
        yield (json.dumps(head)[:-1] + ', "objects": [').encode()
        yield from _json_array_chunks(env.cr, SQL("SELECT obj FROM (%s) o", objects_sql))
        yield b'], "events": ['
        yield from _json_array_chunks(env.cr, _ocel_events_sql(env, scope, root_model))
        yield b"]}\n"


def _json_array_chunks(cr, query):
    first = True
    for rows in _fetch_chunks(cr, query):
        text = ",\n".join(row[0] for row in rows)
        yield (text if first else ",\n" + text).encode()
        first = False


def _ocel_objects_sql(env, scope, root_model):
    """(type, obj): one OCEL object per document of the exported events, with its
    object-to-object relationships (an order -> its pickings and invoices), then one per
    related document of those (``tools/process_relations.py``: record rules of their
    model applied)."""
    query, aliases = _event_query(env, scope)
    instance = aliases["instance"]
    documents = query.select(
        SQL(
            "DISTINCT %s AS res_model, %s AS res_id",
            SQL.identifier(instance, "res_model"),
            SQL.identifier(instance, "res_id"),
        )
    )
    if not process_relations.declared_relations(env, root_model):
        return _ocel_documents_sql(documents, scope)
    roots = SQL("SELECT res_id FROM docs WHERE res_model = %s", root_model)
    # a document has one instance per definition: its name is the object's name
    return SQL(
        """WITH docs AS MATERIALIZED (%(documents)s),
                related AS MATERIALIZED (%(related)s),
                links AS (
                    SELECT root_id, json_agg(json_build_object(
                               'objectId', model || ':' || id, 'qualifier', qualifier)
                               ORDER BY model, id) AS relationships
                      FROM related GROUP BY root_id)
           SELECT type, obj FROM (
               SELECT d.res_model AS type, d.res_id AS res_id,
                      json_build_object(
                          'id', d.res_model || ':' || d.res_id, 'type', d.res_model,
                          'attributes', json_build_array(json_build_object(
                              'name', 'name', 'time', %(epoch)s::text, 'value', i.name)),
                          'relationships', COALESCE(l.relationships, json_build_array())
                      )::text AS obj
                 FROM docs d
                 JOIN LATERAL (
                     SELECT name FROM workflow_instance
                      WHERE definition_id = %(definition)s
                        AND res_model = d.res_model AND res_id = d.res_id
                      ORDER BY id LIMIT 1
                 ) i ON TRUE
                 LEFT JOIN links l ON d.res_model = %(root)s AND l.root_id = d.res_id
               UNION ALL
               SELECT r.model, r.id,
                      json_build_object(
                          'id', r.model || ':' || r.id, 'type', r.model,
                          'attributes', json_build_array(json_build_object(
                              'name', 'name', 'time', %(epoch)s::text,
                              'value', COALESCE(r.name, ''))),
                          'relationships', json_build_array()
                      )::text
                 FROM (SELECT DISTINCT ON (model, id) model, id, name
                         FROM related ORDER BY model, id) r
                WHERE (r.model, r.id) NOT IN (SELECT res_model, res_id FROM docs)
           ) o
            ORDER BY type, res_id""",
        epoch=OCEL_EPOCH,
        documents=documents,
        related=process_relations.related_sql(env, root_model, roots),
        definition=scope.definition_id,
        root=root_model,
    )


def _ocel_documents_sql(documents, scope):
    """(type, obj) of the documents of the instances, when no relation is declared."""
    return SQL(
        """SELECT d.res_model AS type,
                  json_build_object(
                      'id', d.res_model || ':' || d.res_id, 'type', d.res_model,
                      'attributes', json_build_array(json_build_object(
                          'name', 'name', 'time', %(epoch)s::text, 'value', i.name)),
                      'relationships', json_build_array()
                  )::text AS obj
             FROM (%(documents)s) d
             JOIN LATERAL (
                 SELECT name FROM workflow_instance
                  WHERE definition_id = %(definition)s
                    AND res_model = d.res_model AND res_id = d.res_id
                  ORDER BY id LIMIT 1
             ) i ON TRUE
            ORDER BY d.res_model, d.res_id""",
        epoch=OCEL_EPOCH,
        documents=documents,
        definition=scope.definition_id,
    )


def _ocel_events_sql(env, scope, root_model):
    """The events, each linked to its instance's document and to the related documents
    that moved it (``workflow.event.related_documents``) when the user may read them
    (the relations of ``tools/process_relations.py``, record rules applied)."""
    query, aliases = _event_query(env, scope, ("occurred_at", "id"))
    event, instance = aliases["event"], aliases["instance"]
    root_link = SQL(
        "json_build_object('objectId', %s, 'qualifier', %s::text)",
        _document(instance),
        process_relations.root_qualifier(env, root_model),
    )
    relationships = SQL("json_build_array(%s)", root_link)
    if process_relations.declared_relations(env, root_model):
        # a join, not a subquery per row: the rows are still formatted in parallel
        query.add_join(
            "LEFT JOIN",
            "links",
            SQL("(%s)", _ocel_links_sql(env, scope, root_model)),
            SQL("%s = %s", SQL.identifier("links", "event_id"), SQL.identifier(event, "id")),
        )
        relationships = SQL(
            """CASE WHEN links.links IS NULL THEN %(plain)s
                    ELSE ('[' || %(root_link)s::text || ', ' || links.links || ']')::json END""",
            plain=relationships,
            root_link=root_link,
        )
    return query.select(
        SQL(
            """json_build_object(
                   'id', 'e' || %(id)s, 'type', %(code)s,
                   'time', to_char(%(occurred)s, %(fmt)s),
                   'attributes', json_build_array(json_build_object(
                       'name', 'resource', 'value', %(resource)s)),
                   'relationships', %(relationships)s
               )::text""",
            id=SQL.identifier(event, "id"),
            code=SQL.identifier(aliases["stage"], "code"),
            occurred=SQL.identifier(event, "occurred_at"),
            fmt=OCEL_TIME,
            resource=_resource(aliases),
            relationships=relationships,
        )
    )


def _ocel_links_sql(env, scope, root_model):
    """(event_id, links): the links (JSON text, comma separated, in the order of
    ``related_documents``) of the definition's stage events that name related documents
    the user may read and that belong to the event's own document."""
    roots = env["workflow.instance"]._search(
        [("definition_id", "=", scope.definition_id), ("res_model", "=", root_model)]
    )
    related = process_relations.related_sql(
        env, root_model, roots.subselect(SQL.identifier(roots.table, "res_id"))
    )
    return SQL(
        """SELECT le.id AS event_id,
                  string_agg(json_build_object(
                      'objectId', r.model || ':' || r.id, 'qualifier', r.qualifier)::text,
                      ', ' ORDER BY d.n) AS links
             FROM workflow_event le
             JOIN workflow_instance li ON li.id = le.instance_id AND li.res_model = %(root)s
             CROSS JOIN LATERAL jsonb_array_elements(le.related_documents)
                  WITH ORDINALITY AS d(doc, n)
             JOIN (%(related)s) r
               ON r.model = d.doc->>'model' AND r.id = (d.doc->>'id')::int
              AND r.root_id = li.res_id
            WHERE le.related_documents IS NOT NULL AND le.event_type = 'stage'
              AND le.definition_id = %(definition)s
            GROUP BY le.id""",
        root=root_model,
        related=related,
        definition=scope.definition_id,
    )


# ------------------------------------------------------------
# XES 1.0 XML
# ------------------------------------------------------------


def xes_chunks(scope):
    """XES 1.0 XML, one trace per instance, as a generator of bytes."""
    with _scope_env(scope) as env:
        definition = env["workflow.definition"].browse(scope.definition_id)
        yield (
            XES_HEADER + f'<string key="concept:name" value={quoteattr(definition.code)}/>\n'
        ).encode()
        current = None
        for rows in _fetch_chunks(env.cr, _xes_events_sql(env, scope)):
            parts = []
            for instance_id, document, name, event_xml in rows:
                if instance_id != current:
                    if current is not None:
                        parts.append("</trace>\n")
                    parts.append(
                        f'<trace><string key="concept:name" value={quoteattr(document)}/>'
                        f'<string key="name" value={quoteattr(name or "")}/>\n'
                    )
                    current = instance_id
                parts.append(event_xml)
                parts.append("\n")
            yield "".join(parts).encode()
        yield ("</trace>\n</log>\n" if current is not None else "</log>\n").encode()


def _xes_events_sql(env, scope):
    query, aliases = _event_query(env, scope, ("instance_id", "occurred_at", "id"))
    event, instance = aliases["event"], aliases["instance"]
    return query.select(
        SQL(
            """%(instance_id)s, %(document)s, %(name)s,
               xmlelement(name "event",
                   xmlelement(name "string", xmlattributes(
                       'concept:name' AS "key", %(code)s AS "value")),
                   xmlelement(name "date", xmlattributes(
                       'time:timestamp' AS "key", to_char(%(occurred)s, %(fmt)s) AS "value")),
                   xmlelement(name "string", xmlattributes(
                       'org:resource' AS "key", %(resource)s AS "value"))
               )::text""",
            instance_id=SQL.identifier(event, "instance_id"),
            document=_document(instance),
            name=SQL.identifier(instance, "name"),
            code=SQL.identifier(aliases["stage"], "code"),
            occurred=SQL.identifier(event, "occurred_at"),
            fmt=XES_TIME,
            resource=_resource(aliases),
        )
    )
