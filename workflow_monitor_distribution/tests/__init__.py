# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import test_detectors
from . import test_kpi
from . import test_settings_act
from . import test_stages
from . import test_warehouse
from . import test_governance_distribution
from . import test_simulator
from . import test_simulator_shares
from . import test_causal_chain
from . import test_process_export
from . import test_simulator_approvals
from . import test_replenishment
from . import test_return_flow
from . import test_capture_cost_return
from . import test_return_aging
from . import test_return_rate
from . import test_transfer
from . import test_transfer_delay
from . import test_transfer_kpi
from . import test_transfer_capture_cost
from . import test_carrier_flow
from . import test_carrier_webhooks
from . import test_kpi_carrier
