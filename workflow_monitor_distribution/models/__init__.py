# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import res_company
from . import stock_warehouse
from . import stock_warehouse_orderpoint
from . import sale_order
from . import sale_order_quotation
from . import purchase_order
from . import stock_picking
from . import stock_picking_return
from . import stock_picking_transfer
from . import stock_picking_carrier
from . import account_move
from . import account_move_return
from . import stock_warehouse_return
from . import workflow_sla_policy
from . import workflow_instance
from . import workflow_instance_carrier
from . import workflow_instance_risk
from . import res_config_settings
from . import res_config_settings_return
from . import workflow_detector
from . import workflow_detector_transfer
from . import workflow_causal_chain
from . import workflow_detector_replenishment
from . import workflow_detector_return
from . import workflow_kpi
from . import workflow_kpi_return
from . import workflow_kpi_transfer
from . import workflow_dashboard
from . import workflow_simulator
