from datetime import timedelta

import pytz

from odoo import _, models
from odoo.exceptions import UserError


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _workflow_add_hours(self, starts, hours):
        """Return, for each naive UTC ``start``, the naive UTC moment at which ``hours``
        working hours of this calendar (public holidays and leaves excluded) have passed.

        One call to ``_work_intervals_batch`` covers the whole batch; the window grows
        only when the hours do not fit in it.
        """
        self.ensure_one()
        if not starts:
            return []
        if hours <= 0:
            return list(starts)
        first, last = min(starts), max(starts)
        hours_per_week = (
            sum(
                (att.hour_to - att.hour_from)
                for att in self.attendance_ids
                if att.day_period != "lunch"
            )
            or 40.0
        )
        if self.two_weeks_calendar:
            hours_per_week /= 2.0
        span_days = max(7, int(hours / hours_per_week * 7 * 1.5) + 14)
        for _attempt in range(6):
            start_dt = pytz.utc.localize(first)
            end_dt = pytz.utc.localize(last + timedelta(days=span_days))
            intervals = [
                (
                    begin.astimezone(pytz.utc).replace(tzinfo=None),
                    end.astimezone(pytz.utc).replace(tzinfo=None),
                )
                for begin, end, _meta in self._work_intervals_batch(start_dt, end_dt)[False]
            ]
            results = [self._workflow_walk(intervals, start, hours) for start in starts]
            if all(result is not None for result in results):
                return results
            span_days *= 2
        raise UserError(
            _(
                "The working hours of calendar %(calendar)s do not allow %(hours)s hours "
                "within a year: check its attendances.",
                calendar=self.name,
                hours=hours,
            )
        )

    @staticmethod
    def _workflow_walk(intervals, start, hours):
        remaining = timedelta(hours=hours)
        for begin, end in intervals:
            if end <= start:
                continue
            begin = max(begin, start)
            available = end - begin
            if available >= remaining:
                return begin + remaining
            remaining -= available
        return None
