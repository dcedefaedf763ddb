# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

# When a delivery is due for dispatch (DESIGN section 11, "settings that act"): its
# scheduled date, except for an order confirmed after its warehouse's cut-off (local
# time of the warehouse): then the end of the next working day, in that zone, if later.
# Aliases: ``p`` the picking, ``so`` its sale order (LEFT JOIN), ``r`` the warehouse's
# row of ``dispatch_rules`` (LEFT JOIN, see _workflow_dispatch_rules_sql). Constant.
DISPATCH_DUE_SQL = """CASE
    WHEN r.warehouse_id IS NOT NULL AND so.date_order IS NOT NULL
     AND extract(epoch FROM (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE r.tz)::time)
         > r.cutoff_seconds
    THEN GREATEST(p.scheduled_date,
        ((SELECT min(d::date) FROM generate_series(
              (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE r.tz)::date + 1,
              (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE r.tz)::date + 7,
              interval '1 day') AS d
           WHERE extract(isodow FROM d)::int = ANY(r.workdays)) + 1)::timestamp
        AT TIME ZONE r.tz AT TIME ZONE 'UTC')
    ELSE p.scheduled_date END"""
# Monday to Friday, ISO day numbers: the working days without a calendar
DEFAULT_WORKDAYS = "1,2,3,4,5"


def _tz_selection(self):
    return [(tz, tz) for tz in sorted(pytz.all_timezones, key=lambda tz: tz.split("/")[0])]


class StockWarehouse(models.Model):
    """Per-node parameters of Workflow Monitor: empty values fall back to the defaults
    of Settings › Workflow Monitor › Distribution. Their changes are ``config`` events
    (who, when, old and new values), like the rest of the suite's configuration."""

    _name = "stock.warehouse"
    _inherit = ["stock.warehouse", "workflow.config.audit.mixin"]
    _workflow_audit_fields = (
        "workflow_tz",
        "workflow_cutoff_time",
        "workflow_late_tolerance_hours",
        "workflow_backorder_aging_days",
        "workflow_allocation_delay_hours",
        "workflow_replenishment_aging_hours",
        "workflow_target_fill_rate",
        "workflow_target_on_time",
        "workflow_team_id",
    )

    workflow_tz = fields.Selection(
        _tz_selection,
        string="Timezone",
        help="Timezone of the warehouse for its dispatch cut-off; empty uses the company's.",
    )
    workflow_cutoff_time = fields.Float(
        string="Dispatch Cut-off",
        help="Orders confirmed after this local time are due for dispatch the next day.",
    )
    workflow_late_tolerance_hours = fields.Float(
        string="Late Tolerance (h)",
        help="A delivery later than its scheduled date by more than this is late.",
    )
    workflow_backorder_aging_days = fields.Float(
        string="Backorder Aging (days)", help="Open backorders older than this raise an exception."
    )
    workflow_allocation_delay_hours = fields.Float(
        string="Allocation Delay (h)",
        help="Confirmed orders not fully reserved after this many hours raise an exception.",
    )
    workflow_replenishment_aging_hours = fields.Float(
        string="Replenishment Aging (h)",
        help="A reordering rule of this warehouse that needs an order and has none for "
        "longer than this raises an exception; empty uses the company's default (Settings).",
    )
    workflow_target_fill_rate = fields.Float(
        string="Target Fill Rate (%)",
        help="Share of ordered quantity shipped in the first delivery. Colours this "
        "warehouse's tiles; empty uses the target of the Settings.",
    )
    workflow_target_on_time = fields.Float(
        string="Target On-time Dispatch (%)",
        help="Share of deliveries done by their due date plus tolerance. Colours this "
        "warehouse's tiles; empty uses the target of the Settings.",
    )
    workflow_team_id = fields.Many2one(
        "workflow.team",
        string="Exception Team",
        help="Team owning the exceptions of this warehouse (instead of the category's team).",
    )

    @api.constrains(
        "workflow_cutoff_time",
        "workflow_late_tolerance_hours",
        "workflow_backorder_aging_days",
        "workflow_allocation_delay_hours",
        "workflow_replenishment_aging_hours",
        "workflow_target_fill_rate",
        "workflow_target_on_time",
    )
    def _check_workflow_parameters(self):
        for warehouse in self:
            if not 0 <= warehouse.workflow_cutoff_time < 24:
                raise ValidationError(
                    _(
                        "%(name)s: the dispatch cut-off must be a time of day (field: Dispatch "
                        "Cut-off).",
                        name=warehouse.name,
                    )
                )
            for fname in (
                "workflow_late_tolerance_hours",
                "workflow_backorder_aging_days",
                "workflow_allocation_delay_hours",
                "workflow_replenishment_aging_hours",
            ):
                if warehouse[fname] < 0:
                    raise ValidationError(
                        _(
                            "%(name)s: %(field)s cannot be negative.",
                            name=warehouse.name,
                            field=warehouse._fields[fname].string,
                        )
                    )
            for fname in ("workflow_target_fill_rate", "workflow_target_on_time"):
                if not 0 <= warehouse[fname] <= 100:
                    raise ValidationError(
                        _(
                            "%(name)s: %(field)s is a percentage between 0 and 100.",
                            name=warehouse.name,
                            field=warehouse._fields[fname].string,
                        )
                    )

    @api.model
    def _workflow_dispatch_rules_sql(self):
        """The CTE ``dispatch_rules(warehouse_id, tz, cutoff_seconds, workdays int[])``
        that DISPATCH_DUE_SQL reads (``WITH %s ...``), one row per
        warehouse with a dispatch cut-off: the zone is the warehouse's, else its company's,
        else UTC; the working days those of the company's working-time calendar. Values
        as parameters (a handful of warehouses, read once per run)."""
        # sudo: configuration of every company, read to date deliveries in SQL
        warehouses = (
            self.sudo().with_context(active_test=False).search([("workflow_cutoff_time", ">", 0)])
        )
        ids, zones, cutoffs, days = [], [], [], []
        for warehouse in warehouses:
            calendar = warehouse.company_id.resource_calendar_id
            weekdays = sorted({int(a.dayofweek) + 1 for a in calendar.attendance_ids})
            ids.append(warehouse.id)
            zones.append(warehouse.workflow_tz or warehouse.company_id.partner_id.tz or "UTC")
            cutoffs.append(warehouse.workflow_cutoff_time * 3600.0)
            days.append(",".join(map(str, weekdays)) or DEFAULT_WORKDAYS)
        return SQL(
            """dispatch_rules(warehouse_id, tz, cutoff_seconds, workdays) AS (
                   SELECT w, z, c, string_to_array(d, ',')::int[]
                     FROM unnest(%s::int[], %s::varchar[], %s::float8[], %s::varchar[])
                          AS r(w, z, c, d))""",
            ids,
            zones,
            cutoffs,
            days,
        )

    def _workflow_param(self, fname, default_key, default):
        """The warehouse's value of ``fname``, else the setting, else ``default``."""
        self.ensure_one()
        if self[fname]:
            return self[fname]
        value = self.env["ir.config_parameter"].sudo().get_param(default_key)
        return float(value) if value not in (None, False, "") else default

    def _workflow_params(self):
        """{warehouse id: {parameter: value}} with the defaults applied (detectors)."""
        params = {}
        for warehouse in self:
            params[warehouse.id] = {
                "late_tolerance_hours": warehouse._workflow_param(
                    "workflow_late_tolerance_hours", "workflow_monitor.late_tolerance_hours", 4.0
                ),
                "backorder_aging_days": warehouse._workflow_param(
                    "workflow_backorder_aging_days", "workflow_monitor.backorder_aging_days", 5.0
                ),
                "allocation_delay_hours": warehouse._workflow_param(
                    "workflow_allocation_delay_hours",
                    "workflow_monitor.allocation_delay_hours",
                    24.0,
                ),
                "team_id": warehouse.workflow_team_id.id,
            }
        return params
