{
    "name": "Workflow Monitor - Distribution",
    "summary": "Order-to-cash and procure-to-pay monitoring (placeholder, not implemented)",
    "version": "18.0.1.0.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "license": "LGPL-3",
    "depends": [
        "workflow_monitor_base",
        "sale_stock",
        "purchase_stock",
    ],
    "data": [],
    "installable": True,
    "application": False,
}
