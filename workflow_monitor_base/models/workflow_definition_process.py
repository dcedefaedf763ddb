# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The process as it really runs: the process map of a definition (DESIGN section 12)
computed from its stage events in one SQL statement, with the record rules of
``workflow.instance`` applied."""

from datetime import datetime, time, timedelta
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

USER_GROUP = "workflow_monitor_base.group_workflow_user"
VARIANT_LIMIT = 100  # the most frequent variants returned (shares are of all instances)
DEVIATION_KINDS = ("skipped", "out_of_order", "rework")
COMPANY_RULE = "workflow_monitor_base.rule_workflow_instance_company"
WORK_MEM = "64MB"

# The stage events of the window, of the instances the caller may read
# (``%(instances)s``: the query of ``workflow.instance._search``): the one definition of
# "the events a number counts", shared by the map and by its drill-downs. An index-only
# scan of workflow_event_stage_cover_idx; ``%(all_instances)s`` is true when the caller's
# instance filter keeps every instance of the definition: the ``instances`` subquery, a
# hash of every instance, is then left out by the planner.
# Constants only: every value is a parameter.
PROCESS_EVENTS_SQL = """
SELECT e.id, e.instance_id, e.stage_from_id, e.stage_to_id, e.occurred_at, e.duration_seconds
  FROM workflow_event e
 WHERE e.event_type = 'stage' AND e.definition_id = %(definition)s
   AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
   AND e.stage_to_id = ANY(%(stages)s)
   AND (e.stage_from_id IS NULL OR e.stage_from_id = ANY(%(stages)s))
   AND (%(all_instances)s OR e.instance_id IN %(instances)s)
"""
# The map, one statement, one scan of the window's stage events (``%(events)s``:
# PROCESS_EVENTS_SQL, materialised, read several times):
# - ``transition`` rows: per (from, to) and per from stage (GROUPING SETS, flag 1) the
#   count and the median / p90 of ``duration_seconds``, the time spent in ``from`` (one
#   ordered-set aggregate for both: one sort per group);
# - ``variant`` rows: the paths (ids of the stages entered, in time order, as text: text
#   sorts faster than arrays) of the instances, the most frequent first, with the
#   median of their first-to-last event time; the events are sorted once and
#   aggregated in that order (a sort per instance in string_agg's ORDER BY cost more
#   than the rest of the statement; a CTE scan is never parallel, so the order holds);
# - one ``total`` row: the number of instances with an event in the window;
# - ``rework`` rows: per stage, the instances that entered it more than once.
# With ``%(with_instances)s`` (the screen, whose numbers open lists of instances) also:
# - ``entered`` rows: per stage, the instances that entered it (from the variants);
# - ``moved`` rows: per (from, to), the instances that made the move.
# Without it PostgreSQL prunes these two branches (a constant false filter).
PROCESS_MAP_SQL = """
WITH ev AS MATERIALIZED (%(events)s),
transitions AS (
    SELECT GROUPING(stage_to_id) AS per_stage, stage_from_id, stage_to_id, count(*) AS n,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY duration_seconds) AS pct
      FROM ev
     GROUP BY GROUPING SETS ((stage_from_id, stage_to_id), (stage_from_id))
),
traces AS (
    SELECT string_agg(stage_to_id::text, ',') AS path,
           extract(epoch FROM max(occurred_at) - min(occurred_at))::float AS cycle
      FROM (SELECT * FROM ev ORDER BY instance_id, occurred_at, id) AS in_order
     GROUP BY instance_id
),
variants AS (
    SELECT path, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle) AS median
      FROM traces
     GROUP BY path
),
rework AS (
    SELECT stage_id, sum(n)::bigint AS n
      FROM (SELECT v.path, v.n, s.stage_id
              FROM variants v, unnest(string_to_array(v.path, ',')::int[]) AS s(stage_id)
             GROUP BY v.path, v.n, s.stage_id
            HAVING count(*) > 1) AS repeated
     GROUP BY stage_id
),
entered AS (
    SELECT s.stage_id, sum(v.n)::bigint AS n
      FROM variants v,
           LATERAL (SELECT DISTINCT unnest(string_to_array(v.path, ',')::int[])) AS s(stage_id)
     GROUP BY s.stage_id
),
moved AS (
    SELECT stage_from_id, stage_to_id, count(*) AS n
      FROM (SELECT DISTINCT instance_id, stage_from_id, stage_to_id FROM ev) AS moves
     GROUP BY stage_from_id, stage_to_id
)
SELECT 'transition', per_stage, stage_from_id, stage_to_id, NULL::text, n, pct[1], pct[2]
  FROM transitions
 UNION ALL
SELECT 'variant', NULL, NULL, NULL, path, n, median, NULL
  FROM (SELECT * FROM variants ORDER BY n DESC, path LIMIT %(limit)s) AS top
 UNION ALL
SELECT 'total', NULL, NULL, NULL, NULL, COALESCE(sum(n), 0)::bigint, NULL, NULL
  FROM variants
 UNION ALL
SELECT 'rework', NULL, stage_id, NULL, NULL, n, NULL, NULL
  FROM rework
 UNION ALL
SELECT 'entered', NULL, stage_id, NULL, NULL, n, NULL, NULL
  FROM entered WHERE %(with_instances)s
 UNION ALL
SELECT 'moved', NULL, stage_from_id, stage_to_id, NULL, n, NULL, NULL
  FROM moved WHERE %(with_instances)s
"""


class Stage(NamedTuple):
    """A stage of the definition as the map uses it."""

    id: int
    code: str
    name: str
    sequence: int
    is_final: bool
    is_cancel: bool


class Window(NamedTuple):
    """The time window of the events: start included, end excluded."""

    start: datetime
    end: datetime


class MapRow(NamedTuple):
    """One row of PROCESS_MAP_SQL."""

    kind: str
    per_stage: int | None
    from_id: int | None
    to_id: int | None
    path: str | None  # stage ids, comma separated
    count: int
    median: float | None
    p90: float | None


class Scope(NamedTuple):
    """What a process map (or one of its numbers) counts: the stage events of
    ``definition`` in ``window``, of the instances the ``filters`` and the caller's record
    rules select."""

    definition: models.Model
    stages: list[Stage]
    filters: dict
    window: Window


# the keys of get_process_map's result (DESIGN section 12); the screen's have more
PUBLIC_KEYS = {
    "nodes": ("stage", "name", "count", "median_seconds"),
    "edges": ("from", "to", "count", "median_seconds", "p90_seconds"),
    "variants": ("path", "count", "share", "median_cycle_seconds"),
    "deviations": ("kind", "detail", "count"),
}


class WorkflowDefinitionProcess(models.Model):
    _inherit = "workflow.definition"

    # ------------------------------------------------------------
    # API
    # ------------------------------------------------------------

    @api.model
    def get_process_map(self, definition_code, filters=None):
        """The process map of the definition ``definition_code`` from its stage events.

        :param filters: the dashboard's (``company_ids``, ``node``, ``period_days``,
            validated by ``workflow.dashboard._dashboard_filters``), plus optional
            ``date_from`` / ``date_to`` (dates, both included) that replace the period.
            Only the events of the window count, of the instances the caller may read.
        :return: ``{nodes, edges, variants, deviations}``:

            - nodes: every stage in sequence order, ``{stage: code, name, count:
              entries, median_seconds: median time spent in it}`` (None: never left);
            - edges: ``{from, to, count, median_seconds, p90_seconds}`` per transition,
              durations being the time spent in ``from``; the entry edge of an instance
              (its first stage) has ``from`` None and no duration;
            - variants: the ``VARIANT_LIMIT`` most frequent paths (stage codes entered,
              in time order) ``{path, count, share, median_cycle_seconds}``, the share of
              all instances, the cycle from the first to the last event of the path;
            - deviations against the stage sequence ``{kind, detail, count}``:
              ``skipped`` (a move forward over non-final, non-cancel stages, counted per
              move; entry edges and moves to a cancel stage never skip),
              ``out_of_order`` (a move to a lower sequence, not to a cancel stage,
              counted per move), ``rework`` (instances entering a stage more than once).
        """
        scope = self._process_scope(definition_code, filters)
        result = self._process_map_result(scope, self._process_map_rows(scope))
        return {
            part: [{key: item[key] for key in PUBLIC_KEYS[part]} for item in items]
            for part, items in result.items()
        }

    # ------------------------------------------------------------
    # SCOPE (shared by the map, the screen and the drill-downs)
    # ------------------------------------------------------------

    @api.model
    def _process_check_access(self):
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(
                self.env._("The process map needs the Workflow Monitor / User group.")
            )

    @api.model
    def _process_scope(self, definition_code, filters):
        """Check the caller and parse the request: the Scope of a map or a number."""
        self._process_check_access()
        definition = self._process_map_definition(definition_code)
        requested = filters if filters is not None else {}
        parsed = self.env["workflow.dashboard"]._dashboard_filters(requested)
        window = self._process_map_window(requested, parsed["period_days"])
        return Scope(definition, self._process_map_stages(definition), parsed, window)

    @api.model
    def _process_events_sql(self, scope):
        """PROCESS_EVENTS_SQL for ``scope``: its instances are the query of ``_search``
        (the caller's record rules, never sudo)."""
        Instance = self.env["workflow.instance"]
        domain = [("definition_id", "=", scope.definition.id)]
        domain += self.env["workflow.dashboard"]._base_domain("workflow.instance", scope.filters)
        Instance.flush_model()
        self.env["workflow.event"].flush_model()
        return SQL(
            PROCESS_EVENTS_SQL,
            definition=scope.definition.id,
            start=scope.window.start,
            end=scope.window.end,
            stages=[stage.id for stage in scope.stages] or [0],
            instances=Instance._search(domain).subselect(),
            all_instances=self._process_map_all_instances(scope.definition, scope.filters),
        )

    # ------------------------------------------------------------
    # INPUTS
    # ------------------------------------------------------------

    @api.model
    def _process_map_definition(self, code):
        if not code or not isinstance(code, str):
            raise UserError(
                self.env._(
                    "The process map needs a workflow definition code (field: definition_code)."
                )
            )
        definition = self.with_context(active_test=False).search([("code", "=", code)], limit=1)
        if not definition:
            raise UserError(
                self.env._(
                    "Unknown workflow definition code '%(code)s' (field: definition_code).",
                    code=code,
                )
            )
        return definition

    @api.model
    def _process_map_window(self, filters, period_days):
        """The window of the events: ``date_from``..``date_to`` when given, else the
        dashboard's period (its last ``period_days`` days, today included)."""
        dates = {}
        for key in ("date_from", "date_to"):
            value = filters.get(key)
            if not value:
                continue
            try:
                dates[key] = fields.Date.to_date(value)
            except (TypeError, ValueError):
                dates[key] = None
            if not dates[key]:
                raise UserError(
                    self.env._(
                        "The date '%(value)s' is not a date like 2026-01-31 (field: %(field)s).",
                        value=value,
                        field=key,
                    )
                )
        if "date_from" in dates and "date_to" in dates and dates["date_to"] < dates["date_from"]:
            raise UserError(self.env._("The end date is before the start date (field: date_to)."))
        now = fields.Datetime.now()
        end = now + timedelta(seconds=1)
        if "date_to" in dates:
            end = datetime.combine(dates["date_to"] + timedelta(days=1), time.min)
        if "date_from" in dates:
            return Window(datetime.combine(dates["date_from"], time.min), end)
        start = (now - timedelta(days=period_days - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        return Window(start, end)

    @api.model
    def _process_map_stages(self, definition):
        """The stages of ``definition`` in sequence order, names in the user's language."""
        return [
            Stage(s.id, s.code, s.name, s.sequence, s.is_final, s.is_cancel)
            for s in definition.stage_ids.sorted(lambda s: (s.sequence, s.id))
        ]

    @api.model
    def _process_map_rows(self, scope, with_instances=False):
        """Run PROCESS_MAP_SQL over the events of ``scope``; ``with_instances`` adds the
        ``entered`` and ``moved`` rows (instances per stage and per move)."""
        cr = self.env.cr
        # sorts of a long window stay in memory; the previous value is restored
        cr.execute(
            "SELECT current_setting('work_mem'), set_config('work_mem', %s, true)", [WORK_MEM]
        )
        work_mem = cr.fetchone()[0]
        try:
            cr.execute(
                SQL(
                    PROCESS_MAP_SQL,
                    events=self._process_events_sql(scope),
                    limit=VARIANT_LIMIT,
                    with_instances=bool(with_instances),
                )
            )
            return [MapRow(*row) for row in cr.fetchall()]
        finally:
            cr.execute("SELECT set_config('work_mem', %s, true)", [work_mem])

    @api.model
    def _process_map_all_instances(self, definition, filters):
        """True when the caller's instance filter keeps every instance of ``definition``:
        no node filter, no record rule on ``workflow.instance`` but the multi-company one
        (or none: superuser), and no instance of the definition outside the selected
        companies. The last check probes the gaps between those companies on the index
        ``workflow_instance_definition_company_idx``: a few index lookups, not a scan."""
        if filters.get("node"):
            return False
        rules = self.env["ir.rule"]._get_rules("workflow.instance")
        company_rule = self.env.ref(COMPANY_RULE, raise_if_not_found=False)
        if rules and (not company_rule or rules != company_rule):
            return False
        companies = sorted(set(filters["company_ids"]) & set(self.env.companies.ids))
        if not companies:
            return False
        gaps = [SQL("company_id IS NULL"), SQL("company_id < %s", companies[0])]
        gaps += [
            SQL("company_id > %s AND company_id < %s", low, high)
            for low, high in zip(companies, companies[1:], strict=False)
        ]
        gaps.append(SQL("company_id > %s", companies[-1]))
        probes = SQL(" OR ").join(
            SQL(
                "EXISTS (SELECT 1 FROM workflow_instance WHERE definition_id = %s AND %s)",
                definition.id,
                gap,
            )
            for gap in gaps
        )
        self.env.cr.execute(SQL("SELECT NOT (%s)", probes))
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------
    # RESULT
    # ------------------------------------------------------------

    @api.model
    def _process_map_result(self, scope, rows):
        """The four parts of the map from the rows of PROCESS_MAP_SQL. Beyond the keys of
        ``get_process_map`` (PUBLIC_KEYS), nodes, edges and deviations carry
        ``instance_count`` (the instances behind the number, when the rows have them)
        and deviations a ``key`` for ``action_process_instances``."""
        stages = scope.stages
        return {
            "nodes": self._process_map_nodes(stages, rows),
            "edges": self._process_map_edges(stages, rows),
            "variants": self._process_map_variants(stages, rows),
            "deviations": self._process_map_deviations(stages, rows),
        }

    @staticmethod
    def _process_seconds(value):
        return None if value is None else round(value, 3)

    @staticmethod
    def _process_instance_counts(rows, kind):
        """{(from id, to id) or stage id: instances} of the ``moved`` / ``entered`` rows
        (empty when the rows were fetched without them)."""
        found = [row for row in rows if row.kind == kind]
        if kind == "entered":
            return {row.from_id: row.count for row in found}
        return {(row.from_id, row.to_id): row.count for row in found}

    @api.model
    def _process_map_nodes(self, stages, rows):
        entries, medians = {}, {}
        for row in rows:
            if row.kind != "transition":
                continue
            if row.per_stage:
                medians[row.from_id] = row.median
            else:
                entries[row.to_id] = entries.get(row.to_id, 0) + row.count
        instances = self._process_instance_counts(rows, "entered")
        return [
            {
                "stage": stage.code,
                "name": stage.name,
                "count": entries.get(stage.id, 0),
                "median_seconds": self._process_seconds(medians.get(stage.id)),
                "instance_count": instances.get(stage.id, 0),
                "sequence": stage.sequence,
                "is_final": stage.is_final,
                "is_cancel": stage.is_cancel,
            }
            for stage in stages
        ]

    @api.model
    def _process_map_edges(self, stages, rows):
        codes = {stage.id: stage.code for stage in stages}
        order = {stage.id: index for index, stage in enumerate(stages)}
        edges = [row for row in rows if row.kind == "transition" and not row.per_stage]
        edges.sort(key=lambda r: (-r.count, order.get(r.from_id, -1), order[r.to_id]))
        instances = self._process_instance_counts(rows, "moved")
        return [
            {
                "from": codes.get(row.from_id),
                "to": codes[row.to_id],
                "count": row.count,
                "median_seconds": self._process_seconds(row.median),
                "p90_seconds": self._process_seconds(row.p90),
                "instance_count": instances.get((row.from_id, row.to_id)),
            }
            for row in edges
        ]

    @api.model
    def _process_map_variants(self, stages, rows):
        codes = {stage.id: stage.code for stage in stages}
        total = next((row.count for row in rows if row.kind == "total"), 0)
        return [
            {
                "path": [codes[int(stage_id)] for stage_id in row.path.split(",")],
                "count": row.count,
                "share": round(row.count / total, 4) if total else 0.0,
                "median_cycle_seconds": self._process_seconds(row.median),
            }
            for row in rows
            if row.kind == "variant"
        ]

    @staticmethod
    def _process_move_deviation(stages, source, target):
        """The deviation a move from ``source`` to ``target`` (Stage) is against the
        stage sequence: ``(kind, skipped stage codes)``, kind None when it is none.
        Entry moves (no source) and moves to a cancel stage never deviate."""
        if source is None or target.is_cancel:
            return None, []
        if target.sequence < source.sequence:
            return "out_of_order", []
        skipped = [
            stage.code
            for stage in stages
            if source.sequence < stage.sequence < target.sequence
            and not (stage.is_final or stage.is_cancel)
        ]
        return ("skipped" if skipped else None), skipped

    @api.model
    def _process_map_deviations(self, stages, rows):
        """Skipped stages and out-of-order moves from the transition rows, rework from
        the rework rows, against the definition's stage sequence."""
        by_id = {stage.id: stage for stage in stages}
        moved = self._process_instance_counts(rows, "moved")
        deviations = []
        for row in rows:
            if row.kind == "rework":
                code = by_id[row.from_id].code
                deviations.append(
                    {
                        "kind": "rework",
                        "detail": code,
                        "count": row.count,
                        "instance_count": row.count,
                        "key": code,
                    }
                )
            if row.kind != "transition" or row.per_stage or not row.from_id:
                continue
            source, target = by_id[row.from_id], by_id[row.to_id]
            kind, skipped = self._process_move_deviation(stages, source, target)
            if not kind:
                continue
            names = {"from": source.code, "to": target.code, "skipped": ", ".join(skipped)}
            if kind == "out_of_order":
                detail = self.env._("%(from)s → %(to)s", **names)
            else:
                detail = self.env._("%(from)s → %(to)s, skipping %(skipped)s", **names)
            deviations.append(
                {
                    "kind": kind,
                    "detail": detail,
                    "count": row.count,
                    "instance_count": moved.get((row.from_id, row.to_id)),
                    "key": [source.code, target.code],
                }
            )
        deviations.sort(key=lambda d: (DEVIATION_KINDS.index(d["kind"]), -d["count"], d["detail"]))
        return deviations
