from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools import bulk_insert, clock, commit_chunk, cron_run_alone, drop_indexes
from ..tools.context import context_flag, server_context
from .workflow_exception import SEVERITY_RANK

SLA_STATES = [
    ("none", "No SLA"),
    ("on_track", "On Track"),
    ("warning", "Warning"),
    ("breached", "Breached"),
    ("met", "Met"),
    ("missed", "Missed"),
]
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
OPEN_SLA_STATES = ("on_track", "warning")

# The SLA sweep's statements (constants: every value is a query parameter).
# Due instances of one chunk, locked; no ORDER BY: with SKIP LOCKED no worker waits on
# another, so lock order does not matter, and the scan stops at the limit.
SLA_DUE_SQL = """
    SELECT id FROM workflow_instance
     WHERE state = 'running' AND sla_state IN ('on_track', 'warning')
       AND (sla_deadline <= %(now)s OR (sla_state = 'on_track' AND sla_warning_at <= %(now)s))
     LIMIT %(limit)s
       FOR NO KEY UPDATE SKIP LOCKED
"""
# Move them (ids as an array: the planner then reads them by primary key instead of
# hashing the whole table); the columns returned are the ones _sla_record_transitions reads.
SLA_MOVE_SQL = """
    UPDATE workflow_instance i
       SET sla_state = CASE WHEN i.sla_deadline <= %(now)s THEN 'breached' ELSE 'warning' END,
           write_date = %(now)s
     WHERE i.id = ANY(ARRAY(%(due)s))
 RETURNING i.id, i.sla_state, i.definition_id, i.res_model, i.res_id, i.stage_id,
           i.company_id, i.sla_policy_id, i.name, i.sla_deadline, i.node_ref
"""
# Everything a chunk writes, in one statement (see WorkflowInstance._sla_sweep_chunk).
# The fields of the exceptions are the ones raise_exceptions() and create() give: the
# category of the policy (else sla_breach), its team and failure kind, the policy's
# severity (else the category's), the response deadline from the category's hours
# (else the severity's), the translated name and text with their placeholders replaced.
# An open exception with the same key in the same company gets one more occurrence and a
# severity that only rises (dedupe is per company, like raise_exceptions); a subquery of
# RETURNING still sees its row as it was before the statement.
SLA_SWEEP_SQL = """
WITH moved AS (%(move)s),
sla_events AS (
    INSERT INTO workflow_event (instance_id, definition_id, res_model, res_id, event_type,
                                stage_to_id, occurred_at, source, source_ref, user_id,
                                correlation_id, payload, company_id)
    SELECT m.id, m.definition_id, m.res_model, m.res_id, 'sla', m.stage_id, %(now)s,
           %(source)s, %(source_ref)s, %(uid)s, %(correlation)s,
           jsonb_build_object('sla_state', m.sla_state, 'policy_id', m.sla_policy_id),
           COALESCE(m.company_id, %(company)s)
      FROM moved m
 RETURNING id
),
breaches AS (
    SELECT m.*, c.id AS category_id, c.team_id, c.failure_kind, c.response_hours,
           COALESCE(p.breach_severity, c.default_severity, 'medium') AS severity,
           COALESCE(p.name ->> %(lang)s, p.name ->> 'en_US', '-') AS policy_name
      FROM moved m
      LEFT JOIN workflow_sla_policy p ON p.id = m.sla_policy_id
      JOIN workflow_exception_category c ON c.id = COALESCE(p.breach_category_id, %(category)s)
     WHERE m.sla_state = 'breached'
),
raised AS (
    INSERT INTO workflow_exception AS e (
           name, description, category_id, severity, severity_rank, state, team_id,
           res_model, res_id, instance_id, node_ref, company_id, dedupe_key,
           occurrence_count, first_seen, last_seen, failure_kind, response_deadline,
           escalation_level, create_uid, create_date, write_uid, write_date)
    SELECT left(replace(%(name_template)s, %(name_key)s, COALESCE(b.name, '')), 250),
           replace(replace(%(text_template)s,
                           %(deadline_key)s, to_char(b.sla_deadline, 'YYYY-MM-DD HH24:MI:SS')),
                   %(policy_key)s, b.policy_name),
           b.category_id, b.severity, r.rank, 'new', b.team_id,
           b.res_model, b.res_id, b.id, b.node_ref, COALESCE(b.company_id, %(company)s),
           'sla:' || b.id || ':' || COALESCE(b.stage_id, 0),
           1, %(now)s, %(now)s, COALESCE(b.failure_kind, 'structural'),
           %(now)s + make_interval(secs => 3600 * COALESCE(NULLIF(b.response_hours, 0), r.hours)),
           0, %(uid)s, %(now)s, %(uid)s, %(now)s
      FROM breaches b
      JOIN unnest(%(severities)s::varchar[], %(ranks)s::int[], %(hours)s::float8[])
           AS r(severity, rank, hours) ON r.severity = b.severity
        ON CONFLICT (category_id, company_id, dedupe_key)
           WHERE state IN ('new', 'assigned', 'in_progress')
        DO UPDATE SET occurrence_count = e.occurrence_count + 1,
                      last_seen = EXCLUDED.last_seen,
                      severity = CASE WHEN EXCLUDED.severity_rank > e.severity_rank
                                      THEN EXCLUDED.severity ELSE e.severity END,
                      severity_rank = GREATEST(EXCLUDED.severity_rank, e.severity_rank),
                      write_uid = EXCLUDED.write_uid,
                      write_date = EXCLUDED.write_date
 RETURNING e.id, e.xmax = 0 AS inserted, e.category_id, e.severity, e.instance_id,
           e.res_model, e.res_id, e.company_id,
           CASE WHEN e.xmax <> 0 THEN (SELECT o.severity FROM workflow_exception o
                                        WHERE o.id = e.id) END AS old_severity
),
raised_events AS (
    INSERT INTO workflow_event (instance_id, res_model, res_id, event_type, occurred_at,
                                source, source_ref, user_id, correlation_id, payload,
                                company_id)
    SELECT r.instance_id, r.res_model, r.res_id, 'exception', %(now)s,
           %(source)s, %(source_ref)s, %(uid)s, %(correlation)s,
           jsonb_build_object('action', 'raised', 'exception_id', r.id,
                              'category', c.code, 'severity', r.severity),
           r.company_id
      FROM raised r
      JOIN workflow_exception_category c ON c.id = r.category_id
     WHERE r.inserted
 RETURNING id
)
SELECT (SELECT count(*) FROM moved),
       ARRAY(SELECT id FROM sla_events) || ARRAY(SELECT id FROM raised_events),
       ARRAY(SELECT id FROM raised WHERE inserted ORDER BY id),
       ARRAY(SELECT id FROM raised
              WHERE NOT inserted AND severity = 'critical'
                AND old_severity IS DISTINCT FROM 'critical' ORDER BY id)
"""


class WorkflowInstance(models.Model):
    """Current-state projection of one business flow for one root record.

    Rows are written by the engine only (:meth:`_move`), in bulk, on behalf of whoever
    moved the document; users read them.
    """

    _name = "workflow.instance"
    _description = "Workflow Instance"
    _inherit = ["workflow.document.link.mixin"]
    _order = "stage_entered_at desc, id desc"

    name = fields.Char(required=True)
    definition_id = fields.Many2one("workflow.definition", required=True, ondelete="cascade")
    res_model = fields.Char(required=True)
    res_id = fields.Many2oneReference(required=True, index=True)
    company_id = fields.Many2one("res.company")
    node_ref = fields.Char(
        string="Node",
        index="btree_not_null",
        help="Where the flow runs, e.g. stock.warehouse,3 (set by the tracked model).",
    )
    user_id = fields.Many2one("res.users", string="Responsible")
    stage_id = fields.Many2one(
        "workflow.stage",
        domain="[('definition_id', '=', definition_id)]",
        group_expand="_read_group_stage_ids",
    )
    stage_entered_at = fields.Datetime(string="In Stage Since")
    started_at = fields.Datetime()
    ended_at = fields.Datetime()
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("cancelled", "Cancelled")],
        default="running",
        required=True,
    )
    sla_policy_id = fields.Many2one("workflow.sla.policy", string="SLA Policy", ondelete="set null")
    sla_deadline = fields.Datetime(string="SLA Deadline")
    sla_warning_at = fields.Datetime(string="SLA Warning At")
    sla_state = fields.Selection(SLA_STATES, string="SLA", default="none", required=True)
    event_ids = fields.One2many("workflow.event", "instance_id", string="Events")
    event_count = fields.Integer(compute="_compute_event_count")
    exception_count = fields.Integer(compute="_compute_exception_count")
    age_hours = fields.Float(string="Hours in Stage", compute="_compute_age_hours")

    _sql_constraints = [
        (
            "record_unique",
            "unique(definition_id, res_model, res_id)",
            "A document has only one instance per workflow definition.",
        ),
    ]

    def init(self):
        # Single-column indexes of earlier versions that a composite index covers or
        # that select too little (a handful of companies, models or states): every
        # insert paid for them (capture, SLA sweep).
        drop_indexes(
            self.env.cr,
            (
                "workflow_instance__definition_id_index",
                "workflow_instance__res_model_index",
                "workflow_instance__company_id_index",
            ),
        )
        cr = self.env.cr
        # SLA sweep: only running instances whose SLA can still change are scanned.
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_instance_sla_sweep_idx
                   ON workflow_instance (sla_deadline)
                WHERE state = 'running' AND sla_state IN ('on_track', 'warning')"""
        )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_instance_sla_warning_idx
                   ON workflow_instance (sla_warning_at)
                WHERE state = 'running' AND sla_state = 'on_track'"""
        )
        # Queue aging (dashboard) and stale sweep: open instances by stage and entry time,
        # covering the company filter so the dashboard's grouped counts stay index-only.
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_instance_running_stage_cover_idx
                   ON workflow_instance (definition_id, stage_id, stage_entered_at)
                   INCLUDE (company_id)
                WHERE state = 'running'"""
        )
        # Dashboard SLA figures: running instances by SLA state and deadline.
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_instance_running_sla_cover_idx
                   ON workflow_instance (sla_state, sla_deadline)
                   INCLUDE (company_id)
                WHERE state = 'running'"""
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_event_count(self):
        counts = dict(
            self.env["workflow.event"]._read_group(
                [("instance_id", "in", self.ids)], ["instance_id"], ["__count"]
            )
        )
        for instance in self:
            instance.event_count = counts.get(instance, 0)

    def _compute_exception_count(self):
        counts = dict(
            self.env["workflow.exception"]._read_group(
                [("instance_id", "in", self.ids)], ["instance_id"], ["__count"]
            )
        )
        for instance in self:
            instance.exception_count = counts.get(instance, 0)

    def _compute_age_hours(self):
        now = fields.Datetime.now()
        for instance in self:
            start = instance.stage_entered_at
            end = instance.ended_at or now
            instance.age_hours = (end - start).total_seconds() / 3600.0 if start else 0.0

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        definition_id = self.env.context.get("default_definition_id")
        if definition_id:
            return stages.search([("definition_id", "=", definition_id)])
        return stages

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_events(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_event"
        )
        action["domain"] = [("instance_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_exceptions(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_exception"
        )
        action["domain"] = [("instance_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------
    # ENGINE
    # ------------------------------------------------------------

    @api.model
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
            user id, source])]}, the stages a document went through in this transaction,
            in order, and who moved it there. Codes equal to the current stage are
            skipped, so re-applying changes nothing.
        :return: the logged events

        Set-based, whatever the number of documents and definitions: one SELECT of the
        current instances, one upsert of the instances, one INSERT of the events.
        """
        if not chains:
            return self.env["workflow.event"]
        definitions = self.env["workflow.definition"]
        maps = {}
        for definition_code, _model, _res_id in chains:
            if definition_code not in maps:
                maps[definition_code] = definitions._get_stage_map(definition_code)
        for (definition_code, _model, _res_id), chain in chains.items():
            for code, *_observed in chain:
                if code not in maps[definition_code][1]:
                    definitions._resolve_stage(definition_code, code)  # raises, naming it
        keys = [(maps[d][0], model, res_id, d) for d, model, res_id in chains]
        cr = self.env.cr
        self.flush_model()
        cr.execute(
            SQL(
                """SELECT i.definition_id, i.res_model, i.res_id, i.id, i.stage_id,
                          i.stage_entered_at, i.sla_deadline, i.sla_state, i.started_at
                     FROM workflow_instance i
                     JOIN unnest(%s::int[], %s::varchar[], %s::int[]) AS k(d, m, r)
                       ON i.definition_id = k.d AND i.res_model = k.m AND i.res_id = k.r""",
                [k[0] for k in keys],
                [k[1] for k in keys],
                [k[2] for k in keys],
            )
        )
        current = {(row[0], row[1], row[2]): row[3:] for row in cr.fetchall()}

        # walk each chain from the stored stage: one transition per stage change
        moved = []  # (definition code, record key, row or None, [(from, to, at, entered)])
        for (definition_code, res_model, res_id), chain in chains.items():
            definition_id, stages = maps[definition_code]
            row = current.get((definition_id, res_model, res_id))
            stage_id = row[1] if row else None
            entered = row[2] if row else None
            transitions = []
            for code, at, *who in chain:
                to_id = stages[code][0]
                if to_id == stage_id:
                    continue
                transitions.append((stage_id, to_id, at, entered, *who))
                stage_id, entered = to_id, at
            if transitions:
                moved.append((definition_code, (res_model, res_id), row, transitions))
        if not moved:
            return self.env["workflow.event"]

        records = {}
        for _d, (res_model, res_id), _row, _t in moved:
            records.setdefault(res_model, []).append(res_id)
        records = {model: self.env[model].browse(ids) for model, ids in records.items()}
        nodes = {}
        for recordset in records.values():
            if hasattr(recordset, "_workflow_node_ref"):
                nodes.update(
                    {(r._name, r.id): ref for r, ref in recordset._workflow_node_ref().items()}
                )
        sla = {}
        Policy = self.env["workflow.sla.policy"]
        by_definition = {}
        for definition_code, (res_model, res_id), _row, transitions in moved:
            by_definition.setdefault(definition_code, []).append(
                (records[res_model].browse(res_id), transitions[-1][1], transitions[-1][2])
            )
        for definition_code, items in by_definition.items():
            sla.update(Policy._match_deadlines(maps[definition_code][0], items))

        uid = self.env.uid
        now = clock.now(self.env)
        rows, events = [], []
        for definition_code, (res_model, res_id), row, transitions in moved:
            definition_id, stages = maps[definition_code]
            record = records[res_model].browse(res_id)
            company_id = self._record_company_id(record)
            old_deadline = row[3] if row else None
            old_sla = row[4] if row else None
            sla_outcome = None
            for from_id, to_id, at, entered, *who in transitions:
                outcome = None
                if old_deadline and old_sla in ("on_track", "warning", "breached"):
                    outcome = "met" if at <= old_deadline else "missed"
                    sla_outcome = outcome
                old_deadline = old_sla = None  # intermediate stages had no timer
                event_payload = dict(payload or {})
                if outcome:
                    event_payload["sla"] = outcome
                events.append(
                    {
                        "instance_id": row[0] if row else (definition_id, res_model, res_id),
                        "definition_id": definition_id,
                        "res_model": res_model,
                        "res_id": res_id,
                        "event_type": "stage",
                        "stage_from_id": from_id,
                        "stage_to_id": to_id,
                        "occurred_at": at,
                        "duration_seconds": (
                            max((at - entered).total_seconds(), 0.0) if entered else None
                        ),
                        "source": who[1] if len(who) > 1 and who[1] else source,
                        "user_id": who[0] if who else self.env.uid,
                        "payload": event_payload or None,
                        "company_id": company_id,
                    }
                )
            stage_id, entered_at = transitions[-1][1], transitions[-1][2]
            code = next(c for c, values in stages.items() if values[0] == stage_id)
            _sid, is_final, is_cancel = stages[code]
            state = "cancelled" if is_cancel else "done" if is_final else "running"
            policy_id, deadline, warning_at = sla.get((res_model, res_id), (None, None, None))
            if policy_id and state == "running":
                sla_state = "warning" if warning_at and warning_at <= now else "on_track"
                if deadline <= now:
                    sla_state = "breached"
            else:
                policy_id = deadline = warning_at = None
                sla_state = sla_outcome or (
                    row[4] if row and row[4] in ("met", "missed") else "none"
                )
            rows.append(
                (
                    definition_id,
                    res_model,
                    res_id,
                    record.display_name or "",
                    company_id,
                    self._record_user_id(record),
                    stage_id,
                    entered_at,
                    row[5] if row and row[5] else transitions[0][2],
                    None if state == "running" else entered_at,
                    state,
                    policy_id,
                    deadline,
                    warning_at,
                    sla_state,
                    nodes.get((res_model, res_id)) or None,
                    uid,
                    now,
                    uid,
                    now,
                )
            )
        returned = bulk_insert(
            cr,
            self._table,
            INSTANCE_INSERT_COLUMNS,
            rows,
            returning="id, definition_id, res_model, res_id",
            on_conflict=SQL(
                """ON CONFLICT (definition_id, res_model, res_id) DO UPDATE SET
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
                       write_date = EXCLUDED.write_date"""
            ),
        )
        ids = {(d, m, r): inst_id for inst_id, d, m, r in returned}
        for vals in events:
            if isinstance(vals["instance_id"], tuple):
                vals["instance_id"] = ids.get(vals["instance_id"])
        self.invalidate_model()
        return self.env["workflow.event"]._log_events(events)

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

    # ------------------------------------------------------------
    # SCHEDULED ACTIONS
    # ------------------------------------------------------------

    @api.model
    def _cron_sla_sweep(self, batch_size=20000, time_budget=50):
        """Move SLA states forward (on_track -> warning -> breached), log one ``sla``
        event per move and raise one ``sla_breach`` exception per breached stage visit.

        Set-based and chunked: each chunk is one statement (see :meth:`_sla_sweep_chunk`)
        over rows locked with SKIP LOCKED (NO KEY UPDATE: documents and exceptions that
        reference the instances can still be inserted meanwhile), so two workers never
        handle the same instance, and a transaction-level advisory lock, taken again after
        each committed chunk, makes a second concurrent sweep stop. Re-running it changes
        nothing: only rows whose state must move are touched.
        """
        cr = self.env.cr
        if not self._sla_sweep_lock():
            return 0
        now = clock.now(self.env)
        deadline = fields.Datetime.now() + timedelta(seconds=time_budget)
        in_sql = self.env["workflow.exception"]._inserted_in_sql_ok()
        done = 0
        while True:
            self.env.flush_all()
            sweep_chunk = self._sla_sweep_chunk if in_sql else self._sla_sweep_chunk_orm
            moved = sweep_chunk(now, batch_size)
            self.env.invalidate_all()
            done += moved
            if moved < batch_size or fields.Datetime.now() > deadline:
                break
            commit_chunk(self.env)
            if not self._sla_sweep_lock():
                break  # another sweep started between two chunks: it goes on
        self._sla_resolve_cleared(now)
        cr.execute(
            SQL(
                """SELECT count(*) FROM workflow_instance
                    WHERE state = 'running' AND sla_state IN ('on_track', 'warning')
                      AND (sla_deadline <= %(now)s
                           OR (sla_state = 'on_track' AND sla_warning_at <= %(now)s))""",
                now=now,
            )
        )
        self.env["ir.cron"]._notify_progress(done=done, remaining=cr.fetchone()[0])
        self.invalidate_model()
        return done

    def _sla_sweep_lock(self):
        """The sweep's advisory lock for the current transaction (False: another sweep
        holds it)."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext('workflow_monitor_sla_sweep'))"
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _sla_sweep_chunk(self, now, limit):
        """Sweep up to ``limit`` due instances in one statement: move their SLA state,
        insert their ``sla`` events, upsert the breach exceptions (partial unique index
        on the open ones: a concurrent raiser adds an occurrence instead of failing) and
        the ``raised`` events of the new ones, all from the moved rows inside
        PostgreSQL: nothing travels row by row. Then what create() and _log_events()
        would have triggered runs on the whole chunk: Automation Rules on creation, the
        extensions' hooks (outbox, AI) and the leader of an exception that became
        critical. Returns the number of instances moved."""
        Exception_ = self.env["workflow.exception"].sudo()
        category = self.env["workflow.exception.category"]._get_by_code("sla_breach")
        severities = list(SEVERITY_RANK)
        self.env.cr.execute(
            SQL(
                SLA_SWEEP_SQL,
                move=SQL(SLA_MOVE_SQL, now=now, due=SQL(SLA_DUE_SQL, now=now, limit=limit)),
                now=now,
                uid=self.env.uid,
                source="scheduled_action",
                source_ref=context_flag(self.env, "workflow_source_ref"),
                correlation=context_flag(self.env, "workflow_correlation_id"),
                lang=self.env.lang or "en_US",
                category=category.id,
                company=self.env.company.id,
                name_template=self.env._("SLA breached: %(name)s"),
                text_template=self.env._(
                    "The SLA deadline %(deadline)s of policy '%(policy)s' has passed."
                ),
                name_key="%(name)s",
                deadline_key="%(deadline)s",
                policy_key="%(policy)s",
                severities=severities,
                ranks=[SEVERITY_RANK[severity] for severity in severities],
                hours=[Exception_._default_response_hours(severity) for severity in severities],
            )
        )
        moved, event_ids, created_ids, critical_ids = self.env.cr.fetchone()
        if event_ids:
            events = self.env["workflow.event"].browse(event_ids)
            events._events_logged(events, {"sla", "exception"} if created_ids else {"sla"})
        Exception_.browse(created_ids)._on_bulk_raised()
        Exception_.browse(critical_ids)._notify_team_leader()
        return moved

    @api.model
    def _sla_sweep_chunk_orm(self, now, limit):
        """The same chunk through the ORM (raise_exceptions, create, _log_events), when
        a module added to exceptions a field the set-based INSERT would leave empty."""
        self.env.cr.execute(SQL(SLA_MOVE_SQL, now=now, due=SQL(SLA_DUE_SQL, now=now, limit=limit)))
        rows = self.env.cr.fetchall()
        self._sla_record_transitions(rows, now)
        return len(rows)

    def _sla_record_transitions(self, rows, now):
        if not rows:
            return
        policies = self.env["workflow.sla.policy"].sudo().browse({row[7] for row in rows if row[7]})
        policy_by_id = {policy.id: policy for policy in policies}
        # translated once per chunk, filled per row (a chunk has thousands of rows)
        breach_name = self.env._("SLA breached: %(name)s")
        breach_text = self.env._("The SLA deadline %(deadline)s of policy '%(policy)s' has passed.")
        events, exceptions = [], []
        for (
            inst_id,
            sla_state,
            definition_id,
            res_model,
            res_id,
            stage_id,
            company_id,
            policy_id,
            name,
            sla_deadline,
            node_ref,
        ) in rows:
            events.append(
                {
                    "instance_id": inst_id,
                    "definition_id": definition_id,
                    "res_model": res_model,
                    "res_id": res_id,
                    "event_type": "sla",
                    "stage_to_id": stage_id,
                    "occurred_at": now,
                    "source": "scheduled_action",
                    "payload": {"sla_state": sla_state, "policy_id": policy_id},
                    "company_id": company_id,
                }
            )
            if sla_state == "breached":
                policy = policy_by_id.get(policy_id)
                exceptions.append(
                    {
                        "category_code": (
                            policy.breach_category_id.code
                            if policy and policy.breach_category_id
                            else "sla_breach"
                        ),
                        "res_model": res_model,
                        "res_id": res_id,
                        "instance_id": inst_id,
                        "company_id": company_id,
                        "node_ref": node_ref,
                        "severity": policy.breach_severity if policy else None,
                        "dedupe_key": f"sla:{inst_id}:{stage_id}",
                        "name": breach_name % {"name": name},
                        "description": breach_text
                        % {"deadline": sla_deadline, "policy": policy.name if policy else "-"},
                    }
                )
        # the exceptions' "raised" events come from the scheduled action too
        env = self.with_context(**server_context(workflow_source="scheduled_action")).env
        env["workflow.event"]._log_events(events)
        if exceptions:
            env["workflow.exception"].sudo().raise_exceptions(exceptions)

    def _sla_resolve_cleared(self, now):
        """Resolve open SLA breach exceptions whose instance left the breached stage."""
        self.env["workflow.exception"].flush_model()
        self.env["workflow.exception.category"].flush_model(["auto_resolve"])
        self.env.cr.execute(
            """
            SELECT e.id FROM workflow_exception e
              JOIN workflow_exception_category c ON c.id = e.category_id
              LEFT JOIN workflow_instance i ON i.id = e.instance_id
             WHERE e.state IN ('new', 'assigned', 'in_progress') AND c.auto_resolve
               AND e.dedupe_key LIKE 'sla:%%'
               AND (i.id IS NULL OR i.sla_state != 'breached'
                    OR e.dedupe_key != 'sla:' || i.id || ':' || i.stage_id)
            """
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if ids:
            self.env["workflow.exception"].sudo().browse(ids)._resolve(
                _("Cleared: the document left the stage whose SLA was breached."), auto=True
            )

    @api.model
    def _cron_stale_sweep(self, batch_size=5000):
        """Raise ``stale_record`` for running instances idle in a stage for longer than the
        configured number of days; auto-resolve the ones that moved since."""
        days = int(
            self.env["ir.config_parameter"].sudo().get_param("workflow_monitor.stale_days", 3)
        )
        if days <= 0:
            return 0
        if not cron_run_alone(self.env, "workflow_monitor_stale_sweep"):
            return 0
        now = clock.now(self.env)
        limit = now - timedelta(days=days)
        self.flush_model()
        self.env["workflow.stage"].flush_model(["name"])
        self.env.cr.execute(
            SQL(
                """SELECT i.id, i.res_model, i.res_id, i.company_id, i.name, i.stage_id,
                          s.name, i.stage_entered_at
                     FROM workflow_instance i
                     LEFT JOIN workflow_stage s ON s.id = i.stage_id
                    WHERE i.state = 'running' AND i.stage_entered_at < %s
                    ORDER BY i.id""",
                limit,
            )
        )
        rows = self.env.cr.fetchall()
        vals_list = []
        for inst_id, res_model, res_id, company_id, name, stage_id, stage_name, entered in rows:
            idle_days = (now - entered).total_seconds() / 86400.0
            vals_list.append(
                {
                    "category_code": "stale_record",
                    "res_model": res_model,
                    "res_id": res_id,
                    "instance_id": inst_id,
                    "company_id": company_id,
                    "dedupe_key": f"stale:{inst_id}:{stage_id}",
                    "name": _("Stale: %(name)s", name=name),
                    "description": _(
                        "No progress for %(days).1f days in stage %(stage)s.",
                        days=idle_days,
                        stage=(stage_name or {}).get(self.env.lang)
                        or (stage_name or {}).get("en_US"),
                    ),
                }
            )
        exceptions = self.env["workflow.exception"].sudo()
        for chunk_start in range(0, len(vals_list), batch_size):
            exceptions.raise_exceptions(vals_list[chunk_start : chunk_start + batch_size])
        exceptions.resolve_cleared("stale_record", [vals["dedupe_key"] for vals in vals_list])
        self.env["ir.cron"]._notify_progress(done=len(vals_list), remaining=0)
        return len(vals_list)
