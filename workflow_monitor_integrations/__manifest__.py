# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Workflow Monitor - Integrations",
    "summary": "Reliable signed webhooks (outbox and inbox), retries, dead letters, replay, "
    "integration health, Prometheus metrics and n8n examples",
    "version": "18.0.1.0.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "website": "https://github.com/workflow-monitor/workflow-monitor",
    "license": "LGPL-3",
    "depends": ["workflow_monitor_base"],
    "external_dependencies": {"python": ["requests", "prometheus_client"]},
    "data": [
        "security/workflow_monitor_integrations_security.xml",
        "security/ir.model.access.csv",
        "data/workflow_exception_category_data.xml",
        "data/workflow_exception_category_system.xml",
        "data/ir_cron_data.xml",
        "views/workflow_integration_views.xml",
        "views/workflow_integration_message_views.xml",
        "views/workflow_integration_refusal_views.xml",
        "views/ir_actions_server_views.xml",
        "views/res_config_settings_views.xml",
        "views/workflow_monitor_integrations_menus.xml",
    ],
    "demo": ["demo/workflow_integration_demo.xml"],
    "installable": True,
    "uninstall_hook": "uninstall_hook",
    "application": False,
}
