# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import workflow_config_audit
from . import workflow_cache_mixin
from . import workflow_document_link_mixin
from . import workflow_definition
from . import workflow_definition_process
from . import workflow_definition_process_screen
from . import workflow_stage
from . import workflow_team
from . import workflow_exception_category
from . import workflow_sla_policy
from . import resource_calendar
from . import workflow_instance
from . import workflow_instance_move
from . import workflow_instance_risk
from . import workflow_instance_carrier
from . import workflow_event
from . import workflow_event_partition
from . import workflow_exception
from . import workflow_exception_raise
from . import workflow_exception_cause
from . import workflow_kpi
from . import workflow_kpi_value
from . import workflow_stage_duration
from . import workflow_tracked_mixin
from . import ir_actions_server
from . import base_automation
from . import ir_config_parameter
from . import ir_cron
from . import res_config_settings
from . import workflow_dashboard
