from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools import bulk_insert, bulk_update, commit_chunk

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
    ("create_uid", "int4"),
    ("create_date", "timestamp"),
    ("write_uid", "int4"),
    ("write_date", "timestamp"),
)
INSTANCE_UPDATE_COLUMNS = (
    ("id", "int4"),
    ("stage_id", "int4"),
    ("stage_entered_at", "timestamp"),
    ("ended_at", "timestamp"),
    ("state", "varchar"),
    ("sla_policy_id", "int4"),
    ("sla_deadline", "timestamp"),
    ("sla_warning_at", "timestamp"),
    ("sla_state", "varchar"),
    ("write_uid", "int4"),
    ("write_date", "timestamp"),
)
OPEN_SLA_STATES = ("on_track", "warning")


class WorkflowInstance(models.Model):
    """Current-state projection of one business flow for one root record.

    Rows are written by the engine only (:meth:`_move`), in bulk, on behalf of whoever
    moved the document; users read them.
    """

    _name = "workflow.instance"
    _description = "Workflow Instance"
    _order = "stage_entered_at desc, id desc"

    name = fields.Char(required=True)
    definition_id = fields.Many2one(
        "workflow.definition", required=True, ondelete="cascade", index=True
    )
    res_model = fields.Char(string="Document Model", required=True, index=True)
    res_id = fields.Many2oneReference(
        string="Document ID", model_field="res_model", required=True, index=True
    )
    res_ref = fields.Reference(
        selection="_selection_target_model", string="Document", compute="_compute_res_ref"
    )
    company_id = fields.Many2one("res.company", index=True)
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

    @api.model
    def _selection_target_model(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for instance in self:
            if instance.res_model in self.env and instance.res_id:
                instance.res_ref = f"{instance.res_model},{instance.res_id}"
            else:
                instance.res_ref = False

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
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_event"
        )
        action["domain"] = [("instance_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_exception"
        )
        action["domain"] = [("instance_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_open_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------
    # ENGINE
    # ------------------------------------------------------------

    @api.model
    def _move(self, definition_code, targets, now=None, source=None, payload=None):
        """Move the instances of ``targets`` and log one event per actual change.

        :param targets: {record: stage code} for root records of the definition; a
            record whose instance already is in that stage is left alone, so calling
            this twice changes nothing. ``None`` codes are ignored.
        :return: the logged events

        Set-based: one SELECT of the current instances, one INSERT of new instances,
        one UPDATE of moved ones, one INSERT of events, whatever the batch size.
        """
        definitions = self.env["workflow.definition"]
        definition_id, stages = definitions._get_stage_map(definition_code)
        targets = {rec: code for rec, code in targets.items() if code and rec.id}
        unknown = {code for code in targets.values() if code not in stages}
        for code in unknown:
            definitions._resolve_stage(definition_code, code)  # raises, naming the stage
        if not targets:
            return self.env["workflow.event"]
        now = now or fields.Datetime.now()
        cr = self.env.cr
        self.flush_model()
        by_model = defaultdict(dict)
        for record, code in targets.items():
            by_model[record._name][record.id] = (record, code)

        moves = []  # (record, current row or None, new stage code)
        for res_model, items in by_model.items():
            cr.execute(
                SQL(
                    """SELECT res_id, id, stage_id, stage_entered_at, sla_deadline, sla_state,
                              state, started_at
                         FROM workflow_instance
                        WHERE definition_id = %s AND res_model = %s AND res_id = ANY(%s)""",
                    definition_id,
                    res_model,
                    list(items),
                )
            )
            current = {row[0]: row[1:] for row in cr.fetchall()}
            for res_id, (record, code) in items.items():
                row = current.get(res_id)
                if row is None or row[1] != stages[code][0]:
                    moves.append((record, row, code))
        if not moves:
            return self.env["workflow.event"]

        sla = self.env["workflow.sla.policy"]._match_deadlines(
            definition_id, [(record, stages[code][0]) for record, _row, code in moves], now
        )
        uid = self.env.uid
        inserts, updates, events = [], [], []
        for record, row, code in moves:
            stage_id, is_final, is_cancel = stages[code]
            state = "cancelled" if is_cancel else "done" if is_final else "running"
            policy_id, deadline, warning_at = sla.get((record._name, record.id), (None, None, None))
            previous_sla = None
            duration = None
            if row is not None:
                _inst_id, _stage_id, entered_at, old_deadline, old_sla_state, _state, _start = row
                if entered_at:
                    duration = max((now - entered_at).total_seconds(), 0.0)
                if old_deadline and old_sla_state in ("on_track", "warning", "breached"):
                    previous_sla = "met" if now <= old_deadline else "missed"
            if policy_id and state == "running":
                sla_state = "warning" if warning_at and warning_at <= now else "on_track"
                if deadline <= now:
                    sla_state = "breached"
            else:
                policy_id = deadline = warning_at = None
                sla_state = previous_sla or (
                    row[4] if row and row[4] in ("met", "missed") else "none"
                )
            ended_at = None if state == "running" else now
            if row is None:
                inserts.append(
                    (
                        definition_id,
                        record._name,
                        record.id,
                        record.display_name or "",
                        self._record_company_id(record),
                        self._record_user_id(record),
                        stage_id,
                        now,
                        now,
                        ended_at,
                        state,
                        policy_id,
                        deadline,
                        warning_at,
                        sla_state,
                        uid,
                        now,
                        uid,
                        now,
                    )
                )
            else:
                updates.append(
                    (
                        row[0],
                        stage_id,
                        now,
                        ended_at,
                        state,
                        policy_id,
                        deadline,
                        warning_at,
                        sla_state,
                        uid,
                        now,
                    )
                )
            event_payload = dict(payload or {})
            if previous_sla:
                event_payload["sla"] = previous_sla
            events.append(
                {
                    "instance_id": row[0] if row else (record._name, record.id),
                    "definition_id": definition_id,
                    "res_model": record._name,
                    "res_id": record.id,
                    "event_type": "stage",
                    "stage_from_id": row[1] if row else None,
                    "stage_to_id": stage_id,
                    "occurred_at": now,
                    "duration_seconds": duration,
                    "source": source,
                    "payload": event_payload or None,
                    "company_id": self._record_company_id(record),
                }
            )
        new_ids = {}
        if inserts:
            returned = bulk_insert(
                cr,
                self._table,
                INSTANCE_INSERT_COLUMNS,
                inserts,
                returning="id, res_model, res_id",
                on_conflict=SQL("ON CONFLICT (definition_id, res_model, res_id) DO NOTHING"),
            )
            new_ids = {(res_model, res_id): inst_id for inst_id, res_model, res_id in returned}
        if updates:
            bulk_update(cr, self._table, INSTANCE_UPDATE_COLUMNS, updates)
        for vals in events:
            if isinstance(vals["instance_id"], tuple):
                vals["instance_id"] = new_ids.get(vals["instance_id"])
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
    def _cron_sla_sweep(self, batch_size=5000, time_budget=50):
        """Move SLA states forward (on_track -> warning -> breached) and raise one
        ``sla_breach`` exception per breached stage visit.

        Set-based and chunked: each chunk is one UPDATE ... RETURNING over rows locked
        with SKIP LOCKED, so two workers never handle the same instance, and a
        transaction-level advisory lock makes a second concurrent sweep a no-op.
        Re-running it changes nothing: only rows whose state must move are touched.
        """
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(hashtext('workflow_monitor_sla_sweep'))")
        if not cr.fetchone()[0]:
            return 0
        now = fields.Datetime.now()
        deadline = now + timedelta(seconds=time_budget)
        done = 0
        while True:
            cr.execute(
                SQL(
                    """
                    WITH due AS (
                        SELECT id FROM workflow_instance
                         WHERE state = 'running' AND sla_state IN ('on_track', 'warning')
                           AND (sla_deadline <= %(now)s
                                OR (sla_state = 'on_track' AND sla_warning_at <= %(now)s))
                         ORDER BY id
                         LIMIT %(limit)s
                         FOR UPDATE SKIP LOCKED
                    )
                    UPDATE workflow_instance i
                       SET sla_state = CASE WHEN i.sla_deadline <= %(now)s THEN 'breached'
                                            ELSE 'warning' END,
                           write_date = %(now)s
                      FROM due
                     WHERE i.id = due.id
                 RETURNING i.id, i.sla_state, i.definition_id, i.res_model, i.res_id,
                           i.stage_id, i.company_id, i.sla_policy_id, i.name, i.sla_deadline
                    """,
                    now=now,
                    limit=batch_size,
                )
            )
            rows = cr.fetchall()
            done += len(rows)
            self._sla_record_transitions(rows, now)
            if len(rows) < batch_size or fields.Datetime.now() > deadline:
                break
            commit_chunk(self.env)
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

    def _sla_record_transitions(self, rows, now):
        if not rows:
            return
        policies = self.env["workflow.sla.policy"].sudo().browse({row[7] for row in rows if row[7]})
        policy_by_id = {policy.id: policy for policy in policies}
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
                        "severity": policy.breach_severity if policy else None,
                        "dedupe_key": f"sla:{inst_id}:{stage_id}",
                        "name": _("SLA breached: %(name)s", name=name),
                        "description": _(
                            "The SLA deadline %(deadline)s of policy '%(policy)s' has passed.",
                            deadline=sla_deadline,
                            policy=policy.name if policy else "-",
                        ),
                    }
                )
        self.env["workflow.event"].with_context(workflow_source="scheduled_action")._log_events(
            events
        )
        if exceptions:
            self.env["workflow.exception"].sudo().raise_exceptions(exceptions)

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
        now = fields.Datetime.now()
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
