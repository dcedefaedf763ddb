# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Robust statistics for the anomaly detector: median / MAD z-scores, weekday-aware."""

import math
from datetime import timedelta

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        raise ValueError("median of nothing")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def robust_z(value, history, min_relative_scale=0.05):
    """Return (z, median, mad) of ``value`` against ``history``.

    z = (value - median) / (1.4826 * MAD). When MAD is 0 (a flat history) the scale falls
    back to 1.2533 x the mean absolute deviation, then to ``min_relative_scale`` of
    the median (and 1e-9), so one odd point in a flat series is not infinitely far.
    """
    center = median(history)
    deviations = [abs(x - center) for x in history]
    mad = median(deviations)
    scale = MAD_TO_SIGMA * mad
    if not scale:
        scale = 1.2533 * (sum(deviations) / len(deviations))
    if not scale:
        scale = max(abs(center) * min_relative_scale, 1e-9)
    return (value - center) / scale, center, mad


def same_weekday_history(series, day, weeks):
    """Values of ``series`` ({date: value}) on the same weekday as ``day`` during the
    ``weeks`` weeks before it, oldest first, as [(date, value)]."""
    points = []
    for week in range(weeks, 0, -1):
        past = day - timedelta(days=7 * week)
        if past in series:
            points.append((past, series[past]))
    return points


def two_sided_confidence(z):
    """P(|N(0,1)| < |z|): how sure we are that the point is not ordinary noise."""
    return math.erf(abs(z) / math.sqrt(2.0))
