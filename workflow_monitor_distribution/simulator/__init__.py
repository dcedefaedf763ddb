# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The distribution simulator: a realistic, reproducible stream of orders, deliveries,
receipts, bills, invoices and payments through Odoo's real flows, with explicit
simulated dates (see ``readme/USAGE.md``). Plain Python; ``workflow.simulator.run()``
is the entry point.

One file per concern: ``settings`` (the options of a run, validated), ``catalogue``
(names and warehouse profiles), ``simulation`` (the driver: clock, steps, the day's
schedule), ``master_data``, ``sales``, ``replenishment``, ``purchases``, ``stock``
(validation and its dates), ``dispatch``, ``accounting``, ``analysis``, ``summary``,
``users`` (the named users it acts as) and ``approvals`` (policies, cycle count and
decisions, with Workflow Monitor Approvals only).
"""

from .settings import Shares, SimulationSettings, Sizes
from .simulation import Simulation
