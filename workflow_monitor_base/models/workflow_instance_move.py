# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The engine's writer of instances: observed stage chains become instance rows and
stage events, set-based whatever the number of documents and definitions: one
statement (``CAPTURE_SQL``) reads the current instances, upserts them and inserts the
events.

Python prepares each chain as if the document had no instance yet (its stages in order,
the instance row of its last stage); the statement then applies what the stored
instance changes: a first stage equal to the stored one is no transition, the first
transition leaves the stored stage (its duration since the stored entry, the SLA outcome
``met`` / ``missed`` of the stored timer, kept on the instance when the new stage has no
timer), and a document whose chain changes nothing is not written at all."""

from typing import NamedTuple

from odoo import api, models
from odoo.tools import SQL
from odoo.tools.misc import split_every

from ..tools import clock, column_names, unnest_arrays
from ..tools.sql import CHUNK
from .workflow_event import EVENT_COLUMNS

# Columns of the instance upsert, in the order of InstanceRow (constants).
INSTANCE_INSERT_COLUMNS = (
    ("definition_id", "int4"),
    ("res_model", "varchar"),
    ("res_id", "int4"),
    ("name", "varchar"),
    ("company_id", "int4"),
    ("user_id", "int4"),
    ("stage_id", "int4"),
    ("stage_entered_at", "timestamp"),
    ("started_at", "timestamp"),
    ("ended_at", "timestamp"),
    ("state", "varchar"),
    ("sla_policy_id", "int4"),
    ("sla_deadline", "timestamp"),
    ("sla_warning_at", "timestamp"),
    ("sla_state", "varchar"),
    ("node_ref", "varchar"),
    ("create_uid", "int4"),
    ("create_date", "timestamp"),
    ("write_uid", "int4"),
    ("write_date", "timestamp"),
)
INSTANCE_UPSERT_SQL = """
ON CONFLICT (definition_id, res_model, res_id) DO UPDATE SET
       stage_id = EXCLUDED.stage_id,
       stage_entered_at = EXCLUDED.stage_entered_at,
       ended_at = EXCLUDED.ended_at,
       state = EXCLUDED.state,
       sla_policy_id = EXCLUDED.sla_policy_id,
       sla_deadline = EXCLUDED.sla_deadline,
       sla_warning_at = EXCLUDED.sla_warning_at,
       sla_state = EXCLUDED.sla_state,
       node_ref = EXCLUDED.node_ref,
       write_uid = EXCLUDED.write_uid,
       write_date = EXCLUDED.write_date
"""
# The statement's inputs: the instance rows with the chain's index and first stage, and
# the events with their chain and position in it (constants, never user input).
CAPTURE_INSTANCE_COLUMNS = (
    *INSTANCE_INSERT_COLUMNS,
    ("first_stage_id", "int4"),
    ("chain", "int4"),
)
CAPTURE_EVENT_COLUMNS = (*EVENT_COLUMNS, ("chain", "int4"), ("position", "int4"))
# One statement per batch: read the stored instances, upsert the moved ones, insert
# their events. In ``eff`` a chain's first stage equal to the stored one is dropped, and
# ``is_first`` marks the first remaining event, the one that leaves the stored stage.
CAPTURE_SQL = """
WITH k AS (
    SELECT * FROM unnest(%(instance_arrays)s) AS k(%(instance_names)s)
),
stored AS (
    SELECT k.chain, i.stage_id, i.stage_entered_at, i.sla_deadline, i.sla_state
      FROM k
      JOIN workflow_instance i
        ON i.definition_id = k.definition_id AND i.res_model = k.res_model
       AND i.res_id = k.res_id
),
eff AS (
    SELECT e.*, s.stage_id AS stored_stage_id, s.stage_entered_at AS stored_entered_at,
           s.sla_state AS stored_sla_state,
           e.position = CASE WHEN s.stage_id = k.first_stage_id THEN 1 ELSE 0 END
               AS is_first,
           CASE WHEN s.sla_deadline IS NOT NULL
                 AND s.sla_state IN ('on_track', 'warning', 'breached')
                THEN CASE WHEN e.occurred_at <= s.sla_deadline THEN 'met' ELSE 'missed' END
           END AS stored_outcome
      FROM unnest(%(event_arrays)s) AS e(%(event_names)s)
      JOIN k ON k.chain = e.chain
      LEFT JOIN stored s ON s.chain = e.chain
     WHERE e.position > 0 OR s.stage_id IS DISTINCT FROM e.stage_to_id
),
up AS (
    INSERT INTO workflow_instance (%(instance_columns)s)
    SELECT %(instance_values)s
      FROM k
      JOIN eff f ON f.chain = k.chain AND f.is_first
    %(upsert)s
    RETURNING id, definition_id, res_model, res_id
),
ins AS (
    INSERT INTO workflow_event (%(event_columns)s)
    SELECT u.id, f.definition_id, f.res_model, f.res_id, f.event_type,
           CASE WHEN f.is_first THEN f.stored_stage_id ELSE f.stage_from_id END,
           f.stage_to_id, f.occurred_at,
           CASE WHEN NOT f.is_first THEN f.duration_seconds
                WHEN f.stored_entered_at IS NOT NULL
                THEN GREATEST(EXTRACT(EPOCH FROM f.occurred_at - f.stored_entered_at), 0)
           END,
           f.source, f.source_ref, f.user_id, f.correlation_id,
           CASE WHEN f.is_first AND f.stored_outcome IS NOT NULL
                THEN COALESCE(f.payload, '{}'::jsonb)
                     || jsonb_build_object('sla', f.stored_outcome)
                ELSE f.payload
           END,
           f.company_id, f.related_documents
      FROM eff f
      JOIN up u ON u.definition_id = f.definition_id AND u.res_model = f.res_model
               AND u.res_id = f.res_id
     ORDER BY f.chain, f.position
    RETURNING id, event_type
)
SELECT id, event_type FROM ins ORDER BY id
"""
# The instance's SLA state when its new stage has no timer (Python left it empty): the
# outcome of the stored timer, else the stored met / missed, else none.
CAPTURE_SLA_STATE_SQL = """
CASE WHEN k.sla_policy_id IS NOT NULL THEN k.sla_state
     ELSE COALESCE(f.stored_outcome,
                   CASE WHEN f.stored_sla_state IN ('met', 'missed') THEN f.stored_sla_state END,
                   'none')
END
"""


class Transition(NamedTuple):
    """One stage change of a document: from, to, when, since when it was in ``from``,
    and who moved it, through what (``(user id[, source])`` as the capture observed it;
    empty: the current user and the batch's source)."""

    from_id: int | None
    to_id: int
    at: object
    entered: object
    who: tuple = ()
    documents: tuple = ()  # ((model, id), ...) that moved it, see _workflow_feed


class Move(NamedTuple):
    """The stage changes of one document in one definition."""

    definition_code: str
    definition_id: int
    res_model: str
    res_id: int
    transitions: list


class InstanceRow(NamedTuple):
    """One row of the instance upsert (the fields of INSTANCE_INSERT_COLUMNS)."""

    definition_id: int
    res_model: str
    res_id: int
    name: str
    company_id: int
    user_id: int | None
    stage_id: int
    stage_entered_at: object
    started_at: object
    ended_at: object
    state: str
    sla_policy_id: int | None
    sla_deadline: object
    sla_warning_at: object
    sla_state: str
    node_ref: str | None
    create_uid: int
    create_date: object
    write_uid: int
    write_date: object


assert InstanceRow._fields == tuple(name for name, _type in INSTANCE_INSERT_COLUMNS)


class ChainContext(NamedTuple):
    """What the moved documents say about themselves, read once per batch."""

    maps: dict  # definition code -> (definition id, {stage code: (id, final, cancel)})
    records: dict  # model -> recordset of the moved documents
    nodes: dict  # (model, id) -> node reference
    deadlines: dict  # (model, id) -> (policy id, deadline, warning at)
    now: object


class WorkflowInstanceMove(models.Model):
    _inherit = "workflow.instance"

    def _move(self, definition_code, targets, now=None, source=None, payload=None):
        """Move the instances of ``targets`` now and log one event per actual change.

        :param targets: {record: stage code} for root records of the definition; a
            record whose instance already is in that stage is left alone, so calling
            this twice changes nothing. ``None`` codes are ignored.
        :return: the logged events
        """
        now = now or clock.now(self.env)
        chains = {
            (definition_code, record._name, record.id): [(code, now)]
            for record, code in targets.items()
            if code and record.id
        }
        # The stages the capture noted earlier in the transaction (a rule moving a
        # document on create) happened before this move: apply them first, under no
        # source of this move, or pre-commit would log them after it and undo it.
        self.env["workflow.tracked.mixin"].with_context(
            workflow_source=None, workflow_source_ref=None, workflow_correlation_id=None
        )._workflow_flush_deferred()
        return self._apply_chains(chains, source=source, payload=payload)

    @api.model
    def _apply_chains(self, chains, source=None, payload=None):
        """Apply observed stage sequences and log one event per actual change.

        :param chains: {(definition code, model, res_id): [(stage code, observed at[,
            user id, source[, documents]])]}, the stages a document went through in this
            transaction, in order, who moved it there and the documents that did. Codes
            equal to the current stage are skipped, so re-applying changes nothing.
        :return: the logged events
        """
        if not chains:
            return self.env["workflow.event"]
        maps = self._chain_stage_maps(chains)
        moves = self._chain_moves(chains, maps)
        context = self._chain_context(moves, maps)
        Event = self.env["workflow.event"]
        # the statement reads the stored instances: apply pending ORM writes first
        self.flush_model()
        returned = []
        for chunk in split_every(CHUNK, list(enumerate(moves)), list):
            instance_rows, event_rows = [], []
            for chain, move in chunk:
                row = self._chain_instance_row(move, context)
                instance_rows.append((*row, move.transitions[0].to_id, chain))
                event_rows += [
                    (*Event._prepare_event_row(vals), chain, position)
                    for position, vals in enumerate(
                        self._chain_events(move, context, source, payload)
                    )
                ]
            returned += self._chain_capture(instance_rows, event_rows)
        self.invalidate_model()
        events = Event.browse([event_id for event_id, _type in returned])
        if events:
            Event._events_logged(events, {event_type for _id, event_type in returned})
        return events

    @api.model
    def _chain_stage_maps(self, chains):
        """The stage map of each definition of the batch; an unknown code raises,
        naming it."""
        definitions = self.env["workflow.definition"]
        maps = {}
        for definition_code, _model, _res_id in chains:
            if definition_code not in maps:
                maps[definition_code] = definitions._get_stage_map(definition_code)
        for (definition_code, _model, _res_id), chain in chains.items():
            for code, *_observed in chain:
                if code not in maps[definition_code][1]:
                    definitions._resolve_stage(definition_code, code)
        return maps

    @api.model
    def _chain_moves(self, chains, maps):
        """Walk each chain as if the document had no instance: one transition per stage
        change (the statement drops a first one to the stored stage)."""
        moves = []
        for (definition_code, res_model, res_id), chain in chains.items():
            definition_id, stages = maps[definition_code]
            stage_id = entered = None
            transitions = []
            for code, at, *who in chain:
                to_id = stages[code][0]
                if to_id == stage_id:
                    continue
                documents = who[2] if len(who) > 2 else ()
                transitions.append(
                    Transition(stage_id, to_id, at, entered, tuple(who[:2]), documents)
                )
                stage_id, entered = to_id, at
            if transitions:
                moves.append(Move(definition_code, definition_id, res_model, res_id, transitions))
        return moves

    @api.model
    def _chain_context(self, moves, maps):
        """The moved documents, their node and the SLA deadline of the stage each one
        ends in (one matching per definition)."""
        ids_by_model = {}
        for move in moves:
            ids_by_model.setdefault(move.res_model, []).append(move.res_id)
        records = {model: self.env[model].browse(ids) for model, ids in ids_by_model.items()}
        nodes = {}
        for recordset in records.values():
            if hasattr(recordset, "_workflow_node_ref"):
                nodes.update(
                    {(r._name, r.id): ref for r, ref in recordset._workflow_node_ref().items()}
                )
        by_definition = {}
        for move in moves:
            last = move.transitions[-1]
            by_definition.setdefault(move.definition_code, []).append(
                (records[move.res_model].browse(move.res_id), last.to_id, last.at)
            )
        deadlines = {}
        Policy = self.env["workflow.sla.policy"]
        for definition_code, items in by_definition.items():
            deadlines.update(Policy._match_deadlines(maps[definition_code][0], items))
        return ChainContext(maps, records, nodes, deadlines, clock.now(self.env))

    @api.model
    def _chain_events(self, move, context, source, payload):
        """The stage events of one move as if the document had no instance yet: the
        statement sets the instance, and the stage left, the duration and the SLA
        outcome of the first one from the stored instance."""
        record = context.records[move.res_model].browse(move.res_id)
        company_id = self._record_company_id(record)
        events = []
        for transition in move.transitions:
            entered, who = transition.entered, transition.who
            events.append(
                {
                    "definition_id": move.definition_id,
                    "res_model": move.res_model,
                    "res_id": move.res_id,
                    "event_type": "stage",
                    "stage_from_id": transition.from_id,
                    "stage_to_id": transition.to_id,
                    "occurred_at": transition.at,
                    "duration_seconds": (
                        max((transition.at - entered).total_seconds(), 0.0) if entered else None
                    ),
                    "source": who[1] if len(who) > 1 and who[1] else source,
                    "user_id": who[0] if who else self.env.uid,
                    "payload": dict(payload) if payload else None,
                    "company_id": company_id,
                    "related_documents": [
                        {"model": model, "id": res_id} for model, res_id in transition.documents
                    ],
                }
            )
        return events

    @api.model
    def _chain_instance_row(self, move, context):
        """The row of the instance after ``move`` as if it had none yet: its last stage,
        the state that stage gives and the SLA timer of that stage. Without a timer the
        statement sets the SLA state from the stored instance (CAPTURE_SLA_STATE_SQL);
        an existing instance keeps its start, name, company and creator."""
        record = context.records[move.res_model].browse(move.res_id)
        last, now = move.transitions[-1], context.now
        _definition_id, stages = context.maps[move.definition_code]
        _stage_id, is_final, is_cancel = next(
            values for values in stages.values() if values[0] == last.to_id
        )
        state = "cancelled" if is_cancel else "done" if is_final else "running"
        policy_id, deadline, warning_at = context.deadlines.get(
            (move.res_model, move.res_id), (None, None, None)
        )
        sla_state = "none"
        if policy_id and state == "running":
            sla_state = "warning" if warning_at and warning_at <= now else "on_track"
            if deadline <= now:
                sla_state = "breached"
        else:
            policy_id = deadline = warning_at = None
        uid = self.env.uid
        return InstanceRow(
            definition_id=move.definition_id,
            res_model=move.res_model,
            res_id=move.res_id,
            name=record.display_name or "",
            company_id=self._record_company_id(record),
            user_id=self._record_user_id(record),
            stage_id=last.to_id,
            stage_entered_at=last.at,
            started_at=move.transitions[0].at,
            ended_at=None if state == "running" else last.at,
            state=state,
            sla_policy_id=policy_id,
            sla_deadline=deadline,
            sla_warning_at=warning_at,
            sla_state=sla_state,
            node_ref=context.nodes.get((move.res_model, move.res_id)) or None,
            create_uid=uid,
            create_date=now,
            write_uid=uid,
            write_date=now,
        )

    @api.model
    def _chain_capture(self, instance_rows, event_rows):
        """Run CAPTURE_SQL on rows of CAPTURE_INSTANCE_COLUMNS and CAPTURE_EVENT_COLUMNS;
        return the [(id, event type)] of the inserted events."""
        instance_values = SQL(", ").join(
            SQL(CAPTURE_SLA_STATE_SQL) if name == "sla_state" else SQL.identifier("k", name)
            for name, _type in INSTANCE_INSERT_COLUMNS
        )
        self.env.cr.execute(
            SQL(
                CAPTURE_SQL,
                instance_arrays=unnest_arrays(CAPTURE_INSTANCE_COLUMNS, instance_rows),
                instance_names=column_names(CAPTURE_INSTANCE_COLUMNS),
                event_arrays=unnest_arrays(CAPTURE_EVENT_COLUMNS, event_rows),
                event_names=column_names(CAPTURE_EVENT_COLUMNS),
                instance_columns=column_names(INSTANCE_INSERT_COLUMNS),
                instance_values=instance_values,
                upsert=SQL(INSTANCE_UPSERT_SQL),
                event_columns=column_names(EVENT_COLUMNS),
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _record_company_id(self, record):
        if "company_id" in record._fields and record.company_id:
            return record.company_id.id
        return self.env.company.id

    @api.model
    def _record_user_id(self, record):
        field = record._fields.get("user_id")
        if field is not None and field.comodel_name == "res.users":
            return record.user_id.id or None
        return None
