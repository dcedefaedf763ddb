# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import test_conditions
from . import test_enforcement
from . import test_doors
from . import test_governance
from . import test_escalation
from . import test_kpi
from . import test_flow_visibility
from . import test_tour
