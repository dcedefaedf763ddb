{
    "name": "Workflow Monitor - AI",
    "summary": "AI help on workflow exceptions, human-reviewed (placeholder, not implemented)",
    "version": "18.0.1.0.0",
    "category": "Productivity/Workflow Monitor",
    "author": "Workflow Monitor",
    "license": "LGPL-3",
    "depends": [
        "workflow_monitor_base",
    ],
    "data": [],
    "installable": True,
    "application": False,
}
