# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The engine's way in: the exception upsert.

Every exception the engine raises (detectors, sweeps, integrations, approvals, AI) goes
through :meth:`WorkflowException._upsert`, one statement that inserts the new ones,
adds an occurrence to the open ones with the same key and logs the ``raised`` events.
It is fed by values (:meth:`raise_exceptions`) or by a query (the SLA sweep)."""

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.base_automation.models.base_automation import CREATE_TRIGGERS

from ..tools.severity import SEVERITY_CODES, SEVERITY_RANK
from ..tools.upsert import Upserted, UpsertSource

RAISE_KEYS = {
    "record",
    "category_code",
    "category_id",
    "name",
    "message",
    "description",
    "severity",
    "dedupe_key",
    "res_model",
    "res_id",
    "instance_id",
    "company_id",
    "team_id",
    "user_id",
    "failure_kind",
    "node_ref",
    "cause_exception_id",
    "impact_amount",
}
# What a source query gives, one row per problem (category_id, company_id, dedupe_key
# unique): the values of raise_exceptions() or the rows of a set-based sweep. NULL
# severity, team and failure kind mean the category's.
SOURCE_COLUMNS = (
    ("name", "varchar"),
    ("description", "text"),
    ("category_id", "int4"),
    ("severity", "varchar"),
    ("res_model", "varchar"),
    ("res_id", "int4"),
    ("instance_id", "int4"),
    ("node_ref", "varchar"),
    ("company_id", "int4"),
    ("dedupe_key", "varchar"),
    ("team_id", "int4"),
    ("user_id", "int4"),
    ("failure_kind", "varchar"),
    ("cause_exception_id", "int4"),
    ("impact_amount", "numeric"),
    ("occurrences", "int4"),
)
# Stored fields the upsert writes itself; any other stored field (a module's extension)
# gets its default in the INSERT and its compute through the ORM (see _upsert_extras).
UPSERT_FIELDS = frozenset(
    {name for name, _type in SOURCE_COLUMNS if name != "occurrences"}
    | {
        "severity_rank",
        "state",
        "occurrence_count",
        "first_seen",
        "last_seen",
        "response_deadline",
        "escalation_level",
    }
)
# The upsert (constants; every value is a parameter). The category gives the severity,
# team and failure kind a row leaves empty, and the response time (else the severity's
# from the Settings); an open exception with the same category, company and key gets the
# occurrences and a severity that only rises (the partial unique index of open ones
# arbitrates between concurrent raisers); the new ones get their ``raised`` event. A
# subquery of RETURNING sees its row as it was before the statement (old_severity).
# An impact (causal chains) keeps the latest cause and revenue at risk its detector gives.
UPSERT_SQL = """
WITH %(ctes)s
rows AS (
    SELECT s.name, s.description, s.category_id,
           COALESCE(s.severity, c.default_severity, 'medium') AS severity,
           s.res_model, s.res_id, s.instance_id, s.node_ref, s.company_id, s.dedupe_key,
           COALESCE(s.team_id, c.team_id) AS team_id, s.user_id,
           COALESCE(s.failure_kind, c.failure_kind, 'structural') AS failure_kind,
           s.cause_exception_id, s.impact_amount, s.occurrences, c.response_hours
      FROM (%(rows)s) s
      JOIN workflow_exception_category c ON c.id = s.category_id
),
upserted AS (
    INSERT INTO workflow_exception AS e (
           name, description, category_id, severity, severity_rank, state, team_id, user_id,
           res_model, res_id, instance_id, node_ref, company_id, dedupe_key,
           occurrence_count, first_seen, last_seen, failure_kind, response_deadline,
           escalation_level, cause_exception_id, impact_amount,
           create_uid, create_date, write_uid, write_date %(extra_columns)s)
    SELECT r.name, r.description, r.category_id, r.severity, k.rank,
           CASE WHEN r.user_id IS NULL THEN 'new' ELSE 'assigned' END, r.team_id, r.user_id,
           r.res_model, r.res_id, r.instance_id, r.node_ref, r.company_id, r.dedupe_key,
           r.occurrences, %(now)s, %(now)s, r.failure_kind,
           %(now)s + make_interval(secs => 3600 * COALESCE(NULLIF(r.response_hours, 0), k.hours)),
           0, r.cause_exception_id, r.impact_amount,
           %(uid)s, %(now)s, %(uid)s, %(now)s %(extra_values)s
      FROM rows r
      JOIN unnest(%(severities)s::varchar[], %(ranks)s::int[], %(hours)s::float8[])
           AS k(severity, rank, hours) ON k.severity = r.severity
        ON CONFLICT (category_id, company_id, dedupe_key)
           WHERE state IN ('new', 'assigned', 'in_progress')
        DO UPDATE SET occurrence_count = e.occurrence_count + EXCLUDED.occurrence_count,
                      last_seen = EXCLUDED.last_seen,
                      severity = CASE WHEN EXCLUDED.severity_rank > e.severity_rank
                                      THEN EXCLUDED.severity ELSE e.severity END,
                      severity_rank = GREATEST(EXCLUDED.severity_rank, e.severity_rank),
                      cause_exception_id = COALESCE(EXCLUDED.cause_exception_id,
                                                    e.cause_exception_id),
                      impact_amount = COALESCE(EXCLUDED.impact_amount, e.impact_amount),
                      write_uid = EXCLUDED.write_uid,
                      write_date = EXCLUDED.write_date
 RETURNING e.id, e.xmax = 0 AS inserted, e.category_id, e.company_id, e.dedupe_key,
           e.severity, e.instance_id, e.res_model, e.res_id, e.user_id,
           CASE WHEN e.xmax <> 0 THEN (SELECT o.severity FROM workflow_exception o
                                        WHERE o.id = e.id) END AS old_severity
),
raised_events AS (
    INSERT INTO workflow_event (instance_id, res_model, res_id, event_type, occurred_at,
                                source, source_ref, user_id, correlation_id, payload,
                                company_id)
    SELECT u.instance_id, u.res_model, u.res_id, 'exception', %(now)s,
           %(event_source)s, %(source_ref)s, %(uid)s, %(correlation)s,
           jsonb_build_object('action', 'raised', 'exception_id', u.id,
                              'category', c.code, 'severity', u.severity),
           u.company_id
      FROM upserted u
      JOIN workflow_exception_category c ON c.id = u.category_id
     WHERE u.inserted
 RETURNING id
)
SELECT ARRAY(SELECT id FROM upserted WHERE inserted ORDER BY id),
       ARRAY(SELECT id FROM upserted WHERE inserted AND user_id IS NOT NULL ORDER BY id),
       ARRAY(SELECT id FROM upserted
              WHERE NOT inserted AND severity = 'critical'
                AND old_severity IS DISTINCT FROM 'critical' ORDER BY id),
       ARRAY(SELECT id FROM raised_events),
       %(keys)s
       %(outputs)s
"""
UPSERT_KEYS_SQL = """(SELECT json_agg(json_build_array(id, category_id, company_id, dedupe_key))
                        FROM upserted)"""


class WorkflowExceptionRaise(models.Model):
    _inherit = "workflow.exception"

    # ------------------------------------------------------------
    # ENGINE API
    # ------------------------------------------------------------

    @api.private
    @api.model
    def raise_exception(
        self, record, category_code, message, severity=None, dedupe_key=None, **extra
    ):
        """Upsert one exception about ``record`` and return it (see raise_exceptions)."""
        vals = dict(
            extra,
            record=record,
            category_code=category_code,
            name=message,
            severity=severity,
            dedupe_key=dedupe_key,
        )
        return self.raise_exceptions([vals])

    @api.private
    @api.model
    def raise_exceptions(self, vals_list):
        """Batch upsert. For each vals: ``category_code`` (or ``category_id``), ``name``
        (or ``message``), optional ``record`` (or ``res_model``/``res_id``),
        ``severity``, ``dedupe_key`` (default: the record), ``description``,
        ``instance_id``, ``company_id``, ``team_id``, ``user_id``; for an impact
        (causal chains) ``cause_exception_id`` and ``impact_amount`` (revenue at risk, in
        the company's currency), which engine code alone sets.

        An open exception with the same category, company and key gets
        ``occurrence_count`` + 1, ``last_seen`` now and its severity raised if the new
        one is higher (never lowered); otherwise a new exception is created and routed
        to the category's team. Returns the exceptions in the order of ``vals_list``.

        Engine code, closed to RPC. Called from Python outside engine code (``env.su``
        False), it needs create access, refuses system categories, companies the caller
        does not work in and a hand-picked team, and never merges into or returns an
        exception the caller cannot read.
        """
        if not vals_list:
            return self.browse()
        user_call = not self.env.su
        if user_call:
            self.browse().check_access("create")
        categories = {}  # by code, for the batch (detectors raise thousands)
        prepared = [self._prepare_raise(vals, categories) for vals in vals_list]
        if user_call:
            self._check_user_raise(vals_list, prepared)
        self._check_causes(prepared)
        problems = self._merge_problems(prepared)
        if user_call:
            self._check_user_merge(problems)
        # sudo: for a caller outside engine code the values were checked above; the
        # engine fills routing, dedupe key and occurrences, which users cannot set
        engine = self.sudo() if user_call else self
        upserted = engine._upsert(self._values_source(problems.values()), keys=True)
        # one browse (a union per row is quadratic: 20 s for 17k impacts), without the
        # repeated problems, in the order of vals_list
        ids = dict.fromkeys(upserted.by_key[self._problem_key(row)] for row in prepared)
        return self.browse(list(ids))

    @api.model
    def _problem_key(self, row):
        return (row["category_id"], row["company_id"], row["dedupe_key"])

    @api.model
    def _merge_problems(self, prepared):
        """One row per problem: the same problem twice in a batch is one exception,
        counted twice, with the highest severity and the first row's text."""
        problems = {}
        for row in prepared:
            key = self._problem_key(row)
            if key not in problems:
                problems[key] = dict(row)
                continue
            problem = problems[key]
            problem["occurrences"] += 1
            if SEVERITY_RANK[row["severity"]] > SEVERITY_RANK[problem["severity"]]:
                problem["severity"] = row["severity"]
        return problems

    @api.model
    def _values_source(self, rows):
        """The upsert's source for rows of values: ``unnest`` of one array per column,
        sorted by key so that concurrent raisers lock open exceptions in one order."""
        rows = sorted(rows, key=self._problem_key)
        columns = SQL(", ").join(
            SQL("%s::%s[]", [row[name] for row in rows], SQL(column_type))
            for name, column_type in SOURCE_COLUMNS
        )
        names = SQL(", ").join(SQL.identifier(name) for name, _type in SOURCE_COLUMNS)
        return UpsertSource(query=SQL("SELECT * FROM unnest(%s) AS v(%s)", columns, names))

    @api.model
    def _upsert(self, source, keys=False):
        """Run the upsert fed by ``source`` (an :class:`UpsertSource`), then what
        create() would have done for the new exceptions. Engine code: the caller has
        checked the values. ``keys``: also return the ids by problem key."""
        self.flush_model()
        self.env["workflow.exception.category"].flush_model()
        stamp = self.env["workflow.event"]._event_stamp(source.source)
        now = source.now or stamp.now
        extra_columns, extra_values = self._upsert_extras()
        self.env.cr.execute(
            SQL(
                UPSERT_SQL,
                ctes=source.ctes,
                rows=source.query,
                extra_columns=extra_columns,
                extra_values=extra_values,
                now=now,
                uid=self.env.uid,
                event_source=stamp.source,
                source_ref=stamp.source_ref,
                correlation=stamp.correlation_id,
                severities=list(SEVERITY_CODES),
                ranks=[SEVERITY_RANK[code] for code in SEVERITY_CODES],
                hours=[self._default_response_hours(code) for code in SEVERITY_CODES],
                keys=SQL(UPSERT_KEYS_SQL) if keys else SQL("NULL"),
                outputs=source.outputs,
            )
        )
        created_ids, assigned_ids, critical_ids, event_ids, key_rows, *outputs = (
            self.env.cr.fetchone()
        )
        self.invalidate_model()
        upserted = Upserted(
            created=self.browse(created_ids),
            became_critical=self.browse(critical_ids),
            event_ids=event_ids,
            by_key={(cat, company, key): exc_id for exc_id, cat, company, key in key_rows or ()},
            outputs=tuple(outputs),
        )
        self._after_upsert(upserted, self.browse(assigned_ids))
        return upserted

    @api.model
    def _upsert_extras(self):
        """Columns and values for the stored fields a module added to exceptions: their
        default (one value per statement), or NULL and a recomputation when computed.
        Nothing in the suite itself: the statement then writes the fixed columns only."""
        columns, values = [], []
        for name, field in self._fields.items():
            if not field.store or not field.column_type or name in UPSERT_FIELDS:
                continue
            if name in models.MAGIC_COLUMNS or field.compute or field.default is None:
                continue
            default = field.convert_to_column_insert(field.default(self), self)
            columns.append(SQL(", %s", SQL.identifier(name)))
            values.append(SQL(", %s::%s", default, SQL(field.column_type[1])))
        return SQL().join(columns), SQL().join(values)

    def _after_upsert(self, upserted, assigned):
        """What create() and _log_events() do besides inserting: the stored computes a
        module added, the usual subscription of a named owner, the hooks of logged events
        (outbox), Automation Rules on creation and the extensions' hooks, and the leader
        of an exception that became critical."""
        created = upserted.created
        computed = [
            field
            for name, field in self._fields.items()
            if field.store and field.compute and name not in UPSERT_FIELDS
        ]
        if created and computed:
            for field in computed:
                self.env.add_to_compute(field, created)
            created.flush_recordset()
        for exception in assigned:
            exception._message_auto_subscribe({"user_id": exception.user_id.id})
        if upserted.event_ids:
            events = self.env["workflow.event"].browse(upserted.event_ids)
            events._events_logged(events, {"exception"})
        created._on_bulk_raised()
        upserted.became_critical._notify_team_leader()

    def _check_user_raise(self, vals_list, prepared):
        """What a caller outside engine code may not raise: exceptions of system
        categories, in a company they do not work in, or routed to a team by hand."""
        allowed = set(self.env.companies.ids)
        Category = self.env["workflow.exception.category"].sudo()
        for vals, row in zip(vals_list, prepared):
            category = Category.browse(row["category_id"])
            if category.is_system:
                raise AccessError(
                    _(
                        "Exceptions of the category %(category)s are raised by the engine "
                        "only (field: category_code).",
                        category=category.display_name,
                    )
                )
            if row["company_id"] not in allowed:
                raise AccessError(
                    _(
                        "You cannot raise an exception in a company you are not working in "
                        "(field: company_id, value: %(value)s).",
                        value=row["company_id"],
                    )
                )
            if vals.get("cause_exception_id") or vals.get("impact_amount"):
                raise AccessError(
                    _(
                        "The cause and the revenue at risk of an exception are set by the "
                        "engine's detectors (field: cause_exception_id)."
                    )
                )
            if vals.get("team_id") and vals["team_id"] != category.team_id.id:
                raise AccessError(
                    _(
                        "The team of an exception is its category's; escalation changes it "
                        "(field: team_id)."
                    )
                )

    @api.model
    def _check_causes(self, prepared):
        """An impact's cause is an exception of its company (one query for the batch):
        a cause in one company never links (nor reveals) documents of another."""
        causes = {row["cause_exception_id"] for row in prepared if row["cause_exception_id"]}
        if not causes:
            return
        self.flush_model(["company_id"])
        self.env.cr.execute(
            SQL("SELECT id, company_id FROM workflow_exception WHERE id = ANY(%s)", list(causes))
        )
        companies = dict(self.env.cr.fetchall())
        for row in prepared:
            cause = row["cause_exception_id"]
            if cause and companies.get(cause) != row["company_id"]:
                raise ValidationError(
                    _(
                        "The cause of an exception must be an exception of its company "
                        "(field: cause_exception_id, value: %(value)s).",
                        value=cause,
                    )
                )

    def _check_user_merge(self, problems):
        """A caller outside engine code never adds an occurrence to an open exception
        they cannot read (it would tell them it exists, and change it)."""
        keys = list(problems)
        self.flush_model(["category_id", "company_id", "dedupe_key", "state"])
        self.env.cr.execute(
            SQL(
                """SELECT e.id FROM workflow_exception e
                     JOIN unnest(%s::int[], %s::int[], %s::varchar[])
                          AS k(category_id, company_id, dedupe_key)
                       ON k.category_id = e.category_id AND k.company_id = e.company_id
                      AND k.dedupe_key = e.dedupe_key
                    WHERE e.state IN ('new', 'assigned', 'in_progress')""",
                [key[0] for key in keys],
                [key[1] for key in keys],
                [key[2] for key in keys],
            )
        )
        found = self.browse(row[0] for row in self.env.cr.fetchall())
        if unreadable := found - found._filtered_access("read"):
            raise AccessError(
                _(
                    "You cannot add an occurrence to an exception you cannot read "
                    "(exception %(id)s).",
                    id=unreadable[:1].id,
                )
            )

    def _prepare_raise(self, vals, categories=None):
        """Check one vals of raise_exceptions() and give its row of ``SOURCE_COLUMNS``."""
        unknown = set(vals) - RAISE_KEYS
        if unknown:
            raise ValidationError(
                _("Unknown exception field(s): %(fields)s.", fields=", ".join(sorted(unknown)))
            )
        category = self._raise_category(vals, categories)
        severity = vals.get("severity") or category.default_severity
        if severity not in SEVERITY_RANK:
            raise ValidationError(
                _(
                    "Unknown severity '%(value)s' (field: severity); use low, medium, high or "
                    "critical.",
                    value=severity,
                )
            )
        name = vals.get("name") or vals.get("message")
        if not name:
            raise ValidationError(_("An exception needs a message (field: message)."))
        record = vals.get("record")
        res_model = vals.get("res_model") or (record._name if record else False)
        res_id = vals.get("res_id") or (record.id if record else False)
        if res_model and res_model not in self.env:
            raise ValidationError(
                _("Unknown model '%(model)s' (field: res_model).", model=res_model)
            )
        dedupe_key = vals.get("dedupe_key") or (
            f"{res_model},{res_id}" if res_model and res_id else f"message:{name}"
        )
        return {
            "name": str(name)[:250],
            "description": vals.get("description") or None,
            "category_id": category.id,
            "severity": severity,
            "res_model": res_model or None,
            "res_id": res_id or None,
            "instance_id": vals.get("instance_id") or None,
            "node_ref": vals.get("node_ref") or None,
            "company_id": self._raise_company_id(vals, record),
            "dedupe_key": str(dedupe_key)[:250],
            "team_id": vals.get("team_id") or category.team_id.id or None,
            "user_id": vals.get("user_id") or None,
            "failure_kind": vals.get("failure_kind") or category.failure_kind or None,
            "cause_exception_id": vals.get("cause_exception_id") or None,
            "impact_amount": vals.get("impact_amount"),
            "occurrences": 1,
        }

    @api.model
    def _raise_category(self, vals, categories):
        Category = self.env["workflow.exception.category"]
        if vals.get("category_id"):
            return Category.browse(vals["category_id"]).sudo()
        code = vals.get("category_code")
        category = categories.get(code) if categories is not None else None
        if category is None:
            category = Category._get_by_code(code).sudo()
            if categories is not None:
                categories[code] = category
        return category

    @api.model
    def _raise_company_id(self, vals, record):
        """The company of the values, else the record's (or the record itself when it
        is a company), else the current one."""
        if vals.get("company_id"):
            return vals["company_id"]
        if record is not None and record and "company_id" in record._fields:
            if record.company_id:
                return record.company_id.id
        if record is not None and record._name == "res.company" and record:
            return record.id
        return self.env.company.id

    @api.private
    @api.model
    def resolve_cleared(self, category_code, open_keys):
        """Resolve every open exception of the category whose ``dedupe_key`` is not in
        ``open_keys`` (the keys the detector still sees). Categories without
        ``auto_resolve`` wait for a person: nothing is resolved. Returns the resolved ones."""
        category = self.env["workflow.exception.category"]._get_by_code(category_code).sudo()
        if not category.auto_resolve:
            return self.browse()
        self.flush_model(["category_id", "state", "dedupe_key"])
        self.env.cr.execute(
            SQL(
                """SELECT id FROM workflow_exception
                    WHERE category_id = %s AND state IN ('new', 'assigned', 'in_progress')
                      AND NOT (dedupe_key = ANY(%s))""",
                category.id,
                list(open_keys),
            )
        )
        cleared = self.browse([row[0] for row in self.env.cr.fetchall()])
        cleared._resolve(_("Cleared: the detector no longer sees this problem."), auto=True)
        return cleared

    def _on_bulk_raised(self):
        """What create() does besides inserting, for exceptions the upsert inserted
        (their ``raised`` events are written by that statement): the Automation Rules
        triggered on creation, run as Odoo's own create() runs them. Extensions add
        theirs (the AI module wakes its suggestion job)."""
        if not self:
            return
        automations = self.env["base.automation"]._get_actions(self, CREATE_TRIGGERS)
        records = self.with_env(automations.env)
        for automation in automations.with_context(old_values=None):
            candidates = records._automation_candidates(automation)
            automation._process(automation._filter_post(candidates, feedback=True))

    def _automation_candidates(self, automation):
        """The records of ``self`` that can match the rule's filter, found by one search
        (filtering thousands in Python costs more than inserting them); Odoo's own
        _filter_post then decides on these. All of ``self`` when the filter cannot be
        searched (e.g. a non-stored field without a search method)."""
        rule = automation.sudo()
        if not rule.filter_domain or not self:
            return self
        try:
            domain = safe_eval(rule.filter_domain, automation._get_eval_context())
            query = self.sudo().with_context(active_test=False)._search(domain, order="id")
            # the ids as one array: a literal list of thousands costs more to send
            query.add_where(SQL("%s = ANY(%s)", SQL.identifier(self._table, "id"), self.ids))
            found = query.get_result_ids()
        except (ValueError, TypeError, KeyError, UserError):
            return self
        return self.browse(found)
