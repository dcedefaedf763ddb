# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Workflow Monitor - Distribution",
    "summary": "Order-to-cash and procure-to-pay flows, warehouse SLAs, detectors, "
    "distribution KPIs and a realistic simulator",
    "version": "18.0.1.0.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "website": "https://github.com/workflow-monitor/workflow-monitor",
    "license": "LGPL-3",
    "depends": ["workflow_monitor_base", "sale_stock", "purchase_stock", "stock_delivery"],
    "data": [
        "data/workflow_definition_data.xml",
        "data/workflow_definition_return.xml",
        "data/workflow_definition_transfer.xml",
        "data/workflow_exception_category_data.xml",
        "data/workflow_exception_category_system.xml",
        "data/workflow_sla_policy_data.xml",
        "data/workflow_sla_policy_transfer.xml",
        "data/workflow_kpi_data.xml",
        "data/ir_cron_data.xml",
        "data/workflow_replenishment_data.xml",
        "data/workflow_transfer_monitoring.xml",
        "views/stock_warehouse_views.xml",
        "views/stock_warehouse_orderpoint_views.xml",
        "views/workflow_sla_policy_views.xml",
        "views/res_config_settings_views.xml",
        "views/stock_warehouse_return_views.xml",
        "views/res_config_settings_return_views.xml",
        "views/business_document_views.xml",
        "views/stock_picking_transfer_views.xml",
        "views/stock_picking_carrier_views.xml",
    ],
    "installable": True,
    "uninstall_hook": "uninstall_hook",
    "application": False,
}
