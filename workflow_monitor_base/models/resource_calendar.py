# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, time, timedelta

import pytz

from odoo import _, models, tools
from odoo.exceptions import UserError

WINDOW_DAYS = 28  # working intervals are computed and cached four weeks at a time
MAX_WINDOWS = 27  # about two years of calendar: beyond that the calendar is wrong


class ResourceCalendar(models.Model):
    _name = "resource.calendar"
    _inherit = ["resource.calendar", "workflow.cached.config.mixin"]  # cached intervals

    def _workflow_add_hours(self, starts, hours):
        """Return, for each naive UTC ``start``, the naive UTC moment at which ``hours``
        working hours of this calendar (public holidays and leaves excluded) have passed.

        Working intervals come from ``_work_intervals_batch`` four weeks at a time and
        are cached per worker (cleared when the calendar, its attendances or its global
        leaves change), so SLA deadlines cost no query on the capture hot path.
        """
        self.ensure_one()
        if hours <= 0:
            return list(starts)
        return [self._workflow_walk(start, hours) for start in starts]

    def _workflow_walk(self, start, hours):
        remaining = timedelta(hours=hours)
        window = datetime.combine(start.date() - timedelta(days=start.weekday()), time.min)
        for _index in range(MAX_WINDOWS):
            for begin, end in self._workflow_intervals(window):
                if end <= start:
                    continue
                begin = max(begin, start)
                if end - begin >= remaining:
                    return begin + remaining
                remaining -= end - begin
            window += timedelta(days=WINDOW_DAYS)
        raise UserError(
            _(
                "The working hours of calendar %(calendar)s do not allow %(hours)s hours "
                "within two years: check its attendances.",
                calendar=self.name,
                hours=hours,
            )
        )

    @tools.ormcache("self.id", "window")
    def _workflow_intervals(self, window):
        """Working intervals (naive UTC) of the four weeks starting at ``window``."""
        start_dt = pytz.utc.localize(window)
        end_dt = pytz.utc.localize(window + timedelta(days=WINDOW_DAYS))
        intervals = self.sudo()._work_intervals_batch(start_dt, end_dt)[False]
        return tuple(
            (
                begin.astimezone(pytz.utc).replace(tzinfo=None),
                end.astimezone(pytz.utc).replace(tzinfo=None),
            )
            for begin, end, _meta in intervals
        )


class ResourceCalendarAttendance(models.Model):
    _name = "resource.calendar.attendance"
    _inherit = ["resource.calendar.attendance", "workflow.cached.config.mixin"]


class ResourceCalendarLeaves(models.Model):
    """Global leaves (public holidays, no resource) change SLA working time: clear the
    cached intervals. Personal time off does not, and leaves the caches alone."""

    _name = "resource.calendar.leaves"
    _inherit = ["resource.calendar.leaves", "workflow.cached.config.mixin"]

    def _workflow_cache_affected(self, vals=None):
        return any(not leave.resource_id for leave in self) or "resource_id" in (vals or {})
