# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import test_mixin
from . import test_mixin_definitions
from . import test_event
from . import test_sla
from . import test_exception
from . import test_automation
from . import test_scheduled_actions
from . import test_kpi
from . import test_config_audit
from . import test_access
from . import test_dashboard
from . import test_sla_bulk
from . import test_governance_base
from . import test_clock
from . import test_process_map
from . import test_process_drill
from . import test_stage_duration
from . import test_process_export
from . import test_event_partition
from . import test_exception_cause
from . import test_process_equality
