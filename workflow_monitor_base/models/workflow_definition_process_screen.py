# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The process map screen (client action ``workflow_monitor_base.action_workflow_process``):
its data in one call, and the instances behind each of its numbers. Both count the
events of ``_process_scope`` / ``_process_events_sql`` (workflow_definition_process.py),
so a number and the list it opens always agree."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .workflow_definition_process import Stage

DRILL_KINDS = ("node", "edge", "variant", "skipped", "out_of_order", "rework")
MAX_PATH_LENGTH = 1000  # stages in a variant key: longer paths are refused, not searched

# The instances behind one number of the map (``action_process_instances``), over the
# same events (``%(events)s``): one statement per kind of number.
NODE_INSTANCES_SQL = """
WITH ev AS MATERIALIZED (%(events)s)
SELECT DISTINCT instance_id FROM ev WHERE stage_to_id = %(to)s
"""
EDGE_INSTANCES_SQL = """
WITH ev AS MATERIALIZED (%(events)s)
SELECT DISTINCT instance_id FROM ev
 WHERE stage_from_id IS NOT DISTINCT FROM %(from)s AND stage_to_id = %(to)s
"""
VARIANT_INSTANCES_SQL = """
WITH ev AS MATERIALIZED (%(events)s)
SELECT instance_id FROM ev
 GROUP BY instance_id
HAVING string_agg(stage_to_id::text, ',' ORDER BY occurred_at, id) = %(path)s
"""
REWORK_INSTANCES_SQL = """
WITH ev AS MATERIALIZED (%(events)s)
SELECT instance_id FROM ev WHERE stage_to_id = %(to)s
 GROUP BY instance_id HAVING count(*) > 1
"""


class WorkflowDefinitionProcessScreen(models.Model):
    _inherit = "workflow.definition"

    # ------------------------------------------------------------
    # API
    # ------------------------------------------------------------

    @api.model
    def get_process_screen(self, definition_code=None, filters=None):
        """Everything the process map screen shows, in one call.

        :param definition_code: the definition to map; default: the one with the most
            instances the caller can read.
        :param filters: as ``get_process_map``'s.
        :return: ``{definitions: [{code, name}], definition: code or False, companies:
            [[id, name]], nodes: the dashboard's node filter, filters: the filters as
            applied, window: {date_from, date_to}, map: None or get_process_map's result
            plus, for the numbers that open lists, ``instance_count`` (nodes, edges,
            deviations), ``key`` (deviations), ``sequence`` / ``is_final`` /
            ``is_cancel`` (nodes) and ``instance_total``}``.
        """
        self._process_check_access()
        Dashboard = self.env["workflow.dashboard"]
        requested = filters if filters is not None else {}
        parsed = Dashboard._dashboard_filters(requested)
        definitions = self.search([])
        code = definition_code or self._process_default_definition(definitions).code
        screen = {
            "definitions": [{"code": d.code, "name": d.name} for d in definitions],
            "definition": code or False,
            "companies": [[company.id, company.name] for company in self.env.companies],
            "nodes": Dashboard._dashboard_nodes(parsed),
            "filters": parsed,
            "window": None,
            "map": None,
        }
        if not code:
            return screen
        scope = self._process_scope(code, requested)
        rows = self._process_map_rows(scope, with_instances=True)
        result = self._process_map_result(scope, rows)
        result["instance_total"] = next((row.count for row in rows if row.kind == "total"), 0)
        last_day = fields.Datetime.subtract(scope.window.end, seconds=1)
        screen["window"] = {
            "date_from": fields.Date.to_string(scope.window.start.date()),
            "date_to": fields.Date.to_string(last_day.date()),
        }
        screen["map"] = result
        return screen

    @api.model
    def action_process_instances(self, definition_code, filters, kind, key):
        """The instances behind one number of the process map, as a list.

        :param kind: ``node`` (key: a stage code; the instances that entered it),
            ``edge`` (key: ``[from code or None, to code]``; the instances that made the
            move, None: that started in ``to``), ``variant`` (key: the path, a list of
            stage codes; the instances whose path it is), ``skipped`` / ``out_of_order``
            (key: the move, as for ``edge``), ``rework`` (key: a stage code; the
            instances that entered it more than once).
        :return: a window action on ``workflow.instance`` listing them (the same window,
            filters and record rules as the number).
        """
        scope = self._process_scope(definition_code, filters)
        if not isinstance(kind, str) or kind not in DRILL_KINDS:
            raise UserError(
                self.env._(
                    "Unknown kind of process map number '%(kind)s': use one of %(kinds)s "
                    "(field: kind).",
                    kind=kind,
                    kinds=", ".join(DRILL_KINDS),
                )
            )
        params, name = self._process_drill_key(scope, kind, key)
        if kind == "node":
            query = NODE_INSTANCES_SQL
        elif kind == "rework":
            query = REWORK_INSTANCES_SQL
        elif kind == "variant":
            query = VARIANT_INSTANCES_SQL
        else:
            query = EDGE_INSTANCES_SQL
        self.env.cr.execute(SQL(query, events=self._process_events_sql(scope), **params))
        ids = [row[0] for row in self.env.cr.fetchall()]
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "workflow.instance",
            "views": [[False, "list"], [False, "form"]],
            "domain": [("id", "in", ids)],
            "context": {"create": False},
            "target": "current",
        }

    @api.model
    def _process_default_definition(self, definitions):
        """The definition of ``definitions`` with the most instances the caller may
        read (one grouped count), else the first one."""
        busiest = self.env["workflow.instance"]._read_group(
            [("definition_id", "in", definitions.ids)],
            ["definition_id"],
            ["__count"],
            order="__count desc, definition_id",
            limit=1,
        )
        return busiest[0][0] if busiest else definitions[:1]

    # ------------------------------------------------------------
    # KEYS
    # ------------------------------------------------------------

    @api.model
    def _process_drill_key(self, scope, kind, key):
        """Validate ``key`` for ``kind``: (the query parameters, the list's title)."""
        params = {"from": None, "to": None, "path": None}
        if kind in ("node", "rework"):
            stage = self._process_drill_stage(scope, key)
            params["to"] = stage.id
            if kind == "node":
                return params, self.env._("%(stage)s: entered", stage=stage.name)
            return params, self.env._("%(stage)s: entered more than once", stage=stage.name)
        if kind == "variant":
            if not isinstance(key, (list, tuple)) or not 0 < len(key) <= MAX_PATH_LENGTH:
                raise UserError(
                    self.env._(
                        "A variant is a list of 1 to %(max)s stage codes (field: key).",
                        max=MAX_PATH_LENGTH,
                    )
                )
            path = [self._process_drill_stage(scope, code) for code in key]
            params["path"] = ",".join(str(stage.id) for stage in path)
            names = " → ".join(stage.name for stage in path)
            return params, self.env._("Variant: %(path)s", path=names)
        return self._process_drill_move(scope, kind, key, params)

    @api.model
    def _process_drill_move(self, scope, kind, key, params):
        if not isinstance(key, (list, tuple)) or len(key) != 2:
            raise UserError(
                self.env._(
                    "A move is a pair [from stage code or null, to stage code] (field: key)."
                )
            )
        source = None if key[0] is None else self._process_drill_stage(scope, key[0])
        target = self._process_drill_stage(scope, key[1])
        params["from"] = source and source.id
        params["to"] = target.id
        if kind != "edge":
            found, _skipped = self._process_move_deviation(scope.stages, source, target)
            if found != kind:
                raise UserError(
                    self.env._(
                        "The move %(from)s → %(to)s is not a deviation of kind %(kind)s "
                        "(field: key).",
                        **{"from": key[0], "to": key[1], "kind": kind},
                    )
                )
        if source is None:
            return params, self.env._("Started in %(stage)s", stage=target.name)
        return params, self.env._("%(from)s → %(to)s", **{"from": source.name, "to": target.name})

    @api.model
    def _process_drill_stage(self, scope, code) -> Stage:
        stage = next((s for s in scope.stages if isinstance(code, str) and s.code == code), None)
        if stage is None:
            raise UserError(
                self.env._(
                    "Unknown stage '%(stage)s' of the flow %(flow)s (field: key).",
                    stage=str(code)[:100],
                    flow=scope.definition.display_name,
                )
            )
        return stage
