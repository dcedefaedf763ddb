# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Workflow Monitor - AI",
    "summary": "Classification, similar incidents, root-cause candidates, anomalies and "
    "briefings on workflow exceptions, bounded by confidence and human review",
    "version": "18.0.1.0.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "website": "https://github.com/workflow-monitor/workflow-monitor",
    "license": "LGPL-3",
    "depends": ["workflow_monitor_base", "mail"],
    "external_dependencies": {"python": ["scikit-learn", "numpy", "requests"]},
    "data": [
        "security/workflow_monitor_ai_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/discuss_channel_data.xml",
        "data/briefing_templates.xml",
        "views/workflow_ai_suggestion_views.xml",
        "views/workflow_ai_log_views.xml",
        "views/workflow_ai_model_views.xml",
        "views/workflow_ai_risk_model_views.xml",
        "views/workflow_instance_views.xml",
        "views/workflow_exception_views.xml",
        "views/res_config_settings_views.xml",
        "views/workflow_monitor_ai_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "workflow_monitor_ai/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
