# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import workflow_approval_policy
from . import workflow_approval_tier
from . import workflow_approval_delegation
from . import workflow_approval_decision
from . import workflow_approval_request
from . import workflow_approval_author
from . import workflow_approval_gate
from . import workflow_approval_mixin
from . import workflow_approval_line_mixin
from . import sale_order
from . import purchase_order
from . import account_move
from . import stock_picking
from . import stock_move
from . import stock_quant
from . import stock_scrap
from . import workflow_kpi
from . import workflow_instance
from . import workflow_dashboard
from . import res_config_settings
