# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The engine's writer of instances: observed stage chains become instance rows and
stage events, set-based whatever the number of documents and definitions (one SELECT
of the current instances, one upsert of the instances, one INSERT of the events)."""

from typing import NamedTuple

from odoo import api, models
from odoo.tools import SQL

from ..tools import bulk_insert, clock

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
STORED_INSTANCES_SQL = """
SELECT i.definition_id, i.res_model, i.res_id, i.id, i.stage_id, i.stage_entered_at,
       i.sla_deadline, i.sla_state, i.started_at
  FROM workflow_instance i
  JOIN unnest(%s::int[], %s::varchar[], %s::int[]) AS k(d, m, r)
    ON i.definition_id = k.d AND i.res_model = k.m AND i.res_id = k.r
"""
SLA_TIMER_STATES = ("on_track", "warning", "breached")


class StoredInstance(NamedTuple):
    """An instance as stored before the chains are applied."""

    id: int
    stage_id: int
    stage_entered_at: object
    sla_deadline: object
    sla_state: str
    started_at: object


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
    stored: StoredInstance | None
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
        moves = self._chain_moves(chains, maps, self._chain_stored(chains, maps))
        if not moves:
            return self.env["workflow.event"]
        context = self._chain_context(moves, maps)
        rows, events = [], []
        for move in moves:
            move_events, sla_outcome = self._chain_events(move, context, source, payload)
            events += move_events
            rows.append(self._chain_instance_row(move, context, sla_outcome))
        ids = self._chain_upsert(rows)
        for vals in events:
            if isinstance(vals["instance_id"], tuple):
                vals["instance_id"] = ids.get(vals["instance_id"])
        return self.env["workflow.event"]._log_events(events)

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
    def _chain_stored(self, chains, maps):
        """{(definition id, model, res_id): StoredInstance} of the documents, one query."""
        keys = [(maps[code][0], model, res_id) for code, model, res_id in chains]
        self.flush_model()
        self.env.cr.execute(
            SQL(
                STORED_INSTANCES_SQL,
                [key[0] for key in keys],
                [key[1] for key in keys],
                [key[2] for key in keys],
            )
        )
        return {tuple(row[:3]): StoredInstance(*row[3:]) for row in self.env.cr.fetchall()}

    @api.model
    def _chain_moves(self, chains, maps, stored):
        """Walk each chain from the stored stage: one transition per stage change."""
        moves = []
        for (definition_code, res_model, res_id), chain in chains.items():
            definition_id, stages = maps[definition_code]
            instance = stored.get((definition_id, res_model, res_id))
            stage_id = instance.stage_id if instance else None
            entered = instance.stage_entered_at if instance else None
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
                moves.append(
                    Move(definition_code, definition_id, res_model, res_id, instance, transitions)
                )
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
        """The stage events of one move, and the SLA outcome (met / missed) of the
        timed stage it left, if any."""
        record = context.records[move.res_model].browse(move.res_id)
        company_id = self._record_company_id(record)
        stored = move.stored
        old_deadline = stored.sla_deadline if stored else None
        old_sla = stored.sla_state if stored else None
        sla_outcome = None
        events = []
        for transition in move.transitions:
            outcome = None
            if old_deadline and old_sla in SLA_TIMER_STATES:
                outcome = sla_outcome = "met" if transition.at <= old_deadline else "missed"
            old_deadline = old_sla = None  # intermediate stages had no timer
            event_payload = dict(payload or {})
            if outcome:
                event_payload["sla"] = outcome
            entered, who = transition.entered, transition.who
            events.append(
                {
                    # the id of an instance created by this batch is known after it
                    "instance_id": stored.id
                    if stored
                    else (move.definition_id, move.res_model, move.res_id),
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
                    "payload": event_payload or None,
                    "company_id": company_id,
                    "related_documents": [
                        {"model": model, "id": res_id} for model, res_id in transition.documents
                    ],
                }
            )
        return events, sla_outcome

    @api.model
    def _chain_instance_row(self, move, context, sla_outcome):
        """The upserted row of the instance after ``move``: its last stage, the state
        that stage gives, the SLA timer of that stage or the outcome of the last one."""
        record = context.records[move.res_model].browse(move.res_id)
        stored, last, now = move.stored, move.transitions[-1], context.now
        _definition_id, stages = context.maps[move.definition_code]
        _stage_id, is_final, is_cancel = next(
            values for values in stages.values() if values[0] == last.to_id
        )
        state = "cancelled" if is_cancel else "done" if is_final else "running"
        policy_id, deadline, warning_at = context.deadlines.get(
            (move.res_model, move.res_id), (None, None, None)
        )
        if policy_id and state == "running":
            sla_state = "warning" if warning_at and warning_at <= now else "on_track"
            if deadline <= now:
                sla_state = "breached"
        else:
            policy_id = deadline = warning_at = None
            kept = stored.sla_state if stored and stored.sla_state in ("met", "missed") else None
            sla_state = sla_outcome or kept or "none"
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
            started_at=stored.started_at
            if stored and stored.started_at
            else move.transitions[0].at,
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
    def _chain_upsert(self, rows):
        """Insert or update the instance rows; {(definition id, model, res_id): id}."""
        returned = bulk_insert(
            self.env.cr,
            self._table,
            INSTANCE_INSERT_COLUMNS,
            rows,
            returning="id, definition_id, res_model, res_id",
            on_conflict=SQL(INSTANCE_UPSERT_SQL),
        )
        self.invalidate_model()
        return {(d, m, r): instance_id for instance_id, d, m, r in returned}

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
