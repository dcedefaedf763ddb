# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import workflow_ai_log
from . import workflow_ai_json_model_mixin
from . import workflow_ai_model
from . import workflow_ai_risk_model
from . import workflow_ai_suggestion
from . import workflow_ai_provider
from . import workflow_ai_anomaly
from . import workflow_ai_root_cause
from . import workflow_ai_briefing
from . import workflow_exception
from . import workflow_instance
from . import workflow_dashboard
from . import res_config_settings
