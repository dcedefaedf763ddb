# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The documents related to the flows of a model, for the object-centric export
(DESIGN section 12: "an event is linked to every document it touches").

A tracked model declares them with the hook ``_workflow_related_documents()``: a tuple
of :class:`RelatedDocuments`, each a qualifier (``"picking"``), a model
(``"stock.picking"``), the path of fields from that model to the flow's document
(``"sale_id"``, ``"line_ids.sale_line_ids.order_id"``) and an optional domain. This
module turns the declarations into one SQL query of ``(root_id, model, id, qualifier,
name)`` rows, resolved by PostgreSQL (no query per document):

- the related documents are read through ``_search`` as the user: the record rules of
  their model apply (another company's pickings or invoices never come out), and a model
  the user may not read at all is left out;
- the path is followed by joins of the fields' own tables and columns (many2one,
  one2many, many2many), names from the registry, never from input; the intermediate
  rows (move lines, order lines) only link, nothing of them is exported.
"""

from typing import NamedTuple

from odoo.tools import SQL

DEFAULT_QUALIFIER = "case"

# (root_id, model, id, qualifier, name): no relation declared or readable
EMPTY_RELATED_SQL = (
    "SELECT NULL::int AS root_id, NULL::varchar AS model, NULL::int AS id, "
    "NULL::varchar AS qualifier, NULL::varchar AS name WHERE FALSE"
)


class RelatedDocuments(NamedTuple):
    """Documents linked to a flow's document: ``path`` leads from ``model`` to it."""

    qualifier: str
    model: str
    path: str
    domain: tuple = ()


def root_qualifier(env, root_model):
    """The OCEL qualifier of the flow's document itself (``case`` by default)."""
    model = env.get(root_model) if root_model else None
    return getattr(model, "_workflow_object_qualifier", None) or DEFAULT_QUALIFIER


def declared_relations(env, root_model):
    """The declarations of ``root_model`` the user may read, one per related model."""
    model = env.get(root_model) if root_model else None
    if model is None or not hasattr(model, "_workflow_related_documents"):
        return ()
    relations, models = [], set()
    for relation in model._workflow_related_documents():
        if relation.model in models:
            raise ValueError(f"{root_model}: one qualifier per related model ({relation.model})")
        models.add(relation.model)
        if relation.model in env and env[relation.model].has_access("read"):
            relations.append(relation)
    return tuple(relations)


def related_sql(env, root_model, roots):
    """SQL of the rows ``(root_id, model, id, qualifier, name)``: the documents of the
    declared relations of ``root_model`` the user may read, whose root is in ``roots``
    (an SQL query of ids)."""
    parts = [
        _relation_sql(env, root_model, relation, roots)
        for relation in declared_relations(env, root_model)
    ]
    return SQL(" UNION ALL ").join(parts) if parts else SQL(EMPTY_RELATED_SQL)


def _relation_sql(env, root_model, relation, roots):
    Related = env[relation.model]
    query = Related._search(list(relation.domain))  # as the user: record rules apply
    root_id = _follow_path(env, query, Related, relation.path, root_model)
    query.add_where(SQL("%s IN (%s)", root_id, roots))
    rec_name = Related._rec_name
    if rec_name and rec_name in Related._fields and Related._fields[rec_name].store:
        name = SQL("%s::varchar", Related._field_to_sql(query.table, rec_name, query))
    else:
        name = SQL("NULL::varchar")
    return query.select(
        SQL(
            "DISTINCT %s AS root_id, %s::varchar AS model, %s AS id, %s::varchar AS qualifier, "
            "%s AS name",
            root_id,
            relation.model,
            SQL.identifier(query.table, "id"),
            relation.qualifier,
            name,
        )
    )


def _follow_path(env, query, model, path, root_model):
    """Join ``query`` (on ``model``) along ``path``; the SQL of the root's id."""
    alias, names = query.table, path.split(".")
    for index, fname in enumerate(names):
        field = model._fields.get(fname)
        if field is None or field.type not in ("many2one", "one2many", "many2many"):
            raise ValueError(f"{model._name}.{fname}: not a relational field ({path})")
        comodel = env[field.comodel_name]
        last = index == len(names) - 1
        if field.type == "many2one":
            if last:
                root_id = SQL.identifier(alias, fname)
            else:
                alias = query.join(alias, fname, comodel._table, "id", fname)
        elif field.type == "one2many":
            alias = query.join(alias, "id", comodel._table, field.inverse_name, fname)
            root_id = SQL.identifier(alias, "id")
        else:
            rel = query.join(alias, "id", field.relation, field.column1, f"{fname}_rel")
            root_id = SQL.identifier(rel, field.column2)
            if not last:
                alias = query.join(rel, field.column2, comodel._table, "id", fname)
        model = comodel
    if model._name != root_model:
        raise ValueError(f"{path} leads to {model._name}, not {root_model}")
    return root_id
