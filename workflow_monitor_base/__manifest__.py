# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Workflow Monitor",
    "summary": "Workflow events, cycle times, SLA timers, owned exception queues and "
    "configuration audit for business flows",
    "version": "18.0.1.1.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "website": "https://github.com/workflow-monitor/workflow-monitor",
    "license": "LGPL-3",
    "depends": ["base", "mail", "resource", "base_automation", "web"],
    "data": [
        "security/workflow_monitor_base_security.xml",
        "security/ir.model.access.csv",
        "data/workflow_team_data.xml",
        "data/workflow_exception_category_data.xml",
        "data/workflow_exception_category_system.xml",
        "data/workflow_kpi_data.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "data/base_automation_data.xml",
        "views/workflow_dashboard_views.xml",
        "views/workflow_event_views.xml",
        "views/workflow_stage_duration_views.xml",
        "views/workflow_instance_views.xml",
        "views/workflow_exception_views.xml",
        "views/workflow_exception_category_views.xml",
        "views/workflow_team_views.xml",
        "views/workflow_sla_policy_views.xml",
        "views/workflow_definition_views.xml",
        "views/workflow_kpi_views.xml",
        "views/ir_actions_server_views.xml",
        "views/res_config_settings_views.xml",
        "views/workflow_monitor_menus.xml",
    ],
    "demo": [
        "demo/workflow_monitor_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "workflow_monitor_base/static/src/dashboard/**/*",
            "workflow_monitor_base/static/src/process/**/*",
        ],
        "web.assets_tests": [
            "workflow_monitor_base/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
    "uninstall_hook": "uninstall_hook",
}
