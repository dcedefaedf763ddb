# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools import clock, commit_chunk, cron_run_alone, drop_indexes
from ..tools.upsert import UpsertSource

SLA_STATES = [
    ("none", "No SLA"),
    ("on_track", "On Track"),
    ("warning", "Warning"),
    ("breached", "Breached"),
    ("met", "Met"),
    ("missed", "Missed"),
]
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
# hashing the whole table); the columns returned are the ones SLA_BREACH_SOURCE_SQL reads.
SLA_MOVE_SQL = """
    UPDATE workflow_instance i
       SET sla_state = CASE WHEN i.sla_deadline <= %(now)s THEN 'breached' ELSE 'warning' END,
           write_date = %(now)s
     WHERE i.id = ANY(ARRAY(%(due)s))
 RETURNING i.id, i.sla_state, i.definition_id, i.res_model, i.res_id, i.stage_id,
           i.company_id, i.sla_policy_id, i.name, i.sla_deadline, i.node_ref
"""
# The top-level CTEs of a chunk: the moved instances and their ``sla`` events; the
# breached ones feed the exception upsert (SLA_BREACH_SOURCE_SQL) in the same statement.
SLA_SWEEP_CTES_SQL = """
moved AS (%(move)s),
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
"""
# One breach exception per breached stage visit: the policy's category (else
# sla_breach) and severity (else the category's), the translated name and text with
# their placeholders replaced; the upsert gives team, failure kind and deadline.
SLA_BREACH_SOURCE_SQL = """
SELECT left(replace(%(name_template)s, %(name_key)s, COALESCE(m.name, '')), 250) AS name,
       replace(replace(%(text_template)s,
                       %(deadline_key)s, to_char(m.sla_deadline, 'YYYY-MM-DD HH24:MI:SS')),
               %(policy_key)s, COALESCE(p.name ->> %(lang)s, p.name ->> 'en_US', '-'))
           AS description,
       COALESCE(p.breach_category_id, %(category)s) AS category_id,
       p.breach_severity AS severity,
       m.res_model, m.res_id, m.id AS instance_id, m.node_ref,
       COALESCE(m.company_id, %(company)s) AS company_id,
       'sla:' || m.id || ':' || COALESCE(m.stage_id, 0) AS dedupe_key,
       NULL::int4 AS team_id, NULL::int4 AS user_id, NULL::varchar AS failure_kind,
       NULL::int4 AS cause_exception_id, NULL::numeric AS impact_amount,
       1 AS occurrences
  FROM moved m
  LEFT JOIN workflow_sla_policy p ON p.id = m.sla_policy_id
 WHERE m.sla_state = 'breached'
"""
SLA_SWEEP_OUTPUTS_SQL = ", (SELECT count(*) FROM moved), ARRAY(SELECT id FROM sla_events)"


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
        # Process map: does a definition have instances outside the selected companies?
        # (a few lookups; without it, every instance of the definition is hashed)
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_instance_definition_company_idx
                   ON workflow_instance (definition_id, company_id)"""
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
    # ENGINE (moves: workflow_instance_move.py)
    # ------------------------------------------------------------

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
        done = 0
        while True:
            self.env.flush_all()
            moved = self._sla_sweep_chunk(now, batch_size)
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
        insert their ``sla`` events and feed the breached ones to the exception upsert
        (``workflow.exception._upsert``: new exceptions, occurrences of open ones, their
        ``raised`` events), all inside PostgreSQL: nothing travels row by row. The
        upsert then runs what create() and _log_events() would have. Returns the number
        of instances moved."""
        Exception_ = self.env["workflow.exception"].sudo()
        category = self.env["workflow.exception.category"]._get_by_code("sla_breach")
        stamp = self.env["workflow.event"]._event_stamp("scheduled_action")
        upserted = Exception_._upsert(
            UpsertSource(
                ctes=SQL(
                    SLA_SWEEP_CTES_SQL,
                    move=SQL(SLA_MOVE_SQL, now=now, due=SQL(SLA_DUE_SQL, now=now, limit=limit)),
                    now=now,
                    source=stamp.source,
                    source_ref=stamp.source_ref,
                    uid=self.env.uid,
                    correlation=stamp.correlation_id,
                    company=self.env.company.id,
                ),
                query=SQL(
                    SLA_BREACH_SOURCE_SQL,
                    name_template=self.env._("SLA breached: %(name)s"),
                    text_template=self.env._(
                        "The SLA deadline %(deadline)s of policy '%(policy)s' has passed."
                    ),
                    name_key="%(name)s",
                    deadline_key="%(deadline)s",
                    policy_key="%(policy)s",
                    lang=self.env.lang or "en_US",
                    category=category.id,
                    company=self.env.company.id,
                ),
                outputs=SQL(SLA_SWEEP_OUTPUTS_SQL),
                source=stamp.source,
                now=now,
            )
        )
        moved, sla_event_ids = upserted.outputs
        if sla_event_ids:
            events = self.env["workflow.event"].browse(sla_event_ids)
            events._events_logged(events, {"sla"})
        return moved

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
