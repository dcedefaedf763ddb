# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What the scheduled actions do: the detectors and the SLA sweep at the end of each
simulated day, then the sweeps and one KPI snapshot per simulated day."""

from datetime import timedelta


def _detect(env):
    Detector = env["workflow.distribution.detector"]
    for name in Detector._detectors():
        Detector._cron_detect(name)


def watch(sim):
    """End of the day: the detectors and the SLA sweep run as their scheduled actions
    would, so exceptions are first seen on the day they happen."""
    _detect(sim.env)
    sim.env["workflow.instance"]._cron_sla_sweep()


def analyse(sim, first_day, end_date):
    """Detectors, SLA and stale sweeps (at the time of the environment: the server's
    time after the stream), and one KPI snapshot per simulated day plus ``end_date``."""
    env = sim.env
    _detect(env)
    Instance = env["workflow.instance"]
    Instance._cron_sla_sweep()
    Instance._cron_stale_sweep()
    Kpi = env["workflow.kpi"]
    day = first_day
    while day <= end_date:
        Kpi._cron_kpi_snapshot(day=day)
        day += timedelta(days=1)
    sim.checkpoint()
