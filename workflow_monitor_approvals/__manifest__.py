{
    "name": "Workflow Monitor - Approvals",
    "summary": "Server-side approvals for orders, bills and stock (placeholder, not implemented)",
    "version": "18.0.1.0.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "license": "LGPL-3",
    "depends": [
        "workflow_monitor_base",
        "sale_stock",
        "sale_margin",
        "purchase_stock",
    ],
    "data": [],
    "installable": True,
    "application": False,
}
