# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    workflow_integration,
    workflow_integration_circuit,
    workflow_integration_counter,
    workflow_integration_health,
    workflow_integration_metrics,
    workflow_integration_route,
    workflow_integration_message,
    workflow_integration_message_delivery,
    workflow_integration_message_inbox,
    workflow_integration_message_handlers,
    workflow_integration_silence,
    workflow_integration_refusal,
    workflow_event,
    ir_actions_server,
    workflow_dashboard,
    res_config_settings,
)
