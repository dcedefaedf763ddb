# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Workflow Monitor - Approvals",
    "summary": "Server-side approvals for orders, bills, transfers and inventory adjustments: "
    "policies, tiers, delegation, SLA escalation and compliance KPIs",
    "version": "18.0.1.1.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "website": "https://github.com/workflow-monitor/workflow-monitor",
    "license": "LGPL-3",
    "depends": [
        "workflow_monitor_base",
        "sale_stock",
        "sale_margin",
        "purchase_stock",
    ],
    "data": [
        "security/ir.model.access.csv",
        "security/workflow_monitor_approvals_security.xml",
        "data/ir_sequence_data.xml",
        "data/mail_activity_type_data.xml",
        "data/workflow_exception_category_data.xml",
        "data/workflow_exception_category_system.xml",
        "data/workflow_kpi_data.xml",
        "data/ir_cron_data.xml",
        "views/workflow_approval_request_views.xml",
        "views/workflow_approval_policy_views.xml",
        "views/sale_order_views.xml",
        "views/purchase_order_views.xml",
        "views/account_move_views.xml",
        "views/stock_picking_views.xml",
        "views/workflow_instance_views.xml",
        "views/res_config_settings_views.xml",
        "views/workflow_monitor_approvals_menus.xml",
    ],
    "demo": [
        "demo/workflow_approval_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "workflow_monitor_approvals/static/src/dashboard/**/*",
        ],
        "web.assets_tests": [
            "workflow_monitor_approvals/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "uninstall_hook": "uninstall_hook",
    "application": False,
}
