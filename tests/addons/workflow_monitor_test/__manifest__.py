# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Workflow Monitor - Test Models",
    "summary": "Test-only documents tracked by the workflow engine (never install in production)",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Workflow Monitor",
    "license": "LGPL-3",
    "depends": ["workflow_monitor_base"],
    "data": [
        "security/ir.model.access.csv",
        "data/workflow_test_data.xml",
    ],
    "installable": True,
}
